"""Rebuild the disclosure tables of a PDF from pypdfium2 character positions: runs -> rows (y) -> columns (x)."""

from __future__ import annotations

import ctypes
import re
from bisect import bisect_right
from pathlib import Path
from statistics import median
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from countyfiscal.extract.table_rules import RULES, classify_title, find_unit, is_title_line, looks_like_title, squeeze

NUMBER_RE = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
INDEX_MARKS = {"**", "栏次", "*", "——", "—"}
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")


class Run:
    """A stretch of text on one line with no wide gap: one table cell's text in practice."""

    # plain slots, geometry computed once: rows, columns and headers ask each run these many times
    __slots__ = ("text", "x0", "x1", "y0", "y1", "yc", "height", "numeric")

    def __init__(self, text: str, x0: float, x1: float, y0: float, y1: float) -> None:
        self.text, self.x0, self.x1, self.y0, self.y1 = text, x0, x1, y0, y1
        self.yc = (y0 + y1) / 2
        self.height = y1 - y0
        self.numeric = bool(NUMBER_RE.fullmatch(text))

    def __repr__(self) -> str:
        return f"Run({self.text!r}, {self.x0:.1f}, {self.x1:.1f}, {self.y0:.1f}, {self.y1:.1f})"


# A positioned word: text, x0, x1, y0, y1 (PDF points, y upwards), and whether the text layer starts a new line
# before it. What ingest collects while it has a page's text open (Document.tables entries with "words"), and what
# OCR gives for a scanned page; elements after the sixth are ignored. See /work/coord/notes/tables_interface.md.
Word = tuple[str, float, float, float, float, bool]
_TOKEN = re.compile(r"[^\s\u3000]+")


def page_words(textpage: pdfium.PdfTextPage, text: str) -> list[Word]:
    """Whitespace-separated tokens of a page with their boxes (the page's ``get_text_range()`` is ``text``).

    Only the first and last character of each token are measured: per-character boxes cost 4x more and tokens
    of one line share a baseline anyway. Generated characters without a box are left out.
    """
    raw = textpage.raw
    l, r, b, t = (ctypes.c_double() for _ in range(4))
    refs = tuple(ctypes.byref(v) for v in (l, r, b, t))
    get_box = pdfium_c.FPDFText_GetCharBox
    words: list[Word] = []
    prev_end = 0
    for m in _TOKEN.finditer(text):
        i, k = m.start(), m.end() - 1
        get_box(raw, i, *refs)
        a = (l.value, r.value, b.value, t.value)
        if k != i:
            get_box(raw, k, *refs)
            z = (l.value, r.value, b.value, t.value)
        else:
            z = a
        if a[3] <= a[2] and z[3] <= z[2]:
            continue
        new_line = not words or "\n" in text[prev_end:i]
        words.append((m.group(0), min(a[0], z[0]), max(a[1], z[1]), min(a[2], z[2]), max(a[3], z[3]), new_line))
        prev_end = m.end()
    return words


_LABEL_START = re.compile(r"[\u4e00-\u9fff（(\[【](?<![万元亿])")  # a label, not a unit after an amount
_NUMBER_GLYPHS = set("0123456789.,")
_PARTIAL_NUMBER = re.compile(r"-?\d[\d,]*\.?\d*")
# Amounts printed with two decimals and no space between them ('244,895.02192,446.79'): one token in the text layer.
_AMOUNT2 = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d\d")
_AMOUNTS2 = re.compile(r"(?:-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d\d){2,}")


def _split_amounts(text: str, x0: float, x1: float) -> list[tuple[str, float, float]]:
    """A token of two or more two-decimal amounts run together, split into the amounts, each given its share of
    the token's width by its characters; any other token unchanged."""
    if not _AMOUNTS2.fullmatch(text):
        return [(text, x0, x1)]
    parts = _AMOUNT2.findall(text)
    if "".join(parts) != text or any("," in p and not re.fullmatch(r"-?\d{1,3}(?:,\d{3})+\.\d\d", p) for p in parts):
        return [(text, x0, x1)]
    out, at, per = [], x0, (x1 - x0) / len(text)
    for p in parts:
        out.append((p, at, at + per * len(p)))
        at += per * len(p)
    return out


def _page_runs(words: list[Word]) -> list[Run]:
    """Words merged into runs where the gap is narrower than a character: one table cell's text in practice."""
    runs: list[Run] = []
    spaced_runs: set[int] = set()
    for w in words:
        text, x0, x1, y0, y1, new_line = w[:6]  # a word may carry more (an OCR score): ignored here
        if text[-1].isdigit() and len(text) > 7:
            pieces = _split_amounts(text, x0, x1)
            if len(pieces) > 1:
                for piece, a, b in pieces:
                    runs.append(Run(piece, a, b, y0, y1))
                continue
        tok = Run(text, x0, x1, y0, y1)
        if runs:
            last = runs[-1]
            gap = tok.x0 - last.x1
            h = max(last.height, tok.height, 1.0)
            both_numbers = last.numeric and tok.numeric
            # a label printed letter-spaced to fill its cell ('收 入 总 计') is one word, on one baseline even where
            # the text layer breaks the line between its characters
            spaced = _CJK_CHAR.fullmatch(tok.text) and (len(runs) - 1 in spaced_runs or _CJK_CHAR.fullmatch(last.text))
            near = (not new_line and gap < 0.9 * h) or (spaced and gap < 2.2 * h)
            # an amount is a cell of its own: the label of the next column may stand close to its right edge
            # ('18,417.70' then '一、一般公共服务支出' in a 收支总表 whose columns are narrow)
            amount_then_label = last.numeric and ("." in last.text or "," in last.text) and _LABEL_START.match(tok.text)
            # a number printed one glyph at a time ('3' '.' '3' '6', each a line of the text layer): its glyphs
            # stand closer than any two cells do
            if both_numbers or new_line:
                glyph = len(tok.text) == 1 and tok.text in _NUMBER_GLYPHS and _PARTIAL_NUMBER.fullmatch(last.text)
                if glyph and -0.1 * h < gap < 0.7 * h and _PARTIAL_NUMBER.fullmatch(last.text + tok.text):
                    both_numbers, near = False, True
            if -h < gap and near and not both_numbers and not amount_then_label and abs(tok.yc - last.yc) < h / 2:
                runs[-1] = Run(last.text + tok.text, last.x0, max(last.x1, tok.x1),
                               min(last.y0, tok.y0), max(last.y1, tok.y1))
                if spaced:
                    spaced_runs.add(len(runs) - 1)
                continue
        runs.append(tok)
    return runs


_CUT_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d?")


def _join_wrapped_numbers(runs: list[Run]) -> list[Run]:
    """Put back together an amount too wide for its cell that wraps its last digits onto a second line
    ('24995.9' over '4'): the two parts end at the same right edge, the second is one or two bare digits that
    complete two decimals, and the whole sits centred on its row between them."""
    nums = [k for k, r in enumerate(runs) if r.numeric]
    used: set[int] = set()
    out = list(runs)
    for k in nums:
        a = runs[k]
        if k in used or not _CUT_NUMBER.fullmatch(a.text):
            continue
        need = 2 - len(a.text.split(".")[1])
        below = [m for m in nums if m not in used and m != k and runs[m].text.isdigit() and len(runs[m].text) == need
                 and abs(runs[m].x1 - a.x1) < 1.5 and 0.5 * a.height < a.yc - runs[m].yc < 2.5 * a.height]
        if len(below) != 1:
            continue
        b = runs[below[0]]
        between = [r for r in runs if r is not a and r is not b and b.yc < r.yc < a.yc and _overlap(r.x0, r.x1, a.x0, a.x1) > 0]
        if between:
            continue
        out[k] = Run(a.text + b.text, min(a.x0, b.x0), max(a.x1, b.x1), b.y0, a.y1)
        used.update((k, below[0]))
        out[below[0]] = None  # type: ignore[call-overload]
    return [r for r in out if r is not None]


def _rows(runs: list[Run]) -> list[list[Run]]:
    """Group runs into visual rows by vertical centre, top row first, each row left to right."""
    if not runs:
        return []
    h = median(r.height for r in runs) or 1.0
    rows: list[list[Run]] = []
    for run in sorted(runs, key=lambda r: -r.yc):
        if rows and abs(sum(x.yc for x in rows[-1]) / len(rows[-1]) - run.yc) < 0.45 * h:
            rows[-1].append(run)
        else:
            rows.append([run])
    return [sorted(row, key=lambda r: r.x0) for row in rows]


def _is_index_row(row: list[Run]) -> bool:
    """The '** 1 2 3' / '栏次' row of column numbers under a header."""
    texts = [r.text for r in row]
    if any(t in INDEX_MARKS for t in texts):
        return True
    nums = [t for t in texts if t.isdigit()]
    return len(nums) >= 3 and len(nums) >= len(texts) - 1 and all(len(t) <= 2 for t in nums)


def _is_data_row(row: list[Run]) -> bool:
    if _is_index_row(row):
        return False
    for i, r in enumerate(row):
        if not r.numeric:
            continue
        nxt = row[i + 1].text if i + 1 < len(row) else ""
        if re.fullmatch(r"(19|20)\d\d", r.text) and (nxt.startswith("年") or len(row) == 1):
            continue  # a year in a caption, not an amount
        if "." in r.text or "," in r.text or len(row) > 1:
            return True
    return False


_ITEM_START = re.compile(r"^(?:[（(]?[一二三四五六七八九十百]+[)）、.．]|[（(]\d+[)）]|\d+[、.．](?!\d)|其中)")
_TOTAL_LABEL = re.compile(RULES["rows"]["own_row"])


def _starts_own_row(text: str) -> bool:
    """A label that opens a row of its own (an enumerated item, a 其中 line, a total), never the wrapped end of another."""
    return bool(_ITEM_START.match(text) or _TOTAL_LABEL.match(text))


def _join_wrapped(rows: list[list[Run]]) -> list[list[Run]]:
    """Fold the text-only lines of a label that wraps inside its cell into the row that holds the numbers.

    A wrapped line sits closer to its row than rows sit to each other; a label-only row of its own (a heading
    row with blank cells) sits a full row pitch away and is kept. The pitch is measured between numeric rows
    that follow each other directly: where most rows are label-only (a 收支总表 whose expenditure side lists
    every class, most of them blank), the gap between numeric rows spans several rows. A line that starts an
    item of its own ('二十六、…', '本年收入合计') is never folded into a row already labelled in that column.
    """
    ys = [sum(r.yc for r in row) / len(row) for row in rows]
    numeric = [any(r.numeric for r in row) for row in rows]
    adjacent = [ys[i] - ys[i + 1] for i in range(len(rows) - 1) if numeric[i] and numeric[i + 1] and ys[i] > ys[i + 1]]
    num_y = [y for y, n in zip(ys, numeric) if n]
    gaps = [a - b for a, b in zip(num_y, num_y[1:]) if a - b > 0]
    if not gaps:
        return rows
    pitch = median(adjacent) if adjacent else median(gaps)
    merged: dict[int, list[Run]] = {i: list(row) for i, row in enumerate(rows)}
    for i, row in enumerate(rows):
        if numeric[i]:
            continue
        near = [j for j in (i - 1, i + 1, i - 2, i + 2) if 0 <= j < len(rows) and numeric[j]]
        if not near:
            continue
        j = min(near, key=lambda j: abs(ys[j] - ys[i]))
        if not (abs(ys[j] - ys[i]) < 0.7 * pitch and j in merged and i in merged):
            continue
        if any(_starts_own_row(r.text) and any(_overlap(r.x0, r.x1, o.x0, o.x1) > 0 for o in rows[j] if not o.numeric)
               for r in row):
            continue
        merged[j].extend(row)
        del merged[i]
    out = []
    for i in sorted(merged):
        row = merged[i]
        if len(row) == len(rows[i]):
            out.append(row)
            continue
        out.append(sorted(row, key=lambda r: (-r.yc, r.x0)))  # a wrapped cell reads top line first
    return out


def _cluster(runs: list[Run]) -> list[tuple[float, float]]:
    """Merge runs whose horizontal extents overlap into column spans, left to right."""
    spans: list[list[float]] = []
    for r in sorted(runs, key=lambda r: r.x0):
        if spans and r.x0 <= spans[-1][1] - 0.5:
            spans[-1][1] = max(spans[-1][1], r.x1)
        else:
            spans.append([r.x0, r.x1])
    return [(a, b) for a, b in spans]


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _gap(x: float, a: float, b: float) -> float:
    return 0.0 if a <= x <= b else min(abs(x - a), abs(x - b))


def _is_column_number(r: Run) -> bool:
    return r.text in INDEX_MARKS or (r.text.isdigit() and len(r.text) <= 2)  # the '** 1 2 3' / '栏次' row


def _overlapped_columns(r: Run, cols: list[tuple[float, float, str]]) -> list[int]:
    """The columns a header run stands over: those whose cells it overlaps (a spanning header several)."""
    return [j for j, (a, b, _k) in enumerate(cols) if _overlap(r.x0, r.x1, a, b) > 0]


def _widened_column(r: Run, cols: list[tuple[float, float, str]]) -> list[int]:
    """A header centred over a cell whose right-aligned numbers are narrow may miss them: then it names the column
    whose widened span holds its centre -- never a neighbour merely near it (that column may be a blank one)."""
    mid = (r.x0 + r.x1) / 2
    over = [j for j, (a, b, _k) in enumerate(cols) if a - (0.5 * (b - a) + 6) <= mid <= b + (0.5 * (b - a) + 6)]
    return over[:1] if len(over) == 1 else []


def _spanned_columns(h: Run, start: list[int], cols: list[tuple[float, float, str]], under: list[list[Run]],
                     bottom: float, bounds: tuple[float, float]) -> list[int]:
    """The columns a header that stands over other headers spans (a '基本支出' over 小计 | 人员经费 | 公用经费, a
    '2026年预算数' over every column of that year), where the header text is narrower than the cells it spans.

    Tables print a spanning header centred over its columns; a column is spanned only if its own headers leave room
    for it (a header centred in a cell that reaches down to the header's bottom line, a '总计' spanning all header
    rows, occupies every level up to as far above its text as the bottom line is below it) and it stands between
    this header and the headers beside it on its line (``bounds``: half way to each). The widest run of adjacent
    number columns around ``start`` that is free at this header's level and keeps the header centred is chosen.
    """
    def free(j: int) -> bool:
        if not bounds[0] < (cols[j][0] + cols[j][1]) / 2 < bounds[1]:
            return False
        stack = [r for r in under[j] if r is not h and r.yc < h.yc + 0.5 * h.height]
        if not stack:
            return True
        top = max(r.y1 for r in stack) + (min(r.y0 for r in stack) - bottom)
        return top <= h.y0 + 0.25 * h.height

    def extent(js: list[int]) -> tuple[float, float]:
        xs = [x for j in js for x in (cols[j][0], cols[j][1])]
        xs += [x for j in js for r in under[j] if r is not h and r.yc < h.yc for x in (r.x0, r.x1)]
        return min(xs), max(xs)

    lo, hi = min(start), max(start)
    left = lo
    while left - 1 >= 0 and cols[left - 1][2] == "num" and free(left - 1):
        left -= 1
    right = hi
    while right + 1 < len(cols) and cols[right + 1][2] == "num" and free(right + 1):
        right += 1
    mid = (h.x0 + h.x1) / 2
    best: tuple[int, float, list[int]] | None = None
    for a in range(left, lo + 1):
        for b in range(hi, right + 1):
            js = list(range(a, b + 1))
            x0, x1 = extent(js)
            err = abs((x0 + x1) / 2 - mid)
            if err <= 0.08 * (x1 - x0) + h.height:
                cand = (len(js), -err, js)
                if best is None or cand[:2] > best[:2]:
                    best = cand
    return best[2] if best else list(start)


def _assign_headers(head_rows: list[list[Run]], cols: list[tuple[float, float, str]]) -> list[list[str]]:
    """Header texts of each column, top line first: its own header and every header spanning it."""
    runs = [r for row in head_rows for r in row if not _is_column_number(r)]
    order = {id(r): (i, r.x0) for i, row in enumerate(head_rows) for r in row}
    under: list[list[Run]] = [[] for _ in cols]
    direct: dict[int, list[int]] = {}
    for r in runs:
        direct[id(r)] = _overlapped_columns(r, cols)
        for j in direct[id(r)]:
            under[j].append(r)
    unplaced: list[Run] = []
    for r in runs:
        if direct[id(r)]:
            continue
        # widened only into a column that has no header of its own on this line (else this one names another
        # column, a blank one, whose numbers are missing)
        over = [j for j in _widened_column(r, cols) if not any(abs(o.yc - r.yc) < 0.5 * r.height for o in under[j])]
        direct[id(r)] = over
        if not over:
            unplaced.append(r)
        for j in over:
            under[j].append(r)
    for j, claimed in _place_offset_headers(unplaced, cols, under).items():
        for r in claimed:
            direct[id(r)] = [j]
    if runs:
        bottom = min(r.y0 for r in runs)
        # bottom-up, so that a header spanning other spanning headers sees the columns they span
        for h in sorted(runs, key=lambda r: r.yc):
            start = [j for j in direct[id(h)] if cols[j][2] == "num"]
            if not start or not any(r.yc < h.yc - 0.5 * h.height for j in start for r in under[j]):
                continue  # a leaf header: it names its own column only
            line = [r for r in runs if r is not h and abs(r.yc - h.yc) < 0.5 * h.height]
            bounds = (max([(r.x1 + h.x0) / 2 for r in line if r.x1 <= h.x0], default=float("-inf")),
                      min([(h.x1 + r.x0) / 2 for r in line if r.x0 >= h.x1], default=float("inf")))
            for j in _spanned_columns(h, start, cols, under, bottom, bounds):
                if h not in under[j]:
                    under[j].append(h)
    return [[r.text for r in sorted(u, key=lambda r: order[id(r)])] for u in under]


def _place_offset_headers(unplaced: list[Run], cols: list[tuple[float, float, str]],
                          under: list[list[Run]]) -> dict[int, list[Run]]:
    """Give a header that stands over no column to its nearest number column when that column has no header yet,
    or only headers on lines above it (a spanning '本年一般公共预算基本支出' over the leaf '人员经费'), and no other
    such header claims it. Tables print a header centred in its cell and the numbers right-aligned in it, so over
    a wide cell the two need not overlap ('预算数' left of its column). A header whose nearest column is named on
    its own line already, or right of the column's numbers (the '公务用车购置费' over a column left blank), stays
    unplaced."""
    claims: dict[int, list[Run]] = {}
    for r in unplaced:
        mid = (r.x0 + r.x1) / 2
        j = min(range(len(cols)), key=lambda k: _gap(mid, cols[k][0], cols[k][1]), default=None)
        if j is None or cols[j][2] != "num" or mid > cols[j][1]:
            continue  # numbers stand right-aligned in their cell: its header is never right of them
        # under a spanning header: every header of the column is on a line above, and one spans this header
        below_all = (all(h.yc > r.yc + h.height / 2 for h in under[j])
                     and any(h.x0 <= mid <= h.x1 for h in under[j]))
        if under[j] and not (below_all and _gap(mid, cols[j][0], cols[j][1]) <= r.x1 - r.x0):
            continue
        claims.setdefault(j, []).append(r)
    placed = {}
    for j, found in claims.items():
        if len(found) == 1 or len({round(r.yc) for r in found}) == len(found):
            # one claimant per header line: a two-line header ('本年' over '预算数') reads top line first
            under[j].extend(found)
            placed[j] = found
    return placed


def _columns(rows: list[list[Run]]) -> list[tuple[float, float, str]]:
    """Column spans of a table's data rows, left to right: numbers and labels clustered apart."""
    num_runs = [r for row in rows for r in row if r.numeric]
    txt_runs = [r for row in rows for r in row if not r.numeric]
    cols = [(a, b, "num") for a, b in _cluster(num_runs)] + [(a, b, "text") for a, b in _cluster(txt_runs)]
    cols.sort(key=lambda c: (c[0] + c[1]) / 2)
    return cols


def _segment_table(rows: list[list[Run]], head_rows: list[list[Run]], prev: dict[str, Any] | None) -> dict[str, Any]:
    """One table's rows on one page -> grid of cells with a header string per column. Without header rows of its
    own, a continuation takes its headers from ``prev`` (the table's part on the page before) by position."""
    cols = _columns(rows)
    cells: list[list[str]] = []
    ends: list[list[float]] = [[] for _ in cols]
    # the columns were clustered from these very runs: each run lies in the span of its kind that starts last at or
    # before it (spans of one kind do not overlap)
    of_kind = {k: [j for j, c in enumerate(cols) if c[2] == k] for k in ("num", "text")}
    starts = {k: [cols[j][0] for j in js] for k, js in of_kind.items()}
    for row in rows:
        line = [""] * len(cols)
        for r in row:
            kind = "num" if r.numeric else "text"
            i = bisect_right(starts[kind], r.x0) - 1
            best = of_kind[kind][max(i, 0)]
            line[best] = (line[best] + " " + r.text).strip() if line[best] else r.text
            ends[best].append(r.x1)
        cells.append(line)
    # A label column's few long labels reach under the headers of the number columns beside it; for headers it
    # ends where most of its labels end.
    header_cols = [(a, min(b, median(ends[j])), k) if k == "text" and ends[j] else (a, b, k)
                   for j, (a, b, k) in enumerate(cols)]
    header = _assign_headers(head_rows, header_cols)
    if prev is not None and (_fits_layout(rows, prev) or not any(header[j] for j, c in enumerate(cols) if c[2] == "num")):
        # the rest of a table, in its columns: each column is the one it stands in on the page before, whose
        # header was read with every column present (a column left blank on this page would leave a spanning
        # header off-centre here)
        for j, (a, b, _kind) in enumerate(cols):
            k = _matching_column(a, b, prev["_spans"])
            if k is not None and prev["_header_parts"][k]:
                header[j] = list(prev["_header_parts"][k])
    return {
        "cells": cells,
        "header": ["".join(h) for h in header],
        "_header_parts": header,
        "_spans": cols,
        "_kinds": [c[2] for c in cols],
    }


def _matching_column(a: float, b: float, spans: list) -> int | None:
    """The column of ``spans`` that [a, b] overlaps most, or None."""
    best = max(range(len(spans)), key=lambda k: _overlap(a, b, spans[k][0], spans[k][1]), default=None)
    return best if best is not None and _overlap(a, b, spans[best][0], spans[best][1]) > 0 else None


def _fits_layout(rows: list[list[Run]], prev: dict[str, Any]) -> bool:
    """Whether rows lay their numbers out in the columns of ``prev``: every amount stands in (or right-aligned
    with) one of its number columns. A page of another table, or of narrative, does not."""
    spans = [(a, b) for a, b, k in prev["_spans"] if k == "num"]
    nums = [r for row in rows for r in row if r.numeric]
    if not spans or not nums:
        return False
    for r in nums:
        if not any(_overlap(r.x0, r.x1, a, b) > 0 or abs(r.x1 - b) < max(r.height, 3.0) for a, b in spans):
            return False
    return True


def _repeats_header(head: list[list[Run]], prev: dict[str, Any]) -> bool:
    """Whether the rows above a continuation's data repeat the header of the page before (else they are the page's
    running header, a department line and the like, and say nothing about the columns)."""
    texts = [squeeze(r.text) for row in head for r in row if not _is_column_number(r)]
    known = {squeeze(p) for parts in prev["_header_parts"] for p in parts}
    return bool(texts) and sum(t in known for t in texts) >= max(2, 0.5 * len(texts))


_NOTE = re.compile(r"(注|备注|说明)[:：]?")
_PAGE_NUMBER = re.compile(r"[-—\s]*(?:第)?\d{1,3}(?:页|/\d{1,3}|页/共\d{1,3}页)?[-—\s]*")


def page_tables(rows: list[list[Run]], page: int, prev: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The tables (or table parts) on one page. ``prev`` is the last table of the page before, for continuations.

    A table starts at a title line (of a known kind, or any line that reads as a table title: a table of unknown
    kind is returned with kind None, so its rows are never taken for the rest of another table). A page that opens
    with table rows before any title continues ``prev`` when it repeats prev's header, or when its numbers stand in
    prev's columns; otherwise its rows belong to no table.
    """
    texts = ["".join(r.text for r in row) for row in rows]
    title_idx = [i for i, t in enumerate(texts) if looks_like_title(t)]
    # A run of several titles with no data between them is a list of tables (contents), not tables.
    starts: list[tuple[int, str | None]] = []
    for k, i in enumerate(title_idx):
        end = title_idx[k + 1] if k + 1 < len(title_idx) else len(rows)
        if any(_is_data_row(rows[j]) for j in range(i + 1, end)):
            starts.append((i, texts[i]))
    first_data = next((j for j, row in enumerate(rows) if _is_data_row(row)), None)
    own_header = False
    if prev is not None and first_data is not None and (not starts or first_data < starts[0][0]):
        # The page opens with the rest of the table before -- if its rows look like table rows (they end in a
        # number), not like narrative (numbers there are followed by 万元 and merged into text runs).
        upto = starts[0][0] if starts else len(rows)
        numeric_rows = [row for row in rows[:upto] if any(r.numeric for r in row)]
        ending = [row for row in numeric_rows if row[-1].numeric]
        # a table's last lines alone on the next page ('收入总计 99,230.46 支出总计 99,230.46') are enough
        closing = [row for row in ending if not row[0].numeric and _TOTAL_LABEL.match(row[0].text)]
        if len(ending) >= 2 or closing:
            own_header = _repeats_header([r for r in rows[:first_data] if not find_unit("".join(x.text for x in r))],
                                         prev)
            fits = _fits_layout([r for r in rows[first_data:upto] if _is_data_row(r)], prev)
            # rows that mostly end in a number, or (many of their cells left blank) whose amounts stand in prev's
            # columns
            if (own_header or fits) and (len(ending) >= 0.6 * len(numeric_rows) or fits or closing):
                starts.insert(0, (-1, None))
    out: list[dict[str, Any]] = []
    for k, (i, title) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(rows)
        body = rows[i + 1 : end]
        d0 = next((j for j, row in enumerate(body) if _is_data_row(row)), None)
        if d0 is None:
            continue
        unit = find_unit(" ".join(texts[max(0, i - 2) : i + 1 + d0 + 1]) if title else " ".join(
            "".join(r.text for r in row) for row in body[: d0 + 1]))
        head = [row for row in body[:d0] if not find_unit("".join(r.text for r in row))]
        # data rows run until the first row that is neither data nor the wrapped part of a label
        data: list[list[Run]] = []
        for row in body[d0:]:
            rt = "".join(r.text for r in row)
            if _NOTE.match(rt):
                break
            if _PAGE_NUMBER.fullmatch(rt):
                continue  # page number
            data.append(row)
        data = _join_wrapped(data)
        cont = title is None
        same_title = title is not None and title == (prev or {}).get("title")
        if cont and not own_header:
            head = []  # the page's running header, not the table's
        seg = _segment_table(data, head, prev if (cont or same_title) else None)
        seg.update(
            title=(prev or {}).get("title") if cont else title,
            kind=(prev or {}).get("kind") if cont else classify_title(title or ""),
            unit=unit or ((prev or {}).get("unit") if (cont or same_title) else None),
            page=page,
            start=None,
            end=None,
            continued=cont or same_title,
        )
        out.append(seg)
        prev = seg
    return out


_TABULAR_LINE = re.compile(r"\d\.\d+[ \t]*\r?$", re.M)
_TOTAL_LINE = re.compile(r"^[ \t\u3000]*(?:本年)?(?:收[ \t\u3000]*入|支[ \t\u3000]*出)?[ \t\u3000]*[合总][ \t\u3000]*计[ \t\u3000]*-?\d[\d,]*\.\d+", re.M)


_LONE_AMOUNT = re.compile(r"(?<![^\s])-?\d[\d,]*\.\d+(?![^\s])")


_GLYPH_LINE = re.compile(r"^\d$", re.M)  # a text layer that gives every glyph a line of its own


def _run_together(text: str) -> bool:
    """A page whose text layer runs its rows into few lines: many amounts standing alone, few line breaks."""
    lone = len(_LONE_AMOUNT.findall(text))
    return lone >= 4 and text.count("\n") < lone // 2


def candidate_page(text: str, continuing: bool = False) -> bool:
    """Cheap test on a page's text: could it hold the start of a standard table (a title line), or -- when the page
    before ended inside a table -- its rest (lines ending in amounts, or, where the text layer runs a page's rows
    into one line, amounts standing alone)? Loading a page costs more than reading it."""
    if continuing and (len(_TABULAR_LINE.findall(text)) >= 2 or _TOTAL_LINE.search(text) or _run_together(text)
                       or len(_GLYPH_LINE.findall(text)) >= 40):
        return True
    return any(is_title_line(line) for line in text.splitlines())


def read_pdf_tables(path: str | Path | None, page_texts: list[str] | None = None,
                    words: dict[int, list[Word]] | None = None) -> list[dict[str, Any]]:
    """All disclosure tables of a PDF, one dict per table per page, in reading order.

    Each dict: ``cells`` (rows of str, blank cell = ""), ``header`` (one string per column), ``title`` (as printed),
    ``kind`` (standard table kind or None), ``unit`` (元/万元/亿元 or None), ``page`` (1-based), ``continued``
    (True for a later page of a table that began earlier), ``start``/``end`` None (offsets are found later in the
    document text). ``page_texts`` (the text of each page, if the caller already has it) lets pages that cannot
    hold a table be skipped without loading them again; ``words`` (1-based page -> positioned words, as ingest
    collects them) spares loading those pages at all. Without ``path``, only pages with words are read.
    """
    pdf = None
    tables: list[dict[str, Any]] = []
    try:
        if path is not None and (page_texts is None or words is None):
            pdf = pdfium.PdfDocument(str(path))
        n = len(page_texts) if page_texts is not None else len(pdf) if pdf is not None else 0
        prev: dict[str, Any] | None = None
        for i in range(n):
            pre_text = page_texts[i] if page_texts is not None else None
            if pre_text is not None and not candidate_page(pre_text, prev is not None):
                prev = None
                continue
            page_words_ = (words or {}).get(i + 1)
            if page_words_ is None:
                if pdf is None and path is not None:
                    pdf = pdfium.PdfDocument(str(path))
                if pdf is None or i >= len(pdf):
                    prev = None
                    continue
                page = pdf[i]
                tp = page.get_textpage()
                text = tp.get_text_range()
                if pre_text is not None or candidate_page(text, prev is not None):
                    page_words_ = page_words(tp, text)
                tp.close()
                page.close()
                if page_words_ is None:
                    prev = None
                    continue
            found = page_tables(_rows(_join_wrapped_numbers(_page_runs(page_words_))), i + 1, prev)
            tables.extend(found)
            prev = found[-1] if found else None
    finally:
        if pdf is not None:
            pdf.close()
    for t in tables:
        for k in ("_header_parts", "_spans"):
            t[k] = [list(x) for x in t[k]]
    return tables
