"""Units: who reports.

Takes a roster (CSV or XLSX) or the official list of administrative divisions; hands on a checked
:class:`~xlkpi.units.roster.Roster`, a tree of reporting units of any depth with their levels.
"""
