"""Spreadsheet-safe text, shared by every CSV and XLSX this project writes.

Lives at the bottom of the app graph so that the audit log's CSV (assessment)
and the result exports (reports) use one rule.
"""

from typing import Any

# A spreadsheet evaluates a cell that starts with one of these as a formula
# (OWASP "CSV injection"); tab and carriage return can hide the sign after them.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def sanitize_cell(value: Any) -> Any:
    """Make a text cell inert for spreadsheets; leave every other value alone.

    A string starting with = + - @ tab or carriage return gets a leading single
    quote, so ``=HYPERLINK(...)`` is shown as text, never run. Numbers are not
    strings and stay numbers, so a delta of -0.25 is still -0.25.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
