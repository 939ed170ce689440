"""Plan: an official appendix as data.

Takes a plan file (YAML) or a built-in plan's id; hands on a validated :class:`~xlkpi.plan.model.Plan` —
columns, header groups, sections, indicators and their targets (printed text and judging rule) — or a
report of every problem with its line and key path.
"""
