"""Connecting to the office's mail servers (SMTP to send, IMAP to fetch) with the standard library.

The password comes from the environment variable the campaign names, else from the system keyring
(Windows Credential Manager, macOS Keychain, the Secret Service on Linux) when the optional ``keyring``
package is installed.  xlkpi never writes it to a file and never prints it.
"""

from __future__ import annotations

import base64
import imaplib
import os
import smtplib
import socket
import ssl
from typing import Any

from xlkpi.campaign.mailconfig import ImapConfig, ServerConfig
from xlkpi.problems import XlkpiError, exception_detail, problem

KEYRING_SERVICE = "xlkpi"
DEFAULT_PORTS = {("smtp", "starttls"): 587, ("smtp", "ssl"): 465, ("smtp", "none"): 25,
                 ("imap", "starttls"): 143, ("imap", "ssl"): 993, ("imap", "none"): 143}


def keyring_name(server: ServerConfig) -> str:
    return f"{server.user}@{server.host}"


def password_for(server: ServerConfig) -> str | None:
    """The password of ``server``'s account: its environment variable, else the keyring, else None."""
    if not server.user:
        return None
    value = os.environ.get(server.password_env)
    if value:
        return value
    try:
        import keyring  # optional: pip install 'xlkpi[mail]'
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, keyring_name(server))
    except Exception:  # noqa: BLE001 — no usable keyring backend on this machine: as if not stored
        return None


def store_password(server: ServerConfig, password: str) -> None:
    try:
        import keyring
    except ImportError as exc:
        raise XlkpiError(problem("mail-keyring-missing", detail="gói keyring chưa được cài / keyring is not installed")
                         ) from exc
    try:
        keyring.set_password(KEYRING_SERVICE, keyring_name(server), password)
    except Exception as exc:  # noqa: BLE001 — the backend's own error, explained
        raise XlkpiError(problem("mail-keyring-missing", detail=exception_detail(exc))) from exc


def _required_password(server: ServerConfig) -> str:
    password = password_for(server)
    if password is None:
        raise XlkpiError(problem("mail-password-missing", user=server.user, env=server.password_env))
    return password


def _tls(server: ServerConfig) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if server.ca_file:
        context.load_verify_locations(server.ca_file)
    return context


def where(server: ServerConfig, kind: str) -> str:
    return f"{server.host}:{server.port or DEFAULT_PORTS[(kind, server.security)]}"


def open_smtp(server: ServerConfig) -> smtplib.SMTP:
    port = server.port or DEFAULT_PORTS[("smtp", server.security)]
    password = _required_password(server) if server.user else None
    try:
        if server.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(server.host, port, timeout=server.timeout, context=_tls(server))
        else:
            client = smtplib.SMTP(server.host, port, timeout=server.timeout)
            if server.security == "starttls":
                client.starttls(context=_tls(server))
    except (OSError, smtplib.SMTPException) as exc:
        raise XlkpiError(problem("mail-connect-failed", server=where(server, "smtp"),
                                 detail=exception_detail(exc))) from exc
    if server.user:
        _log_in(server, "smtp", lambda: _smtp_login(client, server.user, password or ""), client.close)
    return client


def open_imap(server: ImapConfig) -> imaplib.IMAP4:
    port = server.port or DEFAULT_PORTS[("imap", server.security)]
    password = _required_password(server)
    try:
        if server.security == "ssl":
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(server.host, port, ssl_context=_tls(server),
                                                      timeout=server.timeout)
        else:
            client = imaplib.IMAP4(server.host, port, timeout=server.timeout)
            if server.security == "starttls":
                client.starttls(ssl_context=_tls(server))
    except (OSError, imaplib.IMAP4.error) as exc:
        raise XlkpiError(problem("mail-connect-failed", server=where(server, "imap"),
                                 detail=exception_detail(exc))) from exc
    def login() -> None:
        if (server.user + password).isascii():
            client.login(server.user, password)
        else:  # LOGIN sends ASCII only; AUTHENTICATE PLAIN carries UTF-8 (RFC 4616)
            client.authenticate("PLAIN", lambda _: b"\0" + server.user.encode() + b"\0" + password.encode())

    _log_in(server, "imap", login, client.shutdown)
    return client


def _log_in(server: ServerConfig, kind: str, login: Any, close: Any) -> None:
    """Run ``login``; a refusal or a broken connection closes the client and says what happened."""
    try:
        login()
    except (smtplib.SMTPException, imaplib.IMAP4.error) as exc:
        _quietly(close)
        raise XlkpiError(problem("mail-login-failed", server=where(server, kind), user=server.user,
                                 detail=_server_said(exc))) from exc
    except OSError as exc:
        _quietly(close)
        raise XlkpiError(problem("mail-connect-failed", server=where(server, kind),
                                 detail=exception_detail(exc))) from exc


def _smtp_login(client: smtplib.SMTP, user: str, password: str) -> None:
    """Log in; a password with Vietnamese letters goes as UTF-8 in AUTH PLAIN (RFC 4616), which smtplib's
    login cannot send (it encodes the credentials as ASCII)."""
    if (user + password).isascii():
        client.login(user, password)
        return
    client.ehlo_or_helo_if_needed()
    if "plain" not in client.esmtp_features.get("auth", "").lower().split():
        raise smtplib.SMTPAuthenticationError(504, b"the server offers no AUTH PLAIN for a non-ASCII password")
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode("ascii")
    code, said = client.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, said)


def _server_said(exc: BaseException) -> str:
    """What the server answered, without anything that could be the password (the client never echoes it,
    but an error's text is shown to the user, so it is cut to the server's words)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        said = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {said}"[:200]
    return exception_detail(exc)


def _quietly(action: Any) -> None:
    try:
        action()
    except (OSError, imaplib.IMAP4.error, smtplib.SMTPException, socket.error):
        pass
