"""The data dictionary is generated from fields.TABLES and committed; a stale file fails."""

from __future__ import annotations

from countyfiscal import dictionary, fields

from _fiscal_fixtures import ROOT


def test_committed_dictionary_is_current():
    path = ROOT / "docs" / "data_dictionary.md"
    assert path.read_text(encoding="utf-8") == dictionary.render(), "run: python -m countyfiscal.dictionary"


def test_every_column_is_listed_in_output_order():
    text = dictionary.render()
    for table, cols in fields.TABLES.items():
        section = text.split(f"## {table}.csv")[1].split("\n## ")[0]
        listed = [line.split("|")[1].strip() for line in section.splitlines() if line.startswith("| ") and "---" not in line][1:]
        assert listed == [c.name for c in cols]
