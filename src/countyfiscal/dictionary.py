"""Render docs/data_dictionary.md from the one fields table (countyfiscal.fields.TABLES)."""

from __future__ import annotations

from pathlib import Path

from countyfiscal import fields

HEADER = """# Data dictionary

Generated from `src/countyfiscal/fields.py` by `countyfiscal.dictionary.write()`; do not edit by hand
(`tests/test_dictionary.py` fails when this file is stale). Columns are listed in output order.
Money is always yuan (元) in `value`-type columns; the printed unit and precision are kept in `scale`/`decimals`.
"""


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render() -> str:
    """The data dictionary as Markdown.

    >>> "| file | string |" in render()
    True
    """
    parts = [HEADER]
    for table, cols in fields.TABLES.items():
        parts.append(f"\n## {table}.csv\n")
        parts.append("| column | type | unit | meaning |")
        parts.append("|---|---|---|---|")
        for f in cols:
            parts.append(f"| {f.name} | {f.dtype} | {_cell(f.unit)} | {_cell(f.description)} |")
    return "\n".join(parts) + "\n"


def write(path: str | Path = "docs/data_dictionary.md") -> Path:
    """Write the rendered dictionary to ``path`` (only when it changed, so timestamps stay meaningful)."""
    path = Path(path)
    text = render()
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write())
