"""Cells of the CSV exports: what a spreadsheet must read as text, never as a formula."""

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading apostrophe defuses =, +, -, @ (CSV injection)."""
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value
