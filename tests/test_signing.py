"""The appendix signed for real: a PKCS#12 file made by openssl and a SoftHSM token through PKCS#11; every signed
file checked by xlkpi verify (pyHanko's validator) and by poppler's pdfsig, an independent one."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pki import (KEY_LABEL, PKCS12_PASSWORD, SIGNER, TOKEN_LABEL, TimestampServer, make_pki, make_token,
                       need)

BLOCK_TITLE = "CHỦ TỊCH"


def xlkpi(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xlkpi", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}, timeout=600)


def pdfsig(path: Path) -> str:
    need("pdfsig", "poppler-utils")
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def token(tmp_path_factory, pki):
    return make_token(tmp_path_factory.mktemp("softhsm"), pki)


@pytest.fixture(scope="module")
def round_folder(tmp_path_factory, soffice):
    """The demo's round, its signer named in campaign.yaml, consolidated to PDF."""
    folder = tmp_path_factory.mktemp("demo")
    done = xlkpi("demo", str(folder / "xlkpi-demo"))
    assert done.returncode == 0, done.stderr
    campaign = folder / "xlkpi-demo" / "lai-chau"
    config = campaign / "campaign.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("signer_name: ''", f"signer_name: {SIGNER}"),
                      encoding="utf-8")
    done = xlkpi("consolidate", "--pdf", "--campaign", str(campaign))
    assert done.returncode == 0, done.stdout + done.stderr
    return campaign


@pytest.fixture
def appendix(round_folder, tmp_path):
    """A fresh copy of the appendix PDF inside the round's reports (where the office keeps it)."""
    source = next((round_folder / "reports").glob("*-phu-luc.pdf"))
    copy = round_folder / "reports" / f"{tmp_path.name}.pdf"
    copy.write_bytes(source.read_bytes())
    yield copy
    for made in copy.parent.glob(f"{copy.stem}*"):
        made.unlink()


def signed_with_pkcs12(pki, pdf: Path, *more: str) -> subprocess.CompletedProcess:
    return xlkpi("sign", str(pdf), "--pkcs12", str(pki.pkcs12), *more, env={"XLKPI_SIGN_PASSWORD": PKCS12_PASSWORD})


def test_a_pkcs12_signature_is_valid_for_both_validators_and_names_the_signer(pki, appendix):
    original = hashlib.sha256(appendix.read_bytes()).hexdigest()
    done = signed_with_pkcs12(pki, appendix)
    assert done.returncode == 0, done.stdout + done.stderr
    signed = appendix.with_name(f"{appendix.stem}-da-ky.pdf")
    assert f"✓ Đã ký / signed: {signed}" in done.stdout and SIGNER in done.stdout
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr
    assert hashlib.sha256(appendix.read_bytes()).hexdigest() == original  # the original is never changed
    said = pdfsig(signed)
    assert "Signature is Valid." in said and f"Signer Certificate Common Name: {SIGNER}" in said
    assert "Total document signed" in said
    verified = xlkpi("verify", str(signed), "--trust", str(pki.ca))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"✓ Chữ ký ChuKy1: {SIGNER} — Ủy ban nhân dân tỉnh Lai Châu" in verified.stdout
    assert "Nội dung đã ký: nguyên vẹn" in verified.stdout and "Thay đổi sau khi ký: không" in verified.stdout
    assert "Chứng thư do CA thử nghiệm xlkpi cấp" in verified.stdout and "được tin cậy" in verified.stdout
    # without the CA the signature is still intact (exit 0), its chain said to be unverified
    untrusted = xlkpi("verify", str(signed))
    assert untrusted.returncode == 0 and "chưa xác minh được với một CA tin cậy" in untrusted.stdout
    # archival: the appendix is PDF/A-2b, and stays so signed (an incremental update keeps the claim)
    assert b"<pdfaid:part>2</pdfaid:part>" in signed.read_bytes() and b"<pdfaid:conformance>B" in signed.read_bytes()


def test_the_visible_signature_fills_the_rows_left_blank_in_the_signature_block(pki, appendix, tmp_path):
    from pypdf import PdfReader

    from xlkpi.report.signing import _lines

    assert signed_with_pkcs12(pki, appendix).returncode == 0
    signed = appendix.with_name(f"{appendix.stem}-da-ky.pdf")
    reader = PdfReader(signed)
    [(page_number, widget)] = [(n, a.get_object()) for n, page in enumerate(reader.pages)
                               for a in page.get("/Annots", []) if a.get_object().get("/FT") == "/Sig"]
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    lines = _lines(reader.pages[page_number])
    title = next(line for line in lines if line.text.strip() == BLOCK_TITLE)
    name = next(line for line in lines if line.text.strip() == SIGNER)
    # below the title, above the name, under the title's centre: where the leader signs by hand
    assert name.y + name.size <= y1 < y2 <= title.y
    assert x1 <= title.x and title.x + 40 <= x2 and y2 - y1 >= 36
    assert page_number == len(reader.pages) - 1
    # the stamp's Vietnamese text is in its appearance, drawn with an embedded font (not Courier's missing glyphs)
    appearance = widget["/AP"]["/N"].get_object()
    fonts = appearance["/Resources"]["/Font"]
    assert all("/Courier" not in str(f.get_object().get("/BaseFont")) for f in fonts.values())
    # and it is drawn: the page rendered, the box is not blank (looked at: docs/chu-ky.png)
    need("pdftoppm", "poppler-utils")
    subprocess.run(["pdftoppm", "-r", "72", "-f", str(page_number + 1), "-l", str(page_number + 1), "-gray",
                    str(signed), str(tmp_path / "page")], check=True)
    [image] = tmp_path.glob("page*.pgm")
    width, height, pixels = _pgm(image.read_bytes())
    top = height - int(y2)
    inside = [pixels[row * width + col] for row in range(top + 3, height - int(y1) - 3)
              for col in range(int(x1) + 3, int(x2) - 3)]
    assert sum(1 for p in inside if p < 128) > 150  # letters


def _pgm(data: bytes) -> tuple[int, int, bytes]:
    found = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)
    return int(found.group(1)), int(found.group(2)), data[found.end():]


def test_a_softhsm_token_signs_through_pkcs11(pki, token, appendix):
    env = {"SOFTHSM2_CONF": str(token.config), "XLKPI_SIGN_PIN": token.pin}
    done = xlkpi("sign", str(appendix), "--pkcs11-lib", token.library, "--token-label", TOKEN_LABEL,
                 "--key-label", KEY_LABEL, "--out", str(appendix.with_name("ky-bang-token.pdf")), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    signed = appendix.with_name("ky-bang-token.pdf")
    said = pdfsig(signed)
    assert "Signature is Valid." in said and SIGNER in said
    verified = xlkpi("verify", str(signed), "--trust", str(pki.ca), "--json")
    assert verified.returncode == 0
    import json

    [report] = json.loads(verified.stdout)
    assert report["signer"] == SIGNER and report["intact"] and report["trusted"] and report["change"] == "NONE"
    signed.unlink()


def test_a_wrong_pin_is_refused_at_once_and_never_tried_again(token, appendix, monkeypatch):
    """Tokens lock after three wrong PINs: xlkpi offers the PIN once and stops with what to do."""
    monkeypatch.setenv("SOFTHSM2_CONF", str(token.config))
    done = xlkpi("sign", str(appendix), "--pkcs11-lib", token.library, "--token-label", TOKEN_LABEL,
                 "--key-label", KEY_LABEL, env={"XLKPI_SIGN_PIN": "000000"})
    assert done.returncode == 1
    assert f"Mã PIN của token {TOKEN_LABEL} không đúng. xlkpi không thử lại" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert not appendix.with_name(f"{appendix.stem}-da-ky.pdf").exists()
    # once: the session is opened a single time, whatever the answer
    from pyhanko.sign import pkcs11 as token_module

    from xlkpi.problems import XlkpiError
    from xlkpi.report.signing import SignatureBlock, TokenKey, sign_pdf

    opened = []
    real = token_module.open_pkcs11_session
    monkeypatch.setattr(token_module, "open_pkcs11_session", lambda *a, **k: opened.append(1) or real(*a, **k))
    with pytest.raises(XlkpiError, match="không đúng"):
        sign_pdf(appendix, TokenKey(token.library, "000000", TOKEN_LABEL, KEY_LABEL),
                 SignatureBlock("TM. ỦY BAN NHÂN DÂN", BLOCK_TITLE, SIGNER))
    assert opened == [1]
    # the token is not locked by it: the right PIN still signs
    env = {"SOFTHSM2_CONF": str(token.config), "XLKPI_SIGN_PIN": token.pin}
    assert xlkpi("sign", str(appendix), "--pkcs11-lib", token.library, "--token-label", TOKEN_LABEL,
                 "--key-label", KEY_LABEL, env=env).returncode == 0


def test_a_byte_changed_after_signing_fails_both_validators(pki, appendix):
    assert signed_with_pkcs12(pki, appendix).returncode == 0
    signed = appendix.with_name(f"{appendix.stem}-da-ky.pdf")
    data = bytearray(signed.read_bytes())
    at = data.index(b"LibreOffice")  # the producer, inside the signed bytes; the file's structure unchanged
    data[at] = ord("l")
    tampered = signed.with_name("sua-sau-khi-ky.pdf")
    tampered.write_bytes(bytes(data))
    said = pdfsig(tampered)
    assert "Signature is Valid." not in said and ("Digest Mismatch" in said or "Invalid" in said), said
    verified = xlkpi("verify", str(tampered), "--trust", str(pki.ca))
    assert verified.returncode == 1
    assert "✗ Chữ ký ChuKy1" in verified.stdout and "KHÔNG nguyên vẹn" in verified.stdout


def test_a_change_after_signing_is_named_and_a_second_signature_is_not_one(pki, appendix):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    assert signed_with_pkcs12(pki, appendix).returncode == 0
    signed = appendix.with_name(f"{appendix.stem}-da-ky.pdf")
    # someone adds a line of text to the last page after the leader signed (an incremental update)
    changed = signed.with_name("them-noi-dung.pdf")
    with signed.open("rb") as handle:
        writer = IncrementalPdfFileWriter(handle)
        last = int(writer.root["/Pages"]["/Count"]) - 1
        stream = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 100 100 Td (Da sua) Tj ET"))
        writer.add_stream_to_page(last, stream)
        with changed.open("wb") as out:
            writer.write(out)
    verified = xlkpi("verify", str(changed), "--trust", str(pki.ca))
    assert verified.returncode == 1
    assert "Nội dung đã ký: nguyên vẹn" in verified.stdout  # the signed revision itself is intact …
    assert "Thay đổi sau khi ký: nội dung đã bị sửa" in verified.stdout  # … and what came after is named
    said = pdfsig(changed)
    assert "Total document signed" not in said  # poppler sees it too: the signature no longer covers the file
    # a second signature (a co-signer) after the first is an allowed change
    cosigned = signed.with_name("hai-chu-ky.pdf")
    done = signed_with_pkcs12(pki, signed, "--out", str(cosigned))
    assert done.returncode == 0, done.stdout + done.stderr
    verified = xlkpi("verify", str(cosigned), "--trust", str(pki.ca))
    assert verified.returncode == 0, verified.stdout
    assert "2 chữ ký" in verified.stdout and "thêm chữ ký hoặc điền biểu mẫu (được phép)" in verified.stdout


def test_a_timestamp_server_makes_it_pades_b_t(pki, appendix):
    server = TimestampServer(pki)
    try:
        done = signed_with_pkcs12(pki, appendix, "--tsa", server.url)
    finally:
        server.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PAdES B-T" in done.stdout and server.requests >= 1
    signed = appendix.with_name(f"{appendix.stem}-da-ky.pdf")
    verified = xlkpi("verify", str(signed), "--trust", str(pki.ca))
    assert verified.returncode == 0 and "dấu thời gian: " in verified.stdout
    assert "Signature is Valid." in pdfsig(signed)


def test_consolidate_signs_in_the_same_run(pki, round_folder):
    done = xlkpi("consolidate", "--sign", "--pkcs12", str(pki.pkcs12), "--campaign", str(round_folder),
                 env={"XLKPI_SIGN_PASSWORD": PKCS12_PASSWORD})
    assert done.returncode == 0, done.stdout + done.stderr
    signed = next((round_folder / "reports").glob("*-phu-luc-da-ky.pdf"))
    assert f"✓ Đã ký / signed: {signed}" in done.stdout
    assert "Signature is Valid." in pdfsig(signed)
    # the round's audit log says who signed what
    log = xlkpi("log", "--json", "--campaign", str(round_folder))
    import json

    [entry] = [e for e in json.loads(log.stdout)["entries"] if e["action"] == "sign"][-1:]
    assert entry["detail"]["signer"] == SIGNER and entry["detail"]["file"] == signed.name
    assert entry["detail"]["sha256"] == hashlib.sha256(signed.read_bytes()).hexdigest()
    # run again: the appendix and its signed copy are made again, not refused
    again = xlkpi("consolidate", "--sign", "--pkcs12", str(pki.pkcs12), "--campaign", str(round_folder),
                  env={"XLKPI_SIGN_PASSWORD": PKCS12_PASSWORD})
    assert again.returncode == 0, again.stdout + again.stderr


@pytest.mark.parametrize("case", ["wrong-password", "exists", "not-ours", "no-key", "unsigned", "not-pdf",
                                  "bad-trust"])
def test_refusals_are_clear_and_leave_nothing(pki, appendix, tmp_path, case):
    signed = appendix.with_name(f"{appendix.stem}-da-ky.pdf")
    if case == "wrong-password":
        done = xlkpi("sign", str(appendix), "--pkcs12", str(pki.pkcs12), env={"XLKPI_SIGN_PASSWORD": "sai"})
        assert done.returncode == 1 and "mật khẩu sai hoặc tệp không phải .p12/.pfx" in done.stdout + done.stderr
    elif case == "exists":
        signed.write_bytes(b"%PDF-1.4 an earlier signed copy")
        done = signed_with_pkcs12(pki, appendix)
        assert done.returncode == 1 and "--force" in done.stdout + done.stderr
        assert signed.read_bytes() == b"%PDF-1.4 an earlier signed copy"
        return
    elif case == "not-ours":  # a PDF without the round's signature block
        other = appendix.with_name("khac.pdf")
        from pypdf import PdfWriter

        writer = PdfWriter()
        writer.add_blank_page(595, 842)
        with other.open("wb") as out:
            writer.write(out)
        done = signed_with_pkcs12(pki, other)
        assert done.returncode == 1 and 'Không tìm thấy khối chữ ký "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"' in done.stdout + done.stderr
        assert not other.with_name("khac-da-ky.pdf").exists()
        other.unlink()
        return
    elif case == "no-key":
        done = xlkpi("sign", str(appendix))
        assert done.returncode == 2 and "--pkcs12" in done.stdout + done.stderr
    elif case == "bad-trust":  # a CA file that is no certificate (a PDF, a truncated PEM)
        assert signed_with_pkcs12(pki, appendix).returncode == 0
        bad = tmp_path / "ca-goc.pem"
        bad.write_bytes(b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n")
        done = xlkpi("verify", str(signed), "--trust", str(bad))
        said = done.stdout + done.stderr
        assert done.returncode == 1 and "Tệp chứng thư CA không đọc được" in said and str(bad) in said
        assert "Traceback" not in said
        signed.unlink()
        return
    elif case == "unsigned":
        done = xlkpi("verify", str(appendix))
        assert done.returncode == 1 and "không có chữ ký số nào" in done.stdout + done.stderr
        return
    else:
        fake = tmp_path / "phu-luc.pdf"
        fake.write_bytes(b"PK\x03\x04 not a pdf")
        done = xlkpi("verify", str(fake))
        assert done.returncode == 1 and "Không đọc được tệp PDF" in done.stdout + done.stderr
        return
    assert "Traceback" not in done.stdout + done.stderr
    assert not signed.exists()


@pytest.mark.parametrize("case", ["no-such-token", "no-such-library", "no-such-key"])
def test_a_token_that_is_not_there_is_named(token, appendix, case):
    library = "/khong/co/thu-vien-pkcs11.so" if case == "no-such-library" else token.library
    label = "token-khac" if case == "no-such-token" else TOKEN_LABEL
    key = "khoa-khac" if case == "no-such-key" else KEY_LABEL
    done = xlkpi("sign", str(appendix), "--pkcs11-lib", library, "--token-label", label, "--key-label", key,
                 env={"SOFTHSM2_CONF": str(token.config), "XLKPI_SIGN_PIN": token.pin})
    said = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in said
    expected = {"no-such-token": "Không tìm thấy token token-khac",
                "no-such-library": "Không nạp được thư viện PKCS#11",
                "no-such-key": 'Không tìm thấy khóa hoặc chứng thư "khoa-khac"'}[case]
    assert expected in said, said
    assert not appendix.with_name(f"{appendix.stem}-da-ky.pdf").exists()
