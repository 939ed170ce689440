"""Forms: the data-entry workbooks.

Takes a campaign; hands on one protected workbook per unit (the form's layout, its identity and digest),
written once per level and stamped per unit, plus the tools that fill a form without a spreadsheet program.
"""
