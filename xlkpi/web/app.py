"""``xlkpi serve``: the office's web page over one round, a thin layer over the functions the CLI calls.

One view per page (Starlette, Jinja2 templates under ``pages/``, autoescaped). Every page needs a login;
officers upload, approve and return, leaders also lock and reopen. Every POST carries the session's CSRF token
(a form field, or the ``X-CSRF-Token`` header of the board's script); the login form is checked by its
Origin instead, so a script can still post ``username`` and ``password``. Downloads are looked up by name in the
listing of the round's output folders, never joined to a path from the URL, so the secret, the ledger and
anything else on the machine are out of reach. The Content-Security-Policy allows only the page's own script
and style files: a unit's text that slipped past escaping still could not run.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import tempfile
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xlkpi import __version__
from xlkpi.campaign.folder import CONFIG_NAME, Campaign, open_campaign
from xlkpi.collect import audit
from xlkpi.collect.report import FEEDBACK_DIR
from xlkpi.collect.status import open_status
from xlkpi.common.messages import safe_file_name
from xlkpi.common.text import shown_time
from xlkpi.problems import XlkpiError
from xlkpi.web import accounts
from xlkpi.web.accounts import LEADER, Session, Sessions
from xlkpi.web import views

COOKIE = "xlkpi_session"
#: the largest upload one request may carry (a zip of a province's returns fits many times over)
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
MAX_UPLOAD_FILES = 500
#: what the downloads page offers: (folder under the round, the suffixes served), by the name in the URL
DOWNLOAD_AREAS = {
    "reports": ("reports", {".xlsx", ".pdf", ".csv", ".json"}),
    "feedback": (f"reports/{FEEDBACK_DIR}", {".xlsx"}),
    "forms": ("outbox", {".xlsx"}),
}
AREA_TITLES = {"reports": "Phụ lục, báo cáo tiếp nhận, dữ liệu", "feedback": "Tệp phản hồi cho đơn vị",
               "forms": "Biểu mẫu trống gửi đơn vị"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


class Refused(Exception):
    """A request the page refuses with a status and a Vietnamese sentence (no login, wrong role, no token …)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Site:
    """What the app serves: one round's folder, the logged-in sessions, the templates."""

    directory: Path
    sessions: Sessions = field(default_factory=Sessions)
    templates: Jinja2Templates | None = None
    _campaign: Campaign | None = None
    _stamp: float = -1.0
    #: the board as last built, kept until the round changes (its version) or campaign.yaml is read again
    board_cache: views.Board | None = None

    def campaign(self) -> Campaign:
        """The round, read again when campaign.yaml changed (the roster and plan are frozen copies)."""
        stamp = (self.directory / CONFIG_NAME).stat().st_mtime
        if self._campaign is None or stamp != self._stamp:
            self._campaign, self._stamp = open_campaign(self.directory), stamp
            self.board_cache = None
        return self._campaign


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("xlkpi.web", "pages"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["time"] = shown_time
    env.filters["detail"] = views.detail_vi
    env.globals["version"] = __version__
    env.globals["actions"] = audit.ACTIONS
    return env


# --------------------------------------------------------------------------------------------------------------
# sessions, roles, the CSRF token


def _session(request: Request, touch: bool = True) -> tuple[Session, accounts.User] | None:
    site: Site = request.app.state.site
    token = request.cookies.get(COOKIE)
    session = site.sessions.get(token, touch=touch)
    if session is None:
        return None
    connection = accounts.connect(site.campaign())
    try:
        user = accounts.active_user(connection, session.user)
    finally:
        connection.close()
    if user is None:  # the account was closed: its sessions end
        site.sessions.end(token)
        return None
    return session, user


def page(role: str | None = None, *, changes: bool = False, polled: bool = False
         ) -> Callable[..., Callable[[Request], Awaitable[Response]]]:
    """A view that needs a login (and ``role``: a leader may do what an officer may); ``changes``: a POST that
    must carry the session's CSRF token; ``polled``: asked by the board's script, not by the user, so it does not
    keep an idle session alive."""

    def wrap(view: Callable[..., Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        @wraps(view)
        async def endpoint(request: Request) -> Response:
            found = _session(request, touch=not polled)
            if found is None:
                if request.method == "GET" and not request.url.path.startswith("/api/"):
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
                raise Refused(401, "Phiên làm việc đã hết hạn hoặc chưa đăng nhập. Hãy đăng nhập lại.")
            session, user = found
            if role == LEADER and not user.is_leader:
                raise Refused(403, "Chỉ lãnh đạo được chốt số liệu hoặc mở lại đợt báo cáo. Tài khoản "
                                   f"'{user.name}' là {user.role_vi.lower()}.")
            if changes:
                form = await request.form(max_files=MAX_UPLOAD_FILES, max_fields=50) if _is_form(request) else {}
                sent = request.headers.get("x-csrf-token") or str(form.get("csrf_token", ""))
                if not secrets.compare_digest(sent.encode(), session.csrf.encode()):
                    raise Refused(403, "Yêu cầu thiếu mã xác thực của phiên (CSRF) nên bị từ chối. Hãy tải lại "
                                       "trang rồi làm lại.")
            request.state.session, request.state.user = session, user
            return await view(request)

        return endpoint

    return wrap


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith("application/x-www-form-urlencoded") or kind.startswith("multipart/form-data")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")


def _safe_next(target: str | None) -> str:
    """Where to go after the login: a path of this site only (never //elsewhere or a full address)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    site: Site = request.app.state.site
    session = getattr(request.state, "session", None)
    context.setdefault("user", getattr(request.state, "user", None))
    context["csrf"] = session.csrf if session else ""
    context["flash"] = session.flash_pop() if session else []
    try:
        context.setdefault("campaign", site.campaign())
    except XlkpiError:
        context.setdefault("campaign", None)
    return site.templates.TemplateResponse(request, name, context, status_code=status_code)  # type: ignore[union-attr]


def _flash(request: Request, text: str, kind: str = "ok") -> None:
    request.state.session.flash.append((kind, text))


def _back(path: str = "/") -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


# --------------------------------------------------------------------------------------------------------------
# login


async def login_form(request: Request) -> Response:
    if _session(request) is not None:
        return _back(_safe_next(request.query_params.get("next")))
    return render(request, "login.html", next=_safe_next(request.query_params.get("next")), error="")


async def login(request: Request) -> Response:
    site: Site = request.app.state.site
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise Refused(403, "Biểu mẫu đăng nhập gửi từ trang khác nên bị từ chối.")
    form = await request.form()
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    if site.sessions.blocked(name):
        return render(request, "login.html", 429, next=target, username=name,
                      error="Đã nhập sai mật khẩu nhiều lần. Hãy đợi 15 phút rồi thử lại, hoặc nhờ người quản lý "
                            "đặt lại mật khẩu (xlkpi user password).")
    user = await run_in_threadpool(accounts.check_password, site.campaign(), name, password)
    if user is None:
        site.sessions.failed(name)
        return render(request, "login.html", 401, next=target, username=name,
                      error="Tên đăng nhập hoặc mật khẩu không đúng.")
    old = request.cookies.get(COOKIE)
    site.sessions.end(old)  # a new token at each login: a token planted before cannot be carried in
    token, _ = site.sessions.start(user.name)
    response = _back(target)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return response


@page(changes=True)
async def logout(request: Request) -> Response:
    request.app.state.site.sessions.end(request.cookies.get(COOKIE))
    response = _back("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


# --------------------------------------------------------------------------------------------------------------
# the board


def script_json(data: Any) -> Markup:
    """JSON to place in a ``<script type="application/json">``: no "<", ">" or "&" left that could end the
    element or open a comment, whatever a unit typed."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


async def _board(request: Request) -> views.Board:
    """The board, built once per change of the round however many browsers ask (it is keyed by the version)."""
    site: Site = request.app.state.site
    campaign = site.campaign()
    stamp = await run_in_threadpool(views.version, campaign)
    if site.board_cache is None or site.board_cache.version != stamp:
        site.board_cache = await run_in_threadpool(views.board, campaign)
    return site.board_cache


@page()
async def board(request: Request) -> Response:
    data = await _board(request)
    return render(request, "board.html", board=data, board_json=script_json(data.to_dict()))


@page(polled=True)
async def board_fragment(request: Request) -> Response:
    """What a change sends an open board: the summary (HTML, escaped by the template) and the rows (JSON)."""
    site: Site = request.app.state.site
    data = await _board(request)
    summary = site.templates.get_template("board_summary.html").render(board=data)  # type: ignore[union-attr]
    return JSONResponse({"summary": summary, **data.to_dict()})


@page(polled=True)
async def api_version(request: Request) -> Response:
    site: Site = request.app.state.site
    return JSONResponse({"version": await run_in_threadpool(views.version, site.campaign())})


@page()
async def api_status(request: Request) -> Response:
    """The same JSON as ``xlkpi status --json``."""
    site: Site = request.app.state.site
    campaign = site.campaign()
    status = await run_in_threadpool(open_status, campaign)
    return JSONResponse({"campaign": campaign.id, **status.to_dict()})


# --------------------------------------------------------------------------------------------------------------
# uploads


@page(changes=True)
async def upload(request: Request) -> Response:
    site: Site = request.app.state.site
    campaign = site.campaign()
    user = request.state.user
    form = await request.form(max_files=MAX_UPLOAD_FILES, max_fields=50)
    uploads = [item for item in form.getlist("files") if hasattr(item, "filename") and item.filename]
    if not uploads:
        _flash(request, "Chưa chọn tệp nào để tải lên.", "error")
        return _back()
    folder = campaign.inbox / "web" / datetime.now().strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[tuple[str, Path]] = []
    for item in uploads:
        target, out = _new_file(folder, safe_file_name(_base_name(item.filename), "tep-tai-len"))
        with out:
            while chunk := await item.read(1 << 20):
                out.write(chunk)
        saved.append((item.filename, target))
    outcome = await run_in_threadpool(views.collect_uploads, campaign, [p for _, p in saved], user.name)
    request.state.session.last_upload = outcome
    return _back("/upload/result")


@page()
async def upload_result(request: Request) -> Response:
    outcome = getattr(request.state.session, "last_upload", None)
    if outcome is None:
        return _back()
    return render(request, "upload.html", outcome=outcome)


def _base_name(name: str) -> str:
    """The last part of a file name a browser sent (old browsers send C:\\fakepath\\… or a whole path)."""
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _new_file(folder: Path, name: str) -> tuple[Path, Any]:
    """A new file for an upload, never over another: "03388.xlsx", else "03388 (2).xlsx" … (made with O_EXCL, so
    two uploads of the same name at the same moment each get their own)."""
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while True:
        target = folder / (name if n == 1 else f"{stem} ({n}){suffix}")
        try:
            return target, open(target, "xb")
        except FileExistsError:
            n += 1


# --------------------------------------------------------------------------------------------------------------
# a unit, decisions


@page()
async def unit_page(request: Request) -> Response:
    site: Site = request.app.state.site
    data = await run_in_threadpool(views.unit, site.campaign(), request.path_params["code"])
    if data is None:
        raise Refused(404, "Không có đơn vị này trong danh sách của đợt báo cáo.")
    return render(request, "unit.html", unit=data)


@page(changes=True)
async def approve_unit(request: Request) -> Response:
    from xlkpi.collect.workflow import approve

    site: Site = request.app.state.site
    code = request.path_params["code"]
    decided = await run_in_threadpool(lambda: approve(site.campaign(), [code], who=request.state.user.name))
    _say_decided(request, decided, "Đã duyệt")
    return _back(f"/unit/{_quote(code)}")


@page(changes=True)
async def return_one(request: Request) -> Response:
    from xlkpi.collect.workflow import return_unit

    site: Site = request.app.state.site
    code = request.path_params["code"]
    reason = str((await request.form()).get("reason", ""))
    decided = await run_in_threadpool(lambda: return_unit(site.campaign(), code, reason,
                                                          who=request.state.user.name))
    _say_decided(request, decided, "Đã trả lại")
    return _back(f"/unit/{_quote(code)}")


@page(changes=True)
async def approve_clean(request: Request) -> Response:
    from xlkpi.collect.workflow import approve

    site: Site = request.app.state.site
    decided = await run_in_threadpool(lambda: approve(site.campaign(), all_clean=True, who=request.state.user.name))
    if not decided.done and not decided.skipped:
        _flash(request, "Không có báo cáo nào chờ duyệt mà không có cảnh báo.")
    _say_decided(request, decided, "Đã duyệt")
    return _back()


def _say_decided(request: Request, decided: Any, verb: str) -> None:
    if decided.done:
        _flash(request, f"{verb} {len(decided.done)} đơn vị: {', '.join(decided.done)}.")
    for unit, why in decided.skipped:
        _flash(request, f"{unit}: {why}.", "error")


@page(LEADER, changes=True)
async def lock(request: Request) -> Response:
    from xlkpi.common.office import find_soffice
    from xlkpi.report.consolidate import lock_round

    site: Site = request.app.state.site
    reason = str((await request.form()).get("reason", ""))
    result = await run_in_threadpool(lambda: lock_round(site.campaign(), reason, who=request.state.user.name,
                                                        pdf=find_soffice() is not None))
    _flash(request, f"Đã chốt số liệu: {result.status.with_data}/{len(result.status.units)} đơn vị có số liệu; phụ "
                    f"lục {result.path.name} đã được lập lại.")
    return _back()


@page(LEADER, changes=True)
async def reopen(request: Request) -> Response:
    from xlkpi.collect.workflow import reopen_round

    site: Site = request.app.state.site
    reason = str((await request.form()).get("reason", ""))
    lifted = await run_in_threadpool(lambda: reopen_round(site.campaign(), reason, who=request.state.user.name))
    _flash(request, f"Đã mở lại đợt (số liệu chốt {shown_time(lifted.decided_at)} không còn hiệu lực).")
    return _back()


@page(changes=True)
async def consolidate(request: Request) -> Response:
    from xlkpi.common.office import find_soffice
    from xlkpi.report.consolidate import consolidate as write_appendix

    site: Site = request.app.state.site
    result = await run_in_threadpool(lambda: write_appendix(site.campaign(), pdf=find_soffice() is not None,
                                                            who=request.state.user.name))
    _flash(request, f"Đã lập phụ lục {result.path.name}" + (f" và {result.pdf.name}" if result.pdf else "")
           + f" ({result.status.with_data}/{len(result.status.units)} đơn vị có số liệu).")
    return _back("/downloads")


# --------------------------------------------------------------------------------------------------------------
# the log, downloads


@page()
async def log_page(request: Request) -> Response:
    site: Site = request.app.state.site
    entries, wrong = await run_in_threadpool(views.log, site.campaign())
    return render(request, "log.html", entries=entries, wrong=wrong)


@page()
async def downloads(request: Request) -> Response:
    site: Site = request.app.state.site
    campaign = site.campaign()
    areas = [(area, AREA_TITLES[area], _listing(campaign, area)) for area in DOWNLOAD_AREAS]
    return render(request, "downloads.html", areas=areas)


def _listing(campaign: Campaign, area: str) -> list[tuple[str, int, str]]:
    """The files of an output folder that may be downloaded: (name, size, modified), newest first."""
    folder, suffixes = DOWNLOAD_AREAS[area]
    found = []
    try:
        entries = list(os.scandir(campaign.directory / folder))
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith((".", "~$")) or Path(entry.name).suffix.lower() not in suffixes:
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        stat = entry.stat(follow_symlinks=False)
        found.append((entry.name, stat.st_size, datetime.fromtimestamp(stat.st_mtime).isoformat(sep=" ")))
    if area == "reports":  # the appendix first, then the collection report, then the rest
        return sorted(found, key=lambda item: (0 if "-phu-luc" in item[0] else 1 if item[0].startswith("thu-nhan")
                                               else 2, item[0]))
    return sorted(found)  # forms and feedback copies: in the order of the units' codes


@page()
async def download(request: Request) -> Response:
    site: Site = request.app.state.site
    campaign = site.campaign()
    area, name = request.path_params["area"], request.path_params["name"]
    if area not in DOWNLOAD_AREAS or name not in {item[0] for item in _listing(campaign, area)}:
        raise Refused(404, "Không có tệp này trong các tệp kết quả của đợt báo cáo.")
    path = campaign.directory / DOWNLOAD_AREAS[area][0] / name
    return FileResponse(path, filename=name, content_disposition_type="attachment")


# --------------------------------------------------------------------------------------------------------------
# errors, headers, limits


async def refused(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Refused):
        status, message = exc.status, exc.message
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        message = {404: "Không có trang này.", 405: "Trang này không nhận yêu cầu kiểu đó.",
                   413: "Tệp tải lên quá lớn."}.get(status, "Yêu cầu không hợp lệ.")
    else:
        status, message = 400, str(exc)
    if request.url.path.startswith("/api/") or request.headers.get("x-csrf-token"):
        return JSONResponse({"error": message}, status_code=status)
    return render(request, "message.html", status, title="Không thực hiện được", messages=[message])


async def library_error(request: Request, exc: Exception) -> Response:
    """A refusal of the library (a locked round, a reason missing …): its Vietnamese messages, status 400."""
    assert isinstance(exc, XlkpiError)
    messages = [p.message_vi for p in exc.problems]
    if request.headers.get("x-csrf-token"):
        return JSONResponse({"error": " ".join(messages)}, status_code=400)
    session = getattr(request.state, "session", None)
    if session is not None and request.method == "POST":
        for text in messages:
            session.flash.append(("error", text))
        return _back(_safe_next(urlsplit(request.headers.get("referer", "/")).path))
    return render(request, "message.html", 400, title="Không thực hiện được", messages=messages)


async def defect(request: Request, exc: Exception) -> Response:
    """An unexpected error (a defect of xlkpi): a Vietnamese page, the details in a file — never a traceback."""
    where = Path(tempfile.gettempdir()) / f"xlkpi-web-loi-{datetime.now():%Y%m%d-%H%M%S}.txt"
    try:
        where.write_text(f"xlkpi {__version__} {request.method} {request.url.path}\n\n"
                         f"{''.join(traceback.format_exception(exc))}", encoding="utf-8")
        kept = f"Chi tiết lỗi đã ghi vào {where} trên máy chạy xlkpi serve; hãy gửi tệp đó cho người hỗ trợ."
    except OSError:
        kept = "Không ghi được tệp chi tiết lỗi."
    return render(request, "message.html", 500, title="xlkpi gặp lỗi ngoài dự kiến",
                  messages=["Đây là lỗi của chương trình, không phải của tệp hay thao tác của bạn; không tệp nào bị "
                            "ghi dở.", kept])


class Guard:
    """Security headers on every response, and a cap on the size of a request's body."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_UPLOAD_BYTES) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _too_large(send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise HTTPException(413)
            return message

        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY"),
                            (b"cache-control", b"no-store")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, counted, headed)


async def _too_large(send: Send) -> None:
    body = "Tệp tải lên quá lớn (tối đa 200 MB mỗi lần). Hãy chia thành nhiều lần tải.".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_app(directory: str | Path, *, idle_minutes: float = 30) -> Starlette:
    """The web page of the round in ``directory`` (a campaign folder)."""
    site = Site(Path(directory).resolve(), Sessions(idle=idle_minutes * 60))
    campaign = site.campaign()  # a folder that is no round is refused now, with its message
    accounts.connect(campaign).close()  # the accounts' table exists before the first request
    site.templates = Jinja2Templates(env=_environment())
    static = Path(__file__).parent / "static"
    app = Starlette(
        routes=[
            Route("/", board), Route("/api/board", board_fragment),
            Route("/api/version", api_version), Route("/api/status", api_status),
            Route("/login", login_form, methods=["GET"]), Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/upload", upload, methods=["POST"]), Route("/upload/result", upload_result),
            Route("/unit/{code}", unit_page), Route("/unit/{code}/approve", approve_unit, methods=["POST"]),
            Route("/unit/{code}/return", return_one, methods=["POST"]),
            Route("/approve-clean", approve_clean, methods=["POST"]),
            Route("/lock", lock, methods=["POST"]), Route("/reopen", reopen, methods=["POST"]),
            Route("/consolidate", consolidate, methods=["POST"]),
            Route("/log", log_page), Route("/downloads", downloads),
            Route("/download/{area}/{name}", download),
            Mount("/static", StaticFiles(directory=static), name="static"),
        ],
        exception_handlers={Refused: refused, HTTPException: refused, XlkpiError: library_error, Exception: defect},
    )
    app.state.site = site
    return Guard(app)  # type: ignore[return-value]


def serve(directory: str | Path, host: str = "127.0.0.1", port: int = 8000, *,
          ready: Callable[[str], None] | None = None, idle_minutes: float = 30) -> None:
    """Serve the round until Ctrl+C; ``ready`` is told the address once the port is open."""
    import socket

    import uvicorn

    from xlkpi.problems import problem

    app = create_app(directory, idle_minutes=idle_minutes)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if os.name != "nt":  # on Windows the option lets another program take the port too
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise XlkpiError(problem("serve-no-port", host=host, port=port, detail=exc.strerror or str(exc))) from None
    sock.listen(64)
    bound = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    if ready:
        ready(f"http://{shown if ':' not in shown else f'[{shown}]'}:{bound}/")
    try:
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        sock.close()
