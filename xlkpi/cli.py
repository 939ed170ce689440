"""The ``xlkpi`` command line: thin wrappers over the library.

Exit codes: 0 all good, 1 problems found, 2 usage error (click's own), 3 a defect of xlkpi (details in a file).
Only this module prints or exits; the library returns reports or raises XlkpiError.
"""

from __future__ import annotations

import functools
import json
import shutil
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from xlkpi import __version__
from xlkpi.common.text import terminal_safe
from xlkpi.problems import Report, XlkpiError, problem


# -- output --------------------------------------------------------------------------------------------


def _width() -> int:
    return max(80, min(shutil.get_terminal_size((120, 24)).columns, 160))


MAX_SHOWN = 30


def echo(message: Any = "", **options: Any) -> None:
    """Print to the terminal: every line the CLI prints goes through here, with outside text made inert
    (:func:`~xlkpi.common.text.terminal_safe`: no ESC, C1 or bidi control ever reaches the terminal)."""
    click.echo(terminal_safe(str(message)), **options)


def render_report(report: Report, title: str) -> str:
    """A report as a readable table: where and code on one line, the message (Vietnamese, then
    English) indented below.  Locations in the file named by ``title`` leave the file out."""
    errors, warnings = len(report.errors), len(report.warnings)
    if not report.problems:
        return f"✓ {title}: hợp lệ / valid"
    mark = "✗" if errors else "!"
    lines = [f"{mark} {title}: {errors} lỗi, {warnings} cảnh báo / {errors} error(s), {warnings} warning(s)"]
    problems = sorted(report.problems, key=lambda p: p.sort_key())
    places = [p.place(relative_to=title) for p in problems]
    place_width = min(60, max(len("Vị trí / Where"), *(len(place) for place in places)))
    lines.append(f"  {'Vị trí / Where':<{place_width}}  Mã lỗi / Code")
    text_width = max(40, _width() - 6)
    for p, place in zip(problems[:MAX_SHOWN], places):
        severity = "" if p.severity == "error" else "  (cảnh báo / warning)"
        lines.append(f"  {place:<{place_width}}  {p.code}{severity}")
        lines.extend("      " + line for line in textwrap.wrap(p.message_vi, text_width))
        lines.extend("      " + line for line in textwrap.wrap("EN: " + p.message_en, text_width))
    if len(problems) > MAX_SHOWN:
        lines.append(f"  … và {len(problems) - MAX_SHOWN} vấn đề khác; dùng --json để xem tất cả / "
                     f"{len(problems) - MAX_SHOWN} more; use --json to see all")
    return "\n".join(lines)


def emit(report: Report, title: str, as_json: bool) -> None:
    if as_json:
        echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        echo(render_report(report, title))


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON / print JSON.")(func)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the library's XlkpiError into a problem table and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except XlkpiError as exc:
            as_json = kwargs.get("as_json", False)
            emit(exc.report, "xlkpi", as_json)
            sys.exit(1)

    return wrapper


# -- commands ------------------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="xlkpi")
def cli() -> None:
    """xlkpi — thu thập và tổng hợp chỉ tiêu cải cách thủ tục hành chính bằng Excel.

    Excel-native reporting of administrative-reform indicators: plans, rosters, data-entry
    workbooks, collection and the consolidated appendix.

    \b
    Quy trình / workflow:  xlkpi init DIR …  →  cd DIR  →  xlkpi generate  →  xlkpi send (or by
    hand)  →  xlkpi fetch (or save returns into inbox/)  →  xlkpi collect  →  xlkpi status / remind
    →  xlkpi consolidate
    Try it first:          xlkpi demo
    """


@cli.command("plans")
@json_option
def plans_command(as_json: bool) -> None:
    """Liệt kê các kế hoạch dựng sẵn / list the built-in plans.

    Any command that takes a plan accepts one of these ids in place of a file.
    """
    from xlkpi.plan.builtin import builtin_plans

    plans = builtin_plans()
    if as_json:
        echo(json.dumps([{"id": p.id, "title": p.title, "file": str(p.path)} for p in plans],
                              ensure_ascii=False, indent=2))
        return
    if not plans:
        raise click.ClickException("Không tìm thấy kế hoạch dựng sẵn nào (cài đặt thiếu thư mục templates).")
    width = max(len(p.id) for p in plans)
    for p in plans:
        echo(f"{p.id:<{width}}  {p.title}")


@cli.command("catalogue")
@click.option("--search", metavar="TEXT", default=None, help="Chỉ hiện chỉ tiêu gần với tên này / only entries "
                                                              "close to this name.")
@json_option
def catalogue_command(search: str | None, as_json: bool) -> None:
    """Danh mục chỉ tiêu quốc gia / the national indicators local plans draw on.

    Resolutions 01/NQ-CP and 02/NQ-CP of 2025 (and 03/NQ-CP as plans cite it) and the service index of
    Decision 766/QĐ-TTg: each entry's id, the names plans print, unit, measure kind, numerator and
    denominator (or the yes/no question) and its sources. 'xlkpi plan import' fills an imported row's
    measure from the entry its name matches.
    """
    from xlkpi.plan.catalogue import SOURCES, catalogue, match

    entries = list(catalogue())
    if search:
        found = match(search)
        entries = [found.entry] if found else []
    if as_json:
        echo(json.dumps([{"id": e.id, "names": list(e.names), "unit": e.unit, "kind": e.kind,
                                "numerator": e.numerator, "denominator": e.denominator, "question": e.question,
                                "sources": [SOURCES.get(s, s) for s in e.sources]} for e in entries],
                              ensure_ascii=False, indent=2))
        return
    if search and not entries:
        echo(f"Không có chỉ tiêu nào trong danh mục gần với \"{search}\" / nothing close in the catalogue")
        sys.exit(1)
    for entry in entries:
        echo(f"{entry.id}  [{entry.kind}, {entry.unit}]  {entry.name}")
        for other in entry.names[1:]:
            echo(f"    cũng in là / also printed: {other}")
        if entry.kind == "rate":
            echo(f"    tử số (a): {entry.numerator}")
            echo(f"    mẫu số (b): {entry.denominator}")
        elif entry.question:
            echo(f"    câu hỏi: {entry.question}")
        echo(f"    nguồn: {'; '.join(SOURCES.get(s, s) for s in entry.sources)}")


@cli.group("plan")
def plan_group() -> None:
    """Kiểm tra và xem kế hoạch / check and show plans."""


@plan_group.command("check")
@click.argument("plans", nargs=-1, required=True, metavar="FILE|ID...")
@json_option
@handle_errors
def plan_check(plans: tuple[str, ...], as_json: bool) -> None:
    """Kiểm tra toàn bộ tệp kế hoạch / validate plan files whole.

    Reports every problem with its YAML key path and line, in Vietnamese and English.
    Exit code 0 when every plan is valid, 1 when any has an error.
    """
    from xlkpi.plan.builtin import resolve_plan
    from xlkpi.plan.model import check_plan

    reports = [check_plan(resolve_plan(name)) for name in plans]
    if as_json:
        payload = [r.to_dict() for r in reports]
        echo(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2))
    else:
        for report in reports:
            echo(render_report(report, str(report.stats.get("file"))))
    sys.exit(int(not all(r.valid for r in reports)))


@plan_group.command("show")
@click.argument("plan", metavar="FILE|ID")
@click.option("--year", type=int, help="Năm mục tiêu cần hiện / target year to show (default: the first).")
@handle_errors
def plan_show(plan: str, year: int | None) -> None:
    """Hiện danh sách chỉ tiêu của kế hoạch / show a plan's indicators, targets and levels."""
    from xlkpi.plan.model import load_plan

    loaded = load_plan(plan)
    year = year or loaded.years[0]
    echo(f"{loaded.id} (phiên bản {loaded.version}) — {loaded.title}")
    echo("Cấp báo cáo / levels: " + ", ".join(f"{lv.id} ({lv.name})" for lv in loaded.levels))
    current = None
    for section, indicator in loaded.iter_indicators():
        if section is not None and section is not current:
            current = section
            echo(f"\n{section.number} {section.title}")
        target = indicator.targets.get(year)
        text = target.text if target else "—"
        rule = target.effective_rule if target else None
        name = indicator.name.replace("\n", "\n" + " " * 7)  # continuation lines under the name, not the margin
        echo(f"  {indicator.number:>4} {name}")
        echo(
            f"       [{indicator.id}] {indicator.measure.kind}, {year}: \"{text}\""
            f" → {rule if rule else 'không đánh giá'}; cấp: {', '.join(indicator.levels)}"
        )


@plan_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Kế hoạch ghi ra: .yaml hoặc .xlsx (mặc định: <mã kế hoạch>.yaml) / output plan, YAML or workbook.")
@click.option("--table", type=click.IntRange(min=1), default=None,
              help="Bảng phụ lục thứ mấy khi tệp có nhiều bảng (mặc định 1) / which appendix table.")
@click.option("--id", "plan_id", default=None, help="Mã kế hoạch (mặc định: theo địa danh và năm) / the plan's id.")
@click.option("--year", type=click.IntRange(2000, 2100), default=None,
              help="Năm của cột mục tiêu không ghi năm / the year of a target column that names none.")
@click.option("--force", is_flag=True, help="Ghi đè tệp đã có / overwrite an existing file.")
@handle_errors
def plan_import(file: Path, out: Path | None, table: int | None, plan_id: str | None, year: int | None,
                force: bool) -> None:
    """Nhập kế hoạch từ phụ lục Word/Excel / import a plan from the appendix in Word or Excel.

    Reads the appendix table from .docx or .xlsx (and .doc, .odt, .xls, .ods through LibreOffice):
    columns by their header text (two-level headers from merged cells), sections and headings, header
    rows repeated at page breaks, cells of several paragraphs, continuation rows; target texts as
    printed; levels from the implementing agency; the measure, numerator and denominator from the
    indicator catalogue. Whatever is a guess is listed with its table cell. Then review the plan (in
    Excel: --out plan.xlsx), run 'xlkpi plan check' and 'xlkpi init --plan'.
    """
    import yaml as _yaml
    from pydantic import ValidationError

    from xlkpi.common.files import atomic_output
    from xlkpi.plan.importer import import_plan
    from xlkpi.plan.model import Plan, check_plan
    from xlkpi.plan.workbook import is_plan_workbook, plan_file

    imported = import_plan(file, table=table, plan_id=plan_id, year=year)
    data = imported.data
    out = out or Path(f"{data['id']}.yaml")
    try:
        plan: Plan | None = Plan.model_validate(data)
    except ValidationError:
        plan = None
    if plan is None and is_plan_workbook(out):
        out = out.with_suffix(".yaml")  # a plan that does not validate is written as YAML, to be corrected
    with atomic_output(out, force=force) as temp:
        if plan is not None:
            temp.write_bytes(plan_file(plan, out, f"Nhập từ {file.name} bằng 'xlkpi plan import'; hãy xem lại rồi "
                                                  f"chạy 'xlkpi plan check'."))
        else:
            temp.write_text(_yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    echo(f"✓ {out}: {imported.summary[0]}")
    for line in imported.summary[1:]:
        echo(f"  {line}")
    if imported.problems:
        echo(f"Cần xem lại / to review ({len(imported.problems)}):")
        for found in imported.problems[:MAX_SHOWN]:
            where = f"{found.sheet}, {found.cell}: " if found.sheet else ""
            echo(f"  ! {where}{found.message_vi}")
        if len(imported.problems) > MAX_SHOWN:
            echo(f"  … và {len(imported.problems) - MAX_SHOWN} mục khác")
    report = check_plan(out)
    if report.valid:
        echo(f"Kiểm tra / check: hợp lệ. Tiếp theo / next: xem lại {out}, rồi xlkpi init … --plan {out}")
    else:
        emit(report, str(out), False)
        sys.exit(1)


def _write_plan_as(plan: str, out: Path | None, force: bool, suffix: str) -> None:
    """The plan named ``plan`` written to ``out`` (default <id>``suffix``) as that file's kind says."""
    from xlkpi.common.files import atomic_output
    from xlkpi.plan.model import load_plan
    from xlkpi.plan.workbook import is_plan_workbook, plan_file

    loaded = load_plan(plan)
    out = out or Path(f"{loaded.id}{suffix}")
    with atomic_output(out, force=force) as temp:
        temp.write_bytes(plan_file(loaded, out, f"Kế hoạch {loaded.id}, ghi bởi 'xlkpi plan to-yaml {plan}'."))
    advice = f" — sửa trong Excel rồi chạy 'xlkpi plan check {out}'" if is_plan_workbook(out) else ""
    echo(f"✓ {out}: kế hoạch {loaded.id}, {len(loaded.all_indicators)} chỉ tiêu{advice}")


@plan_group.command("to-xlsx")
@click.argument("plan", metavar="FILE|ID")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp kết quả (mặc định: <mã kế hoạch>.xlsx ở thư mục hiện tại) / output workbook.")
@click.option("--force", is_flag=True, help="Ghi đè tệp đã có / overwrite an existing file.")
@handle_errors
def plan_to_xlsx(plan: str, out: Path | None, force: bool) -> None:
    """Ghi kế hoạch thành bảng tính Excel để xem, sửa / write a plan as an Excel workbook.

    Sheets for the document (Kế hoạch), the levels, the columns, the indicators (one row each, targets
    per year as printed and their rules) and targets for one level or unit, with drop-down lists where
    the values are fixed. Every command that takes a plan accepts the workbook; 'xlkpi plan check' names
    the sheet and cell of each problem in it.
    """
    _write_plan_as(plan, out, force, ".xlsx")


@plan_group.command("to-yaml")
@click.argument("plan", metavar="FILE|ID")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp kết quả (mặc định: <mã kế hoạch>.yaml) / output file.")
@click.option("--force", is_flag=True, help="Ghi đè tệp đã có / overwrite an existing file.")
@handle_errors
def plan_to_yaml(plan: str, out: Path | None, force: bool) -> None:
    """Ghi kế hoạch (vd. từ bảng tính) thành tệp YAML / write a plan (e.g. a plan workbook) as YAML.

    The plan is checked first; only what it states is written, and reading the file back gives the
    same plan.
    """
    _write_plan_as(plan, out, force, ".yaml")


@cli.group("roster")
def roster_group() -> None:
    """Danh sách đơn vị báo cáo / rosters of reporting units."""


@roster_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--plan", "plan_name", metavar="FILE|ID", help="Kiểm tra cấp đơn vị theo kế hoạch / check levels against a plan.")
@json_option
@handle_errors
def roster_check(file: Path, plan_name: str | None, as_json: bool) -> None:
    """Kiểm tra danh sách đơn vị (CSV/XLSX) / check a roster file.

    Checks unique codes, existing parents, no cycles and, with --plan, levels the plan knows;
    every problem names its row and cell.
    """
    from xlkpi.plan.model import load_plan
    from xlkpi.units.roster import read_roster

    plan = load_plan(plan_name) if plan_name else None
    roster, report = read_roster(file, plan)
    if as_json:
        emit(report, str(file), True)
    else:
        echo(render_report(report, str(file)))
        if roster.units:
            counts = ", ".join(f"{level}: {n}" for level, n in roster.count_by_level().items())
            echo(f"  {len(roster)} đơn vị / units ({counts})")
    sys.exit(int(not report.valid))


@roster_group.command("from-divisions")
@click.option("--province", metavar="NAME|CODE", help="Tỉnh, thành phố: tên (có/không dấu) hoặc mã, vd. 'lai chau', '12'.")
@click.option("--all", "whole_nation", is_flag=True, help="Toàn quốc: 34 tỉnh, thành phố và 3.321 xã, phường, đặc khu.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp kết quả .csv hoặc .xlsx (mặc định: in CSV ra màn hình) / output file.")
@click.option("--departments", is_flag=True,
              help="Thêm 12 sở, ban, ngành của tỉnh theo Nghị định 45/2025/NĐ-CP (cấp 'so') / add the province's "
                   "twelve specialised agencies.")
@click.option("--department", "extra", multiple=True, metavar="NAME",
              help="Thêm một sở, ban, ngành mà tỉnh có, vd. 'Sở Dân tộc và Tôn giáo' (lặp lại được) / add one more.")
@click.option("--force", is_flag=True, help="Ghi đè tệp đã có / overwrite an existing file.")
@handle_errors
def roster_from_divisions(province: str | None, whole_nation: bool, departments: bool, extra: tuple[str, ...],
                          out: Path | None, force: bool) -> None:
    """Lập danh sách đơn vị từ danh mục hành chính chính thức / roster from the official divisions.

    With --province: the province's communes, wards and special zones (level 'xa'), official codes.
    With --all: every province (level 'tinh') followed by its communes, the province as their parent.
    With --departments: also the province's twelve specialised agencies that every province has
    (Decree 45/2025/NĐ-CP: Văn phòng UBND, Sở Nội vụ … Thanh tra tỉnh), level 'so', coded
    <province>S01…S12; --department NAME adds one that only some provinces have.
    """
    from xlkpi.units.divisions import national_roster, province_roster

    if bool(province) == whole_nation:
        raise click.UsageError("Cần đúng một trong --province hoặc --all / give exactly one of --province or --all.")
    if whole_nation and extra:
        raise click.UsageError("--department chỉ dùng với --province / --department goes with --province.")
    roster = (national_roster(departments=departments) if whole_nation
              else province_roster(province or "", departments=departments, extra_departments=extra))
    counts = ", ".join(f"{level}: {n}" for level, n in roster.count_by_level().items())
    if out is None:
        echo(roster.to_csv(), nl=False)
        return
    roster.write(out, force=force)
    echo(f"✓ {out}: {len(roster)} đơn vị / units ({counts}) — {roster.source}", err=True)


def campaign_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--campaign", "campaign_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Thư mục đợt báo cáo (mặc định: thư mục hiện tại) / campaign folder (default: here).",
    )(func)


@cli.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--plan", "plan_name", required=True, metavar="FILE|ID", help="Kế hoạch: mã dựng sẵn, tệp YAML hoặc bảng tính kế hoạch (.xlsx) / plan id, YAML file or plan workbook.")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), help="Danh sách đơn vị CSV/XLSX / roster file.")
@click.option("--province", metavar="NAME|CODE", help="Hoặc: các xã, phường của một tỉnh theo danh mục chính thức / or a province's communes.")
@click.option("--period", required=True, metavar="PERIOD", help="Kỳ báo cáo: 2025-10, 2025-Q3, 2025-H1, 2025-9M, 2025.")
@click.option("--deadline", metavar="DATE", help="Hạn gửi báo cáo, vd. 20/10/2025 / deadline.")
@click.option("--send-to", default="", help="Nơi nhận tệp báo cáo (e-mail, hệ thống văn bản) / where units send their file.")
@click.option("--owner", default=None, help="Đơn vị tổng hợp (mặc định: cơ quan ban hành kế hoạch) / collecting office.")
@click.option("--convention", type=click.Choice(["reporting-rule", "calendar"]), default=None,
              help="Cách tính ngày chốt số liệu (mặc định: theo kế hoạch) / data-period convention.")
@click.option("--report-number", default="", metavar="TEXT",
              help="Số của báo cáo kèm phụ lục tổng hợp, vd. 125/BC-UBND (để trống: điền tay) / the report's number.")
@click.option("--report-date", default=None, metavar="DATE", help="Ngày của báo cáo đó / the report's date.")
@click.option("--signer", "signer_name", default="", help="Họ tên người ký phụ lục / the signer's name.")
@click.option("--departments", is_flag=True, help="Với --province: thêm 12 sở, ban, ngành của tỉnh (cấp 'so') / with "
                                                 "--province: add the province's specialised agencies.")
@click.option("--no-approval", is_flag=True, help="Tổng hợp mọi báo cáo hợp lệ, không cần duyệt / consolidate every "
                                                  "accepted return without approval.")
@click.option("--settings", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Tệp thiết lập chung của cơ quan (đơn vị tổng hợp, nơi nhận, người ký, hộp thư …); tùy chọn ghi ở "
                   "đây được ưu tiên / the office's standing settings (options given here win).")
@handle_errors
def init_command(directory: Path, plan_name: str, roster: Path | None, province: str | None, period: str,
                 deadline: str | None, send_to: str, owner: str | None, convention: str | None,
                 report_number: str, report_date: str | None, signer_name: str, departments: bool,
                 no_approval: bool, settings: Path | None) -> None:
    """Tạo một đợt báo cáo / create a campaign folder.

    Writes campaign.yaml (plan, roster, period, deadline, sheet password), a random secret for the
    workbooks' digests, a frozen copy of the plan, the checked roster, and the folders outbox/, inbox/
    and reports/. Give the units with --roster FILE or --province NAME.
    """
    from xlkpi.campaign.folder import init_campaign

    if (roster is None) == (province is None):
        raise click.UsageError("Cần đúng một trong --roster hoặc --province / give exactly one of --roster or --province.")
    if departments and province is None:
        raise click.UsageError("--departments đi cùng --province / --departments goes with --province.")
    campaign = init_campaign(directory, plan=plan_name, period=period, roster=roster, province=province,
                             deadline=deadline, owner=owner, send_to=send_to, convention=convention,
                             report_number=report_number, report_date=report_date, signer_name=signer_name,
                             departments=departments, settings=settings, approved_only=not no_approval)
    period_obj = campaign.period
    echo(f"✓ {directory}: đợt báo cáo {campaign.id}")
    echo(f"  kế hoạch {campaign.plan.id} (phiên bản {campaign.plan.version}), {len(campaign.roster)} đơn vị")
    echo(f"  kỳ {period_obj.label}: số liệu {period_obj.range_text(campaign.config.convention)}")
    if campaign.config.deadline:
        echo(f"  hạn gửi {campaign.config.deadline:%d/%m/%Y}")
    echo(f"  tiếp theo / next: cd {directory} && xlkpi generate")


@cli.command("generate")
@campaign_option
@click.option("--unit", "units", multiple=True, metavar="CODE", help="Chỉ lập cho đơn vị này (lặp lại được) / only this unit (repeatable).")
@click.option("--level", metavar="LEVEL", help="Chỉ lập cho một cấp, vd. xa / only units of this level.")
@click.option("--force", is_flag=True, help="Ghi đè các tệp đã có trong outbox/ / overwrite existing workbooks.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Số tiến trình (mặc định: tất cả các lõi) / processes.")
@handle_errors
def generate_command(campaign_dir: Path | None, units: tuple[str, ...], level: str | None, force: bool,
                     jobs: int | None) -> None:
    """Lập tệp Excel nhập liệu cho từng đơn vị / write one data-entry workbook per unit.

    Each workbook holds only the indicators of the unit's level with the unit's own targets, locked;
    input cells with validation and Vietnamese prompts; instructions; and an identity the collector
    verifies. Files go to outbox/ with a manifest (unit, file, SHA-256). Existing files are kept
    unless --force.
    """
    import time

    from xlkpi.campaign.folder import open_campaign
    from xlkpi.forms.generate import generate, select_units

    campaign = open_campaign(campaign_dir)
    chosen, _, _ = select_units(campaign.plan, campaign.roster.units, units, level)
    started = time.perf_counter()
    show_bar = len(chosen) >= 200 and sys.stderr.isatty()
    with click.progressbar(length=len(chosen), label="Đang lập tệp", file=sys.stderr,
                           hidden=not show_bar) as bar:
        result = generate(campaign, units=units, level=level, force=force, jobs=jobs, progress=bar.update)
    elapsed = time.perf_counter() - started
    echo(f"✓ {len(result.files)} tệp nhập liệu trong {campaign.outbox} ({elapsed:.1f} s)")
    if result.skipped:
        names = {level.id: level.name for level in campaign.plan.levels}
        levels = sorted({names.get(u.level, u.level) for u in result.skipped})
        echo(f"  bỏ qua {len(result.skipped)} đơn vị ({', '.join(levels)}): không phải báo cáo chỉ tiêu nào "
                   f"(đơn vị tổng hợp)")
    echo(f"  danh sách tệp / manifest: {result.manifest}")


@cli.command("collect")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@campaign_option
@click.option("--assign", "assign", multiple=True, metavar="FILE=UNIT",
              help="Xác nhận đơn vị cho một tệp không có mã nhận dạng (lặp lại được) / assign a unit to a file.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, help="Số tiến trình (mặc định: tất cả các lõi) / processes.")
@click.option("--received", metavar="'dd/mm/yyyy HH:MM'", default=None,
              help="Thời điểm nhận của mọi tệp trong lần chạy này (tệp lưu vào inbox muộn hơn lúc nhận) / receipt "
                   "time of every file of this run.")
@click.option("--time-limit", type=click.FloatRange(min=1), default=60, show_default=True,
              help="Số giây tối đa để đọc một tệp; quá thì tệp bị từ chối / seconds one file may take.")
@json_option
@handle_errors
def collect_command(paths: tuple[Path, ...], campaign_dir: Path | None, assign: tuple[str, ...], jobs: int | None,
                    received: str | None, time_limit: float, as_json: bool) -> None:
    """Thu nhận các tệp báo cáo gửi về / read, check and record the returned workbooks.

    Reads every file under PATHS (default: the campaign's inbox/, with sub-folders; a .zip of returns
    is opened in memory and each file in it read on its own), detects its format from its content,
    checks identity, locked cells and every value, and records it in the ledger; writes the collection
    report and feedback copies into reports/. Each file is read in a worker process: a damaged or
    hostile file is rejected with its reason and never stops the run. Returned files are never
    modified. A file's receipt time is the mail server's for a file fetch saved, else --received,
    else an .eml's own Received: time, else its modification time in the inbox. Exit code 0
    when nothing needs action, 1 when a unit must resubmit or a file could not be identified or read.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.campaign.folder import parse_date_time
    from xlkpi.collect.run import collect, discover

    received_at = parse_date_time(received) if received else None
    campaign = open_campaign(campaign_dir)
    roots = list(paths) or [campaign.inbox]
    total = len(discover([r for r in roots if r.exists()]))
    show_bar = total >= 200 and sys.stderr.isatty() and not as_json
    with click.progressbar(length=total, label="Đang đọc tệp", file=sys.stderr, hidden=not show_bar) as bar:
        result = collect(campaign, paths, assign=assign, jobs=jobs, progress=bar.update, received=received_at,
                         time_limit=time_limit)
    status = result.status
    trouble = status.has_problems or bool(result.unreadable)
    if as_json:
        report = Report(result.new_problems, stats={
            "files_seen": result.files_seen, "new_contents": result.new_contents, "states": result.states,
            **status.counts(),
            "unreadable": [o.path for o in result.unreadable], "ledger_repaired": len(result.repaired),
        })
        report.extend(p for o in result.unreadable for p in o.problems)
        echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        sys.exit(int(trouble))
    states = result.states
    echo(f"Đã đọc {result.files_seen} tệp ({result.new_contents} tệp mới) / {result.files_seen} files read, "
               f"{result.new_contents} new")
    echo("  tiếp nhận {0}, thay bằng bản sau {1}, trùng {2}, từ chối {3}, bỏ qua {4}".format(
        states.get("accepted", 0), states.get("superseded", 0), states.get("duplicate", 0),
        states.get("rejected", 0), states.get("ignored", 0)))
    echo(f"Đơn vị / units: {status.summary_vi()}")
    rejected = [o for o in result.outcomes if o.verdict == "rejected"]
    if rejected:
        echo(f"Tệp mới bị từ chối / new files rejected ({len(rejected)}):")
        for outcome in rejected[:MAX_SHOWN]:
            errors = [p for p in outcome.problems if p.severity == "error"] or outcome.problems
            if not errors:
                echo(f"  ✗ {outcome.path}")
                continue
            first = errors[0]
            where = f" {first.sheet}!{first.cell}" if first.cell else ""
            echo(f"  ✗ {outcome.path} ({outcome.unit or 'không rõ đơn vị'}): {len(errors)} lỗi —{where} "
                       f"[{first.code}] {first.message_vi}")
        if len(rejected) > MAX_SHOWN:
            echo(f"  … và {len(rejected) - MAX_SHOWN} tệp khác")
        echo("  Chi tiết từng lỗi (tệp, trang, ô, nội dung) trong báo cáo tiếp nhận; --json để xem tất cả.")
    if result.unreadable:
        echo(f"Không mở được / could not open ({len(result.unreadable)}), sẽ đọc lại ở lần chạy sau:")
        for outcome in result.unreadable[:MAX_SHOWN]:
            echo(f"  ! {outcome.path}: {outcome.problems[0].message_vi}")
    if result.repaired:
        echo(f"Sổ theo dõi / ledger: loại bỏ số liệu không hợp lệ của {len(result.repaired)} tệp do phiên bản "
                   f"cũ ghi (xem báo cáo tiếp nhận)")
    echo(f"Báo cáo tiếp nhận / collection report: {result.report_path}")
    if result.feedback:
        echo(f"Tệp phản hồi gửi lại đơn vị / feedback copies: {len(result.feedback)} trong "
                   f"{result.feedback[0].parent}")
    sys.exit(int(trouble))


def _show_mail_result(result: Any, as_json: bool) -> None:
    """What send/remind did: counts, then every unit left out and why."""
    if as_json:
        report = Report(result.problems, stats={
            "sent": [{"unit": m.unit.code, "kind": m.kind, "to": m.recipients, "message_id": m.message_id,
                      "attachment": m.attachment} for m in result.sent],
            "written": [str(p) for p in result.written], "already": [u.code for u in result.already]})
        echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    if result.written:
        echo(f"Chạy thử (--dry-run): không gửi thư nào; {len(result.written)} thư ghi thành tệp .eml trong "
                   f"{result.written[0].parent} để xem trước")
    else:
        echo(f"✓ Đã gửi {len(result.sent)} thư / {len(result.sent)} messages sent")
        for item in result.sent[:MAX_SHOWN]:
            echo(f"  → {item.unit.code} {item.unit.name}: {', '.join(item.recipients)}")
        if len(result.sent) > MAX_SHOWN:
            echo(f"  … và {len(result.sent) - MAX_SHOWN} thư khác")
    if result.already:
        echo(f"  {len(result.already)} đơn vị đã được gửi đúng nội dung này trước đây, không gửi lại "
                   f"(dùng --again để gửi lại)")
    for found in result.problems[:MAX_SHOWN]:
        mark = "✗" if found.severity == "error" else "!"
        echo(f"  {mark} {found.message_vi}")
    if len(result.problems) > MAX_SHOWN:
        echo(f"  … và {len(result.problems) - MAX_SHOWN} vấn đề khác (--json để xem tất cả)")


@cli.command("send")
@campaign_option
@click.option("--unit", "units", multiple=True, metavar="CODE", help="Chỉ gửi cho đơn vị này (lặp lại được) / only this unit.")
@click.option("--level", metavar="LEVEL", help="Chỉ gửi cho một cấp, vd. xa / only units of this level.")
@click.option("--dry-run", is_flag=True, help="Không gửi: ghi thư thành tệp .eml trong outbox/mail/ để xem trước / "
                                            "write .eml files, send nothing.")
@click.option("--again", is_flag=True, help="Gửi lại cả cho đơn vị đã được gửi tệp này / send again.")
@json_option
@handle_errors
def send_command(campaign_dir: Path | None, units: tuple[str, ...], level: str | None, dry_run: bool, again: bool,
                 as_json: bool) -> None:
    """Gửi tệp nhập liệu cho từng đơn vị qua thư điện tử / e-mail each unit its workbook.

    One message per unit, to the address(es) in the roster's contact column, with the unit's workbook
    from outbox/ attached and a Vietnamese subject and body (campaign.yaml's mail.templates.send can
    replace them). Server settings come from campaign.yaml's mail block; the password from the
    environment variable XLKPI_MAIL_PASSWORD or the system keyring. Every message is recorded in the
    ledger; a unit is never sent the same workbook twice unless --again. Exit code 1 when a unit could
    not be sent its workbook.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.mail.send import send

    result = send(open_campaign(campaign_dir), units=units, level=level, dry_run=dry_run, again=again)
    _show_mail_result(result, as_json)
    sys.exit(int(bool(result.problems)))


@cli.command("remind")
@campaign_option
@click.option("--unit", "units", multiple=True, metavar="CODE", help="Chỉ nhắc đơn vị này (lặp lại được) / only this unit.")
@click.option("--level", metavar="LEVEL", help="Chỉ nhắc một cấp / only units of this level.")
@click.option("--dry-run", is_flag=True, help="Không gửi: ghi thư thành tệp .eml trong outbox/mail/ / write .eml files.")
@click.option("--again", is_flag=True, help="Gửi lại dù đã nhắc (hôm nay, hoặc cùng tệp bị từ chối) / send again.")
@json_option
@handle_errors
def remind_command(campaign_dir: Path | None, units: tuple[str, ...], level: str | None, dry_run: bool, again: bool,
                   as_json: bool) -> None:
    """Nhắc đơn vị chưa nộp; gửi tệp phản hồi cho đơn vị phải nộp lại / remind and send feedback.

    From the ledger as the last collect left it: a unit that has not returned gets a reminder with its
    workbook attached again (saying how many days late when the deadline has passed); a unit whose
    return was rejected gets its feedback copy and the list of problems in the body. At most one
    reminder a day per unit and one message per rejected file, unless --again; recorded in the ledger.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.mail.send import remind

    result = remind(open_campaign(campaign_dir), units=units, level=level, dry_run=dry_run, again=again)
    _show_mail_result(result, as_json)
    sys.exit(int(bool(result.problems)))


@cli.command("fetch")
@campaign_option
@click.option("--since", metavar="DATE", default=None, help="Chỉ lấy thư nhận từ ngày này, vd. 01/10/2025 / only "
                                                           "messages received since.")
@click.option("--folder", default=None, help="Thư mục trong hộp thư (mặc định: mail.imap.folder, INBOX) / folder.")
@click.option("--only-campaign", is_flag=True, help="Chỉ lấy thư có mã đợt trong tiêu đề hoặc trả lời thư xlkpi đã "
                                                    "gửi / only replies that name the campaign.")
@json_option
@handle_errors
def fetch_command(campaign_dir: Path | None, since: str | None, folder: str | None, only_campaign: bool,
                  as_json: bool) -> None:
    """Lấy tệp đính kèm từ hộp thư về inbox/mail/ / save every new attachment from the mailbox.

    Opens the IMAP mailbox read-only and saves every attachment of every new message into
    inbox/mail/ with its original bytes; a .zip is saved as it came (collect opens it), a forwarded
    message's attachments are saved too. The server's receipt time of each message is recorded and is
    the file's time received in collect (lateness). Messages already fetched are skipped (UID and
    Message-ID). Then run 'xlkpi collect'.
    """
    from xlkpi.campaign.folder import open_campaign, parse_date
    from xlkpi.mail.fetch import fetch

    campaign = open_campaign(campaign_dir)
    result = fetch(campaign, since=parse_date(since) if since else None, folder=folder, only_campaign=only_campaign)
    if as_json:
        echo(json.dumps({
            "messages": result.messages, "duplicates": result.duplicates, "other_mail": result.other_mail,
            "saved": [{"file": str(f.path), "name": f.name, "sender": f.sender, "received": f.received.isoformat(),
                       "known_sender": f.known_sender} for f in result.saved],
            "without_attachment": [{"sender": s, "subject": t, "received": r.isoformat()}
                                   for s, t, r in result.without_attachment],
            "problems": [p.to_dict() for p in result.problems],
        }, ensure_ascii=False, indent=2))
        sys.exit(int(any(p.severity == "error" for p in result.problems)))
    echo(f"✓ {result.messages} thư mới, {len(result.saved)} tệp đính kèm lưu vào {campaign.inbox / 'mail'}")
    for saved in result.saved[:MAX_SHOWN]:
        flag = "" if saved.known_sender else "  ← người gửi không có trong danh sách đơn vị"
        echo(f"  + {saved.path.name} (thư của {saved.sender or '?'}, nhận {saved.received:%d/%m/%Y %H:%M}){flag}")
    if len(result.saved) > MAX_SHOWN:
        echo(f"  … và {len(result.saved) - MAX_SHOWN} tệp khác")
    if result.duplicates:
        echo(f"  {result.duplicates} thư trùng (cùng Message-ID với thư đã lấy): bỏ qua")
    if result.other_mail:
        echo(f"  {result.other_mail} thư không thuộc đợt báo cáo này (--only-campaign): không lấy")
    for sender, subject, received in result.without_attachment[:MAX_SHOWN]:
        echo(f"  ! thư không có tệp đính kèm: {sender or '?'} — \"{subject}\" ({received:%d/%m/%Y %H:%M})")
    if result.unknown_senders:
        echo(f"  ! {len(result.unknown_senders)} người gửi không có trong danh sách đơn vị: "
                   f"{', '.join(result.unknown_senders[:10])} — tệp vẫn được lưu, hãy kiểm tra")
    if result.problems:
        echo(render_report(Report(result.problems), "fetch"))
    if result.saved:
        echo("Tiếp theo / next: xlkpi collect")
    sys.exit(int(any(p.severity == "error" for p in result.problems)))


@cli.group("mail")
def mail_group() -> None:
    """Hộp thư của cơ quan / the office's mailbox."""


@mail_group.command("password")
@campaign_option
@click.option("--server", type=click.Choice(["smtp", "imap", "both"]), default="both", show_default=True,
              help="Mật khẩu của máy chủ nào (thường dùng chung một hộp thư) / which server's password.")
@handle_errors
def mail_password(campaign_dir: Path | None, server: str) -> None:
    """Lưu mật khẩu hộp thư vào kho mật khẩu của máy / store the mailbox password in the system keyring.

    Asks for the password without showing it and stores it with the keyring package (Windows
    Credential Manager, macOS Keychain, Secret Service); xlkpi never writes it to a file.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.mail.compose import mail_config
    from xlkpi.mail.servers import keyring_name, store_password

    config = mail_config(open_campaign(campaign_dir))
    chosen = [s for name, s in (("smtp", config.smtp), ("imap", config.imap)) if s and server in (name, "both")]
    if not chosen:
        raise XlkpiError(problem("mail-server-missing", file="campaign.yaml", kind=server))
    password = click.prompt("Mật khẩu / password", hide_input=True, confirmation_prompt=True)
    for entry in {keyring_name(s): s for s in chosen}.values():
        store_password(entry, password)
        echo(f"✓ đã lưu mật khẩu của {keyring_name(entry)} vào kho mật khẩu của máy")


@cli.command("status")
@campaign_option
@json_option
@handle_errors
def status_command(campaign_dir: Path | None, as_json: bool) -> None:
    """Tình hình nộp báo cáo / who has returned, who is missing, late or must resubmit.

    Reads the ledger written by collect; does not read the inbox. Exit code 0 when nothing needs
    action, 1 when a unit must resubmit or a file could not be identified.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.collect.status import open_status

    campaign = open_campaign(campaign_dir)
    status = open_status(campaign)
    if as_json:
        echo(json.dumps({"campaign": campaign.id, **status.to_dict()}, ensure_ascii=False, indent=2))
        sys.exit(int(status.has_problems))
    deadline = f"{status.deadline:%d/%m/%Y}" if status.deadline else "không đặt"
    echo(f"{campaign.id} — {campaign.period.label}, hạn nộp {deadline}")
    echo(f"  {status.summary_vi()}")
    _echo_workflow(status)
    for state, title in (("resubmit", "Phải nộp lại / must resubmit"), ("late", "Nộp muộn / late"),
                         ("missing", "Chưa nộp / missing")):
        entries = [u for u in status.units if u.state == state]
        if entries:
            echo(f"{title} ({len(entries)}):")
            for entry in entries:
                extra = f"  {entry.rejected_file or entry.file or ''}  {entry.received_at or ''}".rstrip()
                echo(f"  {entry.unit.code:<8} {entry.unit.name}{extra}")
    if status.unidentified:
        echo(f"Tệp không xác định được đơn vị / unidentified files ({len(status.unidentified)}):")
        for row in status.unidentified:
            echo(f"  {row.path}")
    sys.exit(int(status.has_problems))


def _echo_workflow(status: Any) -> None:
    """The workflow's line of status and review: decisions so far, and the lock."""
    from xlkpi.common.text import shown_time

    review = status.review_summary_vi()
    if review is not None:
        echo(f"  duyệt: {review}")
    if status.lock is not None:
        after = sum(1 for u in status.units if u.after_lock)
        echo(f"  Số liệu đã chốt {shown_time(status.lock.decided_at)} ({status.lock.decided_by}): {status.lock.reason}"
             + (f"; {after} đơn vị gửi bản mới sau khi chốt (chưa tính)" if after else ""))


def _echo_decided(decided: Any, verb: str) -> None:
    if decided.done:
        echo(f"✓ {verb} {len(decided.done)} đơn vị: {', '.join(decided.done)}")
    for unit, why in decided.skipped:
        echo(f"  - {unit}: {why}")
    for path in decided.feedback:
        echo(f"  Tệp phản hồi ghi lý do / feedback copy with the reason: {path} (gửi bằng xlkpi remind)")


@cli.command("review")
@campaign_option
@json_option
@handle_errors
def review_command(campaign_dir: Path | None, as_json: bool) -> None:
    """Báo cáo chờ duyệt / the returns waiting for a decision, with their warnings.

    Each unit's current accepted return that no one has approved or returned yet, with its file, when it
    came and the warnings collect found; then what was decided. Approve with `xlkpi approve UNIT…` (or
    --all-clean), send back with `xlkpi return UNIT --reason "…"`.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.collect import ledger as L
    from xlkpi.collect.status import read_status
    from xlkpi.collect.workflow import APPROVED, RETURNED, REVIEW_LABELS, WAITING

    campaign = open_campaign(campaign_dir)
    connection = L.connect(campaign.directory / L.LEDGER_NAME)
    try:
        status = read_status(campaign, connection)
        warnings = L.problems_of(connection, [u.sha256 for u in status.units if u.sha256])
    finally:
        connection.close()
    waiting = [u for u in status.units if u.review == WAITING]
    if as_json:
        echo(json.dumps({"campaign": campaign.id, "review": status.review_counts(), "units": [
            {"unit": u.unit.code, "name": u.unit.name, "review": u.review, "reason": u.review_reason,
             "by": u.review_by, "at": u.review_at, "file": u.file, "received_at": u.received_at, "late": u.late,
             "warnings": [w[4] for w in warnings.get(u.sha256 or "", [])]}
            for u in status.units if u.review]}, ensure_ascii=False, indent=2))
        return
    echo(f"{campaign.id} — {campaign.period.label}")
    echo(f"  {status.summary_vi()}")
    _echo_workflow(status)
    echo(f"Chờ duyệt / waiting ({len(waiting)}):")
    for entry in waiting:
        notes = warnings.get(entry.sha256 or "", [])
        late = " (nộp muộn)" if entry.late else ""
        echo(f"  {entry.unit.code:<8} {entry.unit.name}  {entry.file}{late}"
             + (f"  — {len(notes)} cảnh báo" if notes else "  — không có cảnh báo"))
        for note in notes[:5]:
            echo(f"      ! {note[4]}")
    decided = [u for u in status.units if u.review in (APPROVED, RETURNED)]
    if decided:
        echo(f"Đã quyết định / decided ({len(decided)}):")
        for entry in decided:
            reason = f": {entry.review_reason}" if entry.review_reason else ""
            echo(f"  {entry.unit.code:<8} {entry.unit.name}  {REVIEW_LABELS[entry.review]}"
                 f" ({entry.review_by}){reason}")


@cli.command("approve")
@click.argument("units", nargs=-1)
@click.option("--all-clean", is_flag=True, help="Duyệt mọi báo cáo chờ duyệt không có cảnh báo / approve every "
                                                  "waiting return without warnings.")
@campaign_option
@handle_errors
def approve_command(units: tuple[str, ...], all_clean: bool, campaign_dir: Path | None) -> None:
    """Duyệt báo cáo của đơn vị / approve units' current returns (recorded with who and when)."""
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.collect.workflow import approve

    if not units and not all_clean:
        raise click.UsageError("Cần mã đơn vị hoặc --all-clean / give unit codes or --all-clean.")
    _echo_decided(approve(open_campaign(campaign_dir), units, all_clean=all_clean), "Đã duyệt")


@cli.command("return")
@click.argument("unit")
@click.option("--reason", required=True, help="Lý do trả lại (gửi cho đơn vị, ghi vào nhật ký) / why.")
@campaign_option
@handle_errors
def return_command(unit: str, reason: str, campaign_dir: Path | None) -> None:
    """Trả lại báo cáo cho đơn vị, kèm lý do / send a unit's return back with the reason; it must resubmit."""
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.collect.workflow import return_unit

    _echo_decided(return_unit(open_campaign(campaign_dir), unit, reason), "Đã trả lại")


@cli.command("lock")
@click.option("--reason", required=True, help="Lý do chốt số liệu / why the figures are locked.")
@click.option("--pdf", is_flag=True, help="Xuất thêm phụ lục đã chốt ra PDF / also print the locked appendix.")
@campaign_option
@handle_errors
def lock_command(reason: str, pdf: bool, campaign_dir: Path | None) -> None:
    """Chốt số liệu của đợt / lock the round's figures as they stand.

    Which return of each unit counts is frozen, with who, when and why; the appendix is written again
    ("Số liệu chốt ngày …") and its SHA-256 kept. Files collected later are recorded and change nothing
    until `xlkpi reopen --reason "…"`.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.report.consolidate import lock_round

    result = lock_round(open_campaign(campaign_dir), reason, pdf=pdf)
    echo(f"✓ Đã chốt số liệu / locked: {result.status.with_data}/{len(result.status.units)} đơn vị có số liệu")
    echo(f"  Phụ lục / appendix: {result.path}")
    if result.pdf:
        echo(f"  PDF: {result.pdf}")


@cli.command("reopen")
@click.option("--reason", required=True, help="Lý do mở lại / why the round is reopened.")
@campaign_option
@handle_errors
def reopen_command(reason: str, campaign_dir: Path | None) -> None:
    """Mở lại đợt đã chốt số liệu, kèm lý do / reopen a locked round (a reason is required)."""
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.collect.workflow import reopen_round
    from xlkpi.common.text import shown_time

    lock = reopen_round(open_campaign(campaign_dir), reason)
    echo(f"✓ Đã mở lại / reopened (số liệu chốt {shown_time(lock.decided_at)} bởi {lock.decided_by} không còn hiệu lực)")


@cli.command("log")
@campaign_option
@click.option("--verify", "check", is_flag=True, help="Kiểm tra nhật ký còn nguyên vẹn / check the chain.")
@json_option
@handle_errors
def log_command(campaign_dir: Path | None, check: bool, as_json: bool) -> None:
    """Nhật ký của đợt / the round's audit log: who did what, when and why.

    Append-only, each entry chained to the one before by its SHA-256: --verify finds an entry edited or
    deleted (exit 1). The last line gives the chain's head, to note down elsewhere.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.collect.audit import read_log

    campaign = open_campaign(campaign_dir)
    found, wrong = read_log(campaign, check=check)
    if as_json:
        echo(json.dumps({"campaign": campaign.id, "entries": [e.to_dict() for e in found],
                         **({"intact": not wrong, "problems": wrong} if check else {})},
                        ensure_ascii=False, indent=2))
    else:
        echo(f"Nhật ký đợt {campaign.id} / audit log: {len(found)} mục")
        for entry in found:
            echo(entry.line())
        if found:
            echo(f"Đầu chuỗi / head: {found[-1].seq}:{found[-1].hash}")
        if check:
            if wrong:
                for text in wrong:
                    echo(f"  ✗ {text}")
            else:
                echo("✓ Nhật ký nguyên vẹn / the log is intact")
    if wrong:
        sys.exit(1)


PASSWORD_ENV = "XLKPI_PASSWORD"


def _new_password() -> str:
    """The password from XLKPI_PASSWORD, else asked twice without echo."""
    import os

    given = os.environ.get(PASSWORD_ENV)
    if given is not None:
        return given
    return click.prompt("Mật khẩu / password", hide_input=True,
                        confirmation_prompt="Nhập lại mật khẩu / repeat the password", err=True)


@cli.group("user")
def user_group() -> None:
    """Tài khoản đăng nhập trang web của đợt / the web page's accounts (xlkpi serve)."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["officer", "leader"]), required=True,
              help="officer: chuyên viên (tải lên, duyệt, trả lại); leader: lãnh đạo (thêm chốt và mở lại số liệu).")
@campaign_option
@handle_errors
def user_add(name: str, role: str, campaign_dir: Path | None) -> None:
    """Thêm tài khoản / add an account: NAME --role officer|leader.

    The password comes from the XLKPI_PASSWORD variable when it is set, else it is asked twice without
    echo; at least 8 characters. Only its Argon2id hash is kept (in the round's ledger); the audit log
    records who added whom.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.web.accounts import add_user

    campaign = open_campaign(campaign_dir)
    user = add_user(campaign, name, role, _new_password())
    echo(f"✓ Đã thêm tài khoản {user.name} ({user.role_vi}) / added {user.name} as {user.role}")


@user_group.command("password")
@click.argument("name")
@campaign_option
@handle_errors
def user_password(name: str, campaign_dir: Path | None) -> None:
    """Đặt lại mật khẩu / set an account's password (XLKPI_PASSWORD, else asked)."""
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.web.accounts import set_password

    user = set_password(open_campaign(campaign_dir), name, _new_password())
    echo(f"✓ Đã đặt lại mật khẩu của {user.name} / password set")


@user_group.command("remove")
@click.argument("name")
@campaign_option
@handle_errors
def user_remove(name: str, campaign_dir: Path | None) -> None:
    """Khóa tài khoản / close an account: it can no longer log in (its open sessions end)."""
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.web.accounts import remove_user

    user = remove_user(open_campaign(campaign_dir), name)
    echo(f"✓ Đã khóa tài khoản {user.name} / closed")


@user_group.command("copy")
@click.argument("source", type=click.Path(file_okay=False, exists=True, path_type=Path), metavar="DIR")
@campaign_option
@handle_errors
def user_copy(source: Path, campaign_dir: Path | None) -> None:
    """Chép tài khoản từ đợt trước / copy the accounts of another round (DIR) into this one.

    Each open account keeps its role and its password (its hash is copied as it is), so the staff log in to
    the new round as before; a name this round already has is left alone. Recorded in the audit log.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.web.accounts import copy_users

    added, passed = copy_users(open_campaign(campaign_dir), open_campaign(source))
    echo(f"✓ Đã chép {len(added)} tài khoản / copied: {', '.join(u.name for u in added) or '—'}")
    if passed:
        echo(f"  đã có sẵn, giữ nguyên / already here, left alone: {', '.join(passed)}")


@user_group.command("list")
@campaign_option
@json_option
@handle_errors
def user_list(campaign_dir: Path | None, as_json: bool) -> None:
    """Danh sách tài khoản / the accounts: name, role, who added it and when, closed or not."""
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.common.text import shown_time
    from xlkpi.web.accounts import list_users

    users = list_users(open_campaign(campaign_dir))
    if as_json:
        echo(json.dumps([u.to_dict() for u in users], ensure_ascii=False, indent=2))
        return
    if not users:
        echo("Chưa có tài khoản nào / no accounts yet: xlkpi user add TÊN --role officer|leader")
    for user in users:
        state = "" if user.active else "  (đã khóa)"
        echo(f"  {user.name:<20} {user.role_vi:<12} thêm {shown_time(user.created_at)} bởi {user.created_by}{state}")


@cli.command("serve")
@campaign_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Địa chỉ nghe; 0.0.0.0 để các máy trong mạng nội bộ cùng dùng / the address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Cổng / port.")
@click.option("--open", "open_browser", is_flag=True, help="Mở trình duyệt / open the browser.")
@click.option("--idle-minutes", type=click.FloatRange(min=1), default=30, show_default=True,
              help="Phiên đăng nhập hết hạn sau chừng ấy phút không dùng / sessions end after this idle time.")
@handle_errors
def serve_command(campaign_dir: Path | None, host: str, port: int, open_browser: bool, idle_minutes: float) -> None:
    """Trang web của đợt báo cáo / the round's web page for the office (Ctrl+C to stop).

    A status board of every unit that updates itself, uploads collected at once, each unit's page,
    approve / return with a reason, lock / reopen (leaders), the audit log and the round's outputs to
    download. Log in with the accounts of `xlkpi user add`. Serves 127.0.0.1 unless --host says
    otherwise (0.0.0.0: the office's network).
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.web.accounts import list_users

    campaign = open_campaign(campaign_dir)
    if not any(user.active for user in list_users(campaign)):
        raise XlkpiError(problem("serve-no-users"))
    _serve(campaign.directory, host, port, open_browser, idle_minutes)


def _serve(directory: Path, host: str, port: int, open_browser: bool, idle_minutes: float = 30) -> None:
    from xlkpi.web.app import serve

    def ready(address: str) -> None:
        echo(f"Trang web của đợt / serving: {address}  (Ctrl+C để dừng / to stop)")
        if host in ("0.0.0.0", "::"):  # the office's other computers use this computer's name
            import socket
            from urllib.parse import urlsplit

            echo(f"  các máy khác trong mạng / from the office's network: "
                 f"http://{socket.gethostname()}:{urlsplit(address).port}/")
        sys.stdout.flush()
        if open_browser:
            import webbrowser

            webbrowser.open(address)

    try:
        serve(directory, host, port, ready=ready, idle_minutes=idle_minutes)
    except KeyboardInterrupt:
        pass
    echo("Đã dừng trang web / stopped")


SIGN_PASSWORD_ENV, SIGN_PIN_ENV = "XLKPI_SIGN_PASSWORD", "XLKPI_SIGN_PIN"


def signing_key_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The leader's key: a PKCS#12 file, or a USB token through its PKCS#11 library; a timestamp server."""
    for option in reversed((
        click.option("--pkcs12", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE", default=None,
                     help="Tệp chứng thư số .p12/.pfx (mật khẩu: biến XLKPI_SIGN_PASSWORD, hoặc được hỏi) / a PKCS#12 "
                          "file."),
        click.option("--pkcs11-lib", metavar="LIB", default=None,
                     help="Thư viện PKCS#11 của USB token (.dll/.so; mã PIN: biến XLKPI_SIGN_PIN, hoặc được hỏi) / the "
                          "token's PKCS#11 library."),
        click.option("--token-label", metavar="TEXT", default=None, help="Nhãn của token / the token's label."),
        click.option("--key-label", metavar="TEXT", default=None, help="Nhãn của khóa ký trên token / the key's label."),
        click.option("--cert-label", metavar="TEXT", default=None,
                     help="Nhãn của chứng thư trên token (mặc định: như khóa) / the certificate's label."),
        click.option("--tsa", metavar="URL", default=None,
                     help="Máy chủ dấu thời gian (PAdES B-T) / a timestamp server (RFC 3161)."),
    )):
        func = option(func)
    return func


def _signing_key(pkcs12: Path | None, pkcs11_lib: str | None, token_label: str | None, key_label: str | None,
                 cert_label: str | None) -> Any:
    """The key the options name; its password or PIN from the environment, else asked without echo, once."""
    import os

    from xlkpi.report.signing import Pkcs12Key, TokenKey

    if (pkcs12 is None) == (pkcs11_lib is None):
        raise click.UsageError("Cần đúng một trong --pkcs12 FILE hoặc --pkcs11-lib LIB / give exactly one of "
                               "--pkcs12 or --pkcs11-lib.")
    if pkcs12 is not None:
        password = os.environ.get(SIGN_PASSWORD_ENV)
        if password is None:
            password = click.prompt("Mật khẩu tệp chứng thư số / PKCS#12 password", hide_input=True, err=True)
        return Pkcs12Key(pkcs12, password)
    pin = os.environ.get(SIGN_PIN_ENV)
    if pin is None:
        pin = click.prompt("Mã PIN của token / token PIN", hide_input=True, err=True)
    return TokenKey(str(pkcs11_lib), pin, token_label, key_label, cert_label)


def _signature_block(campaign: Any) -> Any:
    from xlkpi.report.signing import SignatureBlock

    signer = campaign.plan.document.signer
    return SignatureBlock(signer.on_behalf, signer.title, campaign.config.signer_name or signer.name)


def _record_signing(campaign: Any, signed: Any) -> None:
    """The audit log says who signed what: the certificate's holder, the file and its SHA-256."""
    from xlkpi.collect.audit import audited
    from xlkpi.common.files import file_sha256

    audited(campaign, "sign", {"file": signed.path.name, "signer": signed.signer, "sha256": file_sha256(signed.path),
                               "level": signed.to_dict()["level"]}, None)


def _echo_signed(signed: Any) -> None:
    level = "PAdES B-T, có dấu thời gian" if signed.timestamped else "PAdES B-B"
    echo(f"✓ Đã ký / signed: {signed.path}")
    echo(f"  người ký {signed.signer}; chữ ký hiện ở trang {signed.placement.page + 1}, khối chữ ký; {level}")


@cli.command("sign")
@click.argument("pdf", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@signing_key_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp đã ký (mặc định <tên>-da-ky.pdf) / the signed file.")
@click.option("--force", is_flag=True, help="Ghi đè tệp đã ký có sẵn / overwrite an existing signed file.")
@campaign_option
@handle_errors
def sign_command(pdf: Path, pkcs12: Path | None, pkcs11_lib: str | None, token_label: str | None,
                 key_label: str | None, cert_label: str | None, tsa: str | None, out: Path | None, force: bool,
                 campaign_dir: Path | None) -> None:
    """Ký số phụ lục PDF / sign the appendix PDF (PAdES) with a PKCS#12 file or a USB token.

    The signature is visible in the appendix's signature block (signer, title, organisation, date and time),
    found where xlkpi printed it; the round is the one the PDF's folder belongs to, or --campaign. The
    original PDF is never changed; the signed copy is <name>-da-ky.pdf unless --out.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.report.signing import sign_pdf

    campaign = open_campaign(campaign_dir if campaign_dir is not None else pdf.resolve().parent)
    key = _signing_key(pkcs12, pkcs11_lib, token_label, key_label, cert_label)
    signed = sign_pdf(pdf, key, _signature_block(campaign), out=out, force=force, tsa=tsa,
                      location=campaign.plan.document.place)
    _record_signing(campaign, signed)
    _echo_signed(signed)


@cli.command("verify")
@click.argument("pdf", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--trust", "trust", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              metavar="CA.pem", help="Chứng thư CA gốc tin cậy (lặp lại được) / a trusted root certificate.")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON / print JSON.")
@handle_errors
def verify_command(pdf: Path, trust: tuple[Path, ...], as_json: bool) -> None:
    """Kiểm tra chữ ký số của tệp PDF / verify a signed PDF.

    Says who signed (certificate subject, issuer, validity), when, whether the signed content is intact and
    whether the document was changed after signing (and how). Exit code 0 only when every signature is
    intact and nothing but another signature was added after it.
    """
    import json

    from xlkpi.report.signing import verify_pdf

    reports = verify_pdf(pdf, trust)
    if as_json:
        echo(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        echo(f"{pdf}: {len(reports)} chữ ký / signature(s)")
        for report in reports:
            for line in report.lines():
                echo(line)
    if not all(r.ok for r in reports):
        sys.exit(1)


@cli.command("consolidate")
@campaign_option
@click.option("--pdf", is_flag=True, help="Xuất thêm phụ lục ra PDF qua LibreOffice / also print the appendix to PDF.")
@click.option("--no-charts", is_flag=True, help="Không vẽ biểu đồ / leave out the charts sheet.")
@click.option("--trend", is_flag=True,
              help="Thêm trang xu hướng qua các kỳ (các đợt cùng kế hoạch trong thư mục cha) / add a trend sheet.")
@click.option("--submission", type=click.Path(dir_okay=False, exists=True, path_type=Path), metavar="FILE",
              help="Tệp nhập liệu cấp trên gửi cho đơn vị: điền số liệu tổng hợp để nộp lên / "
                   "the upper level's workbook for this office: fill it with the totals.")
@click.option("--upper-plan", metavar="FILE|ID", default=None,
              help="Kế hoạch của cấp trên, nếu không phải kế hoạch dựng sẵn / the upper level's plan.")
@click.option("--sign", "sign", is_flag=True, help="Ký số bản PDF ngay (kèm --pkcs12 hoặc --pkcs11-lib) / sign the PDF "
                                                    "in the same run.")
@signing_key_options
@handle_errors
def consolidate_command(campaign_dir: Path | None, pdf: bool, no_charts: bool, trend: bool,
                        submission: Path | None, upper_plan: str | None, sign: bool, pkcs12: Path | None,
                        pkcs11_lib: str | None, token_label: str | None, key_label: str | None,
                        cert_label: str | None, tsa: str | None) -> None:
    """Lập phụ lục tổng hợp để trình ký / write the consolidated appendix, ready to sign.

    From the ledger's accepted submissions: the plan's appendix table with the rolled-up results
    (Σ numerators / Σ denominators for rates), units met and judgements, in the layout of Decree
    30/2020/NĐ-CP, with a footnote on missing, late and rejected units; the detail per unit with
    subtotals per parent; the submission progress; charts. Results are formulas over the detail sheet.
    With --trend, a sheet of each indicator over the periods of the same plan's campaigns kept beside
    this one (sibling folders). With --submission FILE (the workbook the upper level sent this office),
    that workbook is filled with the totals (numerators and denominators) for sending up.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.report.appendix import shown_number
    from xlkpi.report.consolidate import consolidate

    campaign = open_campaign(campaign_dir)
    key = _signing_key(pkcs12, pkcs11_lib, token_label, key_label, cert_label) if sign else None
    if not sign and (pkcs12 or pkcs11_lib or tsa):
        raise click.UsageError("--pkcs12, --pkcs11-lib và --tsa đi cùng --sign / go with --sign.")
    result = consolidate(campaign, pdf=pdf or sign, charts=not no_charts, trend=trend, submission=submission,
                         upper_plan=upper_plan)
    status = result.status
    echo(f"✓ Phụ lục tổng hợp / appendix: {result.path}")
    if result.pdf:
        echo(f"  PDF: {result.pdf}")
    if key is not None and result.pdf is not None:
        from xlkpi.report.signing import default_output, sign_pdf

        # consolidate writes the appendix again on every run: its signed copy is made again with it
        signed = sign_pdf(result.pdf, key, _signature_block(campaign), out=default_output(result.pdf), force=True,
                          tsa=tsa, location=campaign.plan.document.place)
        _record_signing(campaign, signed)
        _echo_signed(signed)
    echo(f"  {status.summary_vi()}")
    earlier = status.with_data - status.returned
    echo(f"  tổng hợp số liệu của {status.with_data}/{len(status.units)} đơn vị"
               + (f" (trong đó {earlier} đơn vị phải nộp lại: dùng bản được tiếp nhận trước)" if earlier else ""))
    for rolled in result.consolidation.totals.values():
        indicator = rolled.indicator
        value = "" if rolled.value is None else shown_number(rolled.value)
        number = result.consolidation.plan.full_number(indicator.id)
        echo(f"  {number:>4} {value:>8}  {rolled.verdict:<27} {rolled.units_met}")
    if result.submission:
        sub = result.submission
        echo(f"✓ Tệp nộp lên cấp trên / for the upper level: {sub.path} (đơn vị {sub.unit}; "
                   f"đã điền chỉ tiêu {', '.join(sub.filled) or '-'})")
        if sub.left:
            echo(f"  Cần tự điền trước khi gửi / fill in yourself before sending: chỉ tiêu {', '.join(sub.left)}")


@cli.command("enter")
@click.argument("indicator")
@campaign_option
@click.option("--numerator", type=float, default=None, help="Tử số (a) của một chỉ tiêu tỷ lệ / numerator.")
@click.option("--denominator", type=float, default=None, help="Mẫu số (b) / denominator.")
@click.option("--value", type=float, default=None, help="Giá trị (số lượng, tỷ lệ %) / value.")
@click.option("--answer", default=None, help="Có hoặc Không / yes or no.")
@click.option("--text", default=None, help="Nội dung (chỉ tiêu nội dung) / text.")
@click.option("--source", default="", help="Nguồn số liệu, vd. 'Cổng Dịch vụ công quốc gia, 15/12/2025' / source.")
@click.option("--by", "entered_by", default=None, help="Người nhập (mặc định: tài khoản máy) / who enters it.")
@click.option("--remove", is_flag=True, help="Xóa số liệu đã nhập / remove the entered figure.")
@handle_errors
def enter_command(indicator: str, campaign_dir: Path | None, numerator: float | None, denominator: float | None,
                  value: float | None, answer: str | None, text: str | None, source: str, entered_by: str | None,
                  remove: bool) -> None:
    """Nhập số liệu do cơ quan tổng hợp tự đo / the office's own figure for an indicator.

    For an indicator that no unit of this round reports (a provincial figure read from the national
    portal while the roster holds communes): INDICATOR is its id or printed number ("2", "I.1"). The
    figure is checked like a unit's input, recorded in the ledger with its source, who and when, and
    consolidated as the indicator's result, judged against the plan's target.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.collect.office_entry import check_figure, enter_figure, find_indicator, remove_figure

    campaign = open_campaign(campaign_dir)
    found = find_indicator(campaign, indicator)
    number = campaign.plan.full_number(found.id)
    if remove:
        removed = remove_figure(campaign, found)
        echo(f"✓ đã xóa số liệu nhập cho chỉ tiêu {number}" if removed else f"Chỉ tiêu {number}: chưa có số liệu nhập")
        return
    figure = check_figure(campaign, found, numerator=numerator, denominator=denominator, value=value,
                          text=answer if answer is not None else text)
    enter_figure(campaign, figure, source, entered_by)
    shown = (f"{figure.numerator:g}/{figure.denominator:g}" if figure.denominator is not None
             else figure.text or f"{figure.value:g}")
    echo(f"✓ chỉ tiêu {number} ({found.name[:60]}): {shown} — nguồn: {source}")
    echo("  tiếp theo / next: xlkpi consolidate")


@cli.command("export")
@campaign_option
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="Định dạng / format.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp kết quả (mặc định: reports/<kế hoạch>-<kỳ>-du-lieu.<định dạng>); '-' in ra màn hình.")
@handle_errors
def export_command(campaign_dir: Path | None, fmt: str, out: Path | None) -> None:
    """Xuất bảng dữ liệu dạng dài / export the long table of accepted results.

    One row per unit and indicator: unit, level, parent, indicator, period, numerator, denominator,
    value, judgement, explanation, evidence and the submission file; CSV (UTF-8, opens in Excel) or JSON.
    """
    from xlkpi.campaign.folder import open_campaign
    from xlkpi.report.export import export_path, long_table, render
    from xlkpi.common.files import atomic_output

    campaign = open_campaign(campaign_dir)
    rows = long_table(campaign)
    text = render(rows, fmt)
    if out is not None and str(out) == "-":
        echo(text, nl=False)
        return
    target = out or export_path(campaign, fmt)
    with atomic_output(target, force=True) as temp:
        temp.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="")
    echo(f"✓ {target}: {len(rows)} dòng / rows")


@cli.command("demo")
@click.argument("directory", required=False, default="xlkpi-demo", type=click.Path(file_okay=False, path_type=Path))
@click.option("--serve", "then_serve", is_flag=True, help="Rồi mở trang web của đợt demo trong trình duyệt / then open "
                                                          "the demo round's web page.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Cổng của trang web (với --serve) / the web page's port.")
@handle_errors
def demo_command(directory: Path, then_serve: bool, port: int) -> None:
    """Chạy thử trên dữ liệu dựng sẵn / run xlkpi on the built-in demo.

    Checks the built-in plans, opens a campaign of the Lai Châu plan for the province's 38 communes
    and wards (official divisions) in DIRECTORY (default ./xlkpi-demo), and generates their data-entry
    workbooks. Running it again rebuilds the demo folder; a folder it did not make is never touched.
    With --serve, two accounts are made (canbo, an officer; lanhdao, a leader; the password from
    XLKPI_PASSWORD, else a new one printed here) and the round's web page opens in the browser.
    """
    from xlkpi.demo import run_demo

    result = run_demo(directory)
    for line in result.summary:
        echo(line)
    if not then_serve:
        sys.exit(int(not result.ok))
    import os
    import secrets

    from xlkpi.campaign.folder import open_campaign
    from xlkpi.web.accounts import add_user

    campaign = open_campaign(result.directory / "lai-chau")
    password = os.environ.get(PASSWORD_ENV) or secrets.token_urlsafe(9)
    for name, role in (("canbo", "officer"), ("lanhdao", "leader")):
        add_user(campaign, name, role, password)
    echo(f"Đăng nhập / log in: canbo (chuyên viên) hoặc lanhdao (lãnh đạo), mật khẩu / password: {password}")
    _serve(campaign.directory, "127.0.0.1", port, open_browser=True)


def main() -> None:
    from xlkpi.common.text import make_console_safe

    make_console_safe(sys.stdout, sys.stderr)
    try:
        cli(prog_name="xlkpi", standalone_mode=True)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception:  # noqa: BLE001 — a defect of xlkpi: a message for the office, the details in a file
        sys.exit(_report_defect())


def _report_defect() -> int:
    """An unexpected error (a defect of xlkpi, never the user's input): the traceback goes to a file in the
    temporary folder and the office gets a message in Vietnamese naming that file. Nothing was half
    written: every output is replaced atomically."""
    import tempfile
    import traceback
    from datetime import datetime

    where = Path(tempfile.gettempdir()) / f"xlkpi-loi-{datetime.now():%Y%m%d-%H%M%S}.txt"
    try:
        where.write_text(f"xlkpi {__version__} {' '.join(sys.argv[1:])}\n\n{traceback.format_exc()}",
                         encoding="utf-8")
        kept = f"Chi tiết lỗi đã ghi vào {where} — hãy gửi tệp đó cho người hỗ trợ / details in {where}."
    except OSError:
        kept = "Không ghi được tệp chi tiết lỗi / the details could not be written."
    echo("✗ xlkpi gặp lỗi ngoài dự kiến (lỗi của chương trình, không phải của tệp hay lệnh của bạn); không tệp "
         "nào bị ghi dở. / xlkpi met an unexpected error (a defect); no file was left half written.", err=True)
    echo(kept, err=True)
    return 3
