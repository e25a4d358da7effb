"""Reported vs recomputed: sums of parts, stated shares, rates and changes, restatements, wording, year and placeholders."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache

import pandas as pd

from countyfiscal import fields
from countyfiscal.amounts import SCALES, allowance, find_amounts
from countyfiscal.audit.statements import (DOCUMENT_COLUMNS, FIGURE_COLUMNS, as_number, cell_equals, is_missing,
                                     page_lookup, statement_records, table_records)

FEN = 0.005  # two floats closer than half a fen are the same amount
SANGONG_PARTS = ("sangong_overseas", "sangong_vehicle_purchase", "sangong_vehicle_operation", "sangong_reception")

# ---------------------------------------------------------------------------------------------------------------
# Precision of printed figures


def _scale_decimals(fig: dict) -> tuple[str, int | None]:
    """The printed unit and decimals of a figure; read back from its quote when the extractor did not say."""
    scale, decimals = fig.get("scale"), fig.get("decimals")
    if isinstance(scale, str) and scale in SCALES and not is_missing(decimals):
        return scale, int(decimals)
    quote = fig.get("quote") if isinstance(fig.get("quote"), str) else ""
    value = fig.get("value")
    return _precision_in_quote(quote, None if value is None else float(value))


@lru_cache(maxsize=4096)
def _precision_in_quote(quote: str, value: float | None) -> tuple[str, int | None]:
    for a in find_amounts(quote):
        if value is not None and abs(float(a.value) - value) < FEN:
            return a.scale, a.decimals
    return "元", None


@lru_cache(maxsize=256)
def _allowance(scale: str, decimals: int) -> float:
    """amounts.allowance as a float (a handful of distinct units and decimals: each worked out once)."""
    return float(allowance(scale, decimals))


def figure_allowance(fig: dict) -> float:
    """Half a unit of the last printed place of a figure, in yuan (0 when the precision is unknown: exact)."""
    if cell_equals(fig.get("unit"), "count"):
        return 0.0
    scale, decimals = _scale_decimals(fig)
    if decimals is None:
        return 0.0
    return _allowance(scale, decimals)


def _fmt_amount(value: float, scale: str = "元", decimals: int | None = 2) -> str:
    div = float(SCALES.get(scale, 1))
    d = 2 if decimals is None else max(int(decimals), 0)
    return f"{value / div:,.{d}f}{scale}"


def _fmt_fig(fig: dict) -> str:
    scale, decimals = _scale_decimals(fig)
    return _fmt_amount(float(fig["value"]), scale, decimals)


def _status_amount(reported: float, expected: float, tolerance: float) -> str | None:
    diff = abs(reported - expected)
    if diff < FEN:
        return None
    return "rounding" if diff <= tolerance + FEN else "mismatch"


def _round(x: float, decimals: int, mode=ROUND_HALF_UP) -> Decimal:
    return Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals), rounding=mode)


def judge_percent(reported: float, decimals: int, center: float, lo: float, hi: float,
                  wrong_base: float | None = None, whole: bool = False) -> tuple[str | None, str]:
    """Status of a stated percentage against the one its figures give (center, and the range their rounding allows).

    Returns (None, "") when the figures round to the stated value. ``whole``: the document prints whole percents
    with decimal places ("增长 4.0%", "下降 4.00%"), so a whole number is also judged as a whole percent.

    >>> judge_percent(114.55, 2, 114.5503, 114.54, 114.56)
    (None, '')
    >>> judge_percent(15, 0, 13.04, 10.6, 15.6, wrong_base=15.0)[0]
    'mismatch'
    >>> judge_percent(4.0, 1, 4.6, 4.59, 4.61, whole=True)
    ('rounding', ' (consistent only if the document truncated to a whole percent)')
    >>> judge_percent(4.0, 1, 4.6, 4.59, 4.61)[0]
    'mismatch'
    """
    rep = Decimal(repr(reported))
    if _round(center, decimals) == rep:
        return None, ""
    if _round(center, decimals, ROUND_DOWN) == rep:
        return "rounding", " (consistent only if the document truncated rather than rounded)"
    if wrong_base is not None and _round(wrong_base, decimals) == rep:
        return "mismatch", " (the stated percentage is the change divided by this year's figure, not last year's)"
    if whole and decimals and rep == rep.to_integral_value():
        # "增长 4.0%" for 4.48 %: a whole percent printed with a decimal place (the document's other rates show it).
        if _round(center, 0) == rep:
            return "rounding", " (consistent if the document rounded to a whole percent)"
        if _round(center, 0, ROUND_DOWN) == rep:
            return "rounding", " (consistent only if the document truncated to a whole percent)"
    half = 0.5 * 10 ** -decimals
    if lo - 1e-9 <= reported + half and reported - half <= hi + 1e-9:
        return "rounding", " (within what rounding of the printed amounts allows)"
    return "mismatch", ""


def _corners(fn, *intervals: tuple[float, float]) -> tuple[float, float]:
    """Range of fn over the corners of the input intervals (fn is monotonic in each input here)."""
    values = []
    for point in itertools.product(*intervals):
        try:
            values.append(fn(*point))
        except ZeroDivisionError:
            return float("-inf"), float("inf")
    return min(values), max(values)


# ---------------------------------------------------------------------------------------------------------------
# Flag rows


def _flag(file, check, status, measure="", code="", fiscal_year=None, basis="", reported="", expected="",
          message="", quotes=()) -> dict:
    """One flag row. ``quotes``: the statements compared, each a quote or a figure/statement dict (its ``quote`` and
    ``page``); their quotes and pages fill the ``quotes`` and ``pages`` columns in the same order."""
    seen, qs, pages = set(), [], []
    for q in quotes:
        quote, page = _quote_page(q)
        if quote and quote not in seen:
            seen.add(quote)
            qs.append(quote.replace("|", "｜"))
            pages.append(page)
    return {
        "file": file, "check": check, "status": status, "measure": measure or "", "code": code or "",
        "fiscal_year": fiscal_year, "basis": basis or "", "reported": reported, "expected": expected,
        "message": message, "quotes": "|".join(qs),
        "pages": "|".join("" if p is None else str(p) for p in pages) if any(p is not None for p in pages) else "",
        "origin": "check",
    }


def _quote_page(x) -> tuple[str, int | None]:
    if isinstance(x, dict):
        quote, page = x.get("quote"), as_number(x.get("page"))
        return (quote if isinstance(quote, str) else ""), (None if page is None else int(page))
    return (x if isinstance(x, str) else ""), None


@lru_cache(maxsize=1)
def _measure_names() -> dict[str, str]:
    import yaml
    from importlib import resources

    with resources.files("countyfiscal.resources").joinpath("statements.yml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh).get("measure_names") or {}


@lru_cache(maxsize=1024)
def measure_name(measure: str, code: str = "") -> str:
    """A measure as a message names it.

    >>> measure_name("sangong_reception"), measure_name("functional_expenditure", "210")
    ('公务接待费', '卫生健康支出 (210)')
    """
    if code and measure in ("functional_expenditure", "economic_expenditure"):
        from countyfiscal import classification

        name = classification.label(code, "functional" if measure.startswith("functional") else "economic")
        return f"{name} ({code})" if name else f"{_measure_names().get(measure, measure)} {code}"
    return _measure_names().get(measure, measure) + (f" {code}" if code else "")


CITE_CHARS = 36  # a quote is cited in a message by its last characters (where the amount is)


def cite(x) -> str:
    """A statement as a message names it: its quote (the end of it, where long) and its page.

    >>> cite({"quote": "卫生健康支出18.05万元", "page": 3})
    '“卫生健康支出18.05万元” (p. 3)'
    >>> cite("公务接待费与上年持平")
    '“公务接待费与上年持平”'
    """
    quote, page = _quote_page(x)
    quote = " ".join(quote.split())
    if len(quote) > CITE_CHARS:
        quote = "…" + quote[-CITE_CHARS:]
    return f"“{quote}”" + (f" (p. {page})" if page is not None else "")


SCOPE_WORDS = (("一般公共预算", "general_budget"), ("财政拨款", "appropriation"), ("政府性基金", "fund"),
               ("国有资本", "state_capital"))


def figure_scope(fig: dict) -> str:
    """Which money a figure covers: "text" (narrative), "text_appropriation" (narrative the extractor scoped to the
    一般公共预算/财政拨款 part: figures column scope), or the scope of its table ("all" for a table of all funds;
    "general_budget", "appropriation", … for a table restricted by its title)."""
    source = fig.get("source")
    if not (source.endswith("table") if type(source) is str else str(source or "").endswith("table")):
        return "text_appropriation" if fig.get("scope") == "appropriation" else "text"
    title = fig.get("table") if isinstance(fig.get("table"), str) else ""
    for word, scope in SCOPE_WORDS:
        if word in title:
            return scope
    return "all"


def table_kind(fig: dict) -> str:
    """The standard table a table figure came from: the figures column table_kind where the extractor set it ("" when
    it could not be sure), else the kind its title names (table_titles.yml); "" for a narrative figure."""
    if not str(fig.get("source") or "").endswith("table"):
        return ""
    kind = fig.get("table_kind")
    if isinstance(kind, str):
        return kind
    from countyfiscal.extract.table_rules import classify_title

    title = fig.get("table")
    return (classify_title(title) or "") if isinstance(title, str) and title else ""


def uncertain_table(fig: dict) -> bool:
    """A table figure whose table's identity the extractor could not be sure of (table_kind set and empty): it takes
    part in no check that compares it with another table or with the text."""
    return fig.get("table_kind") == "" and str(fig.get("source") or "").endswith("table")


def _comparable(a: dict, b: dict) -> bool:
    """Two figures of one measure speak of the same money: text with text, text with an all-funds table, or two
    tables of the same scope. A 一般公共预算 table's 卫生健康支出 is not the department's 卫生健康支出."""
    sa, sb = figure_scope(a), figure_scope(b)
    if sa == "text" or sb == "text":
        return {sa, sb} <= {"text", "all"}
    return sa == sb and (a.get("table") or "") == (b.get("table") or "")


def _text(x) -> str:
    """One cell as fillna("").astype(str) makes it."""
    if type(x) is str:  # (most cells: no other test needed)
        return x
    return "" if is_missing(x) else str(x)


def _year(x) -> int | None:
    n = as_number(x)
    return None if n is None else int(n)


def _records(figures) -> list[dict]:
    """Figures (a DataFrame or a list of dicts) as dicts sharing the same keys (missing ones None); a table's rows of a
    table whose identity the extractor was unsure of are left out (see ``uncertain_table``)."""
    if isinstance(figures, pd.DataFrame):
        if "table_kind" in figures.columns and len(figures):
            kinds, sources = figures["table_kind"].tolist(), figures["source"].tolist()
            keep = [not (k == "" and type(s) is str and s.endswith("table")) for k, s in zip(kinds, sources)]
            if not all(keep):
                figures = figures[keep]
        return table_records(figures, FIGURE_COLUMNS)
    if any(uncertain_table(r) for r in figures):
        figures = [r for r in figures if not uncertain_table(r)]
    return table_records(figures, FIGURE_COLUMNS)


@lru_cache(maxsize=1)
def _figure_specs() -> tuple[tuple[str, str], ...]:
    """(name, dtype) of the figures columns that checks read, in the table's order."""
    return tuple((f.name, f.dtype) for f in fields.TABLES["figures"] if f.name in FIGURE_COLUMNS)


def _like_frame(figures: list[dict]) -> list[dict]:
    """Figure dicts as the extractor emits them, each cell as pipeline.frame("figures", …) would make it (a missing
    text "", a missing number None), so that checking the dicts and checking their table give the same flags."""
    specs = _figure_specs()
    # (a column the extractor emits that fields.py does not declare yet is kept as it is, read as text)
    extra = [c for c in FIGURE_COLUMNS if c not in {n for n, _ in specs} and any(c in r for r in figures[:1])]
    specs = specs + tuple((c, "string") for c in extra)
    kinds = tuple((name, 0 if dtype == "string" else 1 if dtype == "Int64" else 2) for name, dtype in specs)
    nan = float("nan")
    out = []
    for r in figures:
        row = {}
        get = r.get
        for name, kind in kinds:
            v = get(name)
            t = type(v)
            if kind == 0:
                row[name] = v if t is str else "" if v is None else _text(v)
            elif kind == 1:
                if t is int or v is None:
                    row[name] = v
                else:
                    n = as_number(v)
                    row[name] = None if n is None else int(n)
            elif t is float:
                row[name] = v
            else:
                n = None if v is None else as_number(v)
                row[name] = nan if n is None else float(n)
        out.append(row)
    return out


def _checked(figures: list[dict], uncertain: bool = True) -> list[dict]:
    """The figures a check can read: all but those of a table whose identity the extractor was unsure of (they take
    part in no comparison; ``uncertain=False``: already left out) and the sub-classes (款, 项) of a 一般公共预算 part
    (scope appropriation: classes are added up at their coarsest level, and one value per key leaves nothing to
    restate)."""
    if uncertain:
        return [r for r in figures if not (uncertain_table(r) or r.get("scope") == "appropriation"
                                           and len(str(r.get("code") or "")) > 3)]
    return [r for r in figures if not (r.get("scope") == "appropriation" and len(str(r.get("code") or "")) > 3)]


def _start_key(row: dict) -> tuple:
    """Text order, figures without an offset last."""
    start = row.get("start")
    return (1, 0) if start is None else (0, start)


class Figures:
    """The stated figures of one document (or of several), normalised as the checks compare them: code, basis, quote,
    source and table as text (code without a trailing ".0"), fiscal_year an int or None, value a float, offsets
    numbers or None, unit "yuan" when the table has no unit column. Built once; every lookup is a dict access."""

    def __init__(self, figures, copy: bool = True):
        # (a list is copied: rows are never the caller's dicts — unless the caller made them for this, copy=False)
        records = _records(figures) if copy or not isinstance(figures, list) else figures
        columns = set(records[0]) if records else set()
        self.has_start = "start" in columns
        starts = [c for c in ("start", "end") if c in columns]
        rows = []
        for r in records:
            if "method" in columns and not (is_missing(r["method"]) or r["method"] in ("stated", "")):
                continue
            row = r  # (already a copy)
            for col in ("code", "basis", "quote", "source", "table"):
                v = r.get(col)
                if type(v) is not str:  # (a str stays as it is: no call for it)
                    row[col] = _text(v)
            if row["code"].endswith(".0"):
                row["code"] = row["code"][:-2]
            year = r.get("fiscal_year")
            if type(year) is not int:
                row["fiscal_year"] = _year(year)
            value = r.get("value")
            if type(value) is not float:
                value = as_number(value)
                row["value"] = float("nan") if value is None else value
            for col in starts:
                if type(r[col]) is not int:
                    row[col] = as_number(r[col])
            if "unit" not in columns:
                row["unit"] = "yuan"
            # (figure_scope, with its narrative case inline: most rows)
            scope = ("text_appropriation" if row.get("scope") == "appropriation" else "text") \
                if not row["source"].endswith("table") else figure_scope(row)
            row["_scope"] = scope
            row["_group"] = "all" if scope == "text" else scope
            unit = row["unit"]
            row["_money"] = unit == "yuan" or is_missing(unit)
            rows.append(row)
        self.rows = rows
        self._by_key: dict[tuple, list[dict]] = defaultdict(list)  # (measure, year, code) -> rows in input order
        for row in rows:
            if row["fiscal_year"] is not None:
                self._by_key[(row["measure"], row["fiscal_year"], row["code"])].append(row)
        self._values: dict[tuple, list[dict]] = {}

    def rows_of(self, measure: str, year: int, code: str = "") -> list[dict]:
        """Every stated figure of one measure, year and code (any basis), in input order."""
        return self._by_key.get((measure, year, code), [])

    def values(self, measure: str, year, basis: str, code: str = "", scope: str | None = None,
               money: bool = False) -> list[dict]:
        """Distinct stated values of one measure (first statement of each), in text order; ``basis`` "" for any
        basis, ``scope`` and ``money`` to keep only figures of one sum group (figure_scope, the narrative with "all"),
        only money."""
        key = (measure, year, basis, code, scope, money)
        if key not in self._values:
            rows = self._by_key.get((measure, year, code))
            sel = [r for r in rows if (not basis or r["basis"] == basis) and (scope is None or r["_group"] == scope)
                   and (not money or r["_money"])] if rows else []
            if len(sel) > 1:  # (one figure or none: already in order and distinct)
                if self.has_start:
                    sel = sorted(sel, key=_start_key)
                sel = _distinct(sel, "_scope" if scope is None else "_group")
            self._values[key] = sel
        return self._values[key]


def _distinct(rows: list[dict], by: str = "_scope") -> list[dict]:
    """The first row of each value (within half a fen) and scope (``by``: "_scope", or "_group" for sums)."""
    out, seen = [], []
    for row in rows:
        value, key = row["value"], row[by]
        for v, k in seen:
            if abs(value - v) < FEN and k == key:
                break
        else:
            seen.append((value, key))
            out.append(row)
    return out


def _figures(figs) -> Figures:
    return figs if isinstance(figs, Figures) else Figures(figs)


# ---------------------------------------------------------------------------------------------------------------
# Sums of parts


def _sum_check(file, check_name, total_opts: list[dict], parts_opts: list[list[dict]], measure, code, year, basis,
               what: str, under_is_gap: bool = False) -> list[dict]:
    """Compare a total with the sum of its parts; where a figure was stated with two values, try each."""
    best = None
    for total in total_opts:
        for combo in itertools.product(*parts_opts):
            s = sum(p["value"] for p in combo)
            tol = figure_allowance(total) + sum(figure_allowance(p) for p in combo)
            diff = abs(total["value"] - s)
            key = (0 if diff < FEN else 1 if diff <= tol + FEN else 2, diff)
            if best is None or key < best[0]:
                best = (key, total, combo, s, tol)
    if best is None:
        return []
    (rank, diff), total, combo, s, tol = best
    if rank == 0:
        return []
    scale, decimals = _scale_decimals(total)
    status = "rounding" if rank == 1 else "mismatch"
    note = ""
    if status == "mismatch" and under_is_gap and s < total["value"]:
        status = "insufficient_data"
        note = " The parts stated fall short of the total: either some parts are not stated or a figure is wrong."
    conflicted = [opts for opts in parts_opts if len(opts) > 1] + ([total_opts] if len(total_opts) > 1 else [])
    if conflicted:
        note += " Some of these figures are stated with two different values; the closest combination is shown."
    msg = (f"{what}: the parts stated sum to {_fmt_amount(s, scale, decimals)} but the total is stated as "
           f"{_fmt_fig(total)} {cite(total)}" + (f", a difference within the printed precision (±{_fmt_amount(tol, scale, decimals)})."
                                   if status == "rounding" else f", a difference of {_fmt_amount(diff, scale, decimals)}.")
           + note)
    return [_flag(file, check_name, status, measure, code, year, basis, _fmt_fig(total),
                  _fmt_amount(s, scale, decimals), msg, [total, *combo])]


def _gap(flag: dict) -> float:
    """Distance between reported and expected of a sum flag (in printed units), for picking the nearest total."""
    try:
        num = [float(re.sub(r"[^\d.\-]", "", x)) for x in (flag["reported"], flag["expected"])]
        return abs(num[0] - num[1])
    except ValueError:
        return float("inf")


def check_sums(figs, file: str) -> list[dict]:
    """Totals against their parts: total = 基本 + 项目, 基本 = 人员 + 公用, "三公" = its parts, classes = total."""
    figs = _figures(figs)
    # Parts are added only to totals of the same money: one table scope with itself, the narrative with the all-funds
    # tables (one value per key may have kept a table's reading of a figure the narrative also states: the
    # narrative's parts are then only complete with the table's).
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in figs.rows:
        if r["_money"] and r["fiscal_year"] is not None:
            groups[(r["fiscal_year"], r["basis"], r["_group"])].append(r)
    rows: list[dict] = []
    for (year, basis, scope), g in sorted(groups.items(), key=lambda kv: kv[0]):
        def v(measure, code=""):
            return figs.values(measure, year, basis, code, scope=scope, money=True)

        total, basic, project = v("expenditure_total"), v("basic_expenditure"), v("project_expenditure")
        personnel, public = v("personnel_expenditure"), v("public_expenditure")
        # (A total may hold parts beside 基本 and 项目 — 事业单位经营支出, 上缴上级支出, 对附属单位补助支出 — so parts
        # that fall short of it are a gap, not a contradiction.)
        if total and basic and project:
            rows += _sum_check(file, "sum_of_parts", total, [basic, project], "expenditure_total", "", year, basis,
                               "Expenditure total vs 基本支出 + 项目支出", under_is_gap=True)
        if basic and personnel and public:
            rows += _sum_check(file, "sum_of_parts", basic, [personnel, public], "basic_expenditure", "", year, basis,
                               "基本支出 vs 人员经费 + 公用经费")
        if total and not basic and personnel and public and project:
            rows += _sum_check(file, "sum_of_parts", total, [personnel, public, project], "expenditure_total", "",
                               year, basis, "Expenditure total vs 人员经费 + 公用经费 + 项目支出", under_is_gap=True)
        st = v("sangong_total")
        if st:
            over, recep = v("sangong_overseas"), v("sangong_reception")
            purchase, operation, vehicle = v("sangong_vehicle_purchase"), v("sangong_vehicle_operation"), v("sangong_vehicle_total")
            vehicle_parts = [purchase, operation] if purchase and operation else [vehicle] if vehicle else None
            if over and recep and vehicle_parts:
                rows += _sum_check(file, "sum_of_parts", st, [over, *vehicle_parts, recep], "sangong_total", "", year,
                                   basis, '"三公"经费 vs 因公出国（境）费 + 公务用车购置及运行维护费 + 公务接待费')
            else:
                # Not every part stated: the parts that are stated must still not exceed the total.
                present = [p for p in (over, purchase, operation, vehicle if not (purchase or operation) else [], recep) if p]
                if present:
                    low = sum(min(p["value"] for p in opts) for opts in present)
                    tol = figure_allowance(st[0]) + sum(figure_allowance(opts[0]) for opts in present)
                    if low > st[0]["value"] + tol + FEN:
                        rows.append(_flag(file, "sum_of_parts", "mismatch", "sangong_total", "", year, basis,
                                          _fmt_fig(st[0]), _fmt_amount(low),
                                          f'The "三公" parts stated already sum to {_fmt_amount(low)}, more than the '
                                          f"total {_fmt_fig(st[0])} {cite(st[0])}.",
                                          [st[0]] + [opts[0] for opts in present]))
        # Functional and economic classes: the coarsest level stated, against the totals they may add up to.
        for measure, families in (("functional_expenditure", ("2",)), ("economic_expenditure", ("3", "5"))):
            cls = [r["code"] for r in g if r["measure"] == measure]
            if not cls:
                continue
            for family in families:
                fam = [c for c in cls if c.startswith(family)] if measure == "economic_expenditure" else cls
                if not fam:
                    continue
                level = min(len(c) for c in fam)
                codes = sorted({c for c in fam if len(c) == level})
                if len(codes) < 2:
                    continue
                parts = [v(measure, c) for c in codes]
                candidates = total + (basic if measure == "economic_expenditure" else [])
                if measure == "economic_expenditure":
                    # An economic breakdown of all expenditure (一般公共预算支出经济分类表) adds up to the total, one of
                    # 基本支出 (基本支出经济分类表) to 基本支出: the tables say which.
                    kinds = {table_kind(r) for c in codes for r in v(measure, c) if r["source"].endswith("table")}
                    if kinds == {"general_economic"}:
                        candidates = total
                    elif kinds == {"basic_economic"}:
                        candidates = basic
                if not candidates:
                    continue
                found = []
                for cand in candidates:
                    found += _sum_check(file, "sum_of_parts", [cand], parts, measure, "", year, basis,
                                        f"{'Functional' if measure.startswith('functional') else 'Economic'} classes "
                                        f"({family}xx, {level}-digit codes) vs {cand['measure']}", under_is_gap=True)
                if len(found) < len(candidates):
                    continue  # they add up to one of the totals
                # Report against the total they come closest to.
                rows.append(min(found, key=lambda f: ({"rounding": 0, "insufficient_data": 1, "mismatch": 2}[f["status"]],
                                                      _gap(f))))
        # 收入总计 = 支出总计: the two sides of a 收支总表 (this year's plus carry-overs) balance.
        ig, eg = v("income_grand_total"), v("expenditure_grand_total")
        if ig and eg:
            i, e = ig[0], eg[0]
            status = _status_amount(e["value"], i["value"], figure_allowance(i) + figure_allowance(e))
            if status == "mismatch":
                rows.append(_flag(file, "sum_of_parts", status, "expenditure_grand_total", "", year, basis,
                                  _fmt_fig(e), _fmt_fig(i),
                                  f"支出总计 {_fmt_fig(e)} {cite(e)} differs from 收入总计 {_fmt_fig(i)} {cite(i)}: the "
                                  "two sides of a 收支总表 balance.", [i, e]))
        # Income: a part never exceeds the whole.
        inc, fin = v("income_total"), v("fiscal_appropriation_income")
        if inc and fin:
            i, f = inc[0], fin[0]
            tol = figure_allowance(i) + figure_allowance(f)
            if f["value"] > i["value"] + tol + FEN:
                rows.append(_flag(file, "sum_of_parts", "mismatch", "income_total", "", year, basis, _fmt_fig(i),
                                  f"≥ {_fmt_fig(f)}",
                                  f"财政拨款收入 {_fmt_fig(f)} {cite(f)} exceeds the income total {_fmt_fig(i)} "
                                  f"{cite(i)} it is part of.", [i, f]))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Restatements


def check_restatements(figs, file: str) -> list[dict]:
    """One measure, year, basis and code stated with different values (text vs text, or text vs table)."""
    figs = _figures(figs)
    keys = sorted({(r["measure"], r["fiscal_year"], r["basis"], r["code"]) for r in figs.rows
                   if r["fiscal_year"] is not None and not is_missing(r["measure"])})
    rows = []
    for measure, year, basis, code in keys:
        vals = figs.values(measure, year, basis, code)
        if len(vals) < 2:
            continue
        for i, other in enumerate(vals[1:], start=1):
            earlier = [v for v in vals[:i] if _comparable(v, other)]
            if not earlier:
                continue
            first = earlier[0]
            tol = figure_allowance(first) + figure_allowance(other)
            status = _status_amount(other["value"], first["value"], tol)
            if status is None:
                continue
            sources = {"table" if str(x.get("source") or "text").endswith("table") else "text" for x in (first, other)}
            check = "table_vs_text" if sources == {"table", "text"} else "restatement"
            label = f" {code}" if code else ""
            rows.append(_flag(
                file, check, status, measure, code, year, basis, _fmt_fig(other), _fmt_fig(first),
                f"{measure_name(measure, code)} ({basis}, {year}) is stated as {_fmt_fig(first)} {cite(first)} and as "
                f"{_fmt_fig(other)} {cite(other)}"
                + (", a difference within the printed precision." if status == "rounding" else "."),
                [first, other]))
    return rows


def check_cross_document(figures, documents: pd.DataFrame) -> list[dict]:
    """The same department's figure for the same year and basis stated differently by two of its documents."""
    return _cross_document([_figures(figures)], table_records(documents, DOCUMENT_COLUMNS))


def _cross_document(figure_sets, documents: list[dict]) -> list[dict]:
    figure_sets = list(figure_sets)
    files = {r.get("file") for f in figure_sets for r in f.rows}
    if len(documents) < 2 or len(files) < 2:
        return []  # one document: nothing to compare across
    has_start = figure_sets[0].has_start
    owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for d in documents:
        owners[_text(d["file"])].append((_text(d["jurisdiction"]), _text(d["department"])))
    # (jurisdiction, department, measure, year, basis, code) -> file -> that file's figures, in input order
    groups: dict[tuple, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in (r for figs in figure_sets for r in figs.rows):
        if not r["_money"] or r["fiscal_year"] is None or is_missing(r["measure"]) or is_missing(r.get("file")):
            continue
        for jurisdiction, department in owners.get(r["file"], ()):
            if department != "":
                groups[(jurisdiction, department, r["measure"], r["fiscal_year"], r["basis"], r["code"])][r["file"]].append(r)
    rows = []
    for key in sorted(groups):
        by_file = groups[key]
        if len(by_file) < 2:
            continue
        # Each file's first figure in text order (min keeps the first of equals, as a stable sort would) and its
        # allowance, once per file rather than once per pair.
        firsts = []
        for f in sorted(by_file):
            first = min(by_file[f], key=_start_key) if has_start else by_file[f][0]
            firsts.append((f, first, figure_allowance(first)))
        # Compare files pairwise on their first value (within-file conflicts are restatements already).
        for (fa, a, ta), (fb, b, tb) in itertools.combinations(firsts, 2):
            status = _status_amount(b["value"], a["value"], ta + tb)
            if status != "mismatch":
                continue
            rows.append(_flag(
                f"{fa};{fb}", "restatement", status, key[2], key[5], key[3], key[4], _fmt_fig(b), _fmt_fig(a),
                f"{key[1]} states {key[2]} ({key[4]}, {key[3]}) as {_fmt_fig(a)} in {fa} and as {_fmt_fig(b)} in {fb}"
                " (a later document may report a revised figure).", [a, b]))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Stated changes, shares, execution rates and wording


def _pick(figs: Figures, measure: str, year, basis: str, code: str, near: int | None = None,
          scope: str | None = None) -> list[dict]:
    """The distinct values of a measure (any basis when ``basis`` is ""), nearest to ``near`` first; of the figures'
    ``scope`` (total, appropriation) where some are of it."""
    if not measure or is_missing(year):
        return []
    vals = figs.values(measure, int(year), basis, code)
    if scope and len(vals) > 1:
        vals = [r for r in vals if r.get("scope") in (scope, "", None)] or vals
    if near is not None and len(vals) > 1:
        vals = sorted(vals, key=lambda r: abs((r.get("start") or 0) - near))
    return vals


def _statement_rows(st) -> list[dict]:
    """Statements (find_statements' DataFrame or statement_records' list) as dicts, code and basis as text."""
    records = st.to_dict("records") if isinstance(st, pd.DataFrame) else st
    return [{**r, "code": _text(r["code"]), "basis": _text(r["basis"])}
            if type(r["code"]) is not str or type(r["basis"]) is not str else r.copy() for r in records]


# The basis of last year's figure a change is measured against, where the sentence says which.
PRIOR_BASIS = {"prior_budget": "budget", "prior_execution": "actual", "prior_final_account": "actual"}


BREAKDOWN_GAP = 200  # characters between two shares of one breakdown ("人员支出…占59.0%；日常公用支出…占12.3%；…")


def _hundred_percent_breakdowns(st: list[dict]) -> set[int]:
    """ids of the share statements that belong to a breakdown of one base whose stated shares add up to exactly 100%
    (a document may round such shares so they add up, moving one by a unit of the last place)."""
    by_base: dict[float, list[dict]] = defaultdict(list)
    for r in st:
        if r["kind"] == "share_pct" and not is_missing(r.get("base_value")) and r.get("base_value"):
            by_base[float(r["base_value"])].append(r)
    out: set[int] = set()
    for shares in by_base.values():
        shares.sort(key=lambda r: r["start"])
        run: list[dict] = []
        for r in shares + [None]:
            if r is not None and (not run or r["start"] - run[-1]["end"] <= BREAKDOWN_GAP):
                run.append(r)
                continue
            if len(run) >= 2:
                d = max(int(x["decimals"]) for x in run)
                if abs(sum(x["value"] for x in run) - 100) < 0.5 * 10 ** -d:
                    out |= {id(x) for x in run}
            run = [r] if r is not None else []
    return out


def _pct(v: float, d: int) -> str:
    return f"{v:.{d}f}%"


def check_statements(st, figs, file: str, doc_kind: str = "") -> list[dict]:
    """Every stated change, share, execution rate and comparative wording against the figures it is about.

    ``st``: find_statements' table or statement_records' list; ``figs``: the document's figures (DataFrame, list of
    dicts or Figures)."""
    rows: list[dict] = []
    st = _statement_rows(st)
    if not st:
        return rows
    figs = _figures(figs)
    amounts_by_start = {r["start"]: r for r in st if r["kind"] == "change_amount"}
    forced = _hundred_percent_breakdowns(st)
    rates = [r["value"] for r in st if r["kind"] == "change_pct" and r["decimals"] and r.get("words") != "unchanged"]
    whole = len(rates) >= 2 and all(float(v).is_integer() for v in rates)

    def cur_prior(r):
        scope = r.get("scope") or None
        cur = _pick(figs, r["measure"], r["fiscal_year"], r["basis"], r["code"], r["start"], scope)
        # Last year's figure on the basis the sentence measures against (比上年执行数: last year's actual).
        prior_basis = PRIOR_BASIS.get(r.get("base") or "", r["basis"])
        prior = _pick(figs, r["measure"], (r["fiscal_year"] or 0) - 1, prior_basis, r["code"], r["start"], scope)
        return (cur[0] if cur else None), (prior[0] if prior else None)

    for r in st:
        kind = r["kind"]
        if r.get("words") == "unchanged" and kind != "wording":
            continue  # "与上年持平" as a change of 0: judged by the wording check
        m, code, year, basis = r["measure"], r["code"], r["fiscal_year"], r["basis"]
        if kind == "change_amount" and m:
            cur, prior = cur_prior(r)
            if cur is None or prior is None:
                continue
            stated = r["direction"] * r["value"] if r["direction"] else None
            expected = cur["value"] - prior["value"]
            tol = figure_allowance(cur) + figure_allowance(prior) + _allowance(r["scale"], int(r["decimals"]))
            rep = stated if stated is not None else (abs(r["value"]) if abs(expected) >= 0 else r["value"])
            exp = expected if stated is not None else abs(expected)
            status = _status_amount(rep, exp, tol)
            if status:
                rows.append(_flag(file, "year_on_year", status, m, code, year, basis,
                                  _fmt_amount(rep, r["scale"], r["decimals"]), _fmt_amount(exp, r["scale"], r["decimals"]),
                                  f"The stated change of {measure_name(m, code)} {cite(r)} does not match its stated "
                                  f"figures {_fmt_fig(prior)} {cite(prior)} → {_fmt_fig(cur)} {cite(cur)} "
                                  f"({_fmt_amount(exp, r['scale'], r['decimals'])})"
                                  + (", but the difference is within the printed precision." if status == "rounding" else "."),
                                  [r, prior, cur]))
        elif kind == "change_pct" and m:
            cur, prior = cur_prior(r)
            paired = amounts_by_start.get(r["chain"]) if r["chain"] is not None and r["chain"] >= 0 else None
            d = int(r["decimals"])
            sign = r["direction"] or (paired["direction"] if paired else 0)
            if cur is not None and prior is not None and prior["value"] != 0:
                c, p = cur["value"], prior["value"]
                ac, ap = figure_allowance(cur), figure_allowance(prior)
                center = (c - p) / p * 100
                lo, hi = _corners(lambda c_, p_: (c_ - p_) / p_ * 100, (c - ac, c + ac), (p - ap, p + ap))
                wrong = (c - p) / c * 100 if c else None
                inputs = f"its stated figures {_fmt_fig(prior)} {cite(prior)} → {_fmt_fig(cur)} {cite(cur)}"
                quotes = [r, prior, cur]
            elif cur is not None and paired is not None and paired["direction"]:
                a = paired["direction"] * paired["value"]
                c = cur["value"]
                if c - a == 0:
                    continue
                aa = _allowance(paired["scale"], int(paired["decimals"]))
                ac = figure_allowance(cur)
                center = a / (c - a) * 100
                lo, hi = _corners(lambda a_, c_: a_ / (c_ - a_) * 100, (a - aa, a + aa), (c - ac, c + ac))
                wrong = a / c * 100 if c else None
                inputs = (f"the stated change {_fmt_amount(a, paired['scale'], paired['decimals'])} {cite(paired)} on "
                          f"{_fmt_fig(cur)} {cite(cur)} (last year {_fmt_amount(c - a, paired['scale'], paired['decimals'])})")
                quotes = [paired, r, cur]
            else:
                continue
            if sign == 0:
                center, lo, hi = abs(center), min(abs(lo), abs(hi)), max(abs(lo), abs(hi))
                if wrong is not None:
                    wrong = abs(wrong)
                reported = r["value"]
            else:
                reported = sign * r["value"]
            if reported < 0:  # compare magnitudes with the sign checked separately
                center, lo, hi, wrong = -center, -hi, -lo, (-wrong if wrong is not None else None)
                rep_mag = -reported
            else:
                rep_mag = reported
            if center < -10 ** -d / 2:  # the figures move the other way
                status, note = "mismatch", " (the figures move in the opposite direction)"
            else:
                status, note = judge_percent(rep_mag, d, center, lo, hi, wrong, whole)
            if status:
                shown = center if reported >= 0 else -center
                rows.append(_flag(file, "year_on_year", status, m, code, year, basis, _pct(reported, d),
                                  _pct(shown, max(d, 1) + 1),
                                  f"The stated change of {measure_name(m, code)} {cite(r)} does not match the "
                                  f"{_pct(shown, max(d, 1) + 1)} given by {inputs}{note}.", quotes))
        elif kind == "share_pct":
            if is_missing(r.get("base_value")) or r.get("base_value") in (None, 0) or is_missing(r.get("figure_value")):
                continue
            n, b = float(r["figure_value"]), float(r["base_value"])
            an = _allowance(r["figure_scale"], int(r["figure_decimals"]))
            ab = _allowance(r["base_scale"], int(r["base_decimals"])) if not is_missing(r.get("base_decimals")) else 0.0
            d = int(r["decimals"])
            center = n / b * 100
            lo, hi = _corners(lambda n_, b_: n_ / b_ * 100, (n - an, n + an), (max(b - ab, 1e-9), b + ab))
            status, note = judge_percent(r["value"], d, center, lo, hi)
            if status == "mismatch" and id(r) in forced and abs(r["value"] - center) <= 1.5 * 10 ** -d:
                status, note = "rounding", " (the shares of its breakdown are rounded to add up to 100%)"
            if status:
                rows.append(_flag(file, "share", status, m, code, year, basis, _pct(r["value"], d),
                                  _pct(center, d + 2),
                                  f"The stated share {cite(r)} does not match "
                                  f"{_fmt_amount(n, r['figure_scale'], r['figure_decimals'])} / "
                                  f"{_fmt_amount(b, r['base_scale'], r['base_decimals'])} {cite(r.get('base_quote'))} = "
                                  f"{_pct(center, d + 2)}{note}.",
                                  [r, r.get("base_quote")]))
        elif kind == "execution_pct" and m:
            actual = _pick(figs, m, year, "actual", code, r["start"])
            budget = _pick(figs, m, year, "budget", code, r["start"])
            d = int(r["decimals"])
            if actual and budget:
                a_, b_ = actual[0], budget[0]
                if b_["value"] == 0:
                    continue  # reported by check_execution_inputs (zero budget: no rate)
                aa, ab = figure_allowance(a_), figure_allowance(b_)
                center = a_["value"] / b_["value"] * 100
                lo, hi = _corners(lambda x, y: x / y * 100, (a_["value"] - aa, a_["value"] + aa),
                                  (max(b_["value"] - ab, 1e-9), b_["value"] + ab))
                status, note = judge_percent(r["value"], d, center, lo, hi)
                if status:
                    rows.append(_flag(file, "execution_rate", status, m, code, year, "actual", _pct(r["value"], d),
                                      _pct(center, d + 2),
                                      f"The stated execution rate of {measure_name(m, code)} {cite(r)} does not match "
                                      f"决算 {_fmt_fig(a_)} {cite(a_)} / 年初预算 {_fmt_fig(b_)} {cite(b_)} = "
                                      f"{_pct(center, d + 2)}{note}.",
                                      [r, a_, b_]))
            elif m.startswith("sangong") and not budget and not is_missing(r.get("figure_value")) and r["figure_value"] > 0 \
                    and doc_kind in ("final_account", ""):
                rows.append(_flag(file, "execution_rate", "insufficient_data", m, code, year, "actual",
                                  _pct(r["value"], d), "",
                                  f"The document states an execution rate for {measure_name(m, code)} {cite(r)} but "
                                  "never states its 年初预算, so the rate cannot be checked.", [r]))
        elif kind == "wording" and m:
            rows += _check_wording(r, st, figs, file)
    rows += _check_repeated_changes(st, file, figs)
    return rows


def _check_wording(r: dict, st: list[dict], figs: Figures, file: str) -> list[dict]:
    m, code, year = r["measure"], r["code"], r["fiscal_year"]
    words = r["words"]
    if words in ("greater", "less", "equal"):
        actual = _pick(figs, m, year, "actual", code, r["start"])
        budget = _pick(figs, m, year, "budget", code, r["start"])
        if actual and budget:
            a, b = actual[0], budget[0]
            diff = a["value"] - b["value"]
            tol = figure_allowance(a) + figure_allowance(b)
            truth = "equal" if abs(diff) < FEN else ("greater" if diff > 0 else "less")
            if truth == words:
                return []
            status = "rounding" if abs(diff) <= tol + FEN and "equal" in (truth, words) else "mismatch"
            return [_flag(file, "wording", status, m, code, year, "actual", r["quote"],
                          {"greater": "决算数大于预算数", "less": "决算数小于预算数", "equal": "决算数等于预算数"}[truth],
                          f"The document says {cite(r)} of {measure_name(m, code)}, but states its 决算 as {_fmt_fig(a)} "
                          f"{cite(a)} and its 年初预算 as {_fmt_fig(b)} {cite(b)}.",
                          [r, a, b])]
        # No budget figure: the stated execution rate of the same measure says which way it went.
        rates = [x for x in st if x["kind"] == "execution_pct" and x["measure"] == m and x["start"] < r["start"]]
        if not rates:
            return []
        rate = sorted(rates, key=lambda x: x["start"])[-1]
        v, d = float(rate["value"]), int(rate["decimals"])
        half = 0.5 * 10 ** -d
        implied = "equal" if v == 100 else ("greater" if v > 100 else "less")
        if implied == words:
            return []
        could = (v - half < 100 < v + half) or v == 100
        status = "rounding" if could and words != "equal" or (words == "equal" and abs(v - 100) <= half) else "mismatch"
        if words != "equal" and implied == "equal":
            status = "rounding"  # 100% printed may hide 99.6% or 100.4%
        return [_flag(file, "wording", status, m, code, year, "actual", r["quote"], f"完成预算{_pct(v, d)}",
                      f"The document says {cite(r)} of {measure_name(m, code)} while stating an execution rate of "
                      f"{_pct(v, d)} {cite(rate)}"
                      + (" (possible only if the rate was rounded to 100%)." if status == "rounding" else "."),
                      [rate, r])]
    if words == "unchanged":
        changes = [x for x in st if x["kind"] == "change_amount" and x["measure"] == m and not is_missing(year)
                   and x["fiscal_year"] == year and x["sentence_start"] == r["sentence_start"]]
        cur = _pick(figs, m, year, r["basis"], code, r["start"])
        prior = _pick(figs, m, (year or 0) - 1, r["basis"], code, r["start"])
        if cur and prior:
            diff = cur[0]["value"] - prior[0]["value"]
            tol = figure_allowance(cur[0]) + figure_allowance(prior[0])
            status = _status_amount(diff, 0.0, tol)
            if status:
                return [_flag(file, "wording", status, m, code, year, r["basis"], r["quote"],
                              f"change of {_fmt_amount(diff)}",
                              f"The document says {measure_name(m, code)} is unchanged {cite(r)} but states "
                              f"{_fmt_fig(prior[0])} {cite(prior[0])} → {_fmt_fig(cur[0])} {cite(cur[0])}.",
                              [r, prior[0], cur[0]])]
        elif changes:
            c = changes[0]
            if c["value"] > _allowance(c["scale"], int(c["decimals"])):
                return [_flag(file, "wording", "mismatch", m, code, year, r["basis"], r["quote"], c["quote"],
                              f"The document says {measure_name(m, code)} is unchanged {cite(r)} but states a change "
                              f"{cite(c)}.", [r, c])]
    return []


def _same_money(figs: Figures | None, measure: str, year, basis: str) -> bool:
    """The document's figures show its 一般公共预算/财政拨款 part of ``measure`` (else of its expenditure total) is the
    whole of it: both scopes stated, and equal within rounding (a county bureau stating the same X 万元 either way)."""
    if figs is None or is_missing(year):
        return False
    for m in (measure, "expenditure_total"):
        vals = [r for r in figs.rows_of(m, int(year), "") if r["basis"] == basis]
        total = [r for r in vals if r.get("scope") == "total"]
        part = [r for r in vals if r.get("scope") == "appropriation"]
        if total and part:
            a, b = total[0], part[0]
            return _status_amount(a["value"], b["value"], figure_allowance(a) + figure_allowance(b)) is None
    return False


def _check_repeated_changes(st: list[dict], file: str, figs: Figures | None = None) -> list[dict]:
    """The same year-on-year change stated twice with different values."""
    rows = []
    for kind in ("change_amount", "change_pct"):
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for x in st:
            if x["kind"] == kind and x["measure"] != "" and x["direction"] != 0:
                year = None if is_missing(x["fiscal_year"]) else x["fiscal_year"]
                # Two statements of one change against different bases (上年预算 vs 上年执行数), or of different scopes
                # (all funds, 一般公共预算 only, unless the figures show these are the same money), are both right.
                scope = x.get("scope") or ""
                if scope == "appropriation" and _same_money(figs, x["measure"], year, x["basis"]):
                    scope = "total"
                groups[(x["measure"], x["code"], year, x["basis"], (x.get("base") or "", scope))].append(x)
        # Sorted as pandas groups them: a statement of no year last.
        for (m, code, year, basis, _), g in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] is None,
                                                                                  kv[0][2] or 0, kv[0][3], kv[0][4])):
            recs = sorted(g, key=lambda x: x["start"])
            first = recs[0]
            done = set()
            for other in recs[1:]:
                a = first["direction"] * first["value"]
                b = other["direction"] * other["value"]
                if kind == "change_amount":
                    tol = _allowance(first["scale"], int(first["decimals"])) + _allowance(other["scale"],
                                                                                        int(other["decimals"]))
                    rep, exp = _fmt_amount(b, other["scale"], other["decimals"]), _fmt_amount(a, first["scale"], first["decimals"])
                else:
                    tol = 0.5 * 10 ** -int(first["decimals"]) + 0.5 * 10 ** -int(other["decimals"])
                    rep, exp = _pct(b, int(other["decimals"])), _pct(a, int(first["decimals"]))
                status = _status_amount(b, a, tol) if kind == "change_amount" else (
                    None if abs(a - b) < 1e-9 else "rounding" if abs(a - b) <= tol + 1e-9 else "mismatch")
                if status is None or rep in done:
                    continue
                done.add(rep)
                rows.append(_flag(file, "year_on_year", status, m, code, year, basis, rep, exp,
                                  f"The document states the change of {measure_name(m, code)} twice, as {exp} "
                                  f"{cite(first)} and as {rep} {cite(other)}"
                                  + (" (within the printed precision)." if status == "rounding" else "."),
                                  [first, other]))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Document year and placeholders

# A pattern that opens with a look-behind is slow: the regex engine tries it at every position. TITLE_YEAR looks
# behind after its first characters instead ("not 比/较/与 before the year"), so the engine can skip ahead to each
# "20" (ten times faster); PLACEHOLDER's look-ahead for its first characters does the same, less well.
TITLE_YEAR = re.compile(r"(?P<y>20\d\d)(?<![比较与]20\d\d)\s*年度?\s*(?:部门|单位)(?:整体支出)?\s*(?P<kind>预算|决算)")
YEAR_END_DATE = re.compile(r"(?:截至|截止|截止到|截至到)\s*(?P<y>20\d\d)\s*年\s*(?:12\s*月\s*31\s*日|底|末|年末|年底)")
PLACEHOLDER = re.compile(r"(?=[XxＸｘ×某＊*])(?<![A-Za-z])(?:[XxＸｘ×]{2,}|某某|＊{2,}|\*{3,})(?![A-Za-z])")
_KIND_WORD = {"budget": "预算", "final_account": "决算"}
COMPARED_WITH = re.compile(r"(?:比|较|与|上年|去年|对比)\s*$")
PLACEHOLDER_CHARS = "XxＸｘ×某＊*"  # every PLACEHOLDER match holds one of these
HANZI = re.compile(r"[\u4e00-\u9fff]")


def _context(text: str, start: int, end: int, width: int = 10) -> str:
    return text[max(0, start - width):end + width].replace("\n", " ").strip()


def check_document_year(text: str, doc: dict, page_at=None) -> list[dict]:
    """Headings and year-end dates that name a different year than the document's fiscal year (``page_at``: offset
    -> page, for the quotes' pages)."""
    page_at = page_at or _no_page
    file, kind = doc.get("file", ""), doc.get("doc_kind") or ""
    fy = doc.get("fiscal_year")
    if is_missing(fy):
        return []
    fy = int(fy)
    rows = []
    seen = set()
    for m in TITLE_YEAR.finditer(text):
        y = int(m.group("y"))
        if _KIND_WORD.get(kind) != m.group("kind") or y == fy:
            continue
        if COMPARED_WITH.search(text[max(0, m.start() - 4):m.start()]):
            continue
        q = _context(text, m.start(), m.end(), 0)
        if q in seen:
            continue
        seen.add(q)
        quote = {"quote": q, "page": page_at(m.start())}
        rows.append(_flag(file, "document_year", "mismatch", "", "", fy, "", m.group(0), str(fy),
                          f"The document is for fiscal year {fy} but names itself {cite(quote)}.", [quote]))
    allowed = {fy - 1, fy} if kind == "budget" else {fy}
    for m in YEAR_END_DATE.finditer(text):
        y = int(m.group("y"))
        if y in allowed:
            continue
        q = m.group(0)
        if q in seen:
            continue
        seen.add(q)
        quote = {"quote": q, "page": page_at(m.start())}
        rows.append(_flag(file, "document_year", "mismatch", "", "", fy, "", q,
                          " or ".join(str(a) for a in sorted(allowed)),
                          f"The document is for fiscal year {fy} but reports a position {cite(quote)}.", [quote]))
    return rows


def _no_page(offset) -> None:
    return None


def check_placeholders(text: str, file: str, page_at=None) -> list[dict]:
    """Template text left in the document ("XX局", "某某")."""
    page_at = page_at or _no_page
    rows, seen = [], set()
    if not any(ch in text for ch in PLACEHOLDER_CHARS):  # (most texts: a few fast searches instead of a regex pass)
        return rows
    for m in PLACEHOLDER.finditer(text):
        before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
        if not (HANZI.match(before) or HANZI.match(after)):
            continue
        q = _context(text, m.start(), m.end(), 6)
        if q in seen:
            continue
        seen.add(q)
        quote = {"quote": q, "page": page_at(m.start())}
        rows.append(_flag(file, "placeholder", "mismatch", reported=q, expected="a name or number",
                          message=f"Template placeholder {m.group(0)!r} left in the text: {cite(quote)}.",
                          quotes=[quote]))
    return rows


# Narrative figures a standard table prints beside them (measure -> table kind). (公务用车购置及运行维护费 is left out:
# not every 三公 table prints the subtotal.)
TABLE_OF_MEASURE = {"sangong_total": "sangong", "sangong_overseas": "sangong", "sangong_vehicle_purchase": "sangong",
                    "sangong_vehicle_operation": "sangong", "sangong_reception": "sangong",
                    "agency_operating_expenses": "agency_operating"}
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@lru_cache(maxsize=1024)
def _printed_forms(value: float) -> tuple[str, ...]:
    """How a table may print an amount of ``value`` yuan: in 元, 万元 or 亿元, with 1, 2 or 4 decimals, with or without
    thousands separators (only the forms that are exactly the value). A bare integer is no table amount: the integers
    in these tables are column numbers, codes, years and page labels ("公开 10 表").

    >>> _printed_forms(60200.0)
    ('60200.0', '60,200.0', '60200.00', '60,200.00', '60200.0000', '60,200.0000', '6.02', '6.0200')
    """
    forms = []
    for factor in (1, 10_000, 100_000_000):
        x = value / factor
        four = f"{x:.4f}"
        if abs(float(four) - x) >= 1e-7 * max(1.0, x):
            continue  # (not a whole number of ten-thousandths in this unit)
        for d in (1, 2, 4):
            if d == 4 or four.endswith("0" * (4 - d)):
                plain = four[:len(four) - (4 - d)]
                forms.append(plain)
                if x >= 1000:
                    forms.append(f"{x:,.{d}f}")
    return tuple(forms)


@lru_cache(maxsize=64)
def _table_numbers(text: str, start: int, end: int) -> tuple[str, tuple[float, ...]]:
    """The text of a table (text[start:end]) without whitespace, and every number in it."""
    region = text[start:end]
    return "".join(region.split()), tuple(float(m.group().replace(",", "")) for m in NUMBER.finditer(region)
                                         if "." in m.group())


def _prints_amount(text: str, start: int, end: int, fig: dict) -> bool:
    """The table text[start:end] prints the figure's amount: one of its exact forms (the text layer may glue cells:
    "13,486.0218,308.57" still holds "13,486.02"), or a number within the figure's printed precision."""
    squeezed, numbers = _table_numbers(text, start, end)
    if any(f in squeezed for f in _printed_forms(fig["value"])):
        return True
    allow = figure_allowance(fig)
    if allow:
        value = fig["value"]
        for n in numbers:
            if abs(n - value) <= allow + FEN or abs(n * 10_000 - value) <= allow + FEN \
                    or abs(n * 100_000_000 - value) <= allow + FEN:
                return True
    return False


def check_table_cells(text: str, figs, doc: dict, page_at=None) -> list[dict]:
    """A "三公" (or 机关运行经费) figure the narrative states that its standard table does not print: a blank (or
    different) cell, an empty table, or a table stated empty (空表) while the text gives an amount."""
    from countyfiscal.audit.completeness import has_amounts, stated_empty, table_titles

    fy, kind = _year(doc.get("fiscal_year")), doc.get("doc_kind") or ""
    if fy is None or kind not in ("budget", "final_account"):
        return []
    tables: dict[str, list] = defaultdict(list)
    for t in table_titles(text):
        if not t.listed and t.kind in ("sangong", "agency_operating"):
            tables[t.kind].append(t)
    if not tables:  # (most .txt disclosures print no table)
        return []
    figs = _figures(figs)
    wanted = [r for r in figs.rows if r["measure"] in TABLE_OF_MEASURE and r["fiscal_year"] == fy and r["value"] > 0
              and not r["source"].endswith("table") and (kind == "final_account" or r["basis"] == "budget")]
    if not wanted:
        return []
    page_at = page_at or _no_page
    rows, seen = [], set()
    for r in wanted:
        found = tables.get(TABLE_OF_MEASURE[r["measure"]])
        if not found or (r["measure"], r["basis"], r["value"]) in seen:
            continue
        seen.add((r["measure"], r["basis"], r["value"]))
        if any(_prints_amount(text, t.end, t.region_end, r) for t in found):
            continue
        title = {"quote": found[0].title, "page": page_at(found[0].start)}
        name = measure_name(r["measure"])
        if not any(has_amounts(text, t) for t in found):
            note = next((w for w in (stated_empty(text, t) for t in found) if w), None)
            why = (f"which the document states is empty ({cite(note)})" if note else
                   "which prints no amount at all")
        else:
            why = "which leaves it blank or prints another amount"
        rows.append(_flag(doc.get("file"), "table_vs_text", "mismatch", r["measure"], r["code"], fy, r["basis"],
                          _fmt_fig(r), "",
                          f"The text states {name} as {_fmt_fig(r)} {cite(r)}, but not the table {cite(title)}, {why}.",
                          [r, title]))
    return rows


def check_execution_inputs(figures, documents) -> list[dict]:
    """"三公" parts with a zero 年初预算: no execution rate exists (never inf), so say so.

    ``figures`` and ``documents``: DataFrames or lists of dicts."""
    from countyfiscal.analysis.metrics import SANGONG, sangong_execution_pairs

    # Only a "三公" figure of value zero can be such a budget: most documents state none.
    if isinstance(figures, list) and not any(r.get("measure") in SANGONG and as_number(r.get("value")) == 0
                                             for r in figures):
        return []
    rows = []
    for p in sangong_execution_pairs(figures, documents):
        if p["budget"]["value"] != 0:
            continue
        a, b = p["actual"], p["budget"]
        rows.append(_flag(p["files"], "execution_rate", "insufficient_data", p["measure"], "", p["fiscal_year"],
                          "actual", _fmt_fig(a), "",
                          f"{measure_name(p['measure'])} has a 年初预算 of zero {cite(b)} (决算 {_fmt_fig(a)} {cite(a)}), "
                          "so no execution rate is computed.", [b, a]))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Entry points


_EMPTY_FLAGS: list[pd.DataFrame] = []


def empty_flags() -> pd.DataFrame:
    if not _EMPTY_FLAGS:  # built once: a DataFrame of typed empty columns costs milliseconds
        _EMPTY_FLAGS.append(pd.DataFrame({f.name: pd.Series(dtype=f.dtype) for f in fields.TABLES["flags"]}))
    return _EMPTY_FLAGS[0].copy()


FLAG_ORDER = ["file", "check", "measure", "code", "fiscal_year", "basis", "status", "reported", "quotes"]


def flags_table(rows: list[dict]) -> pd.DataFrame:
    """Flag dicts -> the flags table: its columns and dtypes, duplicates dropped, sorted by FLAG_ORDER (stable)."""
    if not rows:
        return empty_flags()
    columns = list(zip(*flag_records(rows)))
    return pd.DataFrame({f.name: pd.array(list(col), dtype="Int64" if f.dtype == "Int64" else str)
                         for f, col in zip(fields.TABLES["flags"], columns)})


def flag_records(rows: list[dict]) -> list[tuple]:
    """The rows of ``flags_table(rows)`` as tuples in its column order (a text "", never missing; a year an int or
    None), without building the table.

    >>> [r[:6] for r in flag_records([{"file": "b", "check": "share", "fiscal_year": "2024"},
    ...                               {"file": "a", "check": "share"},
    ...                               {"file": "b", "check": "share", "fiscal_year": 2024.0}])]
    [('a', 'share', '', '', '', None), ('b', 'share', '', '', '', 2024)]
    """
    specs = fields.TABLES["flags"]
    seen, out = set(), []
    for r in rows:
        rec = tuple(_year(r.get(f.name)) if f.dtype == "Int64" else _text(r.get(f.name)) for f in specs)
        if rec not in seen:
            seen.add(rec)
            out.append(rec)
    names = [f.name for f in specs]
    order = [names.index(c) for c in FLAG_ORDER]

    def key(rec):
        # A missing year sorts last, as pandas' na_position="last".
        return tuple((rec[i] is None, rec[i] or 0) if specs[i].dtype == "Int64" else rec[i] for i in order)

    out.sort(key=key)
    return out


def _figure_checks(figs: Figures, file: str) -> list[dict]:
    """The checks that need only a document's figures."""
    return check_sums(figs, file) + check_restatements(figs, file)


def _page_lookup_for(raw: list[dict], doc: dict, page_at=None):
    """offset -> page: ``page_at`` (``Document.page_at``) when given, else read off the figures' pages (a document
    without pages has none to look up)."""
    if page_at is not None:
        return page_at
    return page_lookup(raw) if doc.get("format") in ("pdf", "", None) else _no_page


def _statements_of(raw: list[dict], text: str, page_at) -> list[dict]:
    # Statements are tied to the department's figures: a 一般公共预算 part the document shows is not the whole
    # (scope appropriation) names no subject of its own here.
    whole = raw if not any(r.get("scope") == "appropriation" for r in raw) else [
        r for r in raw if r.get("scope") != "appropriation"]
    st = statement_records(text, whole)
    for r in st:
        r["page"] = page_at(r["start"])
    return st


def _text_checks(raw: list[dict], figs: Figures, doc: dict, text: str, page_at=None,
                 st: list[dict] | None = None) -> list[dict]:
    """The checks that read the document's text: stated changes, shares, rates, wording, year, placeholders.
    ``page_at``: offset -> page (``Document.page_at``); by default read off the figures' pages. ``st``: the
    document's statements (``document_statements``) when the caller has them already."""
    file = doc.get("file")
    page_at = _page_lookup_for(raw, doc, page_at)
    if st is None:
        st = _statements_of(raw, text, page_at)
    return (check_statements(st, figs, file, doc.get("doc_kind") or "") + check_document_year(text, doc, page_at)
            + check_placeholders(text, file, page_at) + check_table_cells(text, figs, doc, page_at))


def _readable(doc: dict) -> bool:
    return doc.get("status") in ("ok", "partial")


def check_document(figures, document: dict, text: str | None, page_at=None, statements: list[dict] | None = None,
                   execution_inputs: bool = True) -> list[dict]:
    """Flag dicts of ONE document: every check but the cross-document ones (``flags_table`` makes them a table).

    ``figures``: that document's figures, a DataFrame or the extractor's list of dicts (read as
    ``pipeline.frame("figures", …)`` would make them); ``document``: its documents.csv row as a dict; ``text``: its
    normalised text (None: only the checks of figures run); ``page_at``: offset -> page (``Document.page_at``;
    by default read off the figures' pages). Gives the same flags as ``run_checks`` on that document alone, without
    building any DataFrame. ``statements``: ``document_statements(figures, text, document, page_at)`` when the caller
    has it already. ``execution_inputs=False`` leaves out the "三公" zero-budget check, for a caller that runs it
    over the whole corpus afterwards (as ``run_checks`` does: a budget may come from another document).
    """
    raw = _checked_records(figures)
    figs = Figures(raw, copy=False)  # (raw is this function's own: normalised in place, nothing else holds it)
    rows = _figure_checks(figs, document.get("file")) if raw else []
    if _readable(document) and text is not None:
        rows += _text_checks(raw, figs, document, text, page_at, statements)
    if raw and execution_inputs:
        rows += check_execution_inputs(raw, [document])
    return rows


def _checked_records(figures) -> list[dict]:
    """A document's figures as the checks read them (see ``check_document``)."""
    return (_checked(_records(figures), uncertain=False) if isinstance(figures, pd.DataFrame)
            else _like_frame(_checked(figures or [])))


def document_statements(figures, text: str, document: dict | None = None, page_at=None) -> list[dict]:
    """The statements (``statement_records``, each with its ``page``) of one document as ``check_document`` reads
    them; pass them back to ``check_document(..., statements=)`` to read them once."""
    raw = _checked_records(figures)
    return _statements_of(raw, text, _page_lookup_for(raw, document or {}, page_at))


def run_checks(figures: pd.DataFrame, documents: pd.DataFrame, texts: dict[str, str],
               extra: list[dict] | None = None) -> pd.DataFrame:
    """Every check on every document: one row per check that did not pass (columns of fields.TABLES["flags"]).

    Per document as ``check_document``; then the same department's figures across its documents. ``extra``: flag
    rows raised while the documents were read (``Document.flags``), written with the checks' own."""
    raw = _checked(_records(figures), uncertain=False)
    docs = table_records(documents, DOCUMENT_COLUMNS)
    by_file: dict[str, list[dict]] = defaultdict(list)
    for r in raw:
        if not is_missing(r.get("file")):
            by_file[r["file"]].append(r)
    prepared = {file: Figures(by_file[file], copy=False) for file in sorted(by_file)}  # (rows of our own)
    rows: list[dict] = []
    for file, figs in prepared.items():
        rows += _figure_checks(figs, file)
    for doc in docs:
        file = doc.get("file")
        if not _readable(doc) or file not in texts:
            continue
        rows += _text_checks(by_file.get(file, []), prepared.get(file) or Figures([]), doc, texts[file])
    if documents is not None:
        rows += _cross_document(prepared.values(), docs)
    if documents is not None and raw:
        rows += check_execution_inputs(raw, docs)
    return flags_table(rows + [f if f.get("origin") else {**f, "origin": "reading"} for f in extra or []])
