"""Real mail servers on 127.0.0.1 for the mail tests: aiosmtpd (SMTP, capturing what is delivered) and
Dovecot (IMAP, from Debian's dovecot-imapd) with a throwaway configuration in a temporary folder."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


# -- SMTP --------------------------------------------------------------------------------------------------


@dataclass
class Captured:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class SmtpServer:
    port: int
    user: str
    password: str
    messages: list[Captured] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


def smtp_server(user: str, password: str, **tls):
    """Start aiosmtpd with AUTH (without TLS, as a mail server on the same machine allows, unless ``tls``
    gives aiosmtpd's ``tls_context``/``require_starttls`` or ``ssl_context``); returns (controller, server).
    Over implicit TLS (``ssl_context``) aiosmtpd does not count the connection as TLS for AUTH, so AUTH is
    only made to wait for TLS with STARTTLS."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    server = SmtpServer(free_port(), user, password)

    class Handler:
        async def handle_DATA(self, smtp, session, envelope):  # noqa: N802 — aiosmtpd's hook name
            server.messages.append(Captured(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
            return "250 OK"

        async def handle_RCPT(self, smtp, session, envelope, address, options):  # noqa: N802
            if address.endswith("@invalid.example"):
                return "550 5.1.1 mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    def authenticator(smtp, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode()
            server.logins.append(login)
            if login == user and auth_data.password.decode() == password:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    controller = Controller(Handler(), hostname="127.0.0.1", port=server.port, authenticator=authenticator,
                            auth_require_tls="tls_context" in tls, auth_required=True, **tls)
    controller.start()
    return controller, server


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, made with the openssl program: (cert, key)."""
    program = shutil.which("openssl")
    if program is None:
        if IN_CI:
            pytest.fail("openssl is required in CI: .ci/run installs it")
        pytest.skip("the openssl program is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([program, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


# -- IMAP: Dovecot -----------------------------------------------------------------------------------------


def dovecot_program() -> str:
    program = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if program is None:
        if IN_CI:
            pytest.fail("Dovecot is required in CI: .ci/run installs dovecot-imapd")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd); the IMAP tests need a real server")
    return program


ACCOUNTS = 50


def account(number: int) -> tuple[str, str]:
    return f"vanphong{number}@laichau.gov.vn", f"mật-khẩu-{number}"


@dataclass
class ImapServer:
    folder: Path
    port: int
    process: subprocess.Popen
    users: int = 0

    def new_account(self) -> tuple[str, str]:
        """A fresh, empty mailbox: (user, password).  The accounts are written before Dovecot starts (it
        may not notice a password file changed twice within a second)."""
        self.users += 1
        assert self.users <= ACCOUNTS, "more accounts than start_dovecot made"
        return account(self.users)

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def start_dovecot() -> ImapServer:
    """Dovecot in a fresh folder of its own (outside pytest's private temporary folders, which Dovecot's
    unprivileged processes cannot enter); removed by :func:`stop_dovecot`."""
    import pwd  # POSIX only, like Dovecot itself
    import tempfile

    program = dovecot_program()
    folder = Path(tempfile.mkdtemp(prefix="xlkpi-dovecot-"))
    port = free_port()
    if os.geteuid() == 0:  # Dovecot never runs mail processes as root: the package's own users serve
        login_user, internal_user, mail_user = "dovenull", "dovecot", "dovecot"
    else:
        login_user = internal_user = mail_user = getpass.getuser()
    entry = pwd.getpwnam(mail_user)
    for name in ("mail", "home"):
        (folder / name).mkdir(exist_ok=True)
        os.chown(folder / name, entry.pw_uid, entry.pw_gid) if os.geteuid() == 0 else None
    (folder / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n" for u, p in map(account, range(1, ACCOUNTS + 1))),
                                   encoding="utf-8")
    os.chmod(folder, 0o755)
    config = f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {min(entry.pw_uid, 100)}
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={entry.pw_uid} gid={entry.pw_gid} home={folder}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
    (folder / "dovecot.conf").write_text(config, encoding="utf-8")
    process = subprocess.Popen([program, "-F", "-c", str(folder / "dovecot.conf")], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
    except RuntimeError:
        process.kill()
        output = process.communicate()[0].decode(errors="replace")
        raise RuntimeError(f"Dovecot did not start: {output}\n{(folder / 'dovecot.log').read_text(errors='replace') if (folder / 'dovecot.log').exists() else ''}")
    return ImapServer(folder, port, process)


def stop_dovecot(server: ImapServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    shutil.rmtree(server.folder, ignore_errors=True)
