"""xlkpi: Excel-native reporting of administrative-reform indicators (chỉ tiêu cải cách TTHC)."""

from xlkpi.plan.model import Plan, check_plan, load_plan
from xlkpi.problems import Problem, Report, XlkpiError
from xlkpi.units.roster import Roster, Unit, load_roster, read_roster

__version__ = "0.2.0"


def results(campaign):  # type: ignore[no-untyped-def]
    """The long table of a campaign's accepted results as a pandas DataFrame (see :mod:`xlkpi.report.frames`)."""
    from xlkpi.report.frames import results as frame

    return frame(campaign)


def rollup(campaign, by: str = "parent"):  # type: ignore[no-untyped-def]
    """The rolled-up results (Σ numerators / Σ denominators) per parent unit, or ``by="total"``, as a DataFrame."""
    from xlkpi.report.frames import rollup as frame

    return frame(campaign, by)


def trend(campaign):  # type: ignore[no-untyped-def]
    """Each indicator's result in every period of the same plan, as a DataFrame."""
    from xlkpi.report.frames import trend as frame

    return frame(campaign)

__all__ = [
    "Plan",
    "Problem",
    "Report",
    "Roster",
    "Unit",
    "XlkpiError",
    "__version__",
    "check_plan",
    "load_plan",
    "load_roster",
    "read_roster",
    "results",
    "rollup",
    "trend",
]
