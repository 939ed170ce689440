"""A test PKI made by openssl (a CA, a signer with a Vietnamese name, a timestamping authority), a SoftHSM token
holding the signer's key and certificate, and an RFC 3161 timestamp server on 127.0.0.1 — the real components the
signing tests use."""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SIGNER = "Nguyễn Văn An"
PKCS12_PASSWORD = "mật-khẩu-p12"
TOKEN_LABEL, KEY_LABEL, USER_PIN, SO_PIN = "xlkpi-thu-nghiem", "chu-ky-lanh-dao", "246810", "13579135"

EXTENSIONS = """
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[signer]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def need(program: str, package: str) -> str:
    found = shutil.which(program)
    if found is None:
        if IN_CI:
            pytest.fail(f"{program} is required in CI: .ci/run installs {package}")
        pytest.skip(f"{program} is not installed (apt-get install {package})")
    return found


@dataclass
class Pki:
    folder: Path
    ca: Path
    signer_key: Path
    signer_cert: Path
    pkcs12: Path
    tsa_key: Path
    tsa_cert: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(folder: Path) -> Pki:
    need("openssl", "openssl")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ext.cnf").write_text(EXTENSIONS, encoding="utf-8")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
             "-utf8", "-subj", "/C=VN/O=Ban Cơ yếu Chính phủ (thử nghiệm)/CN=CA thử nghiệm xlkpi",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=folder)
    for name, subject, section in (
            ("signer", f"/C=VN/ST=Lai Châu/O=Ủy ban nhân dân tỉnh Lai Châu/title=Chủ tịch/CN={SIGNER}", "signer"),
            ("tsa", "/C=VN/O=Ban Cơ yếu Chính phủ (thử nghiệm)/CN=Dấu thời gian thử nghiệm", "tsa")):
        _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-utf8", "-subj", subject, cwd=folder)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "730", "-extfile", "ext.cnf", "-extensions", section, cwd=folder)
    _openssl("pkcs12", "-export", "-inkey", "signer.key", "-in", "signer.pem", "-certfile", "ca.pem", "-out",
             "signer.p12", "-passout", f"pass:{PKCS12_PASSWORD}", cwd=folder)
    return Pki(folder, folder / "ca.pem", folder / "signer.key", folder / "signer.pem", folder / "signer.p12",
               folder / "tsa.key", folder / "tsa.pem")


# -- SoftHSM ----------------------------------------------------------------------------------------------------


@dataclass
class Token:
    library: str
    config: Path
    label: str = TOKEN_LABEL
    key_label: str = KEY_LABEL
    pin: str = USER_PIN


def softhsm_library() -> str:
    need("softhsm2-util", "softhsm2")
    for candidate in ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
                      "/usr/local/lib/softhsm/libsofthsm2.so"):
        if os.path.exists(candidate):
            return candidate
    pytest.fail("softhsm2-util is installed but libsofthsm2.so was not found")


def make_token(folder: Path, pki: Pki) -> Token:
    """A SoftHSM token of its own (its configuration and token folder under ``folder``), initialised with a
    PIN, holding the signer's private key (imported by softhsm2-util) and certificate (written through PKCS#11,
    as a token's own software does)."""
    library = softhsm_library()
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    config = folder / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n",
                      encoding="utf-8")
    env = {**os.environ, "SOFTHSM2_CONF": str(config)}
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", USER_PIN,
                    "--so-pin", SO_PIN], env=env, check=True, capture_output=True)
    subprocess.run(["softhsm2-util", "--import", str(pki.signer_key), "--token", TOKEN_LABEL, "--label", KEY_LABEL,
                    "--id", "01", "--pin", USER_PIN], env=env, check=True, capture_output=True)
    # the certificate, through PKCS#11 in a process of its own (the library reads SOFTHSM2_CONF once)
    script = f"""
import pkcs11
from pkcs11 import Attribute, CertificateType, ObjectClass
from asn1crypto import pem, x509
raw = open({str(pki.signer_cert)!r}, "rb").read()
der = pem.unarmor(raw)[2]
cert = x509.Certificate.load(der)
token = pkcs11.lib({library!r}).get_token(token_label={TOKEN_LABEL!r})
with token.open(rw=True, user_pin={USER_PIN!r}) as session:
    session.create_object({{Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                           Attribute.TOKEN: True, Attribute.LABEL: {KEY_LABEL!r}, Attribute.ID: b"\\x01",
                           Attribute.SUBJECT: cert.subject.dump(), Attribute.VALUE: der}})
"""
    import sys

    subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True)
    return Token(library, config)


# -- a timestamp server -----------------------------------------------------------------------------------------


class TimestampServer:
    """RFC 3161 over HTTP on 127.0.0.1, answering with pyHanko's own timestamp token builder and the test
    TSA's key: what an office's --tsa URL does."""

    def __init__(self, pki: Pki):
        from asn1crypto import keys, pem, tsp, x509
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        def load(path: Path) -> bytes:
            raw = path.read_bytes()
            return pem.unarmor(raw)[2] if pem.detect(raw) else raw

        stamper = DummyTimeStamper(tsa_cert=x509.Certificate.load(load(pki.tsa_cert)),
                                   tsa_key=keys.PrivateKeyInfo.load(load(pki.tsa_key)),
                                   certs_to_embed=[x509.Certificate.load(load(pki.ca))])
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 — the standard library's hook name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
