"""The office's web page (``xlkpi serve``): takes in a round's folder and the office's accounts, hands on what
the CLI would — the status board, uploads collected at once, a unit's page, approve / return, lock / reopen,
the audit log and the round's outputs to download — as pages for two to five staff in a browser.

``accounts`` keeps the logins (Argon2id hashes in the ledger) and the sessions; ``views`` reads what each page
shows with the library's own functions; ``app`` is the Starlette application (routes, CSRF, roles, headers);
``pages/`` the Jinja2 templates and ``static/`` the one stylesheet and script.
"""
