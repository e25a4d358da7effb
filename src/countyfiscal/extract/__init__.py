"""Normalised documents -> figures.csv rows (narrative text, and the disclosure tables where they are read)."""

from __future__ import annotations

import bisect
import re
from decimal import Decimal

from countyfiscal.amounts import allowance, amount_from_match, to_float
from countyfiscal.audit.reconcile import one_value_per_key
from countyfiscal.fields import columns
from countyfiscal.model import Document
# Measures a document may state both for the whole department and for its 一般公共预算 appropriations only.
# ("三公" and 机关运行经费 are appropriation-funded by definition, so they have one scope.)
from countyfiscal.audit.statements import SCOPED_MEASURES

from .narrative import extract_narrative
from .ocr_figures import ocr_figures

APPROPRIATION_SCOPE = re.compile(r"财政拨款|一般公共预算|当年拨款|政府性基金|国有资本经营")
SENTENCE_END = "。；;！？!?\n"
VEHICLE_PARTS = {"sangong_vehicle_purchase", "sangong_vehicle_operation"}


SHARE_AFTER = re.compile(r"[，,]\s*占[^，,；;。\n]*")
LIST_INTRO = re.compile(r"其中[:：]\s*$")
LIST_ITEM = re.compile(r"[ \t]*(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[.、．](?!\d))")
MAX_LIST_LINES = 12


def _list_intro(text: str, line_start: int) -> int | None:
    """Where the sentence introducing a list begins, for an item on a line of its own: the lines above it are items
    too (as many as MAX_LIST_LINES) up to one ending in "其中：" — that line's last sentence; else None."""
    pos = line_start
    for _ in range(MAX_LIST_LINES):
        prev = text.rfind("\n", 0, pos - 1) + 1  # start of the line above
        if LIST_INTRO.search(text, max(prev, pos - 12), pos - 1):
            a = pos - 1
            while a > prev and text[a - 1] not in SENTENCE_END:
                a -= 1
            return a
        if prev == 0 or not LIST_ITEM.match(text, prev):
            return None
        pos = prev
    return None


def _lead_in(text: str, start: int, end: int) -> str:
    """What qualifies a figure: its sentence up to the figure, and a share clause right after it
    ("…支出2,090,097.89元，占一般公共预算财政拨款总支出的75.25%"). Items listed after it ("其中：财政拨款收入…")
    do not. A sentence opening with 其中 belongs to the one before it, and so does an item listed on its own line
    after a sentence ending in "其中：" ("…财政拨款基本支出预算 12,889.17 万元，其中：\n（一）人员经费 11,577.73 万元")."""
    a = start
    while a > 0 and text[a - 1] not in SENTENCE_END:
        a -= 1
    if a > 0 and text[a : a + 2] == "其中":
        a -= 1
        while a > 0 and text[a - 1] not in SENTENCE_END:
            a -= 1
    elif a > 0 and text[a - 1] == "\n" and LIST_ITEM.match(text, a):
        intro = _list_intro(text, a)
        if intro is not None:
            a = intro
    share = SHARE_AFTER.match(text, end)
    return text[a:end] + (share.group(0) if share else "")


HEADING = re.compile(
    r"^[ \t]*(?:第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十]+[）)])[^\n]*$",
    re.M,
)


# HEADING for the lines after the first, anchored on their line break: a pattern opening with a literal character
# lets the engine skip from break to break instead of testing every character for a line start.
HEADING_AFTER_BREAK = re.compile("\n(?P<line>" + HEADING.pattern.removeprefix("^").removesuffix("$") + ")")


class _Headings:
    """The section headings of a text, found once, so each figure's heading is a bisection (linear in the text)."""

    def __init__(self, text: str):
        self.starts: list[int] = []
        self.lines: list[str] = []
        first = HEADING.match(text)
        if first:
            self.starts.append(0)
            self.lines.append(first.group(0))
        for m in HEADING_AFTER_BREAK.finditer(text):
            self.starts.append(m.start("line"))
            self.lines.append(m.group("line"))

    def before(self, pos: int) -> str:
        """The last heading starting before ``pos``, up to ``pos`` (a figure on a heading's own line is read with
        the words of that line before it)."""
        i = bisect.bisect_left(self.starts, pos) - 1
        return self.lines[i][: pos - self.starts[i]] if i >= 0 else ""


def _scope(text: str, row: dict, headings: _Headings) -> str:
    """Whether a figure covers the whole department or only its fiscal appropriations.

    A table figure is scoped by its table's title ("一般公共预算支出表"); a narrative one by its sentence and the
    heading of the section it stands in ("（四）财政拨款收支预算情况的总体说明").
    """
    if str(row.get("source")).endswith("table"):
        context = str(row.get("table") or "")
    elif row.get("start") in (None, ""):
        return "total"
    else:
        context = _lead_in(text, row["start"], row["end"]) + headings.before(row["start"])
    return "appropriation" if APPROPRIATION_SCOPE.search(context) else "total"


def _prefer_whole_department(text: str, rows: list[dict], fiscal_year: int | None = None) -> list[dict]:
    """Rows with their ``scope`` set, the whole department's preferred. Budgets state classes, 基本/项目 and 人员/公用
    twice: for all funds and for the 一般公共预算/财政拨款 part only.

    - A statement of the part that equals the whole department's figure of the same key restates it (``total``).
    - One that differs from it is another scope's figure, and the part may be 一般公共预算's or all 财政拨款's (with
      政府性基金): left out, the department's figure standing for the key.
    - Where the document states only the part: if it shows the part is not the whole (its 一般公共预算 total differs
      from the department's), a headline figure or class (类) is kept as ``appropriation`` (its 款 and 项 are left
      out); else nothing shows it differs, and it is read as the department's figure (``total``), as a reader would.
    """
    headings = _Headings(text)
    scopes = [_scope(text, r, headings) if r["measure"] in SCOPED_MEASURES else "" for r in rows]
    totals: dict[tuple, list[dict]] = {}
    for r, s in zip(rows, scopes):
        if s == "total":
            totals.setdefault((r["measure"], r["code"], r["fiscal_year"], r["basis"]), []).append(r)
    totals = {k: _distinct(v) for k, v in totals.items()}  # repeats add nothing to compare against
    differs = _appropriation_differs(text, rows, scopes, fiscal_year)
    out = []
    for r, s in zip(rows, scopes):
        key = (r["measure"], r["code"], r["fiscal_year"], r["basis"])
        scope = "total"  # (a measure stated for one scope only is the entity's total of it)
        if s == "appropriation":
            if key in totals:
                if not any(_agree(r, t) for t in totals[key]):
                    continue
                # (equal to the department's figure: a restatement of it; its part — 一般公共预算 or all 财政拨款 —
                # may not be the one another statement means by the part)
            elif _differs_for(differs, r):
                if len(str(r.get("code") or "")) > 3:
                    # (a 款 or 项 of the part alone — a 一般公共预算基本支出表's 30101, 30102 … — is left out, as
                    # before: no check reads it, and its table's own sums hold only with rows other pages carry)
                    continue
                scope = "appropriation"
        r["scope"] = scope
        out.append(r)
    return out


_AMOUNT = r"\s*(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>亿元|万元|元)"
_NOT_FUND = r"(?<!政府性基金)(?<!国有资本经营)"
# How a document states the 一般公共预算/财政拨款 part of a whole-department measure.
APPROPRIATION_PARTS = {
    "expenditure_total": re.compile(
        _NOT_FUND + r"(?:一般公共预算(?:财政)?拨款|一般公共预算|财政拨款)(?:支出|支出预算|支出决算|预算支出)"
        r"(?:总额|合计)?(?:为|是)?" + _AMOUNT
    ),
    "income_total": re.compile(
        _NOT_FUND + r"(?:一般公共预算(?:当年)?(?:财政)?拨款收入|财政拨款收入)(?:为|是)?" + _AMOUNT
    ),
    "basic_expenditure": re.compile(
        _NOT_FUND + r"(?:一般公共预算|财政拨款)(?:财政拨款)?基本支出(?:为|是)?" + _AMOUNT
    ),
}


# Every APPROPRIATION_PARTS statement opens with one of these words (after its look-behinds).
APPROPRIATION_WORDS = re.compile(r"一般公共预算|财政拨款")


def _appropriation_statements(text: str, starts: list[int], pattern: re.Pattern) -> list:
    """The amounts ``pattern`` states in ``text``, one per distinct (value, scale, decimals).

    The same as parsing ``pattern.finditer(text)``, but matched only where one of APPROPRIATION_WORDS starts
    (``starts``, found once per document): a pattern opening with look-behinds would otherwise be tried at every
    character of the text. A match tried inside an earlier one reads the same amount (the words hold no digits),
    so it adds nothing after de-duplication.
    """
    found = (pattern.match(text, s) for s in starts)
    return list({(a.value, a.scale, a.decimals): a for a in map(amount_from_match, filter(None, found))}.values())


BASIC_FAMILY = {"basic_expenditure", "personnel_expenditure", "public_expenditure"}


def _differs_for(differs: dict[tuple, bool], row: dict) -> bool:
    """Whether the appropriation-only ``row`` must be left out: the 基本 family is judged on 基本支出 itself where
    the document allows it, everything else on the totals."""
    year_basis = (row["fiscal_year"], row["basis"])
    if row["measure"] in BASIC_FAMILY and ("basic", *year_basis) in differs:
        return differs[("basic", *year_basis)]
    return differs.get(("total", *year_basis), False)


def _whole_basic(rows: list[dict], scopes: list[str]) -> list[dict]:
    """Whole-department 基本支出: stated, or the sum of stated whole-department 人员 and 公用 of the same year."""
    stated = [r for r, s in zip(rows, scopes) if r["measure"] == "basic_expenditure" and s == "total"]
    if stated:
        return _distinct(stated)
    pers = _distinct([r for r, s in zip(rows, scopes) if r["measure"] == "personnel_expenditure" and s == "total"])
    pub = _distinct([r for r, s in zip(rows, scopes) if r["measure"] == "public_expenditure" and s == "total"])
    out = []
    for a in pers:
        for b in pub:
            if (a["fiscal_year"], a["basis"]) == (b["fiscal_year"], b["basis"]):
                out.append({"fiscal_year": a["fiscal_year"], "basis": a["basis"],
                            "value": float(Decimal(str(a["value"])) + Decimal(str(b["value"]))),
                            "scale": "元", "decimals": 0,
                            "_allowance": _allowance(a) + _allowance(b)})
    return out


def _appropriation_differs(text: str, rows: list[dict], scopes: list[str], fiscal_year: int | None) -> dict[tuple, bool]:
    """Per ("total" | "basic", year, basis): True when the document states the 一般公共预算/财政拨款 part of its
    income, expenditure or 基本支出 and that part differs from the whole department's; absent when no such pair
    is stated."""
    out: dict[tuple, bool] = {}
    starts: list[int] | None = None
    for measure, pattern in APPROPRIATION_PARTS.items():
        family = "basic" if measure == "basic_expenditure" else "total"
        if measure == "basic_expenditure":
            whole = _whole_basic(rows, scopes)
        else:
            whole = [r for r, s in zip(rows, scopes) if r["measure"] == measure and s == "total"]
        if not whole:
            continue
        whole = _distinct(whole)
        parts = _distinct([r for r, s in zip(rows, scopes) if r["measure"] == measure and s == "appropriation"])
        if starts is None:
            starts = [m.start() for m in APPROPRIATION_WORDS.finditer(text)]
        stated = _appropriation_statements(text, starts, pattern)
        for w in whole:
            same = [p for p in parts if p["fiscal_year"] == w["fiscal_year"] and p["basis"] == w["basis"]]
            if w["fiscal_year"] == fiscal_year:
                # The narrative's own statements of these parts are of the document's year.
                same += [{"value": to_float(a.value), "scale": a.scale, "decimals": a.decimals} for a in stated]
            if not same:
                continue
            key = (family, w["fiscal_year"], w["basis"])
            if not any(_agree(w, p) for p in same):
                out[key] = True
            else:
                out.setdefault(key, False)
    return out


def _distinct(rows: list[dict]) -> list[dict]:
    """One row per distinct (value, printed precision): comparisons stay linear however often a figure repeats."""
    seen: dict[tuple, dict] = {}
    for r in rows:
        seen.setdefault((r["value"], r.get("scale"), r.get("decimals")), r)
    return list(seen.values())


def _allowance(row: dict) -> Decimal:
    if "_allowance" in row:
        return row["_allowance"]
    try:
        return allowance(str(row.get("scale") or "元"), int(row.get("decimals") or 0))
    except (KeyError, ValueError, TypeError):
        return Decimal(0)


def _agree(a: dict, b: dict) -> bool:
    """Two statements of one figure agree when they differ by no more than the printed rounding of either."""
    diff = abs(Decimal(str(a["value"])) - Decimal(str(b["value"])))
    return diff <= max(_allowance(a), _allowance(b))


def _combined_vehicle_only_when_alone(rows: list[dict]) -> list[dict]:
    # CONTRACT: sangong_vehicle_total only where the document gives only the combined figure.
    have_parts = {(r["fiscal_year"], r["basis"]) for r in rows if r["measure"] in VEHICLE_PARTS}
    return [r for r in rows if not (r["measure"] == "sangong_vehicle_total" and (r["fiscal_year"], r["basis"]) in have_parts)]


def extract_figures(doc: Document, doc_kind: str = "", fiscal_year: int | None = None) -> list[dict]:
    """Figures the narrative states, as rows with the columns of figures.csv (file set, offsets into doc.text)."""
    rows = extract_narrative(doc.text, doc_kind, fiscal_year, page_at=doc.page_at)
    return _as_rows(doc, rows)


def extract_all(doc: Document, doc_kind: str = "", fiscal_year: int | None = None, pdf_path=None) -> list[dict]:
    """Every figure the document states, in its narrative and in its disclosure tables, reconciled: each with its
    scope (whole department, or the 一般公共预算/财政拨款 part where the document tells them apart), the combined
    vehicle figure only where the parts are not given, one value per key (file, measure, fiscal_year, basis, code,
    scope: ``audit.reconcile``; where readings disagree, a flag on ``doc.flags`` names them), and ``more_precise``
    set between agreeing statements."""
    from .tables import table_figures

    rows = extract_narrative(doc.text, doc_kind, fiscal_year, page_at=doc.page_at)
    rows = [dict(r, source="text") for r in rows]
    rows += table_figures(doc, fiscal_year, doc_kind, pdf_path=pdf_path)
    rows = _prefer_whole_department(doc.text, rows, fiscal_year)
    rows = _combined_vehicle_only_when_alone(rows)
    rows = ocr_figures(doc, rows)  # figures from OCR'd pages: source, confidence, tables whose identities fail
    rows, conflicts = one_value_per_key(rows, doc.text, doc_kind, doc.file)
    doc.flags.extend(conflicts)
    # The standard tables it should print: a missing one is a flag, and named in its status reason (pipeline._gaps
    # writes doc.warnings there).
    from countyfiscal.audit.completeness import audit_tables  # (it reads table_rules: imported once extract is)

    table_flags, missing = audit_tables(doc.text, doc_kind, doc.file, doc.page_at)
    doc.flags.extend(table_flags)
    doc.warnings.extend(missing)
    for flag in doc.flags:  # (what ingest raised too: `countyfiscal check` keeps these rows, recomputes the rest)
        if not flag.get("origin"):
            flag["origin"] = "reading"
    out = _as_rows(doc, rows)
    _mark_precision(out)
    return out


def _mark_precision(rows: list[dict]) -> None:
    """Set ``more_precise`` in place, as ``tables.mark_precision`` does for a DataFrame, without pandas: among
    statements of one figure that agree within rounding, True for the most precisely printed, False for the others,
    "" for a figure stated once."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        r["more_precise"] = ""
        groups.setdefault((r["measure"], r["code"], r["fiscal_year"], r["basis"], r.get("scope")), []).append(r)
    for grp in groups.values():
        if len(grp) < 2:
            continue
        # Statements are compared as distinct (value, allowance) pairs, so a figure repeated many times costs
        # no more than one stated once (linear in the document).
        pairs: dict[tuple[Decimal, Decimal], int] = {}
        keyed = []
        for r in grp:
            allow = _allowance(r) if r.get("scale") not in ("", None, "count") else Decimal("Infinity")
            pair = (Decimal(str(r["value"])), allow)
            pairs[pair] = pairs.get(pair, 0) + 1
            keyed.append(pair)
        verdict: dict[tuple[Decimal, Decimal], object] = {}
        for pair, count in pairs.items():
            value, allow = pair
            agreeing = [a for (v, a) in pairs if (v, a) != pair and abs(v - value) <= max(allow, a)]
            if count > 1:
                agreeing.append(allow)
            if not agreeing:
                verdict[pair] = ""
                continue
            best = min(agreeing + [allow])
            verdict[pair] = allow == best and any(a > best for a in agreeing + [allow])
        for r, pair in zip(grp, keyed):
            r["more_precise"] = verdict[pair]


def _as_rows(doc: Document, rows: list[dict]) -> list[dict]:
    cols = columns("figures")
    out = []
    for r in rows:
        row = {c: r.get(c, "") for c in cols}
        row["file"] = doc.file
        out.append(row)
    return out
