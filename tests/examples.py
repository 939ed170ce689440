"""Runs what an example's README shows: each ```console block's ``$ …`` commands, in order, in a copy of the
example's folder, and checks that every output line the README shows is what the command prints ("…" stands for
any text, a line of "…" alone for lines left out). An example whose commands or output drift fails its test.

Commands understood: ``xlkpi …`` (run as ``python -m xlkpi``), ``python FILE …`` (the interpreter running the
tests), ``openssl …``, ``cd DIR`` and ``export NAME=VALUE`` (for the commands after it). A command expected to fail ends with
``# exit N``. ``XLKPI_SHOW_EXAMPLES=1 pytest -s tests/test_examples.py`` prints what each command printed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@dataclass
class Step:
    command: str
    shown: list[str] = field(default_factory=list)
    #: the exit code expected; None: 0 or 1 (a script that goes on when xlkpi says something needs the office)
    exit: int | None = 0


def console_blocks(readme: Path) -> list[list[Step]]:
    """The README's ```console blocks, each as its steps."""
    blocks = []
    for body in re.findall(r"^```console\n(.*?)^```", readme.read_text(encoding="utf-8"), re.S | re.M):
        steps: list[Step] = []
        pending = ""
        for line in body.splitlines():
            if pending or line.startswith("$ "):
                text = pending + (line[2:] if not pending else line.strip())
                if text.endswith("\\"):
                    pending = text[:-1].rstrip() + " "
                    continue
                pending = ""
                found = re.search(r"\s+#\s*exit (\d+)\s*$", text)
                steps.append(Step(text[: found.start()] if found else text, exit=int(found.group(1)) if found else 0))
            elif steps:
                steps[-1].shown.append(line)
        blocks.append(steps)
    return blocks


def copy_example(name: str, into: Path) -> Path:
    target = into / name
    shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns("*.png", "__pycache__"))
    return target


@dataclass
class Session:
    """A terminal in a folder: its current folder and environment carry from one command to the next."""

    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    #: text replaced in commands before they run (a placeholder password by the test's own)
    replace: dict[str, str] = field(default_factory=dict)
    timeout: float = 600

    def run_block(self, steps: list[Step]) -> list[str]:
        return [self.run(step) for step in steps]

    def run(self, step: Step) -> str:
        command = step.command
        for old, new in self.replace.items():
            command = command.replace(old, new)
        words = shlex.split(command)
        if words[0] == "cd":
            self.cwd = (self.cwd / words[1]).resolve()
            return ""
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            self.env[name] = value
            return ""
        if words[0] == "xlkpi":
            argv = [sys.executable, "-m", "xlkpi", *words[1:]]
        elif words[0] in ("python", "python3", "py"):
            argv = [sys.executable, *words[1:]]
        elif words[0] == "openssl" and shutil.which("openssl"):  # the signing example makes a test certificate
            argv = words
        else:
            raise AssertionError(f"an example command the tests cannot run: {command}")
        env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "120", **self.env}
        done = subprocess.run(argv, cwd=self.cwd, env=env, capture_output=True, timeout=self.timeout)
        output = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
        if os.environ.get("XLKPI_SHOW_EXAMPLES"):  # to write a README's output: XLKPI_SHOW_EXAMPLES=1 pytest -s …
            print(f"$ {step.command}\n{output}(exit {done.returncode})")
        expected = (0, 1) if step.exit is None else (step.exit,)
        assert done.returncode in expected, f"$ {command}\nexit {done.returncode}, expected {step.exit}\n{output}"
        assert_shown(step, output)
        return output


def assert_shown(step: Step, output: str) -> None:
    printed = [line.strip() for line in output.splitlines()]
    for line in step.shown:
        wanted = line.strip()
        if not wanted or wanted == "…":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in wanted.split("…")))
        assert any(pattern.fullmatch(out) for out in printed), \
            f"$ {step.command}\nthe README shows:\n  {wanted}\nthe command printed:\n{output}"


# -- the Windows scripts: read, not run by cmd or PowerShell (the CI machine has neither) ------------------------


def bat_sections(text: str) -> dict[str, list[Step]]:
    """Each label's ``%XLKPI% …`` lines as steps, the variables the script sets put in: a line ending
    ``|| goto :loi`` must succeed; one without may end with 1."""
    values = dict(re.findall(r"^set (\w+)=(.*?)\s*$", text, re.M))
    values["XLKPI"] = "xlkpi"
    sections: dict[str, list[Step]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith(":"):
            current = sections.setdefault(line[1:].strip(), [])
        elif line.startswith("%XLKPI%") and current is not None:
            strict = "|| goto :loi" in line
            command = re.sub(r"%(\w+)%", lambda m: values[m.group(1)], line.split("||")[0].strip())
            current.append(Step(command.replace("\\", "/"), exit=0 if strict else None))
    return sections


def ps1_sections(text: str) -> dict[str, list[Step]]:
    """Each function's ``& $Xlkpi …`` lines as steps, the variables the script sets put in: a line ending
    ``; Check "…"`` must succeed; one without may end with 1."""
    values = dict(re.findall(r'^\$(\w+) = "(.*)"\s*$', text, re.M))
    values["Xlkpi"] = "xlkpi"
    sections: dict[str, list[Step]] = {}
    current = None
    for line in text.splitlines():
        found = re.match(r"function ([\w-]+) \{$", line)
        if found:
            current = sections.setdefault(found.group(1), [])
        elif line == "}":
            current = None
        elif line.strip().startswith("& $Xlkpi") and current is not None:
            strict = "; Check" in line
            command = line.strip()[2:].split("; Check")[0].strip()
            command = re.sub(r"\$(\w+)", lambda m: values[m.group(1)], command)
            current.append(Step(command.replace("\\", "/"), exit=0 if strict else None))
    return sections
