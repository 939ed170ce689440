"""Nothing from outside reaches the terminal as a control sequence: every line the CLI prints passes one
sanitiser (C0 but tab and newline, DEL, C1, bidi controls written out as \\uXXXX); an unexpected error is a
message in Vietnamese and a file, never a traceback."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from tests.test_collect import campaign, drop, filled  # noqa: F401 — campaign is a fixture
from xlkpi import cli as cli_module
from xlkpi.cli import cli
from xlkpi.common.text import terminal_safe

CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_controls_are_written_out_and_the_rest_kept():
    assert terminal_safe("Xã Một\tđạt\n") == "Xã Một\tđạt\n"
    assert terminal_safe("a\x1b]0;x\x07b") == "a\\u001b]0;x\\u0007b"
    assert terminal_safe("\u009b31m\u202eabc\r") == "\\u009b31m\\u202eabc\\u000d"
    # inside a JSON string the written-out form is the same character again
    assert json.loads('"' + terminal_safe("\x1b\u009b") + '"') == "\x1b\u009b"


def test_what_a_return_holds_is_printed_inert(campaign):
    hostile = "\x1b]0;owned\x07\x1b[2J\u009b31m\u202e"
    runner = CliRunner()
    for code, extra in (("03388", []), ("03390", ["--json"])):
        drop(campaign, f"{code} \u009b1m {hostile[:4]}.xlsx", filled(campaign, code, changes={"F11": hostile}))
        result = runner.invoke(cli, ["collect", "--campaign", str(campaign.directory), "--jobs", "1", *extra])
        assert result.exit_code in (0, 1), result.output
        assert "F11" in result.output and "\\u001b" in result.output
        assert not CONTROLS.search(result.output), repr(result.output[:300])
        if extra:
            json.loads(result.output)  # still JSON


def test_an_unexpected_error_is_a_message_and_a_file_not_a_traceback(monkeypatch, tmp_path, capsys):
    import tempfile

    def broken(**_):
        raise ZeroDivisionError("a defect")

    monkeypatch.setattr(cli_module, "cli", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    try:
        cli_module.main()
    except SystemExit as exc:
        assert exc.code == 3
    err = capsys.readouterr().err
    assert "lỗi ngoài dự kiến" in err and "Traceback" not in err
    [kept] = tmp_path.glob("xlkpi-loi-*.txt")
    assert "ZeroDivisionError: a defect" in kept.read_text(encoding="utf-8") and str(kept) in err
