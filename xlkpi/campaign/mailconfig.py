"""The ``mail:`` block of campaign.yaml: the office's mailbox for ``xlkpi send``, ``fetch`` and ``remind``.

::

    mail:
      address: vanphong@laichau.gov.vn        # the office's mailbox: From of what xlkpi sends
      name: Văn phòng UBND tỉnh Lai Châu       # shown as the sender (default: the campaign's owner)
      reply_to: ''                             # where units reply (default: send_to if it is an address)
      smtp: {host: mail.laichau.gov.vn, port: 587, security: starttls, user: vanphong@laichau.gov.vn}
      imap: {host: mail.laichau.gov.vn, port: 993, security: ssl, user: vanphong@laichau.gov.vn, folder: INBOX}
      templates:                               # optional: the campaign's own subject and body
        send: {subject: '…', body: '…'}

The password is never in the file: it is read from the environment variable ``password_env`` names
(default ``XLKPI_MAIL_PASSWORD``), or from the system keyring (``xlkpi mail password`` stores it there).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_PASSWORD_ENV = "XLKPI_MAIL_PASSWORD"


class ServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    #: starttls: plain connection upgraded to TLS (SMTP 587, IMAP 143); ssl: TLS from the start (465, 993);
    #: none: no encryption (only for a server on the same machine or a test)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str = ""
    #: the environment variable that holds the password
    password_env: str = DEFAULT_PASSWORD_ENV
    #: a certificate authority file to trust (a government CA that the system does not know)
    ca_file: str = ""
    timeout: float = Field(default=60.0, gt=0)


class ImapConfig(ServerConfig):
    security: Literal["starttls", "ssl", "none"] = "ssl"
    folder: str = "INBOX"


class MessageTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str | None = None
    body: str | None = None
    #: the attached file's name as the unit sees it (default: the workbook's own file name)
    attachment: str | None = None


class Templates(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    send: MessageTemplate = MessageTemplate()
    remind_missing: MessageTemplate = MessageTemplate()
    remind_rejected: MessageTemplate = MessageTemplate()


#: a value that goes into a mail header (an address, a name): one line, no control characters (a CR LF there
#: would end the header and start another)
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f\u0085\u2028\u2029]*$"
OneLine = Annotated[str, Field(pattern=ONE_LINE_PATTERN, max_length=500)]


class MailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    address: OneLine
    name: OneLine = ""
    reply_to: OneLine = ""
    smtp: ServerConfig | None = None
    imap: ImapConfig | None = None
    templates: Templates = Templates()
