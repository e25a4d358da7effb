"""Normalised text -> the changes, shares, execution rates and comparative wording a disclosure states about its figures."""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections import Counter
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from itertools import accumulate
from operator import itemgetter

import pandas as pd
import yaml

from countyfiscal.amounts import AMOUNT_RE, SCALES, Amount, allowance, amount_from_match, decimals_of, normalise_scale

# libyaml's parser where PyYAML has it (the same safe loading, ~10x faster; each file is read once per process)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

COLUMNS = [
    "kind",  # change_amount · change_pct · share_pct · execution_pct · wording
    "measure",
    "code",
    "fiscal_year",
    "basis",
    "base",  # changes: what the change is measured against — prior_budget · prior_execution · prior_final_account · ""
    "scope",  # total, or appropriation where the sentence is about the 一般公共预算/财政拨款 part (as figures' scope)
    "value",  # yuan for change_amount, percent for *_pct, empty for wording
    "scale",  # 元/万元/亿元 for amounts, % for percentages
    "decimals",
    "direction",  # +1 increase, -1 decrease, 0 unknown ("增加/减少"); wording: see `words`
    "words",  # wording: greater · less · equal · unchanged
    "quote",
    "start",
    "end",
    "figure_value",  # the amount the statement is attached to (numerator for shares and execution rates)
    "figure_scale",
    "figure_decimals",
    "figure_quote",
    "figure_start",
    "base_value",  # share_pct: the amount the share is of, where it could be found
    "base_scale",
    "base_decimals",
    "base_quote",
    "sentence_start",
    "chain",  # change_pct: start offset of the change_amount it qualifies (same clause chain), else -1
]

SENTENCE_END = "。；;！？!?"
CLAUSE_END = "，," + SENTENCE_END
# A line that starts a numbered item ends the sentence before it even without punctuation (PDF lists): a line break
# followed by this (LIST_LINE).
LIST_ITEM = r"\s*(?:\d{1,2}\s*[.、．](?!\d)|[（(]\s*[\d一二三四五六七八九十]{1,3}\s*[）)]|[一二三四五六七八九十]{1,3}\s*、|第[一二三四五六七八九十]+部分)"

PCT = r"(?P<pct>\d+(?:\.\d+)?)\s*[%％]"
UP = "增加|增长|上升|上涨|提高|增"
DOWN = "减少|下降|降低|压减|缩减|节约|减"
VERB = re.compile(
    rf"(?P<verb>(?:{UP}|{DOWN})(?:\s*/\s*(?:{UP}|{DOWN}))?)\s*(?:了|额为|额|为|幅度为|幅度|比例为)?\s*"
)
# (The look-ahead for the first characters lets the regex engine skip ahead to them, as it cannot from the groups.)
COMPARE_CUE = re.compile(r"(?=[比较与对同上])(?:(?:比|较|与|对比)\s*(?:上年|去年|上一年|上年度|20\d\d\s*年|同期)|同比|上年同期|较上年度"
                         r"|较年初)")
SHARE = re.compile(rf"占(?P<base>[^，,。；;%％\d]{{0,30}}?)(?:的)?(?:比重|比例|比重为|比例为)?\s*{PCT}")
EXECUTION = re.compile(rf"完成(?:年初|全年|调整)?预算(?:数)?(?:的)?\s*{PCT}|预算执行率(?:为|达到?)?\s*{PCT.replace('pct', 'pct2')}")
WORDING_CMP = re.compile(
    r"决算数?(?:据)?\s*(?P<op>大于|小于|等于|高于|低于|超过|少于|多于)\s*(?:年初|全年|调整)?\s*预算数?"
)
WORDING_SAME = re.compile(r"持平|无变化|没有变化|未发生变化|保持不变|相同")
# "相同" claims no change only right after what it compares with ("与上年预算数相同"); "口径相同" does not.
SAME_AS = ("上年", "上年度", "预算数", "去年")
# Right before WORDING_SAME, these admit a small change ("基本持平"): not a claim of equality. (Searched for apart from
# the words, so the regex engine can skip ahead on the words' first characters.)
SAME_QUALIFIERS = ("基本", "大体", "总体", "略有", "大致")

PCT_RE = re.compile(PCT)
PAREN_PCT = re.compile(rf"\s*[（(]\s*{PCT}\s*[）)]")
UP_RE = re.compile(UP)
# 预算 but not 公共预算/基金预算/经营预算 (looked behind after it: a look-behind first is tried at every position).
BASIS_CUE = re.compile(r"决算|执行数|实际支出|预算(?<!公共预算)(?<!基金预算)(?<!经营预算)")
QUOTE_MARKS = re.compile(r"[“”\"‘’'「」『』]")
RESTRICTED_SCOPE = re.compile(r"一般公共预算|政府性基金|国有资本")
# Measures a document states both for all its funds and for the 一般公共预算/财政拨款 part (figures' scope).
SCOPED_MEASURES = frozenset({"income_total", "expenditure_total", "basic_expenditure", "project_expenditure",
                             "personnel_expenditure", "public_expenditure", "functional_expenditure",
                             "economic_expenditure"})
# (The look-ahead lets the regex engine skip ahead to the words' first characters; a look-behind first is tried at
# every position.)
APPROPRIATION_WORDS = re.compile(r"(?=[财一当])(?<!政府性基金)(?<!国有资本经营)(?:财政拨款|一般公共预算|当年拨款)")
TOTAL_WORD = re.compile(r"总(?=支出|收入)")
SHARE_AFTER = re.compile(r"\s*[，,]?\s*占")
QIZHONG = re.compile(r"\s*其中")
PRIOR_YEAR_WORD = re.compile(r"上年|去年|同期")

_OP_WORDS = {
    "大于": "greater", "高于": "greater", "超过": "greater", "多于": "greater",
    "小于": "less", "低于": "less", "少于": "less",
    "等于": "equal",
}


@cache
def _measure_rules() -> dict:
    with resources.files("countyfiscal.resources").joinpath("measures.yml").open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_YAML_LOADER)["measures"]


def _share_bases() -> dict[str, str]:
    return _statement_rules()["share_bases"]


@cache
def _excludes() -> dict[str, tuple[str, ...]]:
    """measure -> the words that, right before one of its names, mean it is not named there (measures.yml's, and
    statements.yml's not_subject_after for every measure)."""
    common = tuple(_statement_rules().get("not_subject_after") or ())
    out: dict[str, tuple[str, ...]] = {}
    for m, spec in _measure_rules().items():
        out.setdefault(_statement_measure(m, spec), tuple(spec.get("exclude_before", []) or []) + common)
    return out


@cache
def _statement_rules() -> dict:
    with resources.files("countyfiscal.resources").joinpath("statements.yml").open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_YAML_LOADER)


def _fold_quotes(s: str) -> str:
    return QUOTE_MARKS.sub("", s)


@cache
def _term_regex() -> tuple[re.Pattern, dict[str, str]]:
    """All measure names of resources/measures.yml, longest first, matched on quote-folded text; and the measure of
    each matched text (brackets folded to full width, as the pattern lets either kind match)."""
    pairs = [(t, _statement_measure(m, spec)) for m, spec in _measure_rules().items() for t in spec["terms"]]
    pairs.sort(key=lambda p: len(p[0]), reverse=True)
    terms, measures = [], {}
    for term, measure in pairs:
        terms.append([_term_unit(ch) for ch in term])
        key = _fold_brackets(term)
        if measures.setdefault(key, measure) != measure:
            raise ValueError(f"measures.yml: {term!r} names two measures ({measures[key]}, {measure})")
    return re.compile(_longest_first(terms)), measures


def _statement_measure(name: str, spec: dict) -> str:
    """The measure a statement named by one of ``name``'s terms is about. measures.yml's readings (names starting
    with "_") are no measure of their own: one that emits several measures from one amount ("收、支总计") is about
    the first of them; any other names something a statement cannot be tied to ("")."""
    if not name.startswith("_"):
        return name
    emits = spec.get("emits") or []
    return emits[0] if emits else ""


def _term_unit(ch: str) -> str:
    """The pattern of one character of a term: a full-width bracket matches either width."""
    return {"（": "[（(]", "）": "[）)]"}.get(ch, re.escape(ch))


def _longest_first(terms: list[list[str]]) -> str:
    """A pattern matching, at a position, the first of ``terms`` (lists of character patterns, longest first) that
    matches there: the plain alternation of the terms, with the leading characters they share factored out.

    The engine then reads each character once instead of once per term (the plain alternation tries all sixty-odd
    terms wherever one of their first characters occurs, which in these texts is nearly everywhere). Factoring keeps
    the order in which terms are tried: terms that differ in a character can never both match, and a term that ends
    where others go on comes after them. Where a character class (a bracket) would overlap another branch, the terms
    are left as they are.
    """
    if any(t and t[0].startswith("[") for t in terms):
        return "|".join("".join(t) for t in terms)
    branches: dict[str, list[list[str]]] = {}  # first character -> the rest of each term starting with it, in order
    ends = False  # a term ends here: tried last (it is the shortest)
    for t in terms:
        if t:
            branches.setdefault(t[0], []).append(t[1:])
        else:
            ends = True
    alternatives = []
    for first, rests in branches.items():
        inner = _longest_first(rests)
        alternatives.append(first + (f"(?:{inner})" if len(rests) > 1 else inner))
    return "|".join(alternatives + ([""] if ends else []))


def _fold_brackets(s: str) -> str:
    return s.replace("(", "（").replace(")", "）")


class _TextIndex:
    """What the statement finders look up many times in one text, computed once: the text with quote marks folded
    away (and where its characters were), and where sentences may begin."""

    def __init__(self, text: str):
        self.text = text
        # One pass: the pieces between quote marks give both the folded text and where the marks were.
        pieces = QUOTE_MARKS.split(text)
        self.folded = "".join(pieces) if len(pieces) > 1 else text
        # Folded offset of each removed quote mark: folded j was at j + (quote marks removed at or before j).
        self.folded_quotes = list(accumulate(map(len, pieces[:-1])))
        self.quotes = [q + k for k, q in enumerate(self.folded_quotes)]
        # (str.find per mark is twice as fast as a regex for the seven of them)
        marks = _find_all(text, SENTENCE_END)
        marks += [m.start() for m in LIST_LINE.finditer(text)]
        marks.sort()
        self.sentence_marks = marks
        # A full sentence ends at the same marks but "；".
        self.period_marks = [i for i in self.sentence_marks if text[i] not in "；;"]
        self.parens = sorted(_find_all(text, PARENTHESES))
        self.base_amounts: dict[str, dict] = {}  # _find_base's search for a phrase's own amount, by phrase
        self.period_cues: dict[int, list] = {}  # change_base: a sentence's comparisons (end, base), by its start
        self.period_parts: dict[int, tuple] = {}  # statement_scope: where a sentence names 一般公共预算…, by its start

    def folded_pos(self, pos: int) -> int:
        return pos - bisect_left(self.quotes, pos) if self.quotes else pos

    def original_pos(self, folded_pos: int) -> int:
        return folded_pos + bisect_right(self.folded_quotes, folded_pos) if self.quotes else folded_pos

    def fold(self, start: int, end: int) -> str:
        """``_fold_quotes(text[start:end])``, without a regex pass."""
        if not self.quotes:
            return self.text[start:end]
        return self.folded[self.folded_pos(start):self.folded_pos(end)]


def _find_all(text: str, chars: str) -> list[int]:
    """Offsets of each of ``chars`` in ``text``, character by character (not sorted)."""
    found = []
    for ch in chars:
        i = text.find(ch)
        while i >= 0:
            found.append(i)
            i = text.find(ch, i + 1)
    return found


# Where a numbered item starts a line, as the position of its line break. (Matching the line break first, rather than a
# look-ahead at every position, lets the regex engine skip ahead to the line breaks: three times faster.)
LIST_LINE = re.compile(r"\n(?=" + LIST_ITEM + ")")


@lru_cache(maxsize=8)
def _text_index(text: str) -> _TextIndex:
    return _TextIndex(text)


def _last_term(text: str, start: int, end: int) -> tuple[str, int] | None:
    """The last measure named in text[start:end] (quote marks ignored), with its offset."""
    if end <= start:
        return None
    ix = _text_index(text)
    if not ix.quotes:
        return _last_term_folded(text, start, end)
    last = _last_term_folded(ix.folded, ix.folded_pos(start), ix.folded_pos(end))
    return last and (last[0], ix.original_pos(last[1]))


def _last_term_folded(folded: str, lo: int, hi: int) -> tuple[str, int] | None:
    """The last measure named in folded[lo:hi] (a text without quote marks), with its offset there."""
    rx, measures = _term_regex()
    excludes = _excludes()
    last = None
    for m in rx.finditer(folded, lo, hi):
        name = m.group()
        measure = measures.get(name) or measures[_fold_brackets(name)]  # (the keys have full-width brackets)
        before = folded[max(lo, m.start() - 12) : m.start()]
        if before.endswith(excludes.get(measure, ())):
            continue
        last = (measure, m.start())
    return last


def sentence_start(text: str, pos: int) -> int:
    """Offset where the sentence holding ``pos`` begins: after the last sentence end before it, or at a line that
    starts a numbered item."""
    marks = _text_index(text).sentence_marks
    i = bisect_left(marks, pos)
    return marks[i - 1] + 1 if i else 0


def _is_clause_end(text: str, i: int) -> bool:
    ch = text[i]
    if ch == ",":  # a thousands separator is not a comma
        return not (0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit())
    return ch in CLAUSE_END


def _clause_start(text: str, pos: int, floor: int) -> int:
    i = pos - 1
    while i >= floor and (text[i] not in CLAUSE_END or not _is_clause_end(text, i)):
        i -= 1
    return max(i + 1, floor)


def period_start(text: str, pos: int) -> int:
    """Offset where the full sentence (up to "。", not "；") holding ``pos`` begins."""
    marks = _text_index(text).period_marks
    i = bisect_left(marks, pos)
    return marks[i - 1] + 1 if i else 0


def _direction(verb: str) -> int:
    if "/" in verb:
        return 0
    return 1 if UP_RE.match(verb) else -1


def _decimals(num: str) -> int:
    return len(num.split(".", 1)[1]) if "." in num else 0


PARENTHESES = "（()）"


def _outside_parentheses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of text[start:end] at parenthesis depth 0 (so "（分别为：…80,660.50元…）" is skipped)."""
    spans, depth, span_start = [], 0, start
    parens = _text_index(text).parens
    for k in range(bisect_left(parens, start), bisect_left(parens, end)):
        i = parens[k]
        ch = text[i]
        if ch in "（(":
            if depth == 0 and i > span_start:
                spans.append((span_start, i))
            depth += 1
        elif ch in "）)" and depth:
            depth -= 1
            if depth == 0:
                span_start = i + 1
    if depth == 0 and span_start < end:
        spans.append((span_start, end))
    return spans


def _amount_before(text: str, amounts: _Amounts, pos: int, floor: int) -> Amount | None:
    """The last amount ending before ``pos`` and after ``floor``, not inside parentheses."""
    candidates = amounts.between(floor, pos)
    if not candidates:
        return None
    parens = _text_index(text).parens
    if bisect_left(parens, floor) == bisect_left(parens, pos):  # no parenthesis in between (mostly)
        for a in reversed(candidates):
            if a.end <= pos:
                return a
        return None
    spans = _outside_parentheses(text, floor, pos)
    for a in reversed(candidates):
        if a.end <= pos:
            for s, e in spans:
                if s <= a.start and a.end <= e:
                    return a
    return None


class _Amounts:
    """The amounts of a text, found one full sentence (up to a period_marks mark) at a time when first asked for:
    most sentences hold no statement, and no amount spans a sentence end (its characters are never one)."""

    def __init__(self, text: str):
        self.text = text
        self.marks = _text_index(text).period_marks
        self.found: dict[int, tuple] = {}  # sentence number -> its amounts in text order, and their starts

    def between(self, lo: int, hi: int) -> list[_LazyAmount]:
        """The amounts starting in [lo, hi), in text order."""
        if hi <= lo:
            return []
        # Sentence k holds the offsets after marks[k - 1] up to marks[k].
        first, last = bisect_left(self.marks, lo), bisect_left(self.marks, hi - 1)
        if first == last:  # (mostly)
            amounts, starts = self.found.get(first) or self._sentence(first)
            return amounts[bisect_left(starts, lo):bisect_left(starts, hi)]
        out = [a for k in range(first, last + 1) for a in (self.found.get(k) or self._sentence(k))[0]]
        return [a for a in out if lo <= a.start < hi]

    def _sentence(self, k: int) -> tuple[list[_LazyAmount], list[int]]:
        """The amounts of sentence k, and their start offsets."""
        marks = self.marks
        start = marks[k - 1] + 1 if k else 0
        end = marks[k] if k < len(marks) else len(self.text)
        amounts = [_LazyAmount(m) for m in AMOUNT_RE.finditer(self.text, start, end)]
        found = self.found[k] = (amounts, [a.start for a in amounts])
        return found


class _LazyAmount:
    """An amount found in the text (an AMOUNT_RE match), parsed only when its value is asked for: most amounts of a
    text only ever serve as positions. Value, scale and decimals as amounts.amount_from_match gives them."""

    __slots__ = ("match", "start", "end", "_value", "_scale", "_decimals")

    def __init__(self, match: re.Match):
        self.match, self.start, self.end, self._value = match, match.start(), match.end(), None

    def _parse(self) -> None:
        num, unit = self.match.group("num", "unit")
        self._value = Decimal(num.replace(",", "")) * SCALES[unit]  # (parse_amount, without re-checking the digits)
        self._scale, self._decimals = normalise_scale(unit), decimals_of(num)

    @property
    def value(self) -> Decimal:
        if self._value is None:
            self._parse()
        return self._value

    @property
    def scale(self) -> str:
        if self._value is None:
            self._parse()
        return self._scale

    @property
    def decimals(self) -> int:
        if self._value is None:
            self._parse()
        return self._decimals

    @property
    def quote(self) -> str:
        return self.match.group(0)


def is_missing(x) -> bool:
    """None, NaN or pd.NA: what pandas would call missing, for one scalar."""
    return x is None or x is pd.NA or (isinstance(x, float) and x != x)


def cell_equals(x, value) -> bool:
    """x == value for one cell, a missing cell equal to nothing (pandas' elementwise ==)."""
    return not is_missing(x) and x == value


def as_number(x) -> int | float | None:
    """One cell as pd.to_numeric(errors="coerce") reads it; None when it is not a number."""
    if type(x) is int:  # (most cells: no other test needed)
        return x
    if type(x) is float:
        return None if x != x else x
    if is_missing(x) or isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return x
    try:
        return int(str(x))
    except ValueError:
        try:
            value = float(str(x))
        except ValueError:
            return None
        return None if math.isnan(value) else value


# The columns of figures.csv and documents.csv that statements, checks and metrics read; only these are converted
# from a DataFrame (its other columns cost time and are never looked at).
FIGURE_COLUMNS = ("file", "measure", "fiscal_year", "basis", "code", "value", "unit", "method", "quote", "start", "end",
                  "source", "table", "scale", "decimals", "page", "scope")
DOCUMENT_COLUMNS = ("file", "status", "doc_kind", "fiscal_year", "department", "jurisdiction")


def table_records(table, columns: tuple[str, ...] | None = None) -> list[dict]:
    """Rows of a DataFrame (those of its ``columns`` it has) or of a list of dicts, as dicts sharing the same keys.

    A DataFrame's cells come out as its ``tolist`` gives them (a missing number is pd.NA), much faster than
    ``to_dict("records")``; a list's dicts are copied, each given every key of the others (None where absent).
    """
    if table is None:
        return []
    if isinstance(table, pd.DataFrame):
        names = [c for c in (columns or table.columns) if c in table.columns]
        cells = [table[c].tolist() for c in names]
        return [dict(zip(names, row)) for row in zip(*cells)]
    records = [dict(r) for r in table]
    keys: dict = {}
    for r in records:
        keys.update(r)  # (only its keys are used: those of all records, in order of appearance)
    for r in records:
        if len(r) != len(keys):
            for k in keys:
                r.setdefault(k, None)
    return records


def figure_records(figures) -> list[dict]:
    """A document's figures (DataFrame or list of dicts) as dicts with the same keys, offsets numeric; figures
    without offsets dropped (they cannot be placed in the text)."""
    if isinstance(figures, _FigureIndex):
        return figures
    if isinstance(figures, list) and _already_records(figures):
        return _FigureIndex([r for r in figures if r["start"] is not None])
    records = table_records(figures, FIGURE_COLUMNS)  # (new dicts: changing them leaves the caller's alone)
    out = []
    for r in records:
        start, end = as_number(r["start"]), as_number(r["end"])
        if start is None or end is None:
            continue
        r["start"], r["end"] = start, end
        out.append(r)
    return _FigureIndex(out)


def _already_records(figures: list[dict]) -> bool:
    """The dicts are as figure_records would make them (same keys, offsets ints or both None), so they can be used as
    they are: nothing here changes them. (checks passes its own normalised figures.)"""
    keys = figures[0].keys() if figures else ()
    for r in figures:
        start, end = r.get("start"), r.get("end")
        if r.keys() != keys or not (type(start) is int and type(end) is int or start is None and end is None):
            return False
    return True


class _FigureIndex(list):
    """A document's figures (``figure_records``), with the stated ones and the possible subjects of a statement
    (stated money figures, by end then start offset) set apart once."""

    def __init__(self, figures: list[dict]):
        super().__init__(figures)
        self.stated = [f for f in self if _stated_here(f)]
        self.stated_by_end: dict = {}  # end offset -> stated figures ending there, in order
        self.stated_by_measure: dict = {}  # measure -> stated figures of it, in order
        money = []
        for f in self.stated:
            self.stated_by_end.setdefault(f["end"], []).append(f)
            if not is_missing(f["measure"]):
                self.stated_by_measure.setdefault(f["measure"], []).append(f)
            if _is_or_missing(f.get("unit", "yuan"), "yuan"):
                money.append(f)
        self.subjects = sorted(money, key=itemgetter("end", "start"))
        self.subject_ends = [f["end"] for f in self.subjects]
        self.ordered = all(f["start"] <= f["end"] for f in self.subjects)

    def subject_before(self, pos: int, sent: int) -> dict | None:
        """The stated money figure inside [sent, pos) that ends last (then starts last; the later one on a tie)."""
        i = bisect_right(self.subject_ends, pos)
        while i > 0:
            i -= 1
            f = self.subjects[i]
            if f["start"] >= sent:
                return f
            if self.ordered and f["end"] < sent:
                return None
        return None


def _stated_here(fig: dict) -> bool:
    return _is_or_missing(fig.get("method", "stated"), "stated")


def _is_or_missing(x, value: str) -> bool:
    """x is missing or equals the text ``value``."""
    if type(x) is str:  # (mostly: no other test needed)
        return x == value
    return is_missing(x) or x == value


def _figure_at(figures: _FigureIndex, amount: Amount | None) -> dict | None:
    """The stated figure whose quote covers ``amount``, if the extractor emitted one."""
    if amount is None or not figures:
        return None
    # Usually a quote ends with its amount: then the shortest of those (the first of equal ones) is its figure.
    best = None
    for f in figures.stated_by_end.get(amount.end, ()):
        if f["start"] <= amount.start and (best is None or f["end"] - f["start"] < best["end"] - best["start"]):
            best = f
    if best is not None:
        return best
    best_key = None
    for f in figures.stated:
        if f["start"] <= amount.start and f["end"] >= amount.end:
            # Several quotes can cover one amount ("年初预算为0.00元，决算为0.00元"): the one ending with it is its figure.
            key = (abs(f["end"] - amount.end), f["end"] - f["start"])
            if best_key is None or key < best_key:
                best, best_key = f, key
    return best


def _doc_year_and_basis(figures: list[dict]) -> tuple[int | None, str]:
    if not figures:
        return None, ""
    fig_years = [as_number(f.get("fiscal_year")) for f in figures]
    years = [y for y in fig_years if y is not None]
    year = int(max(years)) if years else None
    has_unit = "unit" in figures[0]
    counts = Counter()
    for f, fig_year in zip(figures, fig_years):
        if has_unit and not cell_equals(f["unit"], "yuan"):
            continue
        if year is not None and fig_year != year:
            continue
        basis = f.get("basis")
        if not is_missing(basis) and basis != "":
            counts[basis] += 1
    if not counts:
        return year, ""
    most = max(counts.values())
    return year, min(b for b, n in counts.items() if n == most)  # pandas' mode: the smallest of the most frequent


def _basis_cue(segment: str) -> str:
    found = ""
    for m in BASIS_CUE.finditer(segment):
        found = "actual" if m.group(0) in ("决算", "执行数", "实际支出") else "budget"
    return found


def _subject(text, pos, sent, amounts, figures, doc_year, doc_basis) -> dict:
    """Which figure a statement at ``pos`` is about: a measure named right before it, else the nearest figure."""
    last_amount = _amount_before(text, amounts, pos, sent)
    gap_start = last_amount.end if last_amount else sent
    named = _last_term(text, gap_start, pos)
    if named and _names_subject(text, named, pos):
        return {"measure": named[0], "code": "", "fiscal_year": doc_year, "basis": _basis_cue(text[sent:pos]) or doc_basis}
    fig = figures.subject_before(pos, sent) if figures else None
    if fig is not None:
        # "收入预算515.3万元，…主要是政府性基金收入较上年下降45.9%": words between name another subject.
        gap = _text_index(text).fold(int(fig["end"]), pos)
        if not SUBJECT_GAP.fullmatch(gap):
            fig = None
    if fig is not None:
        year = fig.get("fiscal_year")
        year = int(year) if not is_missing(year) else doc_year
        # "比上年 0.23万元减少 0.03万元": the figure is last year's; the change belongs to this year.
        if doc_year is not None and year < doc_year:
            year = doc_year
        code, basis = fig.get("code"), fig.get("basis")
        return {
            "measure": fig["measure"],
            "code": "" if is_missing(code) else str(code),
            "fiscal_year": year,
            "basis": basis if isinstance(basis, str) and basis else _basis_cue(text[sent:pos]) or doc_basis,
        }
    cue = _basis_cue(text[sent:pos])
    if gap_start != sent:  # (else the same search as above, which found no subject)
        named = _last_term(text, sent, pos)
        if named and _names_subject(text, named, pos):
            return {"measure": named[0], "code": "", "fiscal_year": doc_year, "basis": cue or doc_basis}
    return {"measure": "", "code": "", "fiscal_year": doc_year, "basis": cue or doc_basis}


# Words that may stand between a measure's name and the statement about it ("机关运行经费支出比上年增加…");
# anything else ("资产总额减少…，其中固定资产减少…") means the statement is about something else.
SUBJECT_GAP = re.compile(
    r"(?:\s|[“”\"‘’]|支出|经费|费用|决算数?|预算数?|执行数|实际|总额|合计|财政拨款|一般公共预算|年初|全年|本年|当年|本年度|"
    r"年度|度|的|了|都|各|均|共|安排|金额|情况|[，,：:]|(?:比|较|与|对比)\s*(?:上年|去年|上一年|20\d\d\s*年)度?"
    r"(?:同期)?(?:预算数?|决算数?|执行数|实际数)?(?:相比)?|同比|上年同期)*"
)


def _names_subject(text: str, named: tuple[str, int], pos: int) -> bool:
    rx, _ = _term_regex()
    words = _text_index(text).fold(named[1], pos)
    m = rx.match(words)
    return m is not None and SUBJECT_GAP.fullmatch(words, m.end()) is not None


def _compare_context(text: str, pos: int, sent: int) -> bool:
    """A comparison with an earlier year is in force: in this sentence, or the one a "其中" sentence continues."""
    period = period_start(text, pos)
    if COMPARE_CUE.search(text, period, pos):
        return True
    if QIZHONG.match(text, period, pos) and period > 0:
        prev = period_start(text, period - 1)
        return COMPARE_CUE.search(text, prev, period) is not None
    return False


# What a stated change is measured against, as the sentence says it: "比上年预算数", "比上年执行数", "比2022年决算数"…
BASE_CUE = re.compile(r"(?=[比较与对])(?:比|较|与|对比)\s*(?:上年度?|去年|上一年度?|20\d\d\s*年度?)\s*(?:同期)?\s*"
                      r"(?P<what>年初预算|预算执行|预计执行|执\s*行|预\s*算|决\s*算)?")
_BASES = {"年初预算": "prior_budget", "预算执行": "prior_execution", "预计执行": "prior_execution",
          "执行": "prior_execution", "预算": "prior_budget", "决算": "prior_final_account"}


def change_base(text: str, pos: int) -> str:
    """What the change stated at ``pos`` is measured against: the last comparison its sentence (or the sentence a
    "其中" sentence continues) names before it — prior_budget, prior_execution, prior_final_account — or "" when the
    sentence does not say ("比上年增加", "与上年相比").

    >>> change_base("支出预算5,876.67万元，比上年执行数增加48.92万元", 20)
    'prior_execution'
    >>> change_base("与上年预算数持平", 7), change_base("比上年增加", 4)
    ('prior_budget', '')
    """
    period = period_start(text, pos)
    base = _base_before(text, period, pos)
    if base is None and QIZHONG.match(text, period, pos) and period > 0:
        base = _base_before(text, period_start(text, period - 1), period)
    return base or ""


def _base_before(text: str, period: int, pos: int) -> str | None:
    """The base the last comparison of the sentence from ``period`` names before ``pos`` ("" where it names none);
    None when the sentence holds no comparison before ``pos``. The sentence's comparisons are found once."""
    cues = _text_index(text).period_cues.get(period)
    if cues is None:
        end = _period_end(text, period)
        cues = [(m.end(), _BASES.get("".join((m.group("what") or "").split()), ""))
                for m in BASE_CUE.finditer(text, period, end)]
        _text_index(text).period_cues[period] = cues
    last = None
    for cue_end, base in cues:
        if cue_end > pos:
            break
        last = base
    return last


def _period_end(text: str, period: int) -> int:
    marks = _text_index(text).period_marks
    i = bisect_left(marks, period)
    return marks[i] + 1 if i < len(marks) else len(text)


def statement_scope(text: str, pos: int, measure: str, amounts: _Amounts | None = None, figures=None) -> str:
    """The scope of a statement about ``measure`` at ``pos``: appropriation where its sentence names the
    一般公共预算/财政拨款 part before it ("2026 年度一般公共预算拨款支出 48764.88 万元…，项目支出增加 313.91 万元"),
    unless the part's amount that sentence opens with is the department's whole total (a county bureau's
    "一般公共预算支出 X 万元" where all its expenditure is X 万元: the same money); else total.

    >>> statement_scope("一般公共预算拨款支出48.76万元，项目支出增加313.91万元", 20, "project_expenditure")
    'appropriation'
    >>> statement_scope("一般公共预算拨款安排的“三公”经费减少1万元", 15, "sangong_total")
    'total'
    """
    if measure not in SCOPED_MEASURES:
        return "total"
    period = period_start(text, pos)
    ix = _text_index(text)
    found = ix.period_parts.get(period)
    if found is None:  # (once per sentence: where it names the part, and whether its amount is the whole's)
        m = APPROPRIATION_WORDS.search(text, period, _period_end(text, period))
        found = ix.period_parts[period] = (m.start() if m else None,
                                          m is not None and _part_is_whole(text, period, amounts, figures))
    first, same_money = found
    if first is None or first >= pos or same_money:
        return "total"
    return "appropriation"


def _part_is_whole(text: str, period: int, amounts, figures) -> bool:
    """The first amount of the sentence from ``period`` equals a stated whole total (expenditure or income)."""
    if amounts is None or not figures:
        return False
    lead = amounts.between(period, _period_end(text, period))
    whole = [f for m in ("expenditure_total", "income_total") for f in figures.stated_by_measure.get(m, ())]
    if not lead or not whole:
        return False
    a = lead[0]
    tol = float(allowance(a.scale, a.decimals))
    return any(abs(float(a.value) - float(f["value"])) <= tol + 0.005 for f in whole if not is_missing(f["value"]))


_BLANK_ROW = dict.fromkeys(COLUMNS)


def _row(**kw) -> dict:
    row = _BLANK_ROW.copy()
    row.update(kw)
    return row


def _figure_fields(a: Amount | None) -> dict:
    """The figure_* columns of a statement about amount ``a``."""
    if a is None:
        return {}
    return {"figure_value": float(a.value), "figure_scale": a.scale, "figure_decimals": a.decimals,
            "figure_quote": a.quote, "figure_start": a.start}


def _changes(text, amounts, figures, doc_year, doc_basis) -> list[dict]:
    rows: list[dict] = []
    last_chain: dict | None = None
    for m in VERB.finditer(text):
        after = m.end()
        am = AMOUNT_RE.match(text, after)
        pm = None if am else PCT_RE.match(text, after)
        if not am and not pm:
            continue
        at = m.start()
        sent = sentence_start(text, at)
        if not _compare_context(text, at, sent):
            continue
        direction = _direction(m.group("verb"))
        subject = _subject(text, at, sent, amounts, figures, doc_year, doc_basis)
        base = change_base(text, at)
        subject["scope"] = statement_scope(text, at, subject["measure"], amounts, figures)
        if am:
            a = _LazyAmount(am)
            row = _row(kind="change_amount", value=float(a.value), scale=a.scale, decimals=a.decimals,
                       direction=direction, quote=text[m.start():a.end], start=m.start(), end=a.end,
                       sentence_start=sent, chain=-1, base=base, **subject)
            rows.append(row)
            last_chain = row
            # "较上年增加0.05万元（7.69%）": the percentage in brackets qualifies the amount.
            paren = PAREN_PCT.match(text, a.end)
            if paren:
                rows.append(_row(kind="change_pct", value=float(paren.group("pct")), scale="%",
                                 decimals=_decimals(paren.group("pct")), direction=direction,
                                 quote=text[m.start():paren.end()], start=paren.start("pct"), end=paren.end(),
                                 sentence_start=sent, chain=row["start"], base=base, **subject))
        else:
            chain = -1
            # A percentage right after an amount of the same subject ("减少29,395.84元，下降1.05%") pairs with it.
            if (last_chain is not None and last_chain["sentence_start"] == sent
                    and subject["measure"] in ("", last_chain["measure"])
                    and _amount_before(text, amounts, m.start(), last_chain["end"]) is None
                    and SUBJECT_GAP.fullmatch(_text_index(text).fold(last_chain["end"], m.start()))):
                chain = last_chain["start"]
                subject = {k: last_chain[k] for k in ("measure", "code", "fiscal_year", "basis", "scope")}
                base = last_chain["base"] or base
                if direction == 0:
                    direction = last_chain["direction"]
            rows.append(_row(kind="change_pct", value=float(pm.group("pct")), scale="%",
                             decimals=_decimals(pm.group("pct")), direction=direction,
                             quote=text[m.start():pm.end()], start=m.start(), end=pm.end(),
                             sentence_start=sent, chain=chain, base=base, **subject))
    return rows


# A share printed without its base ("占49.4%") in a sentence that states no total: the total these parts add to.
IMPLICIT_BASE = {
    "basic_expenditure": "expenditure_total",
    "project_expenditure": "expenditure_total",
    "personnel_expenditure": "expenditure_total",
    "public_expenditure": "expenditure_total",
    "fiscal_appropriation_income": "income_total",
}


def _find_base(text: str, phrase: str, figures: _FigureIndex, doc_year, basis, measure: str | None = None) -> dict:
    """The amount a share is "of": a measure the phrase names, else the phrase stated with an amount elsewhere."""
    phrase_f = _fold_quotes(phrase).strip()
    bases = _share_bases()
    measure = measure or bases.get(phrase_f)
    if measure is None:
        named = _last_term_folded(phrase_f, 0, len(phrase_f))
        if named and len(phrase_f) <= len(named[0]) + 8 and not RESTRICTED_SCOPE.search(phrase_f):
            measure = named[0]
    if measure and figures:
        cue = _basis_cue(phrase_f) or basis
        hit = [f for f in figures.stated_by_measure.get(measure, ()) if doc_year is not None
               and as_number(f["fiscal_year"]) == doc_year]
        if cue and any(cell_equals(f["basis"], cue) for f in hit):
            hit = [f for f in hit if cell_equals(f["basis"], cue)]
        values = {f["value"] for f in hit if not is_missing(f["value"])}
        if hit and len(values) == 1:
            first = min(hit, key=lambda f: f["start"])
            return {"base_value": float(first["value"]), "base_scale": first.get("scale") or "元",
                    "base_decimals": first.get("decimals"), "base_quote": first.get("quote")}
        return {}
    if measure:
        return {}
    # The phrase itself, written with an amount elsewhere ("一般公共预算财政拨款支出3,456,789.12元").
    core = TOTAL_WORD.sub("", phrase_f)
    if len(core) < 4:
        return {}
    ix = _text_index(text)
    if core not in ix.base_amounts:  # a document often states the same share base several times
        ix.base_amounts[core] = _phrase_amount(ix.folded, core)
    return dict(ix.base_amounts[core])


def _phrase_amount(folded: str, core: str) -> dict:
    """The one amount ``core`` is written with in the (quote-folded) text, as base fields; {} if none or several."""
    pat = re.escape(core).replace("（", "[（(]").replace("）", "[）)]")
    rx = re.compile(pat + r"(?:决算|预算|数|合计|总额|为|是|：|:|\s){0,4}")
    found: dict[Decimal, Amount] = {}
    for m in rx.finditer(folded):
        am = AMOUNT_RE.match(folded, m.end())
        if am:
            a = amount_from_match(am)
            found.setdefault(a.value, a)
    if len(found) == 1:
        a = next(iter(found.values()))
        return {"base_value": float(a.value), "base_scale": a.scale, "base_decimals": a.decimals, "base_quote": a.quote}
    return {}


def _shares(text, amounts, figures, doc_year, doc_basis) -> list[dict]:
    rows = []
    share_ends: list[int] = []
    for m in SHARE.finditer(text):
        sent = sentence_start(text, m.start())
        # The numerator is the amount stated last before it in its sentence, after any earlier share.
        floor = max([sent] + [e for e in share_ends if e <= m.start()])
        share_ends.append(m.end())
        num = _amount_before(text, amounts, m.start(), floor)
        if num is None:
            continue
        fig = _figure_at(figures, num)
        if fig is not None:
            code = fig.get("code")
            subject = {"measure": fig["measure"], "code": "" if is_missing(code) else str(code),
                       "fiscal_year": int(fig["fiscal_year"]) if not is_missing(fig.get("fiscal_year")) else doc_year,
                       # (the words before it are read only when the figure has no basis of its own)
                       "basis": fig.get("basis")
                       or _subject(text, num.end, sent, amounts, figures, doc_year, doc_basis)["basis"]}
        else:
            subject = _subject(text, num.end, sent, amounts, figures, doc_year, doc_basis)
            if _last_term(text, _clause_start(text, num.start, sent), num.start) is None:
                subject = {**subject, "measure": "", "code": ""}
        base_phrase = m.group("base").strip()
        base: dict = {}
        if base_phrase:
            base = _find_base(text, base_phrase, figures, doc_year, subject["basis"] or doc_basis)
        else:
            # "本年支出合计187.46万元，其中：基本支出163.25万元，占87%": the sentence's leading amount.
            period = period_start(text, num.start)
            for a in amounts.between(period, num.start):
                if a.start < period or a.start >= num.start:
                    continue
                if SHARE_AFTER.match(text[a.end:a.end + 6]):  # ("27600.00 万元 ， 占 5.4%": spaced)
                    continue
                base = {"base_value": float(a.value), "base_scale": a.scale, "base_decimals": a.decimals,
                        "base_quote": a.quote}
                break
        if not base and not base_phrase and subject["measure"] in IMPLICIT_BASE:
            # "按支出用途分类，包括人员支出…，占49.4%": a share of the department's total stated earlier.
            base = _find_base(text, "", figures, subject["fiscal_year"], subject["basis"] or doc_basis,
                              measure=IMPLICIT_BASE[subject["measure"]])
        rows.append(_row(kind="share_pct", value=float(m.group("pct")), scale="%", decimals=_decimals(m.group("pct")),
                         direction=1, words=base_phrase, quote=text[num.start:m.end()], start=m.start(), end=m.end(),
                         sentence_start=sent, chain=-1, **subject, **_figure_fields(num), **base))
    return rows


def _executions(text, amounts, figures, doc_year, doc_basis) -> list[dict]:
    rows = []
    exec_ends: list[int] = []
    for m in EXECUTION.finditer(text):
        pct = m.group("pct") or m.group("pct2")
        sent = sentence_start(text, m.start())
        # "决算为0.00元，占…的0.00%，完成年初预算的0.00%": a share may stand between the amount and its rate.
        floor = max([sent] + [e for e in exec_ends if e <= m.start()])
        exec_ends.append(m.end())
        num = _amount_before(text, amounts, m.start(), floor)
        fig = _figure_at(figures, num)
        if fig is not None:
            code = fig.get("code")
            subject = {"measure": fig["measure"], "code": "" if is_missing(code) else str(code),
                       "fiscal_year": int(fig["fiscal_year"]) if not is_missing(fig.get("fiscal_year")) else doc_year,
                       "basis": "actual"}
        else:
            subject = _subject(text, m.start(), sent, amounts, figures, doc_year, doc_basis)
            subject["basis"] = "actual"
        start = num.start if num is not None else m.start()
        rows.append(_row(kind="execution_pct", value=float(pct), scale="%", decimals=_decimals(pct), direction=1,
                         quote=text[start:m.end()], start=m.start(), end=m.end(), sentence_start=sent, chain=-1,
                         **subject, **_figure_fields(num)))
    return rows


def _wordings(text, amounts, figures, doc_year, doc_basis, subjects: list[dict]) -> list[dict]:
    rows = []

    def carried_subject(pos: int, sent: int) -> dict:
        s = _subject(text, pos, sent, amounts, figures, doc_year, doc_basis)
        if s["measure"] or _amount_before(text, amounts, pos, sent) is not None:
            return s
        # "…完成预算100%…。决算数小于预算数的主要原因是…": the subject carries over from the sentence before.
        previous = sentence_start(text, max(sent - 1, 0))
        earlier = [r for r in subjects if r["end"] <= pos and r["measure"] and r["start"] >= previous]
        if earlier:
            last = max(earlier, key=lambda r: r["end"])
            return {k: last[k] for k in ("measure", "code", "fiscal_year", "basis")}
        # "…年初预算为30.00万元，支出决算为36.00万元。决算数大于预算数的主要原因是…": the figure that sentence ends with.
        fig = figures.subject_before(sent, previous) if figures and sent > 0 else None
        if fig is not None and SUBJECT_GAP.fullmatch(_text_index(text).fold(int(fig["end"]), sent - 1)) is not None:
            code, year = fig.get("code"), fig.get("fiscal_year")
            return {"measure": fig["measure"], "code": "" if is_missing(code) else str(code),
                    "fiscal_year": doc_year if is_missing(year) else int(year), "basis": "actual"}
        return s

    for m in WORDING_CMP.finditer(text):
        sent = sentence_start(text, m.start())
        s = carried_subject(m.start(), sent)
        s["scope"] = statement_scope(text, m.start(), s["measure"], amounts, figures)
        rows.append(_row(kind="wording", words=_OP_WORDS[m.group("op")], quote=m.group(0), start=m.start(),
                         end=m.end(), sentence_start=sent, chain=-1, direction=0, **s))
    for m in WORDING_SAME.finditer(text):
        if text[max(m.start() - 2, 0):m.start()] in SAME_QUALIFIERS:
            continue
        if m.group() == "相同" and not text[max(m.start() - 3, 0):m.start()].endswith(SAME_AS):
            continue
        sent = sentence_start(text, m.start())
        if not _compare_context(text, m.end(), sent) and not PRIOR_YEAR_WORD.search(text, sent, m.end()):
            continue
        s = carried_subject(m.start(), sent)
        s["scope"] = statement_scope(text, m.start(), s["measure"], amounts, figures)
        quote = text[_clause_start(text, m.start(), sent):m.end()]
        base = change_base(text, m.start())
        rows.append(_row(kind="wording", words="unchanged", quote=quote, start=m.start(), end=m.end(),
                         sentence_start=sent, chain=-1, direction=0, base=base, **s))
        # "与上年持平" states a change of 0 (kept beside the wording, so a reader of changes finds it).
        rows.append(_row(kind="change_pct", words="unchanged", value=0.0, scale="%", decimals=0, quote=quote,
                         start=m.start(), end=m.end(), sentence_start=sent, chain=-1, direction=0, base=base, **s))
    return rows


def find_statements(text: str, figures: pd.DataFrame) -> pd.DataFrame:
    """Stated changes, shares, execution rates and wording in one document's normalised text.

    ``figures`` are that document's figures (offsets into ``text``); each statement is attached to the measure it
    is about: a measure named right before it, else the nearest stated figure before it in its sentence.

    >>> figs = pd.DataFrame([{"measure": "basic_expenditure", "fiscal_year": 2023, "basis": "actual", "code": "",
    ...                       "value": 2000.0, "unit": "yuan", "method": "stated", "start": 4, "end": 13}])
    >>> st = find_statements("基本支出2,000.00元，比上年增加500.00元，增长33.33%。", figs)
    >>> st[["kind", "measure", "value", "direction"]].values.tolist()
    [['change_amount', 'basic_expenditure', 500.0, 1], ['change_pct', 'basic_expenditure', 33.33, 1]]
    """
    return pd.DataFrame(statement_records(text, figures), columns=COLUMNS)


def statement_records(text: str, figures) -> list[dict]:
    """``find_statements`` as a list of dicts (keys COLUMNS), in the same order; ``figures`` a DataFrame, a list of
    dicts, or what ``figure_records`` made of them."""
    figures = figure_records(figures)
    amounts = _Amounts(text)
    doc_year, doc_basis = _doc_year_and_basis(figures)
    rows = _changes(text, amounts, figures, doc_year, doc_basis)
    rows += _shares(text, amounts, figures, doc_year, doc_basis)
    rows += _executions(text, amounts, figures, doc_year, doc_basis)
    rows += _wordings(text, amounts, figures, doc_year, doc_basis, rows)
    return sorted(rows, key=itemgetter("start", "kind"))


def statement_rows(file: str, text: str, figures, page_at=None) -> list[dict]:
    """One document's statements as rows of the statements table (``fields.columns("statements")``: file, COLUMNS,
    page). ``page_at``: offset -> 1-based page (``Document.page_at``); without it a statement's page is read off the
    figures around it (see ``page_lookup``), empty where they do not settle it."""
    records = statement_records(text, figures)
    if page_at is None:
        page_at = page_lookup(figures)
    return [{"file": file, **r, "page": page_at(r["start"])} for r in records]


def _no_page(offset) -> None:
    return None


def page_lookup(figures):
    """offset -> page, from figures that carry both an offset and a page: an offset between two figures of the same
    page is on that page (pages are consecutive stretches of the text); elsewhere None.

    >>> at = page_lookup([{"start": 10, "page": 2}, {"start": 50, "page": 2}, {"start": 90, "page": 3}])
    >>> at(30), at(70), at(5)
    (2, None, None)
    """
    marks = set()
    for f in (figures if isinstance(figures, list) else table_records(figures, ("start", "page"))):
        s, p = f.get("start"), f.get("page")
        if type(s) is not int:  # (the checks' normalised rows hold ints already)
            s = as_number(s)
        if type(p) is not int:
            p = as_number(p)
        if s is not None and p is not None:
            marks.add((int(s), int(p)))
    marks = sorted(marks)
    if not marks:  # (a text without pages)
        return _no_page
    starts = [s for s, _ in marks]

    def at(offset) -> int | None:
        if offset is None or not marks:
            return None
        i = bisect_right(starts, offset)
        if i and starts[i - 1] == offset:
            return marks[i - 1][1]
        if 0 < i < len(marks) and marks[i - 1][1] == marks[i][1]:
            return marks[i][1]
        return None

    return at
