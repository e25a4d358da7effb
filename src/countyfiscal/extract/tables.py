"""Read the standard disclosure tables (公开表) of a document into figures.csv rows with table-level provenance."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from countyfiscal import classification
from countyfiscal.amounts import allowance, decimals_of, parse_amount, to_float
from countyfiscal.extract.pdf_tables import NUMBER_RE, read_pdf_tables
from countyfiscal.extract.table_rules import RULES, classify_title, find_unit, is_title_line, squeeze
from countyfiscal.fields import columns
from countyfiscal.model import Document

__all__ = ["read_pdf_tables", "read_document_tables", "table_figures", "mark_precision"]

_COL = RULES["columns"]
_ROW = {k: re.compile(v) for k, v in RULES["rows"].items()}
_SKIP_COL = re.compile(_COL["skip"])
_PRIOR, _ACTUAL, _BUDGET = (re.compile(_COL[k]) for k in ("prior_year", "actual", "budget"))
_ROLES = [(r["role"], re.compile(r["pattern"])) for r in _COL["roles"]]
_SANGONG_ROLES = [(r["role"], re.compile(r["pattern"])) for r in _COL["sangong_roles"]]
_ENUM = re.compile(r"^(?:[（(]?[一二三四五六七八九十百]+[)）、.．]|[（(]\d+[)）]|\d+[、.．](?!\d))")
_CODE_CELL = re.compile(r"\[?(\d{3}(?:\d{2}){0,2})\]?")
_CODE_PREFIX = re.compile(r"^\[?(\d{3}(?:\d{2}){0,2})\]?(?=\D)")
_LEVEL_OF_LENGTH = {3: "类", 5: "款", 7: "项"}
_HEADER_YEAR = re.compile(r"((?:19|20)\d\d)年")
# Tables whose functional rows are department-wide or 一般公共预算 expenditure by function.
_FUNCTION_KINDS = {"expenditure", "general_function", "income_expenditure"}
_ECONOMIC_KINDS = {"basic_economic", "general_economic"}


# ---------------------------------------------------------------- reading tables from the document's structure

def _numeric(cell: str) -> bool:
    return bool(NUMBER_RE.fullmatch(cell.replace(" ", "")))


def _is_index_row(row: list[str]) -> bool:
    vals = [c.strip() for c in row if c.strip()]
    if any(v in ("**", "*", "栏次") for v in vals):
        return True
    ints = [v for v in vals if v.isdigit()]
    return len(ints) >= 3 and len(ints) >= len(vals) - 1 and all(len(v) <= 2 for v in ints)


def _structure_table(raw: dict[str, Any], before: str) -> dict[str, Any] | None:
    """A docx/html table (cells) -> the dict shape read_pdf_tables gives: title, kind, unit, header, data cells."""
    cells = [[(c or "").strip() for c in row] for row in raw.get("cells", [])]
    if not cells:
        return None
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    title = None
    unit = None
    # The title and unit are printed just above the table, or in its first (merged) rows.
    lines = [ln.strip() for ln in before.splitlines() if ln.strip()][-4:]
    head_rows = []
    d0 = next((i for i, r in enumerate(cells) if not _is_index_row(r) and any(_numeric(c) for c in r[1:])), None)
    if d0 is None:
        return None
    for r in cells[:d0]:
        distinct = list(dict.fromkeys(c for c in r if c))
        if len(distinct) == 1 and is_title_line(distinct[0]):
            lines.append(distinct[0])
            continue
        if len(distinct) <= 2 and find_unit(" ".join(distinct)) and not any(_numeric(c) for c in r):
            lines.append(" ".join(distinct))
            continue
        if not _is_index_row(r):
            head_rows.append(r)
    for ln in lines:
        if is_title_line(ln):
            title = ln
        unit = find_unit(ln) or unit
    if title is None:
        return None
    header = []
    for j in range(width):
        parts = list(dict.fromkeys(squeeze(r[j]) for r in head_rows if r[j].strip()))
        header.append("".join(parts))
    data = [r for r in cells[d0:] if not _is_index_row(r)]
    kinds = []
    for j in range(width):
        vals = [r[j] for r in data if r[j]]
        kinds.append("num" if vals and sum(_numeric(v) for v in vals) >= 0.8 * len(vals) and j > 0 else "text")
    return {
        "cells": data, "header": header, "_header_parts": [[h] for h in header], "_kinds": kinds, "title": title,
        "kind": classify_title(title), "unit": unit, "page": raw.get("page"), "start": raw.get("start"),
        "end": raw.get("end"), "continued": False,
    }


def read_document_tables(doc: Document, pdf_path: str | Path | None = None) -> list[dict[str, Any]]:
    """The standard tables of a document: rebuilt from positioned words for a PDF (those ingest kept, else read
    again from ``pdf_path``), from doc.tables cells for docx/html. A PDF table from a page whose doc.tables entry
    says ``"ocr": True`` (words recognised on a scanned page) is marked ``ocr``."""
    if doc.format == "pdf":
        # ingest leaves the positioned words of the pages that may hold a table in doc.tables ("words" entries)
        words = {t["page"]: t["words"] for t in doc.tables if "words" in t and t.get("page")}
        if pdf_path is None and not words:
            return []
        texts = None
        if doc.page_starts:
            bounds = list(doc.page_starts) + [len(doc.text)]
            texts = [doc.text[a:b] for a, b in zip(bounds, bounds[1:])]
        ocr_pages = {t["page"] for t in doc.tables if t.get("ocr") and t.get("page")}
        found = [t for t in read_pdf_tables(pdf_path, page_texts=texts, words=words if words else None) if t.get("kind")]
        for t in found:
            t["ocr"] = t["page"] in ocr_pages  # read from OCR'd words: its figures say so (source ocr_table)
        return found
    out = []
    for raw in doc.tables:
        start = raw.get("start")
        before = doc.text[max(0, start - 200) : start] if isinstance(start, int) else ""
        t = _structure_table(raw, before)
        if t and t.get("kind"):
            out.append(t)
    return out


# ---------------------------------------------------------------- what a cell means

def _column_spec(parts: list[str], table_kind: str, doc_kind: str, fiscal_year: int | None) -> dict | None:
    """Role (what the column adds up), year and basis of a column from its header parts, or None to skip it."""
    whole = "".join(parts)
    last = parts[-1] if parts else ""
    if not whole or _SKIP_COL.search(last):
        return None
    role = None
    if table_kind == "sangong":
        for text in (last, whole):
            role = next((r for r, p in _SANGONG_ROLES if p.search(text)), None)
            if role:
                break
        if role is None:
            role = next((r for r, p in _ROLES if r == "total" and p.search(whole)), None)
    else:
        role = next((r for r, p in _ROLES if p.search(whole)), None)
    if role is None:
        return None
    year = fiscal_year
    printed = _HEADER_YEAR.findall(whole)
    if printed:
        year = int(printed[-1])  # '2025年预算数' over '合计': the year printed nearest the column names it
    elif _PRIOR.search(whole) and fiscal_year:
        year = fiscal_year - 1
    if _ACTUAL.search(last) or (_ACTUAL.search(whole) and not _BUDGET.search(last)):
        basis = "actual"
    elif _BUDGET.search(whole):
        basis = "budget"
    else:
        basis = "actual" if doc_kind == "final_account" else "budget"
    return {"role": role, "fiscal_year": year, "basis": basis}


def _clean_label(label: str) -> tuple[str, bool]:
    """Row label without spaces and enumerator; True when it is a 其中 sub-row."""
    s = squeeze(label)
    sub = bool(_ROW["sub_row"].match(s))
    s = _ROW["sub_row"].sub("", s)
    s = _ENUM.sub("", s)
    return s, sub


def _row_code(cells: list[str], kinds: list[str], upto: int) -> tuple[str | None, str | None, int | None]:
    """Classification code, label text and label column of a row, reading the text columns left of ``upto``.

    Codes may sit in their own column ('208'), prefix the label ('[201]一般公共服务'), or be split over 类/款/项
    columns ('201' '03' '01').
    """
    label_col = None
    digits = ""
    label = None
    for j in range(upto - 1, -1, -1):
        if kinds[j] == "text" and cells[j].strip():
            label_col = j
            break
    if label_col is None:
        return None, None, None
    label = cells[label_col]
    parts: list[str] = []
    # the code cells just left of the label ('201' '03' '01'); an amount or another label ends them (in a
    # two-sided 收支总表 the income side, with its 行次 numbers, stands left of the expenditure labels)
    for j in range(label_col - 1, -1, -1):
        c = squeeze(cells[j])
        if not c:
            continue
        if not re.fullmatch(r"\[?\d{2,7}\]?", c):
            break
        parts.insert(0, c.strip("[]"))
    m = _CODE_PREFIX.match(squeeze(label))
    if m:
        digits = m.group(1)
        label = squeeze(label)[m.end():]
    elif re.fullmatch(r"\[?\d{3,7}\]?", squeeze(label)) and label_col > 0:
        digits = squeeze(label).strip("[]")
        label = None
    elif parts:
        digits = "".join(parts)
    if digits and len(digits) not in (3, 5, 7):
        digits = ""
    return digits or None, label, label_col


def _figure_targets(table: dict, fiscal_year: int | None, doc_kind: str) -> list[dict]:
    """Every cell of a table that states a figure of ours: measure, code, year, basis, row, column, value text."""
    kind = table["kind"]
    kinds = table["_kinds"]
    specs = [
        _column_spec([squeeze(p) for p in parts if squeeze(p)], kind, doc_kind, fiscal_year) if kinds[j] == "num" else None
        for j, parts in enumerate(table["_header_parts"])
    ]
    text_cols = [j for j, k in enumerate(kinds) if k == "text"]
    # A bare "小计" is the first part-column under a spanning header ("基本支出", "本年收入") that did not reach it;
    # it is the row's total only where no other column is.
    heads = [squeeze(h) for h in table["header"]]
    if any(sp and sp["role"] == "total" and heads[j] != "小计" for j, sp in enumerate(specs)):
        specs = [None if sp and heads[j] == "小计" else sp for j, sp in enumerate(specs)]
    if kind == "sangong":
        specs = _sangong_subtotal(specs, heads)
    # Under one label column only the leftmost "total" column is the row's total ("小计" under a spanning
    # "基本支出" or "本年收入" is a part of it).
    seen_roles: set[tuple[int, str, int | None, str]] = set()
    for j, spec in enumerate(specs):
        if spec is None:
            continue
        group = max((k for k in text_cols if k < j), default=-1)
        key = (group, spec["role"], spec["fiscal_year"], spec["basis"])
        if key in seen_roles:
            specs[j] = None
        seen_roles.add(key)
    first_text = text_cols[0] if text_cols else None
    out = []
    parents: dict[tuple[str, int], str] = {}  # (kind, level) -> code of the last row seen at that level
    row_texts = [{squeeze(c) for c, k in zip(cells, kinds) if k == "text" and c.strip()} for cells in table["cells"]]
    for r, cells in enumerate(table["cells"]):
        row_values: list[str] = []
        for j, spec in enumerate(specs):
            if spec is None or not cells[j].strip() or not _numeric(cells[j]):
                continue
            code, label, label_col = _row_code(cells, kinds, j)
            if not text_cols and len(table["cells"]) == 1 and not table.get("continued"):
                label, label_col = "合计", -1  # a one-row table without a label column states only its total
                # no label to find it by in the text: the row's values in order identify its line
                row_values = [squeeze(c) for c in cells if c.strip() and _numeric(c)]
            if label is None and code is None:
                continue
            name, sub = _clean_label(label or "")
            side = "income" if label_col == first_text else "expenditure"
            target = _interpret(kind, name, code, sub, side, spec, parents, len(text_cols) > 1)
            if target is None:
                continue
            nth = sum(1 for k in range(j) if squeeze(cells[k]) == squeeze(cells[j]) and (k > (label_col or 0)))
            out.append({**target, "fiscal_year": spec["fiscal_year"], "basis": spec["basis"], "col": j,
                        "row": squeeze(label or "") or code, "row_index": r, "column": table["header"][j],
                        "value_text": squeeze(cells[j]), "anchor": [] if row_values else [squeeze(label or ""), code or ""],
                        "nth": nth, "row_values": row_values,
                        # rows printing the same label ('其他一般公共服务支出' as 款 and as 项): which of them this is
                        "label_nth": sum(squeeze(label or "") in row_texts[k] for k in range(r)),
                        "label_rows": sum(squeeze(label or "") in texts for texts in row_texts),
                        "page": table.get("page"), "row_page": (table.get("row_pages") or {}).get(r)})
    return out


_VEHICLE_PARTS = {"sangong_vehicle_purchase", "sangong_vehicle_operation"}


def _sangong_subtotal(specs: list[dict | None], heads: list[str]) -> list[dict | None]:
    """In a "三公" table the only bare "小计" is the vehicle group's (公务用车购置及运行费: 小计 | 购置费 | 运行费),
    whose spanning header may not reach it: it is that subtotal when a vehicle part column follows it, else
    nothing (its meaning is not certain)."""
    out = list(specs)
    for j, sp in enumerate(specs):
        if sp is None or heads[j] != "小计":
            continue
        nxt = next((s for s in specs[j + 1:] if s is not None), None)
        out[j] = dict(sp, role="sangong_vehicle_total") if nxt and nxt["role"] in _VEHICLE_PARTS else None
    return out


def _classify_row(name: str, code: str | None, ckind: str, parents: dict) -> tuple[str | None, str | None]:
    """Classification code and label of a row, from its printed code or (failing that) its name under its parent."""
    if code:
        lab = classification.label(code, ckind)
        if lab is None:
            return None, None
        parents[(ckind, len(code))] = code
        return code, lab
    if not name:
        return None, None
    for level, length, parent_len in (("类", 3, None), ("款", 5, 3), ("项", 7, 5)):
        parent = parents.get((ckind, parent_len)) if parent_len else ("3" if ckind == "economic" else None)
        if parent_len and parent is None:
            continue
        found = classification.lookup(name, ckind, level, parent)
        if found:
            parents[(ckind, length)] = found
            # a new 类 closes the 款 under the old one
            for longer in (5, 7):
                if longer > length:
                    parents.pop((ckind, longer), None)
            return found, classification.label(found, ckind)
    return None, None


def _total_kind(name: str, side: str, two_sided: bool) -> str | None:
    """Which total a 收支总表 row states on its side: "this_year" (本年收入合计), "grand" (收入总计, this year's plus
    上年结转) or "plain" (合计 / 收入合计: grand when the table also states a this-year total, else the only one)."""
    other = "支出" if side == "income" else "收入"
    if other in name:
        return None
    if _ROW["this_year_total"].match(name):
        return "this_year"
    bare = name in ("合计", "总计")
    if bare and not two_sided:
        return None  # a one-sided list's bare 合计 may be either side's
    if _ROW["grand_total"].match(name):
        return "grand"
    if _ROW["plain_total"].match(name):
        return "plain"
    return None


def _interpret(kind: str, name: str, code: str | None, sub: bool, side: str, spec: dict, parents: dict,
               two_sided: bool) -> dict | None:
    role = spec["role"]
    is_total = bool(_ROW["total"].match(name))
    if kind == "sangong":
        if is_total:
            if role == "agency_operating":
                # a combined "三公"经费 and 机关运行经费 table: that column is 机关运行经费, not a second 三公 total
                return {"measure": "agency_operating_expenses"}
            if role.startswith("sangong_"):
                return {"measure": role, "_by": "column"}
            return {"measure": "sangong_total", "_by": "row"} if role == "total" else None
        # rows per unit are not ours; a transposed table names the item in the row and the basis in the column.
        # A 其中 row is an item where it opens the parts of the 三公 total ('“三公”经费' then '其中：（一）因公出国…')
        # or is a vehicle part under 公务用车购置及运行费; under an item it is a part of that item ('其中：外事接待费').
        item = next((r for r, p in _SANGONG_ROLES if p.search(name)), None)
        if item is None or role not in ("total", "sangong_total"):  # the amount column: 预算数, or 合计 over funds
            return None
        if sub and not (item in _VEHICLE_PARTS or parents.get("sangong_last") == "sangong_total"):
            return None
        parents["sangong_last"] = item
        if item == "agency_operating":
            return {"measure": "agency_operating_expenses"}
        return {"measure": item, "_by": "row"}
    if kind == "agency_operating":
        if (is_total or _ROW["agency_operating"].search(name)) and role in ("total",):
            return {"measure": "agency_operating_expenses"}
        return None
    if kind == "procurement":
        if is_total and role == "total":
            return {"measure": "government_procurement"}
        return None
    if kind in ("income_expenditure", "fiscal_appropriation"):
        if role != "total":
            return None
        income_side = side == "income" or not two_sided
        if kind == "income_expenditure":
            total = _total_kind(name, "income" if income_side else "expenditure", two_sided)
            if total:
                return {"measure": "income_total" if income_side else "expenditure_total", "_total": total}
            if _ROW["carry_over"].search(name):
                return {"measure": "_carry", "_side": "income" if income_side else "expenditure"}
        if _ROW["carry_over"].search(name):
            return None
        if income_side:
            if _ROW["fiscal_appropriation"].match(name) and not sub:
                return {"measure": "fiscal_appropriation_income"}
            return None
        if kind == "fiscal_appropriation":
            return None
        if _ROW["basic"].match(name):
            return {"measure": "basic_expenditure"}
        if _ROW["project"].match(name):
            return {"measure": "project_expenditure"}
        if sub or is_total:
            return None
        c, lab = _classify_row(name, code, "functional", parents)
        if c and len(c) == 3:  # the 收支总表 lists 类 only; deeper rows there are unreliable
            return {"measure": "functional_expenditure", "code": c, "label": lab}
        return None
    if kind == "income":
        if is_total and role == "total":
            return {"measure": "income_total", "_total": "income_table"}
        if is_total and role == "fiscal_appropriation":
            return {"measure": "fiscal_appropriation_income"}  # the 财政拨款收入 column of a 收入决算表
        return None
    if kind in ("expenditure", "general_function"):
        if is_total:
            measure = {"total": "expenditure_total", "basic": "basic_expenditure", "project": "project_expenditure",
                       "personnel": "personnel_expenditure", "public": "public_expenditure"}.get(role)
            if kind == "general_function" and measure == "expenditure_total":
                return None  # the 一般公共预算 total is not the department's total expenditure
            return {"measure": measure} if measure else None
        if role != "total" or sub:
            return None
        c, lab = _classify_row(name, code, "functional", parents)
        if c and c.startswith("2"):
            return {"measure": "functional_expenditure", "code": c, "label": lab}
        return None
    if kind in _ECONOMIC_KINDS:
        if is_total:
            if kind == "general_economic":
                return None
            measure = {"total": "basic_expenditure", "basic": "basic_expenditure", "personnel": "personnel_expenditure",
                       "public": "public_expenditure"}.get(role)
            return {"measure": measure} if measure else None
        if role not in ("total", "basic") or sub:
            return None
        c, lab = _classify_row(name, code, "economic", parents)
        if c and c[0] in "35":
            return {"measure": "economic_expenditure", "code": c, "label": lab}
        return None
    return None


# ---------------------------------------------------------------- provenance in doc.text

def _norm_index(s: str) -> tuple[str, list[int]]:
    keep = [i for i, ch in enumerate(s) if not ch.isspace() and ch != "\u3000"]
    return "".join(s[i] for i in keep), keep


def _region_lines(text: str, lo: int, hi: int) -> list[tuple[int, str, str, list[int]]]:
    """(offset, line, line without spaces, map from that back to the line) for each line of text[lo:hi]."""
    out = []
    pos = lo
    for ln in text[lo:hi].split("\n"):
        flat, idx = _norm_index(ln)
        out.append((pos, ln, flat, idx))
        pos += len(ln) + 1
    return out


class _Value:
    """Where a printed amount stands in the text as an amount of its own: not part of a longer number (no digit, point
    or comma just before it; no digit, comma, or point followed by a digit just after it). Plain string search: a
    regex compiled per amount costs more than the whole search."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def finditer(self, text: str, start: int, stop: int) -> list[tuple[int, int]]:
        out = []
        v, n = self.value, len(self.value)
        i = text.find(v, start, stop)
        while i >= 0:
            j = i + n
            before = text[i - 1] if i > 0 else ""
            after = text[j] if j < len(text) else ""
            if not (before.isdigit() or before in ".,") and not (after.isdigit() or after == ","):
                if not (after == "." and j + 1 < len(text) and text[j + 1].isdigit()):
                    out.append((i, j))
            i = text.find(v, i + 1, stop)
        return out


def _locate(text: str, lines: list[tuple[int, str, str, list[int]]], anchors: list[str], value: str,
            nth: int, label_nth: int = 0, label_rows: int = 1,
            row_values: list[str] | None = None) -> tuple[str, int, int] | None:
    """Find the cell among ``lines``: the line holding the row label (or code), then the nth copy of the value on it
    or on the next two lines. Returns (quote, start, end) with text[start:end] == quote, or None.

    Where several lines hold the label, those where it stands as a word of its own ('收入合计', not the tail of
    '本年收入合计') and opens the line are preferred; where as many lines hold it as the table has rows printing
    it, the row's rank among them decides. A row without a label is found by its values printed in order."""
    num_re = _Value(value)
    for anchor in [a for a in anchors if a]:
        hits = []
        for k, (off, ln, flat, idx) in enumerate(lines):
            at = flat.find(anchor)
            if at < 0:
                continue
            a_start = off + idx[at]
            after = a_start + (idx[at + len(anchor) - 1] - idx[at]) + 1
            stop = lines[min(k + 2, len(lines) - 1)][0] + len(lines[min(k + 2, len(lines) - 1)][1])
            found = list(num_re.finditer(text, after, stop))
            if len(found) > nth:
                whole = bool(re.fullmatch(r"[\d\[\]（）()一二三四五六七八九十、.．:：其中]*", flat[:at]))
                same_line = found[nth][1] <= off + len(ln)
                bounded = at == 0 or not ("\u4e00" <= text[a_start - 1] <= "\u9fff")
                hits.append((a_start, found[nth][1], whole, same_line, bounded))
        for keep in (lambda h: True, lambda h: h[4], lambda h: h[2], lambda h: h[2] and h[3]):
            hits = [h for h in hits if keep(h)] if len(hits) > 1 else hits
        if len(hits) > 1 and len(hits) == label_rows and label_nth < len(hits):
            hits = [hits[label_nth]]
        if len(hits) == 1:
            a_start, v_end = hits[0][:2]
            return text[a_start:v_end], a_start, v_end
        # several lines hold the label: do not guess which
    if row_values:
        joined = "".join(row_values)
        spots = [(off, ln, flat, idx) for off, ln, flat, idx in lines if joined in flat]
        if len(spots) == 1:
            off, ln, flat, idx = spots[0]
            first = off + idx[flat.find(joined)]
            found = list(num_re.finditer(text, first, off + len(ln)))
            if len(found) > nth:
                return text[first:found[nth][1]], first, found[nth][1]
    if lines and len(lines) > 40 and sum(len(f) == 1 for _o, _l, f, _i in lines) > 0.6 * len(lines):
        return _locate_glyphs(text, lines[0][0], lines[-1][0] + len(lines[-1][1]), anchors, value, nth)
    return None


def _glyphs_re(s: str) -> str:
    return r"\s?".join(re.escape(ch) for ch in s)


def _locate_glyphs(text: str, lo: int, hi: int, anchors: list[str], value: str, nth: int) -> tuple[str, int, int] | None:
    """_locate on a page whose text layer gives every glyph a line of its own ('医\n疗\n费\n3\n.\n3\n6'): the label
    and the value, glyph after glyph, the value the nth copy after a label printed once on the page."""
    # glyphs of neighbouring cells follow each other like those of one number: a number printed with decimals
    # ends at its last decimal; its start must not follow a digit
    end = "" if "." in value else r"(?!\s?[\d,])(?!\s?\.\s?\d)"
    num = re.compile(r"(?<![\d.,])(?<![\d.,]\s)" + _glyphs_re(value) + end)
    for anchor in [a for a in anchors if a]:
        spots = list(re.finditer(_glyphs_re(anchor), text[lo:hi]))
        if len(spots) != 1:
            continue
        a_start = lo + spots[0].start()
        found = list(num.finditer(text, lo + spots[0].end(), hi))
        if len(found) > nth:
            return text[a_start : found[nth].end()], a_start, found[nth].end()
    return None


# ---------------------------------------------------------------- public

def table_figures(doc: Document, fiscal_year: int | None = None, doc_kind: str | None = "",
                  pdf_path: str | Path | None = None) -> list[dict]:
    """figures.csv rows (source="table") for every figure the document's standard tables state.

    ``fiscal_year`` and ``doc_kind`` come from the document's metadata; "上年" columns get fiscal_year - 1.
    A blank cell gives no row (blank is not zero); a 其中 sub-row is kept out of the classification rows. Each row's
    ``quote`` is the row's text in ``doc.text`` from its label to the cell's value, with ``text[start:end] ==
    quote``; where the cell cannot be found in the text, ``start``/``end`` are left empty and ``quote`` is the
    value as printed.
    """
    try:
        fy = int(fiscal_year) if fiscal_year is not None and not pd.isna(fiscal_year) else None
    except (TypeError, ValueError):
        fy = None
    doc_kind = doc_kind if isinstance(doc_kind, str) else ""
    tables = read_document_tables(doc, pdf_path)
    cols = columns("figures")
    out: list[dict] = []
    seen: set[tuple] = set()
    regions: dict[tuple[int, int], list] = {}
    bounds = list(doc.page_starts) + [len(doc.text)]
    per_group = []
    for group in _table_groups(tables):
        fits, sure = _identity(group)
        if not fits:
            continue  # its headers or rows say it is not the table its title names: no figure of it is certain
        found_targets = [(t, tg) for t in group for tg in _figure_targets(t, fy, doc_kind)]
        found_targets = _choose_totals(found_targets, doc_kind)
        if group[0]["kind"] == "sangong":
            found_targets = _sangong_consistent(found_targets)
        found_targets = _classes_once(found_targets)
        if any(t.get("ocr") for t in group):
            failed = _grid_failures(group, fy, doc_kind)
            if failed:
                # words recognised from a scan: a table that does not add up was misread somewhere
                doc.flags.append(_ocr_flag(doc, group, failed))
                continue
        for t in group:
            t["table_kind"] = t["kind"] if sure else ""
        per_group.append(found_targets)
    for found_targets in _appropriation_from_its_table(_broadest_economic(per_group)):
        for t, tg in found_targets:
            value = _value(tg["value_text"], t["unit"])
            if value is None:
                continue
            page = t.get("page")
            if page and len(bounds) > page:
                lo, hi = bounds[page - 1], bounds[page]
            elif isinstance(t.get("start"), int):
                lo, hi = t["start"], t["end"]
            else:
                lo, hi = 0, len(doc.text)
            if (lo, hi) not in regions:
                regions[(lo, hi)] = _region_lines(doc.text, lo, hi)
            found = _locate(doc.text, regions[(lo, hi)], tg["anchor"], tg["value_text"], tg["nth"],
                            tg["label_nth"], tg["label_rows"], tg["row_values"])
            row = {c: "" for c in cols}
            row.update(
                file=doc.file, measure=tg["measure"], fiscal_year=tg["fiscal_year"], basis=tg["basis"],
                code=tg.get("code") or "", label=tg.get("label") or "", value=to_float(value), unit="yuan",
                method="stated", formula="", source="ocr_table" if t.get("ocr") else "table", table=t["title"],
                table_kind=t.get("table_kind", ""), row=tg["row"], column=tg["column"],
                page=page if doc.format == "pdf" else None, scale=t["unit"], decimals=decimals_of(tg["value_text"]),
            )
            if found:
                row.update(quote=found[0], start=found[1], end=found[2])
            else:
                row.update(quote=tg["value_text"], start=None, end=None)
            key = (row["measure"], row["code"], row["fiscal_year"], row["basis"], row["table"], row["row"],
                   row["column"], row["value"], row["page"])
            if key in seen:
                continue
            seen.add(key)
            out.append(row)
    if not any(r["measure"] == "sangong_total" for r in out):
        out += _empty_sangong(doc, fy, doc_kind, cols)
    return out


_EMPTY_TABLE = re.compile(RULES["empty_sangong"])


def _empty_sangong(doc: Document, fiscal_year: int | None, doc_kind: str, cols: list[str]) -> list[dict]:
    """A "三公" table declared empty because the department had (or budgeted) no 三公 spending ('本单位无“三公”经费支出，
    故本表为空表') states a zero: sangong_total = 0 for the document's own year and basis, quoting the note under the
    table's title. A table merely left blank states nothing."""
    if fiscal_year is None or "三公" not in doc.text or not _EMPTY_TABLE.search(doc.text):
        return []
    lines = doc.text.split("\n")
    pos = 0
    for k, line in enumerate(lines):
        if is_title_line(line) and classify_title(line) == "sangong":
            after = pos + len(line) + 1
            stop = after
            for nxt in lines[k + 1 : k + 8]:
                if is_title_line(nxt):
                    break
                stop += len(nxt) + 1
            m = _EMPTY_TABLE.search(doc.text, after, stop)
            if m:
                row = {c: "" for c in cols}
                row.update(file=doc.file, measure="sangong_total", fiscal_year=fiscal_year,
                           basis="actual" if doc_kind == "final_account" else "budget", code="", label="", value=0.0,
                           unit="yuan", method="stated", formula="", source="table", table=line.strip(),
                           table_kind="sangong", row="", column="", quote=m.group(0), start=m.start(), end=m.end(),
                           page=doc.page_at(m.start()) if doc.format == "pdf" else None, scale="", decimals=None)
                return [row]
        pos += len(line) + 1
    return []


def _classes_once(targets: list[tuple[dict, dict]]) -> list[tuple[dict, dict]]:
    """No two amounts for one class in one column. A class printed twice with different amounts is either a row
    whose name resolved to another level's code (a 项 '公路水路运输' under a 款 the classification does not know, read
    as the 款 of that name): both rows are left out; or, where several classes repeat, a table broken down by unit
    (each unit's '工资福利支出' under its name): no class row of it is the department's, and all are left out. The
    table's totals stay."""
    seen: dict[tuple, set] = {}
    for t, tg in targets:
        if tg["measure"] in ("functional_expenditure", "economic_expenditure"):
            seen.setdefault((tg["measure"], tg["code"], tg["col"], tg["fiscal_year"], tg["basis"]), set()).add(
                squeeze(tg["value_text"]))
    twice = {(k[0], k[1]) for k, v in seen.items() if len(v) > 1}
    by_unit = {m for m in {m for m, _c in twice} if sum(1 for mm, _c in twice if mm == m) >= 3}
    return [(t, tg) for t, tg in targets if tg["measure"] not in by_unit and (tg["measure"], tg.get("code")) not in twice]


_PART_ROLES = ("total", "basic", "project", "personnel", "public")


def _grid_failures(group: list[dict], fiscal_year: int | None, doc_kind: str) -> list[str]:
    """The identities a table's own grid fails, beyond printed rounding (blank cells count as nothing): in each row
    合计 = 基本支出 + 项目支出 and 基本支出 = 人员经费 + 公用经费 where those columns are printed, and in each column the
    classes (3-digit codes) add up to the 合计 row. Empty when every identity holds or none can be checked.

    Classes that fall short of the 合计 row in every column that fails, by amounts that are themselves a row of the
    table (the shortfalls keep 合计 = 基本支出 + 项目支出 and 基本支出 = 人员经费 + 公用经费, each failing column taking part),
    are rows not read, not a misreading: the rest of a table on a page the document does not hold (a scan missing a
    page) or a line the recogniser left out. The rows read each keep their own identities, so they stand; where no
    row identity can vouch for the shortfall (a table of one amount column), it stays a failure."""
    failed: list[str] = []
    # per column (by its header, which a continuation page shares): the 合计 cell and the class cells
    columns_of: dict[str, dict] = {}
    role_headers: list[dict[str, str]] = []  # per year and basis: role -> the header of its column
    for t in group:
        kinds = t["_kinds"]
        specs = [_column_spec([squeeze(p) for p in parts if squeeze(p)], t["kind"], doc_kind, fiscal_year)
                 if kinds[j] == "num" else None for j, parts in enumerate(t["_header_parts"])]
        groups: dict[tuple, dict[str, int]] = {}
        for j, sp in enumerate(specs):
            if sp and sp["role"] in _PART_ROLES:
                groups.setdefault((sp["fiscal_year"], sp["basis"]), {}).setdefault(sp["role"], j)
        for roles in groups.values():
            named = {role: t["header"][j] for role, j in roles.items()}
            if named not in role_headers:
                role_headers.append(named)

        def cell(row: list[str], j: int | None) -> tuple[Decimal, Decimal] | None:
            if j is None or not row[j].strip() or not _numeric(row[j]):
                return None
            v = _value(squeeze(row[j]), t["unit"] or "元")
            return None if v is None else (v, allowance(t["unit"] or "元", decimals_of(squeeze(row[j]))))

        def check(row: list[str], whole: int | None, parts: list[int | None], what: str, label: str) -> None:
            w = cell(row, whole)
            got = [c for c in (cell(row, j) for j in parts) if c is not None]
            if w is None or not got or any(j is None for j in parts):
                return
            total = sum((v for v, _a in got), Decimal(0))
            if abs(w[0] - total) > w[1] + sum((a for _v, a in got), Decimal(0)):
                failed.append(f"{what} in row '{label}' ({row[whole].strip()} vs {_printed(total, t['unit'])})")

        for row in t["cells"]:
            code, label, _col = _row_code(row, kinds, len(row))
            name, _sub = _clean_label(label or "")
            for roles in groups.values():
                check(row, roles.get("total"), [roles.get("basic"), roles.get("project")], "基本支出 + 项目支出 ≠ 合计",
                      squeeze(label or code or ""))
                check(row, roles.get("basic"), [roles.get("personnel"), roles.get("public")],
                      "人员经费 + 公用经费 ≠ 基本支出", squeeze(label or code or ""))
            for j, sp in enumerate(specs):
                c = cell(row, j) if sp else None
                if c is None:
                    continue
                column = columns_of.setdefault(t["header"][j], {"total": None, "classes": [], "unit": t["unit"]})
                if column["total"] is None and _ROW["total"].match(name):
                    column["total"] = (c, row[j].strip())
                elif code and len(code) == 3:
                    column["classes"].append(c)
    shortfall: dict[str, tuple[Decimal, Decimal]] = {}  # header -> (合计 minus its classes, the rounding allowed)
    unequal: list[tuple[str, str]] = []  # (header, the failure)
    for header, column in columns_of.items():
        if column["total"] is None:
            continue
        (whole, allow), printed = column["total"]
        summed = sum((v for v, _a in column["classes"]), Decimal(0))
        slack = allow + sum((a for _v, a in column["classes"]), Decimal(0))
        shortfall[header] = (whole - summed, slack)
        if column["classes"] and abs(whole - summed) > slack:
            unequal.append((header, f"classes ≠ 合计 in column '{header}' ({printed} vs "
                                    f"{_printed(summed, column['unit'])})"))
    if unequal and not _rows_not_read(shortfall, role_headers, [h for h, _what in unequal]):
        failed += [what for _h, what in unequal]
    return failed


def _rows_not_read(shortfall: dict[str, tuple[Decimal, Decimal]], role_headers: list[dict[str, str]],
                   unequal: list[str]) -> bool:
    """Whether the columns whose classes do not add up to the 合计 row all fall short by what a row left unread would
    add: every shortfall positive, 合计 = 基本支出 + 项目支出 and 基本支出 = 人员经费 + 公用经费 holding among the shortfalls
    wherever those columns have a 合计 cell, and every unequal column taking part in one of them.

    >>> D = Decimal
    >>> cols = [{"total": "总计", "basic": "小计", "project": "项目支出", "personnel": "人员经费", "public": "公用经费"}]
    >>> gaps = {"总计": (D(1397000), D(300)), "小计": (D(397000), D(250)), "项目支出": (D(1000000), D(100)),
    ...         "人员经费": (D(397000), D(250)), "公用经费": (D(0), D(50))}
    >>> _rows_not_read(gaps, cols, ["总计", "小计", "项目支出", "人员经费"])
    True
    >>> _rows_not_read(dict(gaps, 总计=(D(1497000), D(300))), cols, ["总计", "小计", "项目支出", "人员经费"])
    False
    >>> _rows_not_read({"总计": (D(1397000), D(300))}, [{"total": "总计"}], ["总计"])  # nothing vouches for it
    False
    """
    if any(shortfall[h][0] <= 0 for h in unequal):
        return False
    covered: set[str] = set()
    for roles in role_headers:
        for whole, parts in (("total", ("basic", "project")), ("basic", ("personnel", "public"))):
            cols = [roles.get(whole), *(roles.get(p) for p in parts)]
            if any(h is None or h not in shortfall for h in cols):
                continue
            (w, w_allow), got = shortfall[cols[0]], [shortfall[h] for h in cols[1:]]
            if abs(w - sum((v for v, _a in got), Decimal(0))) > w_allow + sum((a for _v, a in got), Decimal(0)):
                return False
            covered.update(cols)
    return all(h in covered for h in unequal)


def _printed(value: Decimal, unit: str | None) -> str:
    """A yuan amount in a table's unit, as such tables print it ('1,234.56')."""
    scale = {"万元": Decimal(10000), "亿元": Decimal(100000000), "千元": Decimal(1000)}.get(unit or "元", Decimal(1))
    return f"{value / scale:,.2f}"


def _ocr_flag(doc: Document, group: list[dict], failed: list[str]) -> dict:
    """The flag row for an OCR'd table set aside because its own identities fail."""
    pages = sorted({t["page"] for t in group if t.get("page")})
    message = (f"The table '{group[0]['title']}' (page {', '.join(map(str, pages))}) was read from a scan and does not "
               f"add up ({'; '.join(failed[:3])}): none of its figures is kept.")
    row = {c: "" for c in columns("flags")}
    row.update(file=doc.file, check="ocr_table", status="mismatch", message=message,
               reported="; ".join(failed[:3]), quotes=group[0]["title"] or "")
    if "pages" in row:
        row["pages"] = "|".join(map(str, pages))
    return row


_APPROPRIATION_AUTHORITY = ("fiscal_appropriation", "income", "income_expenditure")


def _appropriation_from_its_table(per_group: list[list[tuple[dict, dict]]]) -> list[list[tuple[dict, dict]]]:
    """财政拨款收入 as the table about it states it. A 收支总表's '一、财政拨款' line may include the appropriations
    carried over from last year, which the 财政拨款收支总表 (or the 收入表's column) states apart: where tables of one
    document state different amounts for one year and basis, only the most specific table's reading is kept (the
    others are the same words for a wider amount, not a second value of this one)."""
    readings: dict[tuple, list[tuple[Decimal, Decimal]]] = {}
    for targets in per_group:
        for t, tg in targets:
            v = _value(tg["value_text"], t["unit"]) if tg["measure"] == "fiscal_appropriation_income" else None
            if v is not None:
                key = (t["kind"], tg["fiscal_year"], tg["basis"])
                readings.setdefault(key, []).append((v, allowance(t["unit"], decimals_of(tg["value_text"]))))

    def kept(t: dict, tg: dict) -> bool:
        if tg["measure"] != "fiscal_appropriation_income":
            return True
        authority = next((k for k in _APPROPRIATION_AUTHORITY if (k, tg["fiscal_year"], tg["basis"]) in readings))
        if t["kind"] == authority:
            return True
        v = _value(tg["value_text"], t["unit"])
        a = allowance(t["unit"], decimals_of(tg["value_text"]))
        return v is not None and any(abs(v - w) <= a + b for w, b in readings[(authority, tg["fiscal_year"], tg["basis"])])

    return [[(t, tg) for t, tg in targets if kept(t, tg)] for targets in per_group]


def _broadest_economic(per_group: list[list[tuple[dict, dict]]]) -> list[list[tuple[dict, dict]]]:
    """Economic classes of the 基本支出 table only where no table gives them for all expenditure (一般公共预算支出经济
    分类表): '302 商品和服务支出' of the basic part alone is another, smaller figure under the same key."""
    broad = {(tg["fiscal_year"], tg["basis"]) for targets in per_group for t, tg in targets
             if t["kind"] == "general_economic" and tg["measure"] == "economic_expenditure"}
    return [[(t, tg) for t, tg in targets if not (t["kind"] == "basic_economic" and tg["measure"] == "economic_expenditure"
                                                 and (tg["fiscal_year"], tg["basis"]) in broad)]
            for targets in per_group]


def _value(text: str, unit: str) -> Decimal | None:
    try:
        value = parse_amount(text.lstrip("-"), unit)
    except ValueError:
        return None
    return -value if text.startswith("-") else value


_IDENTITY = {k: re.compile(v) for k, v in RULES["identity"].items()}


def _identity(group: list[dict]) -> tuple[bool, bool]:
    """Whether a table's own headers and rows fit the kind its title names (else it is not read at all), and
    whether they confirm it (else its figures are read, but table_kind stays empty: identity uncertain).

    A 收入(决算)表 names income sources in its columns; a 支出(决算)表 names 基本支出/项目支出; a 收支总表 lists income
    and expenditure items in its rows, never sources or 基本/项目 as its columns; a classification table carries
    codes of its own classification (functional 2xx, economic 3xx/5xx)."""
    kind = group[0]["kind"]
    heads = [squeeze(h) for t in group for h, k in zip(t["header"], t["_kinds"]) if k == "num" and h]
    labels = [squeeze(c) for t in group for row in t["cells"] for c, k in zip(row, t["_kinds"]) if k == "text" and c]
    sources = [h for h in heads if _IDENTITY["income_source"].search(h)]
    parts = [h for h in heads if _IDENTITY["expenditure_part"].search(h)]
    if kind == "income":
        return not parts, bool(sources) or any(_IDENTITY["income_fund"].search(h) for h in heads)
    if kind == "expenditure":
        return not sources, bool(parts)
    if kind in ("income_expenditure", "fiscal_appropriation"):
        two_sides = any(_IDENTITY["income_item"].search(x) for x in labels) and any(
            _IDENTITY["expenditure_item"].search(x) for x in labels)
        if kind == "income_expenditure" and (len(sources) >= 2 or (any("基本" in h for h in parts)
                                                                   and any("项目" in h for h in parts))):
            return False, False
        return True, two_sides
    codes = [m.group(1) for t in group for row in t["cells"] for c in row for m in [_CODE_CELL.fullmatch(squeeze(c))] if m]
    codes += [m.group(1) for x in labels for m in [_CODE_PREFIX.match(x)] if m]
    if kind == "general_function":
        return not any(c[0] in "35" for c in codes), any(c[0] == "2" for c in codes) or bool(parts)
    if kind in _ECONOMIC_KINDS:
        return not any(c[0] == "2" for c in codes), any(c[0] in "35" for c in codes) or any(
            classification.lookup(x, "economic", "类", "3") for x in labels[:40])
    if kind == "sangong":
        return True, any(_IDENTITY["sangong_item"].search(x) for x in heads + labels)
    return True, True


def _table_groups(tables: list[dict]) -> list[list[dict]]:
    """Tables as printed: a table's pages (continuations) together. Tables without a printed unit are left out:
    without it their numbers cannot be read as money."""
    groups: list[list[dict]] = []
    for t in tables:
        if t.get("unit") is None:
            continue
        if t.get("continued") and groups and groups[-1][-1]["title"] == t["title"]:
            groups[-1].append(t)
        else:
            groups.append([t])
    return groups


def _choose_totals(targets: list[tuple[dict, dict]], doc_kind: str) -> list[tuple[dict, dict]]:
    """Keep, of one table's income/expenditure totals, the one the document kind calls income_total /
    expenditure_total (resources/table_titles.yml ``totals_by_doc_kind``), add the grand totals (收入总计 / 支出总计,
    with the carry-overs) as income_grand_total / expenditure_grand_total, and drop the carry-over markers."""
    rule = RULES["totals_by_doc_kind"]
    want = rule.get(doc_kind, rule["default"])
    tagged = {}
    for i, (t, tg) in enumerate(targets):
        tag = tg.get("_total")
        if tag == "income_table":
            # 收入总表: the 总计 column includes 上年结转 where the table has a 结转 column; a 本年 column does not
            carry_cols = any("结转" in squeeze(h) for h in t["header"])
            if "结转" in tg["column"]:
                tag = None
            elif not carry_cols:
                tag = "plain"
            else:
                tag = "this_year" if "本年" in tg["column"] else "grand"
            if tag is None:
                tagged[i] = "drop"
                continue
        if tag:
            tagged[i] = tag
    carry_zero: dict[str, bool] = {}
    carried: dict[str, bool] = {}  # a side whose 结转 lines state an amount other than zero
    for t, tg in targets:
        if tg["measure"] == "_carry":
            v = _value(tg["value_text"], t["unit"])
            side = tg["_side"]
            carry_zero[side] = carry_zero.get(side, True) and v is not None and v == 0
            if v and not _TOTAL_WORD.search(squeeze(tg["row"])):
                carried[side] = True
    keep = set(range(len(targets))) - set(tagged)
    grand: list[tuple[dict, dict]] = []
    for measure, side in (("income_total", "income"), ("expenditure_total", "expenditure")):
        idx = [i for i in tagged if targets[i][1]["measure"] == measure and tagged[i] != "drop"]
        tags = {tagged[i] for i in idx}
        if "this_year" in tags or "grand" in tags:
            kind_of = {i: ("grand" if tagged[i] == "plain" else tagged[i]) for i in idx}
        else:
            kind_of = {i: "only" for i in idx}
        present = set(kind_of.values())
        if "only" in present:
            chosen = "only"
        elif want in present:
            chosen = want
        elif carry_zero.get(side):
            chosen = next(iter(present), None)  # the 结转 line is printed as zero: both totals are equal
        else:
            chosen = None
        keep |= {i for i in idx if kind_of[i] == chosen}
        # The grand total (with 上年结转 / 年末结转和结余) is a measure of its own: in a final account wherever it is
        # printed (the template's 总计 line), in a budget (whose income_total already is it) where the table prints
        # this year's beside it and a carry-over on that side makes the two differ.
        if "grand" in present and (doc_kind == "final_account" or ("this_year" in present and carried.get(side))):
            grand += [(targets[i][0], dict(targets[i][1], measure=GRAND_TOTAL[measure]))
                      for i in idx if kind_of[i] == "grand"]
    return [x for i, x in enumerate(targets) if i in keep and x[1]["measure"] != "_carry"] + grand


_TOTAL_WORD = re.compile(r"总计|合计")
GRAND_TOTAL = {"income_total": "income_grand_total", "expenditure_total": "expenditure_grand_total"}
_SANGONG_PARTS = ("sangong_overseas", "sangong_vehicle_total", "sangong_vehicle_purchase",
                  "sangong_vehicle_operation", "sangong_reception")


def _sangong_consistent(targets: list[tuple[dict, dict]]) -> list[tuple[dict, dict]]:
    """Drop every figure of a "三公" line (a row of a table with one column per item, a column of a table with one row
    per item) whose parts do not add up to its 合计 (or whose vehicle parts do not add up to their 小计): then the
    columns or rows were not mapped to the right items, and no figure of that line is certain."""
    lines: dict[tuple, list[int]] = {}
    for i, (t, tg) in enumerate(targets):
        # one line = one year and basis of the table's items: a row (items in columns; a two-level header may put
        # 预算数 and 决算数, or two years, side by side on it) or a column (items in rows)
        if tg.get("_by") == "column":
            key = (id(t), "row", tg["row_index"], tg["fiscal_year"], tg["basis"])
        else:
            key = ("col", tg["col"], tg["fiscal_year"], tg["basis"])
        lines.setdefault(key, []).append(i)
    bad: set[int] = set()
    for idx in lines.values():
        vals: dict[str, list[tuple[Decimal, Decimal]]] = {}
        for i in idx:
            t, tg = targets[i]
            v = _value(tg["value_text"], t["unit"])
            if v is None:
                continue
            vals.setdefault(tg["measure"], []).append((v, allowance(t["unit"], decimals_of(tg["value_text"]))))
        if any(len({v for v, _ in vs}) > 1 for vs in vals.values()):
            bad.update(idx)  # one line stating two values for one item
            continue
        one = {m: vs[0] for m, vs in vals.items()}

        def total_of(names: tuple[str, ...]) -> tuple[Decimal, Decimal]:
            return (sum((one[n][0] for n in names if n in one), Decimal(0)),
                    sum((one[n][1] for n in names if n in one), Decimal(0)))

        checks = []
        parts = ("sangong_vehicle_purchase", "sangong_vehicle_operation")
        if "sangong_vehicle_total" in one and any(p in one for p in parts):
            checks.append((one["sangong_vehicle_total"], total_of(parts)))
        vehicle = ("sangong_vehicle_total",) if "sangong_vehicle_total" in one else parts
        items = ("sangong_overseas", "sangong_reception") + vehicle
        # Where the items are columns, a blank (or missing) column adds nothing; where they are rows, a line that
        # does not print every item cannot be summed.
        by_column = any(targets[i][1].get("_by") == "column" for i in idx)
        complete = all(any(p in one for p in group) for group in (("sangong_overseas",), ("sangong_reception",),
                                                                   ("sangong_vehicle_total",) + parts))
        if "sangong_total" in one and any(p in one for p in items) and (by_column or complete):
            checks.append((one["sangong_total"], total_of(items)))
        for (whole, w_allow), (summed, s_allow) in checks:
            if abs(whole - summed) > w_allow + s_allow:
                bad.update(idx)
    return [x for i, x in enumerate(targets) if i not in bad]


def mark_precision(figures: pd.DataFrame) -> pd.DataFrame:
    """Add ``more_precise``: among rows stating the same figure (same file, measure, code, year, basis, agreeing
    within printed rounding), True for the most precisely printed one(s), False for the others; NA for a figure
    stated only once.

    >>> df = pd.DataFrame({"file": ["a", "a"], "measure": ["income_total"] * 2, "code": ["", ""],
    ...     "fiscal_year": [2026, 2026], "basis": ["budget"] * 2, "value": [288280000.0, 288280739.0],
    ...     "scale": ["万元", "元"], "decimals": [0, 0], "source": ["text", "table"]})
    >>> mark_precision(df)["more_precise"].tolist()
    [False, True]
    """
    out = figures.copy()
    flag = pd.Series(pd.NA, index=out.index, dtype="boolean")
    keys = ["file", "measure", "code", "fiscal_year", "basis"]
    if out.empty:
        out["more_precise"] = flag
        return out

    def allow(row) -> Decimal:
        try:
            return allowance(str(row["scale"]), int(row["decimals"]))
        except (KeyError, ValueError, TypeError):
            return Decimal("Infinity")

    for _, grp in out.groupby(keys, dropna=False, sort=False):
        if len(grp) < 2:
            continue
        allows = {i: allow(grp.loc[i]) for i in grp.index}
        for i in grp.index:
            agreeing = [k for k in grp.index if k != i and abs(Decimal(str(grp.loc[k, "value"])) - Decimal(
                str(grp.loc[i, "value"]))) <= max(allows[i], allows[k])]
            if not agreeing:
                continue
            best = min(allows[k] for k in agreeing + [i])
            flag[i] = allows[i] == best and any(allows[k] > best for k in agreeing + [i])
    out["more_precise"] = flag
    return out
