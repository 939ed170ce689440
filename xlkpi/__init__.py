"""xlkpi: Excel-native reporting of administrative-reform indicators (chỉ tiêu cải cách TTHC)."""

from xlkpi.plan.model import Plan, check_plan, load_plan
from xlkpi.problems import Problem, Report, XlkpiError
from xlkpi.units.roster import Roster, Unit, load_roster, read_roster

__version__ = "0.1.0"

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
]
