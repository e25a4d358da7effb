"""Normalised documents -> figures.csv rows (narrative text, and the disclosure tables where they are read)."""

from __future__ import annotations

import re

from countyfiscal.fields import columns
from countyfiscal.model import Document

from .narrative import extract_narrative

APPROPRIATION_SCOPE = re.compile(r"财政拨款|一般公共预算|当年拨款|政府性基金|国有资本经营")
SENTENCE_END = "。；;！？!?\n"
VEHICLE_PARTS = {"sangong_vehicle_purchase", "sangong_vehicle_operation"}
# Measures a document may state both for the whole department and for its 一般公共预算 appropriations only.
# ("三公" and 机关运行经费 are appropriation-funded by definition, so they have one scope.)
SCOPED_MEASURES = {"income_total", "expenditure_total", "basic_expenditure", "project_expenditure",
                   "personnel_expenditure", "public_expenditure", "functional_expenditure", "economic_expenditure"}


def _sentence(text: str, start: int, end: int) -> str:
    a = start
    while a > 0 and text[a - 1] not in SENTENCE_END:
        a -= 1
    b = end
    while b < len(text) and text[b] not in SENTENCE_END:
        b += 1
    return text[a:b]


HEADING = re.compile(
    r"^[ \t]*(?:第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)])[^\n]*$",
    re.M,
)


def _heading_before(text: str, pos: int) -> str:
    last = ""
    for m in HEADING.finditer(text, 0, pos):
        last = m.group(0)
    return last


def _scope(text: str, row: dict) -> str:
    """Whether a class figure covers the whole department or only its fiscal appropriations.

    Looks at the figure's sentence and at the heading of the section it stands in
    ("（四）财政拨款收支预算情况的总体说明").
    """
    context = _sentence(text, row["start"], row["end"]) + _heading_before(text, row["start"])
    return "appropriation" if APPROPRIATION_SCOPE.search(context) else "total"


def _prefer_whole_department(text: str, rows: list[dict]) -> list[dict]:
    # Budgets state classes, 基本/项目 and 人员/公用 twice: for all funds and for 一般公共预算 only. Both are
    # "stated", but only the first is the department's; the second survives only where the document gives no
    # whole-department figure for the same measure, code, year and basis.
    keyed: dict[tuple, set[str]] = {}
    scopes = []
    for r in rows:
        s = _scope(text, r) if r["measure"] in SCOPED_MEASURES else ""
        scopes.append(s)
        if s:
            keyed.setdefault((r["measure"], r["code"], r["fiscal_year"], r["basis"]), set()).add(s)
    out = []
    for r, s in zip(rows, scopes):
        key = (r["measure"], r["code"], r["fiscal_year"], r["basis"])
        if s == "appropriation" and "total" in keyed.get(key, set()):
            continue
        out.append(r)
    return out


def _combined_vehicle_only_when_alone(rows: list[dict]) -> list[dict]:
    # CONTRACT: sangong_vehicle_total only where the document gives only the combined figure.
    have_parts = {(r["fiscal_year"], r["basis"]) for r in rows if r["measure"] in VEHICLE_PARTS}
    return [r for r in rows if not (r["measure"] == "sangong_vehicle_total" and (r["fiscal_year"], r["basis"]) in have_parts)]


def extract_figures(doc: Document, doc_kind: str = "", fiscal_year: int | None = None) -> list[dict]:
    """Every figure the document states, as rows with the columns of figures.csv (file set, offsets into doc.text)."""
    rows = extract_narrative(doc.text, doc_kind, fiscal_year, page_at=doc.page_at)
    rows = _prefer_whole_department(doc.text, rows)
    rows = _combined_vehicle_only_when_alone(rows)
    cols = columns("figures")
    out = []
    for r in rows:
        row = {c: r.get(c, "") for c in cols}
        row["file"] = doc.file
        out.append(row)
    return out
