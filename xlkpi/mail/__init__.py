"""Mail: the cycle's carrying, by e-mail.

Takes the workbooks ``generate`` wrote, the roster's contact addresses, and the ledger's status and
feedback copies from ``collect``; hands on messages sent through the office's SMTP server (``send``,
``remind``) and, from its IMAP mailbox, every returned attachment saved into the inbox with the server's
receipt time (``fetch``), all recorded in the ledger.
"""
