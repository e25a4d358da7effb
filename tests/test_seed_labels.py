"""Every hand-checked fact of ../shared/labels/seeds.csv comes out of the extractor with the same value."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest

from countyfiscal.pipeline import process_file

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
LABELS = ROOT.parent / "shared" / "labels" / "seeds.csv"
# The labels also ship inside the repo so a clone without ../shared still checks them.
LOCAL_LABELS = ROOT / "tests" / "data" / "seed_labels.csv"
DOCUMENT_FACTS = {"doc_kind", "jurisdiction", "department", "county"}


def _labels() -> list[dict]:
    path = LABELS if LABELS.is_file() else LOCAL_LABELS
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def _result(file: str):
    return process_file(RAW / file)


def _id(row: dict) -> str:
    return f"{row['file'][:3]}-{row['measure']}-{row['fiscal_year']}-{row['basis']}-{row['code']}"


ROWS = _labels()


def test_labels_present():
    assert len(ROWS) == 104


@pytest.mark.parametrize("row", [r for r in ROWS if r["measure"] in DOCUMENT_FACTS], ids=_id)
def test_document_fact(row):
    doc = _result(row["file"]).document
    assert doc[row["measure"]] == row["value"]
    assert doc["fiscal_year"] == int(row["fiscal_year"])


@pytest.mark.parametrize("row", [r for r in ROWS if r["measure"] not in DOCUMENT_FACTS], ids=_id)
def test_figure(row):
    res = _result(row["file"])
    matches = [
        f
        for f in res.figures
        if f["measure"] == row["measure"]
        and f["fiscal_year"] == int(row["fiscal_year"])
        and (f["basis"] or "") == row["basis"]
        and (f["code"] or "") == row["code"]
    ]
    assert matches, f"not extracted: {row['quote']}"
    values = {round(float(f["value"]), 2) for f in matches}
    assert values == {round(float(row["value"]), 2)}, f"{row['quote']}: got {sorted(values)}"
    for f in matches:
        assert res.text[f["start"] : f["end"]] == f["quote"]


def test_every_quote_at_its_offsets():
    for file in sorted({r["file"] for r in ROWS}):
        res = _result(file)
        assert res.figures
        for f in res.figures:
            assert res.text[f["start"] : f["end"]] == f["quote"], (file, f["measure"], f["quote"])
