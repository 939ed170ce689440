"""Signing the appendix PDF (PAdES, with pyHanko) and verifying a signed one.

The leader signs with a certificate in a PKCS#12 file or, as Vietnamese offices do, on a USB token through its
PKCS#11 library. The signature is visible in the appendix's own signature block: the block's texts are the ones
xlkpi printed (the plan's "TM. ỦY BAN NHÂN DÂN" / "CHỦ TỊCH" and the signer's name), found on the page where
LibreOffice put them, and the stamp fills the rows xlkpi left blank between the title and the name. A token's
PIN is tried once: tokens lock after three wrong ones.

``verify`` says who signed (the certificate's subject and issuer, its validity), when, whether the signed bytes
are intact, whether the document was changed after signing and how, and, given the certification authority's
certificate (``--trust``), whether the signer's chain leads to it.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from xlkpi.common.files import write_atomically
from xlkpi.common.measure import text_points
from xlkpi.common.text import fold
from xlkpi.problems import XlkpiError, problem

#: where a stamp's font is looked for: Times New Roman on Windows and macOS, its metric twin on Linux; a
#: font that has the Vietnamese letters (pyHanko's built-in Courier has none)
FONT_CANDIDATES = (
    r"{windir}\Fonts\times.ttf",
    r"{windir}\Fonts\arial.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/System/Library/Fonts/Supplemental/Times New Roman.ttf",
    "/Library/Fonts/Times New Roman.ttf",
)
FONT_ENV = "XLKPI_SIGN_FONT"
#: the stamp's size on the page, in points: the width of the signer's block, the rows left blank for signing
STAMP_WIDTH, STAMP_HEIGHT = 230.0, 62.0


def _quiet() -> None:
    """pyHanko and its certificate validator log what they find (a path to no trusted root, with a traceback)
    and cryptography warns about DSA on import; xlkpi says the same in Vietnamese, once."""
    import logging
    import warnings

    for name in ("pyhanko", "pyhanko_certvalidator", "fontTools"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", message=".*DSA is deprecated.*")


# -- where the signature goes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureBlock:
    """The texts of the signer's block as xlkpi printed them (from the plan and the campaign)."""

    on_behalf: str
    title: str
    name: str = ""


@dataclass(frozen=True)
class Placement:
    page: int  # zero-based
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in PDF points, from the page's lower left


@dataclass
class _Line:
    x: float
    y: float
    size: float
    text: str


def _lines(page: Any) -> list[_Line]:
    """The page's text as lines (pieces on one baseline joined left to right), with where each starts."""
    pieces: list[tuple[float, float, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            pieces.append((x, y, size, text))

    page.extract_text(visitor_text=visit)
    lines: list[_Line] = []
    end = 0.0
    for x, y, size, text in sorted(pieces, key=lambda p: (-round(p[1], 0), p[0])):
        # one line: the same baseline and no more than a few spaces between (the left and right columns of a
        # signature row share a baseline)
        if lines and abs(lines[-1].y - y) < 1.0 and x - end < 2 * size:
            lines[-1].text += text
        else:
            lines.append(_Line(x, y, size, text))
        end = x + text_points(text, size)
    return lines


def _same(a: str, b: str) -> bool:
    return " ".join(fold(a).split()) == " ".join(fold(b).split())


def locate_block(data: bytes, block: SignatureBlock, file: str) -> Placement:
    """Where the stamp goes: below the signer's title, in the blank rows above the name, on the last page
    that prints the block. The texts are the ones xlkpi wrote; a PDF without them is refused, naming them."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = list(reader.pages)
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise XlkpiError(problem("sign-pdf-unreadable", file=file, detail=str(exc)[:200])) from None
    for index in range(len(pages) - 1, -1, -1):
        lines = _lines(pages[index])
        for at, line in enumerate(lines):
            if not _same(line.text, block.title):
                continue
            above = [other for other in lines[:at] if 0 < other.y - line.y < 3 * line.size]
            if block.on_behalf and not any(_same(other.text, block.on_behalf) for other in above):
                continue
            centre = line.x + text_points(line.text.strip(), line.size, bold=True) / 2
            top = line.y - 0.35 * line.size  # below the title's descenders
            below = [other for other in lines[at + 1:] if 0 < line.y - other.y < 8 * line.size]
            name = next((other for other in below if block.name and _same(other.text, block.name)), None)
            bottom = name.y + 1.3 * name.size if name is not None else top - STAMP_HEIGHT
            height = max(min(top - bottom, STAMP_HEIGHT * 1.4), 36.0)
            media = pages[index].mediabox
            half = STAMP_WIDTH / 2
            left = min(max(centre - half, float(media.left) + 4), float(media.right) - 4 - STAMP_WIDTH)
            return Placement(index, (round(left, 1), round(top - height, 1), round(left + STAMP_WIDTH, 1),
                                     round(top, 1)))
    raise XlkpiError(problem("sign-block-missing", file=file, title=block.title, on_behalf=block.on_behalf))


# -- the key ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pkcs12Key:
    path: Path
    password: str


@dataclass(frozen=True)
class TokenKey:
    library: str
    pin: str
    token_label: str | None = None
    key_label: str | None = None
    cert_label: str | None = None


def _pkcs12_signer(key: Pkcs12Key) -> Any:
    from pyhanko.sign import signers

    try:
        data = key.path.read_bytes()
    except OSError as exc:
        raise XlkpiError(problem("file-unreadable", file=str(key.path), detail=str(exc))) from None
    try:
        return signers.SimpleSigner.load_pkcs12_data(data, other_certs=None, passphrase=key.password.encode("utf-8"))
    except ValueError:
        raise XlkpiError(problem("sign-pkcs12-unreadable", file=str(key.path))) from None


def _token_signer(key: TokenKey) -> tuple[Any, Any]:
    """(signer, session) from the token; the PIN is offered once, whatever happens."""
    import pkcs11.exceptions as p11
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign import pkcs11 as token

    where = key.library
    try:
        session = token.open_pkcs11_session(
            key.library, token_criteria=TokenCriteria(label=key.token_label) if key.token_label else None,
            user_pin=key.pin)
    except p11.PinIncorrect:
        raise XlkpiError(problem("sign-pin-wrong", file=where, token=key.token_label or "?")) from None
    except (p11.PinLocked, p11.PinExpired):
        raise XlkpiError(problem("sign-pin-locked", file=where, token=key.token_label or "?")) from None
    except (OSError, RuntimeError) as exc:  # python-pkcs11's errors are RuntimeErrors: which one says the text
        detail = str(exc) or type(exc).__name__
        if "No token" in detail or "Token" in type(exc).__name__ or "Slot" in type(exc).__name__:
            raise XlkpiError(problem("sign-token-missing", file=where, token=key.token_label or "?",
                                     detail=detail[:200])) from None
        raise XlkpiError(problem("sign-pkcs11-library", file=where, detail=detail[:200])) from None
    signer = token.PKCS11Signer(session, key_label=key.key_label, cert_label=key.cert_label or key.key_label)
    return signer, session


def _subject(cert: Any) -> dict[str, str]:
    """The certificate's subject as {attribute: text} (common_name, organization_name, title …)."""
    return {str(k): str(v) for k, v in cert.subject.native.items()}


# -- signing ----------------------------------------------------------------------------------------------------


@dataclass
class Signed:
    path: Path
    signer: str
    placement: Placement
    signed_at: datetime
    timestamped: bool

    def to_dict(self) -> dict[str, Any]:
        return {"file": str(self.path), "signer": self.signer, "page": self.placement.page + 1,
                "box": list(self.placement.box), "signed_at": self.signed_at.isoformat(),
                "level": "PAdES B-T" if self.timestamped else "PAdES B-B"}


def find_font() -> str:
    chosen = os.environ.get(FONT_ENV)
    if chosen:
        if not Path(chosen).is_file():
            raise XlkpiError(problem("sign-font-missing", file=chosen, env=FONT_ENV))
        return chosen
    windir = os.environ.get("WINDIR", r"C:\Windows")
    for candidate in FONT_CANDIDATES:
        path = candidate.format(windir=windir)
        if (sys.platform == "win32") == ("\\" in path) and Path(path).is_file():
            return path
    raise XlkpiError(problem("sign-font-missing", file=", ".join(c for c in FONT_CANDIDATES if "{" not in c)[:120],
                             env=FONT_ENV))


def _stamp_font(font: str, text: str, folder: str) -> str:
    """The font cut to the stamp's letters and scaled to 1,000 units per em, as a file in ``folder``.

    pyHanko writes a TrueType font's glyph widths in the font's own units (2,048 per em for Times New Roman and
    Liberation Serif) where PDF expects thousandths of an em: the letters are drawn twice as far apart and the
    text runs out of its box. At 1,000 units the two agree; cut to the few letters used, scaling takes a
    fraction of a second instead of two."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    try:
        loaded = TTFont(font)
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        cutter = subset.Subsetter(options)
        cutter.populate(text=text + "0123456789:/ %ngàyNGÀY")
        cutter.subset(loaded)
        if loaded["head"].unitsPerEm != 1000:
            scale_upem(loaded, 1000)
        path = os.path.join(folder, "stamp.ttf")
        loaded.save(path)
    except Exception as exc:  # a damaged or unusual font file: named, with what to do
        raise XlkpiError(problem("sign-font-missing", file=f"{font} ({type(exc).__name__})", env=FONT_ENV)) from None
    return path


def default_output(pdf: Path) -> Path:
    return pdf.with_name(f"{pdf.stem}-da-ky.pdf")


def _stamp_lines(subject: dict[str, str], block: SignatureBlock) -> str:
    name = subject.get("common_name") or block.name or "?"
    title = subject.get("title") or block.title.capitalize()
    lines = [f"Ký bởi: {name}", f"Chức vụ: {title}"]
    if subject.get("organization_name"):
        lines.append(f"Cơ quan: {subject['organization_name']}")
    lines.append("Thời gian ký: %(ts)s")
    return "\n".join(line.replace("%", "%%") if "%(ts)s" not in line else line for line in lines)


def sign_pdf(pdf: Path, key: Pkcs12Key | TokenKey, block: SignatureBlock, *, out: Path | None = None,
             force: bool = False, tsa: str | None = None, reason: str = "Ký phê duyệt phụ lục kết quả thực hiện",
             location: str = "") -> Signed:
    """Sign ``pdf`` into ``out`` (default ``<name>-da-ky.pdf``, never overwritten without ``force``)."""
    _quiet()
    from pyhanko import stamp
    from pyhanko.pdf_utils import text as text_box
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers, timestamps

    out = out or default_output(pdf)
    if out.exists() and not force:
        raise XlkpiError(problem("output-exists", file=str(out)))
    try:
        data = pdf.read_bytes()
    except OSError as exc:
        raise XlkpiError(problem("file-unreadable", file=str(pdf), detail=str(exc))) from None
    if not data.startswith(b"%PDF-"):
        raise XlkpiError(problem("sign-pdf-unreadable", file=str(pdf), detail="không phải tệp PDF"))
    placement = locate_block(data, block, str(pdf))
    font = find_font()
    session = None
    scratch = tempfile.TemporaryDirectory(prefix="xlkpi-sign-")
    folder = scratch.name
    if isinstance(key, Pkcs12Key):
        signer = _pkcs12_signer(key)
    else:
        signer, session = _token_signer(key)
    try:
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(data))
            existing = len(list(fields.enumerate_sig_fields(writer)))
            name = f"ChuKy{existing + 1}"
            fields.append_signature_field(writer, fields.SigFieldSpec(name, on_page=placement.page,
                                                                      box=placement.box))
        except (PdfError, ValueError, KeyError) as exc:
            raise XlkpiError(problem("sign-pdf-unreadable", file=str(pdf), detail=str(exc)[:200])) from None
        try:
            cert = signer.signing_cert  # a token's key and certificate are looked up here, by their labels
        except (RuntimeError, OSError):  # python-pkcs11's "Could not find certificate with label …"
            cert = None
        if cert is None:
            raise XlkpiError(problem("sign-key-missing", file=str(getattr(key, "path", getattr(key, "library", ""))),
                                     label=getattr(key, "key_label", None) or "?"))
        subject = _subject(cert)
        lines = _stamp_lines(subject, block)
        style = stamp.TextStampStyle(
            stamp_text=lines,
            text_box_style=text_box.TextBoxStyle(font=GlyphAccumulatorFactory(_stamp_font(font, lines, folder)),
                                                 font_size=9.5, leading=12),
            timestamp_format="%H:%M:%S ngày %d/%m/%Y",
            border_width=1,
            border_color=(0.75, 0.1, 0.1),
        )
        meta = signers.PdfSignatureMetadata(field_name=name, reason=reason, location=location or None,
                                            subfilter=fields.SigSeedSubFilter.PADES, use_pades_lta=False,
                                            embed_validation_info=False)
        timestamper = timestamps.HTTPTimeStamper(tsa) if tsa else None
        pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style, timestamper=timestamper)
        output = io.BytesIO()
        signed_at = datetime.now().astimezone()
        try:
            pdf_signer.sign_pdf(writer, output=output)
        except Exception as exc:  # the token, the TSA or the PDF: say which, never a traceback
            raise XlkpiError(_signing_problem(exc, pdf, key, tsa)) from None
        write_atomically(out, output.getvalue(), force=force)
    finally:
        if session is not None:
            session.close()
        scratch.cleanup()
    return Signed(out, subject.get("common_name", "?"), placement, signed_at, timestamped=bool(tsa))


def _signing_problem(exc: Exception, pdf: Path, key: Any, tsa: str | None) -> Any:
    kind = type(exc).__name__
    text = str(exc) or kind
    if tsa and ("timestamp" in text.lower() or "tsa" in text.lower() or kind in ("TimestampRequestError",
                                                                                 "ConnectionError")):
        return problem("sign-tsa-failed", file=tsa, detail=text[:200])
    if "PKCS11" in kind or "pkcs11" in type(exc).__module__ or "Could not find" in text:
        return problem("sign-key-missing", file=str(getattr(key, "library", pdf)),
                       label=getattr(key, "key_label", None) or "?")
    return problem("sign-failed", file=str(pdf), detail=f"{kind}: {text}"[:200])


# -- verifying --------------------------------------------------------------------------------------------------

_CHANGES = {
    "NONE": "không",
    "LTA_UPDATES": "chỉ thêm thông tin kiểm tra chứng thư, dấu thời gian",
    "FORM_FILLING": "thêm chữ ký hoặc điền biểu mẫu (được phép)",
    "ANNOTATIONS": "thêm ghi chú, chú thích",
    "OTHER": "nội dung đã bị sửa",
}
_ALLOWED_CHANGES = ("NONE", "LTA_UPDATES", "FORM_FILLING")


@dataclass
class SignatureReport:
    field: str
    signer: str
    organisation: str
    issuer: str
    valid_from: datetime | None
    valid_to: datetime | None
    signed_at: datetime | None
    timestamp: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    whole_file: bool
    change: str  # NONE, LTA_UPDATES, FORM_FILLING, ANNOTATIONS, OTHER
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.change in _ALLOWED_CHANGES

    def to_dict(self) -> dict[str, Any]:
        def when(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {"field": self.field, "signer": self.signer, "organisation": self.organisation, "issuer": self.issuer,
                "valid_from": when(self.valid_from), "valid_to": when(self.valid_to),
                "signed_at": when(self.signed_at), "timestamp": when(self.timestamp), "intact": self.intact,
                "valid": self.valid, "trusted": self.trusted, "whole_file": self.whole_file,
                "change": self.change, "change_vi": _CHANGES.get(self.change, self.change), "ok": self.ok}

    def lines(self) -> list[str]:
        """In Vietnamese, for the terminal."""
        def when(moment: datetime | None) -> str:
            return moment.astimezone().strftime("%H:%M:%S ngày %d/%m/%Y") if moment else "không rõ"

        mark = "✓" if self.ok else "✗"
        out = [f"{mark} Chữ ký {self.field}: {self.signer}" + (f" — {self.organisation}" if self.organisation else "")]
        out.append(f"  Chứng thư do {self.issuer} cấp, hiệu lực {when(self.valid_from)} đến {when(self.valid_to)}")
        out.append(f"  Thời điểm ký (theo máy người ký): {when(self.signed_at)}"
                   + (f"; dấu thời gian: {when(self.timestamp)}" if self.timestamp else "; không có dấu thời gian"))
        out.append("  Nội dung đã ký: " + ("nguyên vẹn" if self.intact and self.valid else
                                           "KHÔNG nguyên vẹn — tệp đã bị sửa sau khi ký hoặc chữ ký hỏng"))
        out.append("  Thay đổi sau khi ký: " + _CHANGES.get(self.change, self.change))
        out.append("  Chứng thư: " + ("được tin cậy (dẫn tới CA đã cho)" if self.trusted else
                                      "chưa xác minh được với một CA tin cậy (dùng --trust CA.pem)"))
        out.extend(f"  ! {text}" for text in self.problems)
        return out


def verify_pdf(path: Path, trust: tuple[Path, ...] = ()) -> list[SignatureReport]:
    """Every signature of the PDF, checked; an unsigned or unreadable file is a located problem."""
    _quiet()
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = []
    for root in trust:
        try:
            raw = root.read_bytes()
        except OSError as exc:
            raise XlkpiError(problem("file-unreadable", file=str(root), detail=str(exc))) from None
        try:
            der = pem.unarmor(raw)[2] if pem.detect(raw) else raw
            roots.append(x509.Certificate.load(der))
            roots[-1].native  # parse now: a damaged file is named here, not deep in the validator
        except (ValueError, TypeError):
            raise XlkpiError(problem("sign-trust-unreadable", file=str(root))) from None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise XlkpiError(problem("file-unreadable", file=str(path), detail=str(exc))) from None
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise XlkpiError(problem("sign-pdf-unreadable", file=str(path), detail=str(exc)[:200])) from None
    if not embedded:
        raise XlkpiError(problem("sign-none", file=str(path)))
    reports = []
    for signature in embedded:
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        problems: list[str] = []
        try:
            status = validate_pdf_signature(signature, signer_validation_context=context)
        except Exception as exc:  # a signature pyHanko cannot evaluate at all: not intact, said so
            reports.append(SignatureReport(signature.field_name, "?", "", "?", None, None, None, None, False, False,
                                           False, False, "OTHER", [f"không kiểm tra được chữ ký: {exc}"[:200]]))
            continue
        cert = status.signing_cert
        subject = _subject(cert)
        issuer = {str(k): str(v) for k, v in cert.issuer.native.items()}
        validity = cert["tbs_certificate"]["validity"].native
        level = status.modification_level
        change = level.name if level is not None else "OTHER"
        coverage = status.coverage.name if status.coverage is not None else "UNCLEAR"
        if coverage not in ("ENTIRE_FILE", "ENTIRE_REVISION"):
            change, problems = "OTHER", problems + ["chữ ký không bao trùm cả tài liệu đã ký"]
        timestamp = status.timestamp_validity.timestamp if status.timestamp_validity is not None else None
        reports.append(SignatureReport(
            field=signature.field_name, signer=subject.get("common_name", "?"),
            organisation=subject.get("organization_name", ""),
            issuer=issuer.get("common_name") or issuer.get("organization_name") or "?",
            valid_from=validity.get("not_before"), valid_to=validity.get("not_after"),
            signed_at=status.signer_reported_dt, timestamp=timestamp, intact=bool(status.intact),
            valid=bool(status.valid), trusted=bool(status.trusted), whole_file=coverage == "ENTIRE_FILE",
            change=change, problems=problems))
    return reports
