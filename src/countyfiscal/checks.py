"""Reported vs recomputed: sums of parts, stated shares, rates and changes, restatements, wording, year and placeholders."""

from __future__ import annotations

import itertools
import os
import re
import tempfile
from collections import defaultdict
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

import pandas as pd

from countyfiscal import fields
from countyfiscal.amounts import SCALES, allowance, find_amounts
from countyfiscal.statements import (DOCUMENT_COLUMNS, FIGURE_COLUMNS, as_number, cell_equals, is_missing,
                                     statement_records, table_records)

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
                  wrong_base: float | None = None) -> tuple[str | None, str]:
    """Status of a stated percentage against the one its figures give (center, and the range their rounding allows).

    Returns (None, "") when the figures round to the stated value.

    >>> judge_percent(114.55, 2, 114.5503, 114.54, 114.56)
    (None, '')
    >>> judge_percent(15, 0, 13.04, 10.6, 15.6, wrong_base=15.0)[0]
    'mismatch'
    """
    rep = Decimal(repr(reported))
    if _round(center, decimals) == rep:
        return None, ""
    if _round(center, decimals, ROUND_DOWN) == rep:
        return "rounding", " (consistent only if the document truncated rather than rounded)"
    if wrong_base is not None and _round(wrong_base, decimals) == rep:
        return "mismatch", " (the stated percentage is the change divided by this year's figure, not last year's)"
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
    seen, qs = set(), []
    for q in quotes:
        if isinstance(q, str) and q and q not in seen:
            seen.add(q)
            qs.append(q.replace("|", "｜"))
    return {
        "file": file, "check": check, "status": status, "measure": measure or "", "code": code or "",
        "fiscal_year": fiscal_year, "basis": basis or "", "reported": reported, "expected": expected,
        "message": message, "quotes": "|".join(qs),
    }


SCOPE_WORDS = (("一般公共预算", "general_budget"), ("财政拨款", "appropriation"), ("政府性基金", "fund"),
               ("国有资本", "state_capital"))


def figure_scope(fig: dict) -> str:
    """Which money a figure covers: "text" (narrative, scope as the extractor judged it), or the scope of its table
    ("all" for a table of all funds; "general_budget", "appropriation", … for a table restricted by its title)."""
    if (fig.get("source") or "text") != "table":
        return "text"
    title = fig.get("table") if isinstance(fig.get("table"), str) else ""
    for word, scope in SCOPE_WORDS:
        if word in title:
            return scope
    return "all"


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
    """Figures (a DataFrame or a list of dicts) as dicts sharing the same keys (missing ones None)."""
    return table_records(figures, FIGURE_COLUMNS)


@lru_cache(maxsize=1)
def _figure_specs() -> tuple[tuple[str, str], ...]:
    """(name, dtype) of the figures columns that checks read, in the table's order."""
    return tuple((f.name, f.dtype) for f in fields.TABLES["figures"] if f.name in FIGURE_COLUMNS)


def _like_frame(figures: list[dict]) -> list[dict]:
    """Figure dicts as the extractor emits them, each cell as pipeline.frame("figures", …) would make it (a missing
    text "", a missing number None), so that checking the dicts and checking their table give the same flags."""
    specs = _figure_specs()
    out = []
    for r in figures:
        row = {}
        for name, dtype in specs:
            v = r.get(name)
            if dtype == "string":
                row[name] = v if type(v) is str else _text(v)
            else:
                n = v if type(v) is int else as_number(v)
                row[name] = (None if n is None else int(n)) if dtype == "Int64" else (
                    float("nan") if n is None else float(n))
        out.append(row)
    return out


def _start_key(row: dict) -> tuple:
    """Text order, figures without an offset last."""
    start = row.get("start")
    return (1, 0) if start is None else (0, start)


class Figures:
    """The stated figures of one document (or of several), normalised as the checks compare them: code, basis, quote,
    source and table as text (code without a trailing ".0"), fiscal_year an int or None, value a float, offsets
    numbers or None, unit "yuan" when the table has no unit column. Built once; every lookup is a dict access."""

    def __init__(self, figures):
        records = _records(figures)  # (a list is copied: rows are never the caller's dicts)
        columns = set(records[0]) if records else set()
        self.has_start = "start" in columns
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
            row["fiscal_year"] = _year(r.get("fiscal_year"))
            value = as_number(r.get("value"))
            row["value"] = float("nan") if value is None else value
            for col in ("start", "end"):
                if col in columns:
                    row[col] = as_number(r[col])
            if "unit" not in columns:
                row["unit"] = "yuan"
            row["_scope"] = figure_scope(row)
            row["_money"] = is_missing(row["unit"]) or row["unit"] == "yuan"
            rows.append(row)
        self.rows = rows
        self._by_key: dict[tuple, list[dict]] = defaultdict(list)  # (measure, year, code) -> rows in input order
        for row in rows:
            if row["fiscal_year"] is not None:
                self._by_key[(row["measure"], row["fiscal_year"], row["code"])].append(row)
        self._values: dict[tuple, list[dict]] = {}

    def values(self, measure: str, year, basis: str, code: str = "", scope: str | None = None,
               money: bool = False) -> list[dict]:
        """Distinct stated values of one measure (first statement of each), in text order; ``basis`` "" for any
        basis, ``scope`` and ``money`` to keep only figures of one scope, only money."""
        key = (measure, year, basis, code, scope, money)
        if key not in self._values:
            rows = self._by_key.get((measure, year, code))
            sel = [r for r in rows if (not basis or r["basis"] == basis) and (scope is None or r["_scope"] == scope)
                   and (not money or r["_money"])] if rows else []
            if len(sel) > 1:  # (one figure or none: already in order and distinct)
                if self.has_start:
                    sel = sorted(sel, key=_start_key)
                sel = _distinct(sel)
            self._values[key] = sel
        return self._values[key]


def _distinct(rows: list[dict]) -> list[dict]:
    """The first row of each value (within half a fen) and scope."""
    out, seen = [], []
    for row in rows:
        value, key = row["value"], row["_scope"]
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
           f"{_fmt_fig(total)}" + (f", a difference within the printed precision (±{_fmt_amount(tol, scale, decimals)})."
                                   if status == "rounding" else f", a difference of {_fmt_amount(diff, scale, decimals)}.")
           + note)
    return [_flag(file, check_name, status, measure, code, year, basis, _fmt_fig(total),
                  _fmt_amount(s, scale, decimals), msg, [total.get("quote")] + [p.get("quote") for p in combo])]


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
    # Parts are added only to totals of the same money: narrative with narrative, one table scope with itself.
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in figs.rows:
        if r["_money"] and r["fiscal_year"] is not None:
            groups[(r["fiscal_year"], r["basis"], r["_scope"])].append(r)
    rows: list[dict] = []
    for (year, basis, scope), g in sorted(groups.items(), key=lambda kv: kv[0]):
        def v(measure, code=""):
            return figs.values(measure, year, basis, code, scope=scope, money=True)

        total, basic, project = v("expenditure_total"), v("basic_expenditure"), v("project_expenditure")
        personnel, public = v("personnel_expenditure"), v("public_expenditure")
        if total and basic and project:
            rows += _sum_check(file, "sum_of_parts", total, [basic, project], "expenditure_total", "", year, basis,
                               "Expenditure total vs 基本支出 + 项目支出")
        if basic and personnel and public:
            rows += _sum_check(file, "sum_of_parts", basic, [personnel, public], "basic_expenditure", "", year, basis,
                               "基本支出 vs 人员经费 + 公用经费")
        if total and not basic and personnel and public and project:
            rows += _sum_check(file, "sum_of_parts", total, [personnel, public, project], "expenditure_total", "",
                               year, basis, "Expenditure total vs 人员经费 + 公用经费 + 项目支出")
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
                                          f"total {_fmt_fig(st[0])}.",
                                          [st[0].get("quote")] + [opts[0].get("quote") for opts in present]))
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
        # Income: a part never exceeds the whole.
        inc, fin = v("income_total"), v("fiscal_appropriation_income")
        if inc and fin:
            i, f = inc[0], fin[0]
            tol = figure_allowance(i) + figure_allowance(f)
            if f["value"] > i["value"] + tol + FEN:
                rows.append(_flag(file, "sum_of_parts", "mismatch", "income_total", "", year, basis, _fmt_fig(i),
                                  f"≥ {_fmt_fig(f)}",
                                  f"财政拨款收入 {_fmt_fig(f)} exceeds the income total {_fmt_fig(i)} it is part of.",
                                  [i.get("quote"), f.get("quote")]))
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
            sources = {first.get("source") or "text", other.get("source") or "text"}
            check = "table_vs_text" if sources == {"table", "text"} else "restatement"
            label = f" {code}" if code else ""
            rows.append(_flag(
                file, check, status, measure, code, year, basis, _fmt_fig(other), _fmt_fig(first),
                f"{measure}{label} ({basis}, {year}) is stated as {_fmt_fig(first)} and elsewhere as {_fmt_fig(other)}"
                + (", a difference within the printed precision." if status == "rounding" else "."),
                [first.get("quote"), other.get("quote")]))
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
        per_file = [(f, _distinct(sorted(by_file[f], key=_start_key) if has_start else by_file[f]))
                    for f in sorted(by_file)]
        # Compare files pairwise on their first value (within-file conflicts are restatements already).
        for (fa, va), (fb, vb) in itertools.combinations(per_file, 2):
            a, b = va[0], vb[0]
            status = _status_amount(b["value"], a["value"], figure_allowance(a) + figure_allowance(b))
            if status != "mismatch":
                continue
            rows.append(_flag(
                f"{fa};{fb}", "restatement", status, key[2], key[5], key[3], key[4], _fmt_fig(b), _fmt_fig(a),
                f"{key[1]} states {key[2]} ({key[4]}, {key[3]}) as {_fmt_fig(a)} in {fa} and as {_fmt_fig(b)} in {fb}"
                " (a later document may report a revised figure).", [a.get("quote"), b.get("quote")]))
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Stated changes, shares, execution rates and wording


def _pick(figs: Figures, measure: str, year, basis: str, code: str, near: int | None = None) -> list[dict]:
    """The distinct values of a measure (any basis when ``basis`` is ""), nearest to ``near`` first."""
    if not measure or is_missing(year):
        return []
    vals = figs.values(measure, int(year), basis, code)
    if near is not None and len(vals) > 1:
        vals = sorted(vals, key=lambda r: abs((r.get("start") or 0) - near))
    return vals


def _statement_rows(st) -> list[dict]:
    """Statements (find_statements' DataFrame or statement_records' list) as dicts, code and basis as text."""
    records = st.to_dict("records") if isinstance(st, pd.DataFrame) else st
    return [{**r, "code": _text(r["code"]), "basis": _text(r["basis"])}
            if type(r["code"]) is not str or type(r["basis"]) is not str else r.copy() for r in records]


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

    def cur_prior(r):
        cur = _pick(figs, r["measure"], r["fiscal_year"], r["basis"], r["code"], r["start"])
        prior = _pick(figs, r["measure"], (r["fiscal_year"] or 0) - 1, r["basis"], r["code"], r["start"])
        return (cur[0] if cur else None), (prior[0] if prior else None)

    for r in st:
        kind = r["kind"]
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
                                  f"The stated change of {m} ({_fmt_amount(rep, r['scale'], r['decimals'])}) does not "
                                  f"match its stated figures {_fmt_fig(prior)} → {_fmt_fig(cur)} "
                                  f"({_fmt_amount(exp, r['scale'], r['decimals'])})"
                                  + (", but the difference is within the printed precision." if status == "rounding" else "."),
                                  [r["quote"], prior.get("quote"), cur.get("quote")]))
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
                inputs = f"its stated figures {_fmt_fig(prior)} → {_fmt_fig(cur)}"
                quotes = [r["quote"], prior.get("quote"), cur.get("quote")]
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
                inputs = (f"the stated change {_fmt_amount(a, paired['scale'], paired['decimals'])} on "
                          f"{_fmt_fig(cur)} (last year {_fmt_amount(c - a, paired['scale'], paired['decimals'])})")
                quotes = [paired["quote"], r["quote"], cur.get("quote")]
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
                status, note = judge_percent(rep_mag, d, center, lo, hi, wrong)
            if status:
                shown = center if reported >= 0 else -center
                rows.append(_flag(file, "year_on_year", status, m, code, year, basis, _pct(reported, d),
                                  _pct(shown, max(d, 1) + 1),
                                  f"The stated change of {m} ({_pct(reported, d)}) does not match the "
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
            if status:
                rows.append(_flag(file, "share", status, m, code, year, basis, _pct(r["value"], d),
                                  _pct(center, d + 2),
                                  f"The stated share {_pct(r['value'], d)} does not match "
                                  f"{_fmt_amount(n, r['figure_scale'], r['figure_decimals'])} / "
                                  f"{_fmt_amount(b, r['base_scale'], r['base_decimals'])} = {_pct(center, d + 2)}{note}.",
                                  [r["quote"], r.get("base_quote")]))
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
                                      f"The stated execution rate of {m} ({_pct(r['value'], d)}) does not match "
                                      f"决算 {_fmt_fig(a_)} / 年初预算 {_fmt_fig(b_)} = {_pct(center, d + 2)}{note}.",
                                      [r["quote"], a_.get("quote"), b_.get("quote")]))
            elif m.startswith("sangong") and not budget and not is_missing(r.get("figure_value")) and r["figure_value"] > 0 \
                    and doc_kind in ("final_account", ""):
                rows.append(_flag(file, "execution_rate", "insufficient_data", m, code, year, "actual",
                                  _pct(r["value"], d), "",
                                  f"The document states an execution rate for {m} but never states its 年初预算, "
                                  "so the rate cannot be checked.", [r["quote"]]))
        elif kind == "wording" and m:
            rows += _check_wording(r, st, figs, file)
    rows += _check_repeated_changes(st, file)
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
                          f"The document says {r['quote']} but its 决算 {_fmt_fig(a)} and 年初预算 {_fmt_fig(b)} say otherwise.",
                          [r["quote"], a.get("quote"), b.get("quote")])]
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
                      f"The document says {r['quote']} while stating an execution rate of {_pct(v, d)}"
                      + (" (possible only if the rate was rounded to 100%)." if status == "rounding" else "."),
                      [rate["quote"], r["quote"]])]
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
                              f"The document says {m} is unchanged but states {_fmt_fig(prior[0])} → {_fmt_fig(cur[0])}.",
                              [r["quote"], prior[0].get("quote"), cur[0].get("quote")])]
        elif changes:
            c = changes[0]
            if c["value"] > _allowance(c["scale"], int(c["decimals"])):
                return [_flag(file, "wording", "mismatch", m, code, year, r["basis"], r["quote"], c["quote"],
                              f"The document says {m} is unchanged but states a change of {c['quote']}.",
                              [r["quote"], c["quote"]])]
    return []


def _check_repeated_changes(st: list[dict], file: str) -> list[dict]:
    """The same year-on-year change stated twice with different values."""
    rows = []
    for kind in ("change_amount", "change_pct"):
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for x in st:
            if x["kind"] == kind and x["measure"] != "" and x["direction"] != 0:
                year = None if is_missing(x["fiscal_year"]) else x["fiscal_year"]
                groups[(x["measure"], x["code"], year, x["basis"])].append(x)
        # Sorted as pandas groups them: a statement of no year last.
        for (m, code, year, basis), g in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] is None,
                                                                               kv[0][2] or 0, kv[0][3])):
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
                                  f"The document states the change of {m} twice, as {exp} and as {rep}"
                                  + (" (within the printed precision)." if status == "rounding" else "."),
                                  [first["quote"], other["quote"]]))
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


def check_document_year(text: str, doc: dict) -> list[dict]:
    """Headings and year-end dates that name a different year than the document's fiscal year."""
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
        rows.append(_flag(file, "document_year", "mismatch", "", "", fy, "", m.group(0), str(fy),
                          f"The document is for fiscal year {fy} but names itself {m.group(0)}.", [q]))
    allowed = {fy - 1, fy} if kind == "budget" else {fy}
    for m in YEAR_END_DATE.finditer(text):
        y = int(m.group("y"))
        if y in allowed:
            continue
        q = m.group(0)
        if q in seen:
            continue
        seen.add(q)
        rows.append(_flag(file, "document_year", "mismatch", "", "", fy, "", q,
                          " or ".join(str(a) for a in sorted(allowed)),
                          f"The document is for fiscal year {fy} but reports a position {q}.", [q]))
    return rows


def check_placeholders(text: str, file: str) -> list[dict]:
    """Template text left in the document ("XX局", "某某")."""
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
        rows.append(_flag(file, "placeholder", "mismatch", reported=q, expected="a name or number",
                          message=f"Template placeholder {m.group(0)!r} left in the text.", quotes=[q]))
    return rows


def check_execution_inputs(figures, documents) -> list[dict]:
    """"三公" parts with a zero 年初预算: no execution rate exists (never inf), so say so.

    ``figures`` and ``documents``: DataFrames or lists of dicts."""
    from countyfiscal.metrics import SANGONG, sangong_execution_pairs

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
                          f"{p['measure']} has a 年初预算 of zero (决算 {_fmt_fig(a)}), so no execution rate is computed.",
                          [b.get("quote"), a.get("quote")]))
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
    columns = list(zip(*out))
    return pd.DataFrame({f.name: pd.array(list(col), dtype="Int64" if f.dtype == "Int64" else str)
                         for f, col in zip(specs, columns)})


def _figure_checks(figs: Figures, file: str) -> list[dict]:
    """The checks that need only a document's figures."""
    return check_sums(figs, file) + check_restatements(figs, file)


def _text_checks(raw: list[dict], figs: Figures, doc: dict, text: str, st: list[dict] | None = None) -> list[dict]:
    """The checks that read the document's text: stated changes, shares, rates, wording, year, placeholders."""
    file = doc.get("file")
    st = statement_records(text, raw) if st is None else st
    return (check_statements(st, figs, file, doc.get("doc_kind") or "") + check_document_year(text, doc)
            + check_placeholders(text, file))


def _readable(doc: dict) -> bool:
    return doc.get("status") in ("ok", "partial")


def check_document(figures, document: dict, text: str | None, statements: list[dict] | None = None,
                   execution_inputs: bool = True) -> list[dict]:
    """Flag dicts of ONE document: every check but the cross-document ones (``flags_table`` makes them a table).

    ``figures``: that document's figures, a DataFrame or the extractor's list of dicts (read as
    ``pipeline.frame("figures", …)`` would make them); ``document``: its documents.csv row as a dict; ``text``: its
    normalised text (None: only the checks of figures run). Gives the same flags as ``run_checks`` on that document
    alone, without building any DataFrame. ``statements``: ``document_statements(figures, text)`` when the caller
    has it already. ``execution_inputs=False`` leaves out the "三公" zero-budget check, for a caller that runs it
    over the whole corpus afterwards (as ``run_checks`` does: a budget may come from another document).
    """
    raw = _records(figures) if isinstance(figures, pd.DataFrame) else _like_frame(figures or [])
    figs = Figures(raw)
    rows = _figure_checks(figs, document.get("file")) if raw else []
    if _readable(document) and text is not None:
        rows += _text_checks(raw, figs, document, text, statements)
    if raw and execution_inputs:
        rows += check_execution_inputs(raw, [document])
    return rows


def document_statements(figures, text: str) -> list[dict]:
    """The statements (``statement_records``) of one document as ``check_document`` reads them."""
    raw = _records(figures) if isinstance(figures, pd.DataFrame) else _like_frame(figures or [])
    return statement_records(text, raw)


def run_checks(figures: pd.DataFrame, documents: pd.DataFrame, texts: dict[str, str],
               extra: list[dict] | None = None) -> pd.DataFrame:
    """Every check on every document: one row per check that did not pass (columns of fields.TABLES["flags"]).

    Per document as ``check_document``; then the same department's figures across its documents. ``extra``: flag
    rows raised while the documents were read (``Document.flags``), written with the checks' own."""
    raw = _records(figures)
    docs = table_records(documents, DOCUMENT_COLUMNS)
    by_file: dict[str, list[dict]] = defaultdict(list)
    for r in raw:
        if not is_missing(r.get("file")):
            by_file[r["file"]].append(r)
    prepared = {file: Figures(by_file[file]) for file in sorted(by_file)}
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
    return flags_table(rows + list(extra or []))


def _write_atomic(frame: pd.DataFrame, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            frame.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read(path: Path, table: str) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=fields.columns(table))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for f in fields.TABLES[table]:
        if f.name in frame and f.dtype in ("Int64", "float64"):
            num = pd.to_numeric(frame[f.name].replace("", None), errors="coerce")
            frame[f.name] = num.astype("Int64") if f.dtype == "Int64" else num.astype("float64")
    return frame


def check_dir(processed: Path, raw: Path) -> int:
    """Read documents.csv/figures.csv from ``processed``, re-read the texts, write flags.csv and metrics.csv.

    Returns the number of flags written.
    """
    from countyfiscal.ingest import normalised_text
    from countyfiscal.metrics import compute_metrics

    processed, raw = Path(processed), Path(raw)
    documents = _read(processed / "documents.csv", "documents")
    figures = _read(processed / "figures.csv", "figures")
    texts = {}
    for doc in documents.to_dict("records"):
        if doc.get("status") in ("ok", "partial"):
            texts[doc["file"]] = normalised_text(raw / doc["file"])
    flags = run_checks(figures, documents, texts)
    metrics = compute_metrics(figures, documents, texts=texts)
    _write_atomic(flags, processed / "flags.csv")
    _write_atomic(metrics, processed / "metrics.csv")
    return len(flags)
