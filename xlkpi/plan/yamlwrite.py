"""Writing a plan as a YAML plan file (after ``plan import``, or a plan workbook frozen into a campaign).

Only what the plan states is written (values left at their defaults are left out), in the model's order,
Vietnamese as is; reading the file back gives the same plan.
"""

from __future__ import annotations

from typing import Any

import yaml

from xlkpi.plan.model import Plan


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> Any:
    # several lines: a literal block, as a person writes them; otherwise YAML's plainest safe style
    style = "|" if "\n" in value and not value.endswith((" ", "\n")) and value == value.strip("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _float(dumper: yaml.SafeDumper, value: float) -> Any:
    # a width of 6.0 is written 6, as a person writes it (the model reads it back as 6.0)
    if value.is_integer():
        return dumper.represent_int(int(value))
    return dumper.represent_float(value)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(float, _float)


def plan_yaml(plan: Plan, header: str = "") -> str:
    """The plan as the text of a YAML plan file; ``header`` becomes comment lines at the top."""
    data = plan.model_dump(mode="python", exclude_unset=True)
    data = {"format": plan.format, **data}  # the format version first, always stated
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110, default_flow_style=False)
    return comments + body
