"""One value per key: where two readings of one figure disagree, keep the one the document itself supports, and say so.

A key is (measure, fiscal_year, basis, code, scope). Readings of a key that agree within their printed rounding are
restatements and all stay (``more_precise`` tells them apart). Readings that disagree are settled in this order:

1. The other reading is another quantity, and the document says which: it differs from the kept one by a carry-over
   the document states (上年结转 / 年末结转和结余: a 本年 total beside a 总计), or by a change the document states
   for this figure (it is last year's figure). The kept one is the one the contract means for the document's kind
   (``totals_by_doc_kind`` of table_titles.yml for income_total/expenditure_total; the year's own for every other
   measure); the other is re-keyed to the grand-total measure where it is one, else dropped. No flag: the document does not contradict itself.
2. Otherwise the document contradicts itself (or a reading went wrong): the reading its own identities support is
   kept — 基本 + 项目 = 支出合计, 人员 + 公用 = 基本, "三公" parts = total, classes = total (and 类 = its 款), 收入总计 =
   支出总计, a stated change with its percentage — then the reading of a table whose identity is certain, then the
   one stated most often, then the narrative's. A flag on ``Document.flags`` names both statements (quotes, pages)
   and says which was kept and why; where nothing settles it, neither is kept.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from functools import lru_cache

from countyfiscal.amounts import SCALES, allowance

FEN = 0.005
KEY = ("measure", "fiscal_year", "basis", "code", "scope")
MAX_COMBINATIONS = 256  # candidate values tried per identity (several conflicts in one identity multiply)

# Totals and the parts they add up to (measures without a code), each with how a message names it.
SUMS = [
    ("expenditure_total", ("basic_expenditure", "project_expenditure"), "基本支出 + 项目支出 = 支出合计"),
    ("basic_expenditure", ("personnel_expenditure", "public_expenditure"), "人员经费 + 公用经费 = 基本支出"),
    ("expenditure_total", ("personnel_expenditure", "public_expenditure", "project_expenditure"),
     "人员经费 + 公用经费 + 项目支出 = 支出合计"),
    ("sangong_total", ("sangong_overseas", "sangong_vehicle_purchase", "sangong_vehicle_operation", "sangong_reception"),
     "the “三公” parts add up to the total"),
    ("sangong_total", ("sangong_overseas", "sangong_vehicle_total", "sangong_reception"),
     "the “三公” parts add up to the total"),
    ("sangong_vehicle_total", ("sangong_vehicle_purchase", "sangong_vehicle_operation"),
     "公务用车购置费 + 运行维护费 = 公务用车购置及运行维护费"),
    ("income_grand_total", ("expenditure_grand_total",), "收入总计 = 支出总计"),
]
# In a budget the contract's income_total and expenditure_total are the two sides of the 收支总表: equal.
BUDGET_SUMS = [("income_total", ("expenditure_total",), "收入合计 = 支出合计 (a budget balances)")]
GRAND = {"income_total": "income_grand_total", "expenditure_total": "expenditure_grand_total"}
CARRY_OVER = re.compile(r"(?:上年结转|年初结转和结余|年初结转结余|上年结余|结转下年|年末结转和结余|年末结转结余|年末结转)"
                        r"[^\n\d。；]{0,24}?(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>亿元|万元|元)?")


# A sub-row of a carry-over line: "（一）一般公共预算拨款 100.00" (its first amount).
SUB_ROW = re.compile(r"[ \t]*[（(][一二三四五六七八九十]{1,3}[)）][^\n\d]{0,20}?(?P<num>\d[\d,]*(?:\.\d+)?)")


def _number(s: str) -> float:
    return float(s.replace(",", ""))


@lru_cache(maxsize=1)
def _totals_by_doc_kind() -> dict[str, str]:
    from countyfiscal.extract.table_rules import RULES

    return RULES.get("totals_by_doc_kind") or {}


def _allow(row: dict) -> float:
    """Half a unit of the last printed place, in yuan (as extract._allowance; 0 for counts)."""
    if row.get("unit") == "count" or row.get("scale") == "count":
        return 0.0
    try:
        return float(allowance(str(row.get("scale") or "元"), int(row.get("decimals") or 0)))
    except (KeyError, ValueError, TypeError):
        return 0.0


class _Cluster:
    """Readings of one key that agree with each other (within the coarser printed precision of the two)."""

    def __init__(self, row: dict):
        self.rows = [row]
        self.best = row  # the most precisely printed reading

    @property
    def value(self) -> float:
        return float(self.best["value"])

    @property
    def allow(self) -> float:
        return _allow(self.best)

    def agrees(self, row: dict) -> bool:
        return abs(float(row["value"]) - self.value) <= max(_allow(row), self.allow) + 1e-6

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if _allow(row) < self.allow:
            self.best = row

    def first(self) -> dict:
        """The reading a flag quotes: the earliest in the text."""
        return min(self.rows, key=lambda r: (r.get("start") is None, r.get("start") or 0))

    def certain(self) -> bool:
        """Has a reading that is not from a table of uncertain identity (figures column table_kind empty)."""
        return any(not _uncertain(r) for r in self.rows)

    def has_text(self) -> bool:
        return any(not str(r.get("source") or "text").endswith("table") for r in self.rows)

    def statements(self) -> int:
        return len({(r.get("source"), r.get("table"), r.get("start"), r.get("row"), r.get("column")) for r in self.rows})


def _uncertain(row: dict) -> bool:
    return str(row.get("source") or "").endswith("table") and row.get("table_kind", None) == ""


def _clusters(rows: list[dict]) -> list[_Cluster]:
    out: list[_Cluster] = []
    for r in sorted(rows, key=_allow):  # the most precise first: each cluster is centred on a precise reading
        for c in out:
            if c.agrees(r):
                c.add(r)
                break
        else:
            out.append(_Cluster(r))
    return out


def _key(row: dict) -> tuple:
    return tuple(row.get(k) if row.get(k) is not None else "" for k in KEY)


def one_value_per_key(rows: list[dict], text: str, doc_kind: str = "", file: str = "") -> tuple[list[dict], list[dict]]:
    """``rows`` (figure dicts with ``scope`` set) reconciled so each key has one value, and the flag rows that say
    where readings disagreed. Rows keep their order; the input list is not changed."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        if r.get("method") in (None, "", "stated") and r.get("value") is not None and r.get("fiscal_year") is not None:
            groups[_key(r)].append(r)
    conflicts = {}
    for k, g in groups.items():
        if len(g) > 1:
            clusters = _clusters(g)
            if len(clusters) > 1:
                conflicts[k] = clusters
    if not conflicts:
        return rows, []
    ctx = _Context(rows, text, doc_kind, conflicts)
    drop: set[int] = set()
    rekey: dict[int, str] = {}
    flags: list[dict] = []
    for k in sorted(conflicts, key=str):
        d, r, f = ctx.settle(k, conflicts[k], file)
        drop |= d
        rekey.update(r)
        flags += f
    out = []
    for row in rows:
        if id(row) in drop:
            continue
        if id(row) in rekey:
            row = dict(row, measure=rekey[id(row)])
        out.append(row)
    return out, flags


class _Context:
    """What settling a document's conflicts looks at: every key's candidate values, stated carry-overs, statements."""

    def __init__(self, rows: list[dict], text: str, doc_kind: str, conflicts: dict):
        self.text, self.doc_kind, self.rows = text, doc_kind, rows
        # (measure, year, basis, code) -> candidate (value, allowance) pairs, every scope together: an identity that
        # holds is evidence whichever scope its members were read in.
        cands: dict[tuple, dict[float, float]] = defaultdict(dict)
        for r in rows:
            if r.get("value") is None or r.get("fiscal_year") is None or r.get("method") not in (None, "", "stated"):
                continue
            k = (r["measure"], r["fiscal_year"], r.get("basis") or "", r.get("code") or "")
            v, a = float(r["value"]), _allow(r)
            cands[k][v] = min(a, cands[k].get(v, a))
        self.cands = {k: sorted(v.items()) for k, v in cands.items()}
        self._statements = None
        self._carry = None

    # -- evidence ------------------------------------------------------------------------------------------------

    def _relations(self, k4: tuple) -> list[tuple[tuple, list[tuple], str]]:
        """The identities key ``k4`` (measure, year, basis, code) takes part in: (total key, part keys, label)."""
        m, y, b, c = k4
        out = []
        sums = SUMS + (BUDGET_SUMS if self.doc_kind == "budget" else [])
        if not c:
            for total, parts, label in sums:
                if m == total or m in parts:
                    out.append(((total, y, b, ""), [(p, y, b, "") for p in parts], label))
        for measure, families in (("functional_expenditure", ("2",)), ("economic_expenditure", ("3", "5"))):
            codes = sorted({kk[3] for kk in self.cands if kk[0] == measure and kk[1:3] == (y, b) and kk[3]})
            if not codes:
                continue
            for family in families:
                top = [x for x in codes if len(x) == 3 and x.startswith(family)]
                totals = ["expenditure_total"] + (["basic_expenditure"] if family == "3" else [])
                if len(top) >= 2 and (m in totals and not c or m == measure and c in top):
                    for t in totals:
                        out.append(((t, y, b, ""), [(measure, y, b, x) for x in top],
                                    f"the {'functional' if family == '2' else 'economic'} classes add up to "
                                    f"{'支出合计' if t == 'expenditure_total' else '基本支出'}"))
            if m == measure and c:
                parents = [c] + ([c[:-2]] if len(c) > 3 else [])
                for p in parents:
                    children = [x for x in codes if len(x) == len(p) + 2 and x.startswith(p)]
                    if children and p in codes:
                        out.append(((measure, y, b, p), [(measure, y, b, x) for x in children],
                                    f"the items of {p} add up to it"))
        return out

    def _holds(self, total: tuple, parts: list[tuple], override: dict) -> bool:
        opts = [override.get(total) or self.cands.get(total)] + [override.get(p) or self.cands.get(p) for p in parts]
        if not all(opts):
            return False
        n = 1
        for o in opts:
            n *= len(o)
        if n > MAX_COMBINATIONS:
            return False
        for (tv, ta), *combo in itertools.product(*opts):
            s = sum(v for v, _ in combo)
            if abs(tv - s) <= ta + sum(a for _, a in combo) + FEN:
                return True
        return False

    def support(self, k4: tuple, cluster: _Cluster) -> list[str]:
        """The identities (and stated changes) that hold with this reading of the key."""
        override = {k4: [(cluster.value, cluster.allow)]}
        held = [label for total, parts, label in self._relations(k4) if self._holds(total, parts, override)]
        held += self._change_support(k4, cluster)
        return list(dict.fromkeys(held))

    def statements(self) -> list[dict]:
        if self._statements is None:
            from countyfiscal.audit.statements import statement_records

            figs = [r for r in self.rows if isinstance(r.get("start"), int) and isinstance(r.get("end"), int)]
            keys = ("measure", "fiscal_year", "basis", "code", "value", "unit", "method", "quote", "start", "end")
            self._statements = statement_records(self.text, [{k: r.get(k) for k in keys} for r in figs])
        return self._statements

    def _changes(self, k4: tuple) -> list[tuple[dict, dict | None]]:
        """Stated changes of this key's measure, each with the percentage chained to it (or None)."""
        m, y, b, c = k4
        st = self.statements()
        pct = {r["chain"]: r for r in st if r["kind"] == "change_pct" and r["chain"] is not None and r["chain"] >= 0}
        return [(r, pct.get(r["start"])) for r in st
                if r["kind"] == "change_amount" and r["direction"] and r["measure"] == m and r["fiscal_year"] == y
                and (r["basis"] or "") == b and (r["code"] or "") == c]

    def _change_support(self, k4: tuple, cluster: _Cluster) -> list[str]:
        """A stated change with its percentage ("减少X万元，下降Y%") that fits this reading as this year's figure."""
        held = []
        for amount, pct in self._changes(k4):
            if pct is None:
                continue
            a = amount["direction"] * amount["value"]
            aa = float(allowance(amount["scale"], int(amount["decimals"])))
            prior_lo, prior_hi = cluster.value - a - aa - cluster.allow, cluster.value - a + aa + cluster.allow
            if prior_lo <= 0 <= prior_hi:
                continue
            stated = (pct["direction"] or amount["direction"]) * pct["value"]
            half = 0.5 * 10 ** -int(pct["decimals"])
            ends = [(a + da) / (p_) * 100 for da in (-aa, aa) for p_ in (prior_lo, prior_hi)]
            if min(ends) - half - 1e-9 <= stated <= max(ends) + half + 1e-9:
                held.append("the change and percentage stated with it fit")
        return held

    def carry_overs(self) -> list[tuple[float, str | None]]:
        """Carry-over amounts the document states: after a 上年结转/年末结转 words, and on the sub-rows of such a
        table line ("二、上年结转 679.89" then "（一）一般公共预算拨款 100.00"), with their unit where printed."""
        if self._carry is None:
            self._carry = []
            for m in CARRY_OVER.finditer(self.text):
                self._carry.append((_number(m.group("num")), m.group("unit")))
                end = self.text.find("\n", m.end())
                while end >= 0:
                    sub = SUB_ROW.match(self.text, end + 1)
                    if not sub:
                        break
                    self._carry.append((_number(sub.group("num")), None))
                    end = self.text.find("\n", sub.end())
        return self._carry

    def explained_by_carry_over(self, a: _Cluster, b: _Cluster) -> bool:
        """The two readings differ by a carry-over the document states (a 本年 total beside a 总计)."""
        diff = abs(a.value - b.value)
        tol = a.allow + b.allow + FEN
        scales = {str(r.get("scale") or "元") for r in a.rows + b.rows}
        for num, unit in self.carry_overs():
            for scale in ([unit] if unit else sorted(scales)):
                factor = float(SCALES.get(scale, 0) or 0)
                if factor and num > 0 and abs(diff - num * factor) <= tol + 0.5 * factor * 10 ** -_decimals(num):
                    return True
        return False

    def last_year_of(self, k4: tuple, this: _Cluster, other: _Cluster) -> bool:
        """``other`` is last year's figure: this year's reading less a change the document states for this figure."""
        for amount, _ in self._changes(k4):
            a = amount["direction"] * amount["value"]
            aa = float(allowance(amount["scale"], int(amount["decimals"])))
            if abs(this.value - a - other.value) <= this.allow + other.allow + aa + FEN:
                return True
        return False

    # -- settling ------------------------------------------------------------------------------------------------

    def settle(self, key: tuple, clusters: list[_Cluster], file: str) -> tuple[set[int], dict[int, str], list[dict]]:
        """(ids of rows to drop, ids of rows to re-key -> new measure, flags) for one key in conflict."""
        measure, year, basis, code, scope = key
        k4 = (measure, year, basis, code)
        drop: set[int] = set()
        rekey: dict[int, str] = {}
        flags: list[dict] = []
        remaining = list(clusters)
        # 1. Another quantity the document names: a 本年 total vs a 总计, or last year's figure.
        convention = _totals_by_doc_kind().get(self.doc_kind or "default", _totals_by_doc_kind().get("default", "this_year"))
        for a, b in itertools.combinations(clusters, 2):
            if a not in remaining or b not in remaining:
                continue
            if self.explained_by_carry_over(a, b):
                small, large = sorted((a, b), key=lambda c: c.value)
                # (the contract's budget income_total/expenditure_total are the 总计; every other measure is the
                # year's own: fiscal_appropriation_income is this year's 财政拨款, as the labels read it)
                wants_grand = measure.endswith("_grand_total") or measure in GRAND and convention == "grand"
                keep, other = (large, small) if wants_grand else (small, large)
                remaining.remove(other)
                grand = GRAND.get(measure)
                if other is large and grand and not self._has(grand, year, basis, code):
                    rekey.update({id(r): grand for r in other.rows})
                else:
                    drop |= {id(r) for r in other.rows}
                continue
            for this, other in ((a, b), (b, a)):
                if self.last_year_of(k4, this, other):
                    remaining.remove(other)
                    drop |= {id(r) for r in other.rows}
                    break
        if len(remaining) < 2:
            return drop, rekey, flags
        # 2. A contradiction: keep what the document's identities support.
        ranked = []
        for c in remaining:
            held = self.support(k4, c)
            ranked.append(((len(held), c.certain(), c.statements(), c.has_text()), held, c))
        ranked.sort(key=lambda t: t[0], reverse=True)
        best, runner = ranked[0], ranked[1]
        winner, reason = None, ""
        reading = False  # the disagreement is one of our readings, not of the document
        if best[0][0] > runner[0][0]:
            winner, reason = best[2], "with which " + "; ".join(best[1]) + " (the other does not)"
        elif best[0] > runner[0]:
            winner = best[2]
            if best[0][1] != runner[0][1]:
                reason, reading = "as the other comes from a table whose identity the reader is unsure of", True
            elif best[0][2] != runner[0][2]:
                reason = f"stated {best[0][2]} times against {runner[0][2]}, as nothing else the document states settles it"
            else:
                reason = "the narrative's reading, as nothing else the document states settles it"
        losers = [t[2] for t in ranked if t[2] is not winner]
        for c in losers:
            drop |= {id(r) for r in c.rows}
        if winner is None:
            drop |= {id(r) for r in best[2].rows}
            flags.append(_conflict_flag(file, key, best[2], runner[2], None, "nothing else the document states "
                                        "settles which is right, so figures.csv keeps neither"))
        else:
            for c in losers:
                flags.append(_conflict_flag(file, key, winner, c, winner, reason, reading=reading or not c.certain()))
        return drop, rekey, flags

    def _has(self, measure: str, year, basis: str, code: str) -> bool:
        return (measure, year, basis, code) in self.cands


def _decimals(num: float) -> int:
    s = repr(num)
    return len(s.split(".", 1)[1].rstrip("0")) if "." in s else 0


def _fmt(c: _Cluster) -> str:
    from countyfiscal.audit.checks import _fmt_fig

    return _fmt_fig(c.best)


def _conflict_flag(file: str, key: tuple, a: _Cluster, b: _Cluster, kept: _Cluster | None, reason: str,
                   reading: bool = False) -> dict:
    """The flag of a key read with two values: the document's contradiction (restatement · table_vs_text, mismatch), or
    a reading of ours the document does not settle (table_reading, insufficient_data: one table read two ways, or a
    table whose identity is uncertain)."""
    from countyfiscal.audit.checks import _flag, cite, measure_name

    measure, year, basis, code, scope = key
    qa, qb = a.first(), b.first()
    sources = {("table" if str(r.get("source") or "text").endswith("table") else "text") for r in (qa, qb)}
    same_table = sources == {"table"} and qa.get("table") == qb.get("table") and qa.get("page") == qb.get("page")
    reading = reading or same_table
    check = "table_reading" if reading else "table_vs_text" if sources == {"table", "text"} else "restatement"
    status = "insufficient_data" if reading else "mismatch"
    where = f"table “{qa.get('table')}” gives" if same_table else "the document states"
    scope_note = ", 一般公共预算/财政拨款 only" if scope == "appropriation" else ""
    kept_note = f"figures.csv keeps {_fmt(kept)}, {reason}" if kept is not None else reason
    message = (f"For {measure_name(measure, code)} ({basis}, {year}{scope_note}) {where} {_fmt(a)} {cite(qa)} and "
               f"{_fmt(b)} {cite(qb)}; {kept_note}.")
    row = _flag(file, check, status, measure, code, year, basis, _fmt(b), _fmt(a), message, [qa, qb])
    row["origin"] = "reading"
    return row
