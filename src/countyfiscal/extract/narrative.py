"""Normalised narrative text -> figures: which measure, year and basis each stated amount belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources

import yaml

from countyfiscal import classification
from countyfiscal.amounts import (AMOUNT_RE, allowance, amount_from_match, decimals_of, normalise_scale, parse_amount,
                                  to_float)

# libyaml's parser where PyYAML has it (the same safe loading, done once per process, ~10x faster)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Clause delimiters for the window before an amount. The colon is not one: "收入合计：1834567.12元".
CLAUSE_END = "，,；;。！？!?\n、"
# Sentence delimiters: a subject ("“三公”经费") carries over clauses ("年初预算为…，决算为…") up to here.
SENTENCE_END = "。；;！？!?"

QUOTE_OPEN = "“\"‘'「『"
QUOTE_CLOSE = "”\"’'」』"

CHANGE_BEFORE = re.compile(
    r"(?:增加|减少|增长|下降|降低|节约|压减|上升|上涨|下调|上调|缩减|减幅|增幅|增|减|多|少|节省|变动|变化|相差|差额|差)"
    r"(?:了|为|额|金额|资金)?\s*$"
)
# "比上年", "比 2022 年度", "较去年预算数", "与上年相比" right before an amount: a prior-year value.
PRIOR_BEFORE = re.compile(
    r"(?:(?:比|较|与|对比|相比)\s*(?P<ref>上年度?|去年|上一年度?|同期|上年同期|(?P<y>20\d\d)\s*年度?)\s*"
    r"(?:同期)?\s*(?P<basis>年初预算数|预算数|预算|决算数|决算|执行数|实际数|支出数)?\s*(?:的|为|时)?"
    # "…，去年预算数为 0 万元": the prior year named as the subject of its own clause
    r"|(?<![\u4e00-\u9fff])(?:上年度?|去年|上一年度?)\s*(?P<basis2>年初预算数|预算数|决算数|执行数)\s*(?:为|是))\s*$"
)
PRIOR_ANYWHERE = re.compile(r"上年|去年|上一年")
# A character every PRIOR_BEFORE match holds.
_PRIOR_CUE = re.compile(r"[比较与上去]")
YEAR_END = re.compile(r"(?:截至|截止|截止到|截至到)\s*(?P<y>20\d\d)\s*年\s*(?:底|末|12\s*月\s*31\s*日)")
CONJUNCTION_BEFORE = re.compile(r"[和与及、]\s*$")
STAFF_RE = re.compile(
    r"(?P<term>人员编制|编制人数|核定编制|编制数|编制|实有在职人员|在职实有人员|实有人员|实有人数|实有职工|在职人员|在职职工|在编人员)"
    r"(?:数|总数)?(?:为|共|合计|共计)?\s*(?P<n>\d{1,6})\s*(?:人|名)"
)
STAFF_EXCLUDE_BEFORE = re.compile(r"(?:行政|事业|参公|工勤|参照公务员法管理|政法|离退休|退休|离休|编外|其他|临时|聘用|全额|差额|自收自支)\s*$")
CLASS_MARK = re.compile(r"[（(]\s*(类|款|项)\s*[）)]")
CLASS_MARK_LEAD = re.compile(r"^\s*[（(]\s*类\s*[）)]")
ITEM_MARK = re.compile(r"[（(]项[）)]")
LEVEL_MARK = re.compile(r"[（(](?:款|项|类)[）)]")
_LEADING_DIGIT = re.compile(r"\s*\d")
_DIGIT = re.compile(r"\d")
CLASS_WITH_CODE = re.compile(r"(?P<name>[\u4e00-\u9fff]{2,20}?)\s*(?P<code>2\d{2})\s*[（(]\s*类\s*[）)]")
CODE_IN_PARENS = re.compile(r"[（(\[【]\s*(?P<code>[235]\d{2}(?:\d{2}){0,2})\s*[）)\]】]\s*$")
_CLOSING_BRACKETS = ("）", ")", "]", "】")


LIST_MARKER = re.compile(r"^\s*(?:[（(]?\d{1,2}[）).、．]|[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+、)\s*")
# Characters after which a class name may start: "包括一般公共服务支出", "其中：…", "用于…", "为…".
NAME_INTRODUCERS = set("括中于为是的和及有")


# Measures named by generic words (收入预算, 项目支出) and what may stand right before them: a year (年, 度), the
# department (本部门, 本单位, …局), or a word that introduces a list (其中, 包括, 用于).
GENERIC_MEASURES = {"income_total", "expenditure_total", "basic_expenditure", "project_expenditure",
                    "fiscal_appropriation_income", "_general_appropriation_income", "income_grand_total",
                    "expenditure_grand_total", "_grand_totals"}
# 排: "相应安排支出预算 24995.94 万元" (福州 budgets). The last characters of department names (局, 支队, 委员会,
# 办公室, 人民政府 …): "福州市公安局治安管理支队收入预算为 2796.14 万元" (福州 单位预算s).
TERM_INTRODUCERS = set("括中于为是的和及有年度门位局委办院心级计等排队站所厅室府会处馆署校")


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


@dataclass
class _Hit:
    measure: str
    code: str
    label: str
    term_start: int
    amount: re.Match  # of AMOUNT_RE
    year: int | None
    basis: str


@cache
def _rules() -> dict:
    with resources.files("countyfiscal.resources").joinpath("measures.yml").open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_YAML_LOADER)


def _term_pattern(term: str) -> str:
    out = []
    for ch in term:
        if ch in "（(":
            out.append(r" ?[（(] ?")  # "因公出国 (境)费用": PDFs put spaces around half-width brackets
        elif ch in "）)":
            out.append(r" ?[）)] ?")
        else:
            out.append(re.escape(ch))
    pat = "".join(out)
    # “三公”经费 is written with any quote marks, or none.
    opening = f"[{QUOTE_OPEN}]?"
    pat = pat.replace("三公", f"{opening}三公[{QUOTE_CLOSE}]?")
    if pat.startswith(opening):
        # At the start, the opening mark as one alternative per mark rather than an optional class: when every
        # alternative of the whole term pattern opens with a literal character the engine skips ahead to those
        # characters, which makes scanning text for terms several times cheaper. The alternatives exclude each
        # other by their first character, so the same text matches.
        bare = pat[len(opening) :]
        pat = "|".join([bare] + [re.escape(q) + bare for q in QUOTE_OPEN])
    return pat


def _canonical_term(matched: str) -> str:
    """A matched term in its canonical spelling: no spaces or quote marks, full-width brackets."""
    out = matched.replace(" ", "").replace("(", "（").replace(")", "）")
    return "".join(ch for ch in out if ch not in QUOTE_OPEN + QUOTE_CLOSE)


@cache
def _term_index() -> tuple[re.Pattern, dict[str, str], dict[str, tuple[str, ...]]]:
    """One alternation of every term (longest first, no group per term: groups stop the engine skipping ahead)
    and a map from a match's canonical spelling to its measure."""
    rules = _rules()["measures"]
    canonical_to_measure: dict[str, str] = {}
    for measure, spec in rules.items():
        for term in spec["terms"]:
            canonical_to_measure[_canonical_term(term)] = measure
    terms = sorted({t for spec in rules.values() for t in spec["terms"]}, key=len, reverse=True)
    pattern = re.compile("|".join(_term_pattern(t) for t in terms))
    excludes = {m: tuple(spec.get("exclude_before", []) or ()) for m, spec in rules.items()}
    return pattern, canonical_to_measure, excludes


@cache
def _term_chars() -> tuple[frozenset[str], frozenset[str]]:
    """(characters a term ends with, characters right before a 、 inside a term): cheap tests that rule out most
    places before the term pattern is tried there."""
    terms = [_canonical_term(t) for spec in _rules()["measures"].values() for t in spec["terms"]]
    ends = frozenset(t[-1] for t in terms)
    before_comma = frozenset(t[i - 1] for t in terms for i in range(1, len(t)) if t[i] == "、")
    return ends, before_comma


@cache
def _emits() -> dict[str, tuple[str, ...]]:
    """Readings that name two measures with one amount, and those measures."""
    return {m: tuple(spec["emits"]) for m, spec in _rules()["measures"].items() if spec.get("emits")}


def _measure_of(m: re.Match) -> str:
    return _measure_of_spelling(m.group(0))


@lru_cache(maxsize=4096)
def _measure_of_spelling(matched: str) -> str:
    # Memoised: a term is printed in a handful of spellings (spaces, quote marks), met over and over.
    return _term_index()[1][_canonical_term(matched)]


@cache
def _filler() -> re.Pattern:
    return re.compile(re.sub(r"\s+", "", _rules()["filler"]))


@cache
def _basis_cue() -> re.Pattern:
    cues = _rules()["basis_cues"]
    pairs = [(c, b) for b, cs in cues.items() for c in cs]
    pairs.sort(key=lambda p: len(p[0]), reverse=True)
    return re.compile("|".join(f"(?P<{b}{i}>{re.escape(c)})" for i, (c, b) in enumerate(pairs)))


def _basis_in(segment: str) -> str | None:
    """Basis named in a stretch of text; the cue nearest its end wins."""
    found = None
    for m in _basis_cue().finditer(segment):
        found = "budget" if m.lastgroup.startswith("budget") else "actual"
    return found


@cache
def _class_names() -> tuple[re.Pattern, re.Pattern] | None:
    try:
        functional = classification.names_regex("functional", "类")
        economic = classification.names_regex("economic", "类")
    except Exception:  # the tables are data; a broken table must not stop extraction of everything else
        return None
    return functional, economic


# The same delimiters as character classes, searched in the reversed text: one search in C finds the nearest
# delimiter before a position, instead of a Python loop stepping back one character at a time.
_CLAUSE_END_REV = re.compile(f"[{re.escape(CLAUSE_END)}]")
# A sentence ends at SENTENCE_END, or at a line break unless the line before ends in "：" or "，" (in the reversed
# text the character before the break is the one after it).
_SENTENCE_END_REV = re.compile(f"[{re.escape(SENTENCE_END)}]|\n(?=[^：:，,])")


class _Backward:
    """Backward searches in one text (clause and sentence starts), run on its reversal made once per document."""

    def __init__(self, text: str):
        self.text = text
        self.rev = text[::-1]
        self.n = len(text)

    def clause_start(self, pos: int, floor: int) -> int:
        """Just after the last clause delimiter before ``pos`` (not before ``floor``); a line break right after a
        measure term does not end the clause."""
        if pos <= floor:
            return pos
        n, text = self.n, self.text
        r = n - pos
        while True:
            m = _CLAUSE_END_REV.search(self.rev, r, n - floor)
            if m is None:
                return floor
            i = n - 1 - m.start()
            if (text[i] == "\n" and _ends_with_term(text, i)) or (
                    text[i] == "、" and i > 0 and text[i - 1] in _term_chars()[1] and _term_spans(text, i)):
                r = m.start() + 1
                continue
            return i + 1

    def sentence_start(self, pos: int) -> int:
        m = _SENTENCE_END_REV.search(self.rev, self.n - pos)
        return self.n - m.start() if m else 0


def _ends_with_term(text: str, pos: int) -> bool:
    """Whether a measure term ends right at ``pos`` (a line broken between a term and its amount)."""
    pattern, _, _ = _term_index()
    for m in pattern.finditer(text, max(0, pos - 16), pos):
        if m.end() == pos:
            return True
    return False


def _term_spans(text: str, pos: int) -> bool:
    """Whether a measure term runs across ``pos`` ("收、支总计": its 、 does not end the clause)."""
    pattern, _, _ = _term_index()
    for m in pattern.finditer(text, max(0, pos - 8), min(len(text), pos + 8)):
        if m.start() < pos < m.end():
            return True
    return False


def _default_basis(doc_kind: str) -> str:
    return "budget" if doc_kind == "budget" else "actual"


def _excluded(text: str, term_start: int, words: tuple[str, ...], floor: int) -> bool:
    if not words:
        return False
    before = text[max(floor, term_start - 12) : term_start]
    return before.rstrip(_SPACE_OR_OPENING).endswith(words)


_SPACE_OR_OPENING = f" {QUOTE_OPEN}"


def _measure_term(text: str, window_start: int, amount_start: int):
    """The measure term nearest before the amount in its clause that names the department's figure.

    A nearer term that names only a part ("财政拨款支出预算" after "“三公”经费") is passed over, so the caller sees
    the earlier term with everything after it as the gap (which must then be filler).
    """
    pattern, _, excludes = _term_index()
    found = []
    for m in pattern.finditer(text, window_start, amount_start):
        if found and m.start() == found[-1].end() and _measure_of(m) in GENERIC_MEASURES:
            continue  # "机关运行经费预算支出": a generic second term only continues the first phrase
        found.append(m)
    for i in range(len(found) - 1, -1, -1):
        last = found[i]
        measure = _measure_of(last)
        if _excluded(text, last.start(), excludes.get(measure, ()), window_start):
            continue
        if measure in GENERIC_MEASURES and last.start() > 0:
            # "公务用车购置预算支出 0 万元" is not the department's 预算支出: generic terms must start a phrase.
            ch = text[last.start() - 1]
            if _is_cjk(ch) and ch not in TERM_INTRODUCERS:
                continue
        if i > 0 and CONJUNCTION_BEFORE.search(text[window_start : last.start()]):
            # "基本支出和项目支出合计：…" states the sum of two measures, not either one.
            return None
        return measure, last.start(), last.end()
    return None


def _class_term(back: _Backward, window_start: int, amount_start: int, doc_kind: str):
    """A functional or economic class named right before the amount, with its code."""
    text = back.text
    window = text[window_start:amount_start]
    # "行政运行（2010301）68.12万元", "工资福利支出（301）161.01万元": the printed code decides.
    # Cheap tests first (most windows hold neither): a printed code in brackets must end the window, and a
    # "…210（类）" needs its 类.
    m = CODE_IN_PARENS.search(window) if window.rstrip().endswith(_CLOSING_BRACKETS) else None
    if m:
        code = m.group("code")
        kind = classification.kind_of(code)
        if kind is None:
            return None
        name_start = back.clause_start(window_start + m.start(), window_start)
        printed = LIST_MARKER.sub("", text[name_start : window_start + m.start()]).strip()
        label = classification.label(code, kind) or printed
        if not label:
            return None
        measure = "functional_expenditure" if kind == "functional" else "economic_expenditure"
        return measure, code, label, name_start
    m = CLASS_WITH_CODE.search(window) if "类" in window else None
    if m:
        # "卫生健康210（类）…": name and printed code must agree.
        code = m.group("code")
        found = classification.lookup(m.group("name"), "functional", level="类")
        if found != code:
            return None
        return _class_list_item(text, window_start + m.end(), amount_start, "functional", code,
                                window_start + m.start("name"))
    names = _class_names()
    if names is None:
        return None
    functional, economic = names
    if not (functional.search(text, window_start, amount_start) or economic.search(text, window_start, amount_start)):
        return None  # most windows name no class: a search each, before collecting matches
    best = None
    for kind, rx in zip(("functional", "economic"), names):
        for n in rx.finditer(text, window_start, amount_start):
            if best is None or n.end() > best[1].end():
                best = (kind, n)
    if best is None:
        return None
    kind, n = best
    name = n.group(0)
    # "其他一般公共服务支出" is not "一般公共服务支出": a class name must start a phrase.
    if n.start() > 0 and _is_cjk(text[n.start() - 1]) and text[n.start() - 1] not in NAME_INTRODUCERS:
        return None
    after = text[n.end() : amount_start]
    marked = CLASS_MARK.match(after.lstrip()) is not None or "（类）" in after[:6] or "(类)" in after[:6]
    # A bare "其他支出" is too often a line of the income/expenditure table, not class 229.
    if name.startswith("其他") and not marked:
        return None
    if _LEADING_DIGIT.match(after):
        return None  # a printed code after the name is read by CLASS_WITH_CODE above, or the name is something else
    code = classification.lookup(name, kind, level="类")
    if code is None and kind == "economic":
        # 对个人和家庭的补助 is 303 in the department scheme and 509 in the government one; a department's
        # narrative uses the department scheme unless it prints the code (handled above).
        code = classification.lookup(name, kind, level="类", parent="3")
    if code is None:
        return None
    return _class_list_item(text, n.end(), amount_start, kind, code, n.start())


def _class_list_item(text: str, name_end: int, amount_start: int, kind: str, code: str, name_start: int):
    """Accept a class figure only when nothing but its items and filler stands between name and amount."""
    gap = text[name_end:amount_start]
    gap = CLASS_MARK_LEAD.sub("", gap, count=1)
    # "卫生健康210（类）行政事业单位医疗21011（款）…（项）:支出决算为15.62万元" — when several items are
    # listed the amount is the class's; with exactly one item it would be the item's, so emit nothing then.
    items = len(ITEM_MARK.findall(gap))
    if items:
        if items < 2:
            return None
        tail = ITEM_MARK.split(gap)[-1]
        if _DIGIT.search(LEVEL_MARK.sub("", tail)):
            return None
        gap = tail
    elif "（款）" in gap or "(款)" in gap:
        return None
    if not _filler().fullmatch(gap):
        return None
    measure = "functional_expenditure" if kind == "functional" else "economic_expenditure"
    label = classification.label(code, kind) or ""
    return measure, code, label, name_start


def extract_narrative(text: str, doc_kind: str, fiscal_year: int | None, page_at=None) -> list[dict]:
    """Figures stated in the narrative of a normalised disclosure.

    >>> rows = extract_narrative("2023年度支出合计2,777.00元。其中：基本支出2,000.00元，比上年1,500.00元增加500.00元。",
    ...                          "final_account", 2023)
    >>> [(r["measure"], r["fiscal_year"], r["value"]) for r in rows]
    [('expenditure_total', 2023, 2777.0), ('basic_expenditure', 2023, 2000.0), ('basic_expenditure', 2022, 1500.0)]
    """
    rows: list[dict] = []
    default_basis = _default_basis(doc_kind)
    back = _Backward(text)
    filler = _filler()
    # The previous amount (as its match: most amounts are only positions, parsed when a figure is emitted) and
    # the figure read from it, if any.
    prev: tuple[re.Match, _Hit | None] | None = None
    for amount in AMOUNT_RE.finditer(text):
        a_start = amount.start()
        floor = prev[0].end() if prev else 0
        clause_start = back.clause_start(a_start, floor)
        hit: _Hit | None = None
        if CHANGE_BEFORE.search(text, clause_start, a_start):
            prev = (amount, None)
            continue
        prior_start = max(clause_start, a_start - 30)
        # PRIOR_BEFORE names the comparison (比, 较, 与) or the year (上年, 去年): without those characters no search.
        prior = PRIOR_BEFORE.search(text, prior_start, a_start) if _PRIOR_CUE.search(text, prior_start, a_start) else None
        term = _measure_term(text, clause_start, a_start)
        if term:
            measure, t_start, t_end = term
            gap = text[t_end : prior.start() if prior else a_start]
            if filler.fullmatch(gap):
                hit = _Hit(measure, "", "", t_start, amount, _year_in(gap, fiscal_year), _basis_in(gap) or default_basis)
        if hit is None and not term and (clause_start == _line_start(text, a_start) or (
                text[clause_start - 1 : clause_start] in _INLINE_HEADING_END
                and text[clause_start - 2 : clause_start - 1] in _term_chars()[0])):
            # "（二）公务接待费⏎2026 年预算安排 5.00 万元": the heading names the measure of the line below it;
            # "（一）收入预算。2026 年年初预算数 19,230.18 万元" (重庆 budgets): of the sentence after it.
            heading = _heading_term(text, clause_start)
            if heading:
                measure, t_start = heading
                gap = text[clause_start : a_start]
                if filler.fullmatch(gap) and not prior:
                    hit = _Hit(measure, "", "", t_start, amount, _year_in(gap, fiscal_year),
                               _basis_in(gap) or default_basis)
        if hit is None and not term:
            cls = _class_term(back, clause_start, a_start, doc_kind)
            if cls:
                measure, code, label, n_start = cls
                gap = text[n_start : a_start]
                hit = _Hit(measure, code, label, n_start, amount, fiscal_year, _basis_in(gap) or default_basis)
        # Where the sentence starts matters only for an amount with no name of its own, or an 资产总额.
        needs_sentence = (hit is None and prev is not None) or (hit is not None and hit.measure == "assets_total")
        sentence_start = back.sentence_start(a_start) if needs_sentence else 0
        if hit is None and prev and prev[1] is not None and prev[0].end() > sentence_start:
            # No name in this clause: "…年初预算为50,537.00元，决算为11,668.09元" or "…，比上年 123.54 万元增加".
            carried = prev[1]
            own = text[clause_start : a_start]
            basis = _basis_in(own)
            if prior or basis:
                hit = _Hit(carried.measure, carried.code, carried.label, carried.term_start, amount,
                           fiscal_year, basis or carried.basis)
                if not prior and basis == carried.basis and carried.year == fiscal_year:
                    hit = None  # the same measure, year and basis again is a different figure (a part): skip
        elif hit is None and prev and prev[1] is None and prior and prev[0].end() > sentence_start:
            # "经费拨款（补助）412.38 万元，比 2022 年度 318.55 万元" after "收入预算总额 412.38 万元":
            # the prior-year value belongs to the subject only if the unnamed amount repeats the subject's value.
            subject = _last_hit_in_sentence(rows, sentence_start)
            if subject and Decimal(str(subject["value"])) == to_float_dec(amount_from_match(prev[0]).value):
                hit = _Hit(subject["measure"], subject["code"], subject["label"], subject["_term_start"], amount,
                           fiscal_year, subject["basis"])
        if hit is not None and prior:
            hit.year = _prior_year(prior, fiscal_year)
            pb = prior.group("basis") or prior.group("basis2")
            if pb:
                hit.basis = "budget" if "预算" in pb else "actual"
            else:
                hit.basis = default_basis
        elif hit is not None and hit.measure == "assets_total":
            hit.year = _assets_year(text, sentence_start, hit.term_start, doc_kind, fiscal_year)
            hit.basis = "actual"
        elif hit is not None and PRIOR_ANYWHERE.search(text, hit.term_start, a_start):
            hit = None  # "上年预算数 X" without a comparison frame: year is unclear from here; precision first
        if hit is not None and hit.year is None:
            hit = None
        if hit is not None:
            rows.append(_row(text, hit, page_at))
        prev = (amount, hit)
    rows = _general_appropriation(text, back, rows)
    rows = _expand_pairs(rows)
    rows.extend(extract_staff(text, fiscal_year, page_at))
    rows.extend(extract_stated_zeros(text, doc_kind, fiscal_year, page_at))
    if doc_kind == "final_account":
        rows.extend(extract_item_statements(text, fiscal_year, page_at))
    return rows


def _expand_pairs(rows: list[dict]) -> list[dict]:
    """One row per measure for an amount that names two ("收、支总计均为X万元": both grand totals)."""
    emits = _emits()
    if not any(r["measure"] in emits for r in rows):
        return rows
    out = []
    for r in rows:
        if r["measure"] in emits:
            out.extend(dict(r, measure=measure) for measure in emits[r["measure"]])
        else:
            out.append(r)
    return out


_NUM = r"(?P<num>\d[\d,]*(?:\.\d+)?)"
# The 政府性基金 and 国有资本经营 parts of 财政拨款收入, as a narrative list or a table row states them (a table row
# has no unit: "二、政府性基金预算拨款收入 1800.00").
# One pattern per part: a pattern led by a literal is scanned for much faster than an alternation.
_OTHER_APPROPRIATION = tuple(
    re.compile(f"(?P<fund>{fund})" + r"(?:预算)?(?:财政)?拨款(?:收入)?(?:资金)?\s*(?:为|是)?\s*" + _NUM)
    for fund in ("政府性基金", "国有资本经营"))
_NONZERO = re.compile(r"[1-9]")


def _general_appropriation(text: str, back: _Backward, rows: list[dict]) -> list[dict]:
    """一般公共预算拨款收入 as fiscal_appropriation_income where the document shows it is all of 财政拨款收入, and
    no row otherwise.

    It is all of it when it equals the income total of the sentence that lists it ("本年收入合计X万元，其中：
    一般公共预算财政拨款收入X万元，占100%") or the 财政拨款 total stated there ("财政拨款收支总预算 5973.01
    万元。收入包括：一般公共预算当年拨款收入 5973.01 万元", 湖州), or when its list (the sentence, and the numbered
    lines after it: 苏州's "（1）一般公共预算拨款收入…⏎（2）政府性基金预算拨款收入 0 万元") states the 政府性基金 part
    as 0 (a county bureau's 2023 budget: "其中一般公共预算拨款收入X万元、政府性基金拨款收入0万元") and the document states no
    other part that is not 0 anywhere (a table row "政府性基金预算拨款收入 1800.00" is one). Elsewhere (重庆's
    "2026年一般公共预算财政拨款收入 18,417.70 万元" counts its carry-over in, and the tables disagree) it is left out.
    """
    general = [r for r in rows if r["measure"] == "_general_appropriation_income"]
    if not general:
        return rows
    others_nonzero = any(_NONZERO.search(m.group("num")) for rx in _OTHER_APPROPRIATION for m in rx.finditer(text))
    keep = set()
    for r in general:
        start = back.sentence_start(r["start"])
        if text.startswith(_LIST_OPENERS, start) and start > 0:
            start = back.sentence_start(start - 1)  # a list opening its own sentence belongs to the one before
        line_end = text.find("\n", r["end"])
        end = _list_end(text, len(text) if line_end < 0 else line_end)
        totals = [t for t in rows if t["measure"] == "income_total" and start <= t["start"] < r["start"]
                  and (t["fiscal_year"], t["basis"]) == (r["fiscal_year"], r["basis"])]
        totals += [{"value": to_float(a.value), "scale": a.scale, "decimals": a.decimals}
                   for m in _APPROPRIATION_TOTAL.finditer(text, start, r["start"])
                   for a in [amount_from_match(AMOUNT_RE.match(text, m.start("amount")))]]
        if any(_same_amount(t, r) for t in totals):
            keep.add(id(r))
            continue
        parts = {m.group("fund"): m.group("num") for rx in _OTHER_APPROPRIATION for m in rx.finditer(text, r["end"], end)}
        if not others_nonzero and parts.get("政府性基金") is not None:
            keep.add(id(r))
    return [dict(r, measure="fiscal_appropriation_income") if id(r) in keep else r for r in rows
            if r["measure"] != "_general_appropriation_income" or id(r) in keep]


# The 财政拨款 total a document states (湖州: "财政拨款收支总预算 5973.01 万元"; 苏州: "财政拨款收入总计 X 万元").
_APPROPRIATION_TOTAL = re.compile(r"财政拨款(?:收支|收入)总(?:预算|计|额)(?:为|是)?\s*(?P<amount>\d[\d,]*(?:\.\d+)?\s*(?:亿元|万元|元))")
_LIST_OPENERS = ("其中", "收入包括", "包括")
_NUMBERED_LINE = re.compile(r"\n[ \t]*[（(]\d{1,2}[）)]")


def _list_end(text: str, pos: int) -> int:
    """The end of the numbered lines ("（2）…", "（3）…") that go on the list whose first item ends at ``pos``."""
    while True:
        m = _NUMBERED_LINE.match(text, pos)
        if not m:
            return pos
        nxt = text.find("\n", m.end())
        pos = len(text) if nxt < 0 else nxt


def _sentence_end(text: str, pos: int) -> int:
    m = _SENTENCE_END_FWD.search(text, pos)
    return m.start() if m else len(text)


_SENTENCE_END_FWD = re.compile(f"[{re.escape(SENTENCE_END)}]|\n")


def _same_amount(a: dict, b: dict) -> bool:
    """Two stated amounts agree within the printed rounding of either."""
    tol = max(_allowance(a), _allowance(b))
    return abs(Decimal(str(a["value"])) - Decimal(str(b["value"]))) <= tol


def _allowance(row: dict) -> Decimal:
    try:
        return allowance(row["scale"], int(row["decimals"]))
    except (KeyError, ValueError, TypeError):
        return Decimal(0)


YEAR_IN_GAP = re.compile(r"(20\d\d)\s*年")
HEADING_LINE = re.compile(
    r"^[ \t]*(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}[、.．]|\d{1,2}[、.．])\s*(?P<term>[^\n，。；]{2,24})[ \t]*$",
    re.M,
)


def _year_in(gap: str, fiscal_year: int | None) -> int | None:
    """The document's year, unless the words between term and amount name another one."""
    years = {int(y) for y in YEAR_IN_GAP.findall(gap)}
    if not years or fiscal_year is None:
        return fiscal_year
    if years == {fiscal_year}:
        return fiscal_year
    return None  # another year written inside the phrase: leave it to a reader rather than guess


def _assets_year(text: str, sentence_start: int, term_start: int, doc_kind: str, fiscal_year: int | None):
    """The year whose end an 资产总额 describes: a balance is dated, not budgeted.

    "截至2023年12月31日" names it; in a final account "年末" is the reported year's end and "年初" the year before's.
    A budget is written before its year ends, so there an undated balance is left out.
    """
    ye = YEAR_END.search(text, sentence_start, term_start + 1)
    if ye:
        return int(ye.group("y"))
    if fiscal_year is None or doc_kind == "budget":
        return None
    lead = text[sentence_start:term_start]
    if "年初" in lead[-6:]:
        return fiscal_year - 1
    return fiscal_year


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


_INLINE_HEADING_END = ("。", ".", "．")


def _heading_term(text: str, line_start: int) -> tuple[str, int] | None:
    """A measure named alone on the heading line just above ``line_start``, or in a numbered heading that ends
    with a full stop right before it ("（一）收入预算。")."""
    if line_start < 2:
        return None
    # The heading runs from its line's start to the break or full stop just before ``line_start``.
    m = HEADING_LINE.match(text, _line_start(text, line_start - 1), line_start - 1)
    if not m:
        return None
    pattern, _, _ = _term_index()
    t = pattern.fullmatch(m.group("term").strip())
    if not t:
        return None
    return _measure_of(t), m.start("term")


def to_float_dec(value: Decimal) -> Decimal:
    return Decimal(str(to_float(value)))


def _last_hit_in_sentence(rows: list[dict], sentence_start: int) -> dict | None:
    for r in reversed(rows):
        if r["start"] >= sentence_start and r["unit"] == "yuan":
            return r
        if r["start"] < sentence_start:
            return None
    return None


def _prior_year(prior: re.Match, fiscal_year: int | None) -> int | None:
    if prior.group("y"):
        return int(prior.group("y"))
    return None if fiscal_year is None else fiscal_year - 1


def _row(text: str, hit: _Hit, page_at) -> dict:
    num, unit = hit.amount.group("num", "unit")  # read as amounts.amount_from_match reads it
    start, end = hit.term_start, hit.amount.end()
    return {
        "measure": hit.measure,
        "fiscal_year": hit.year,
        "basis": hit.basis,
        "code": hit.code,
        "label": hit.label,
        "value": to_float(parse_amount(num, unit)),
        "unit": "yuan",
        "method": "stated",
        "formula": "",
        "quote": text[start:end],
        "start": start,
        "end": end,
        "page": page_at(start) if page_at else None,
        "source": "text",
        "scale": normalise_scale(unit),
        "decimals": decimals_of(num),
        "_term_start": start,
    }


def extract_staff(text: str, fiscal_year: int | None, page_at=None) -> list[dict]:
    """Staff counts: 编制 (authorised) and 实有 (actual in post) totals, never their 行政/事业 parts."""
    rows = []
    if fiscal_year is None:
        return rows
    for m in STAFF_RE.finditer(text):
        if STAFF_EXCLUDE_BEFORE.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        term = m.group("term")
        measure = "staff_authorised" if "编制" in term else "staff_actual"
        start = m.start()
        rows.append(
            {
                "measure": measure,
                "fiscal_year": fiscal_year,
                "basis": "",
                "code": "",
                "label": "",
                "value": float(int(m.group("n"))),
                "unit": "count",
                "method": "stated",
                "formula": "",
                "quote": text[start : m.end()],
                "start": start,
                "end": m.end(),
                "page": page_at(start) if page_at else None,
                "source": "text",
                "scale": "count",
                "decimals": 0,
                "_term_start": start,
            }
        )
    return rows


@cache
def _zero_rules() -> tuple[re.Pattern, re.Pattern, re.Pattern, dict[str, str], tuple[str, ...], re.Pattern]:
    """(none-before pattern, zero-after pattern, one subject, canonical subject -> measure, words that void a
    none-statement, words one of which every statement holds)."""
    cfg = _rules()["stated_zero"]
    measure_of = {}
    for measure, names in cfg["subjects"].items():
        for name in names:
            measure_of[_canonical_term(name)] = measure
    names = sorted({n for ns in cfg["subjects"].values() for n in ns}, key=len, reverse=True)
    subject = "(?:" + "|".join(_term_pattern(n) for n in names) + ")"
    money = "(?:" + "|".join(map(re.escape, sorted(cfg["money_after"], key=len, reverse=True))) + ")"
    one = subject + money + "{0,2}"
    listed = one + r"(?:\s*[、和及与]\s*" + one + ")*"
    none = "|".join(map(re.escape, sorted(cfg["none_before"], key=len, reverse=True)))
    qualifier = "|".join(map(re.escape, sorted(cfg["qualifiers"], key=len, reverse=True)))
    zero = "|".join(map(re.escape, sorted(cfg["zero_after"], key=len, reverse=True)))
    # "本部门无“三公”经费支出，…": the statement ends its clause (or goes on with 故…为空表, 较上年…).
    end = r"(?=\s*(?:[，,。；;：:\n（(]|$|故|较|与|比))"
    none_re = re.compile(rf"(?P<none>{none})(?P<qual>(?:{qualifier}|20\d\d\s*年度?|\s)*)(?P<subj>{listed}){end}")
    # "为0" with no unit after it ("为0万元" is an amount, read as one; "为0辆" counts cars).
    zero_re = re.compile(rf"(?P<subj>{listed})\s*(?P<zero>{zero})(?![\d.．%％]|\s*(?:[万亿千]?元|辆|人|次|批|台|个))")
    hints = re.compile("|".join(map(re.escape, sorted(set(cfg["none_before"]) | set(cfg["zero_after"])))))
    return none_re, zero_re, re.compile(one), measure_of, tuple(cfg["not_before_none"]), hints

_MONEY_WORDS = ("费", "支出", "预算", "决算", "开支")


def extract_stated_zeros(text: str, doc_kind: str, fiscal_year: int | None, page_at=None) -> list[dict]:
    """"三公" spending the document says in words it did not have or budget: a zero with no printed unit.

    "本部门无“三公”经费支出" and "“三公”经费预算为0" state sangong_total = 0; "无因公出国（境）支出" states its part.
    A statement about other money (结转 from an earlier year, another year, 上年) or a conditional (如无…) is not one.

    >>> [(r["measure"], r["basis"], r["value"]) for r in extract_stated_zeros("本部门无“三公”经费支出。", "final_account", 2023)]
    [('sangong_total', 'actual', 0.0)]
    """
    if fiscal_year is None or not ("三公" in text or "公务" in text or "出国" in text):
        return []
    none_re, zero_re, one_re, measure_of, void, hints = _zero_rules()
    rows = []
    for m, is_none in _zero_statements(text, none_re, zero_re, hints):
        if is_none:
            if text[max(0, m.start() - 2) : m.start()].endswith(void):
                continue  # "如无…": a condition, not a statement
            if {int(y) for y in YEAR_IN_GAP.findall(m.group("qual"))} - {fiscal_year}:
                continue  # "无2022年结转的…": another year's money
        clause = max(text.rfind(c, max(0, m.start() - 30), m.start()) for c in CLAUSE_END) + 1
        if PRIOR_ANYWHERE.search(text, max(clause, m.start() - 30), m.end()):
            continue  # "上年“三公”经费预算为0", "去年无…": another year's figure
        if "结转" in text[max(0, m.start() - 12) : m.end()]:
            continue
        basis = "budget" if _NOT_BUDGETED.search(m.group(0)) else (_basis_in(m.group(0)) or _default_basis(doc_kind))
        subjects = m.group("subj")
        tail_money = subjects.endswith(_MONEY_WORDS)
        for part in one_re.finditer(subjects):
            measure = _zero_measure(part.group(0), measure_of, tail_money)
            if measure:
                rows.append(_zero_row(text, m, measure, fiscal_year, basis, page_at))
    return _distinct_zero_rows(rows)


# Words that say nothing was budgeted (a budget zero even in a final account).
_NOT_BUDGETED = re.compile(r"未安排|未编列|不编制|未编制")


# Statements are looked for only around the words every subject holds, and only where one of the none/zero words
# stands nearby: literal searches are cheap, whole-text scans with the statement patterns (led by long
# alternations) are not. (str.find on Chinese text is slower than a compiled literal.)
_ZERO_TRIGGERS = tuple(re.compile(w) for w in ("三公", "出国", "公务"))
_ZERO_BEFORE, _ZERO_AFTER = 48, 96


def _zero_statements(text: str, none_re: re.Pattern, zero_re: re.Pattern,
                     hints: re.Pattern) -> list[tuple[re.Match, bool]]:
    """The none- and zero-statements of ``text`` (as whole-text searches would find them), each once."""
    found: dict[tuple[int, int, bool], re.Match] = {}
    n = len(text)
    last_end = -1
    for pos in sorted(m.start() for rx in _ZERO_TRIGGERS for m in rx.finditer(text)):
        if pos < last_end:
            continue  # inside the window just searched
        lo, hi = max(0, pos - _ZERO_BEFORE), min(n, pos + _ZERO_AFTER)
        last_end = hi - _ZERO_BEFORE
        if not hints.search(text, lo, hi):
            continue
        for rx, is_none in ((none_re, True), (zero_re, False)):
            for m in rx.finditer(text, lo, hi):
                # A match touching the window's end may have been cut short by it: search again past it.
                if m.end() >= hi - 8 and hi < n:
                    m = rx.match(text, m.start(), min(n, m.start() + 4 * _ZERO_AFTER))
                    if m is None:
                        continue
                found.setdefault((m.start(), m.end(), is_none), m)
    return [(m, is_none) for (_, _, is_none), m in sorted(found.items())]


def _zero_measure(part: str, measure_of: dict[str, str], tail_money: bool) -> str | None:
    """The measure a listed subject ("因公出国（境）支出") names: its longest known name at its start. The subject
    must name money, itself or in the list's last word ("无因公出国（境）团组" is not about spending)."""
    canonical = _canonical_term(part)
    for name in sorted(measure_of, key=len, reverse=True):
        if canonical.startswith(name):
            if tail_money or canonical.endswith(_MONEY_WORDS) or name.endswith("经费"):
                return measure_of[name]
            return None
    return None


def _zero_row(text: str, m: re.Match, measure: str, year: int, basis: str, page_at) -> dict:
    start, end = m.start(), m.end()
    return {
        "measure": measure, "fiscal_year": year, "basis": basis, "code": "", "label": "", "value": 0.0,
        "unit": "yuan", "method": "stated", "formula": "", "quote": text[start:end], "start": start, "end": end,
        "page": page_at(start) if page_at else None, "source": "text", "scale": "", "decimals": None,
        "_term_start": start,
    }


def _distinct_zero_rows(rows: list[dict]) -> list[dict]:
    """One row per statement and measure (a statement matched both ways is one statement)."""
    seen = {}
    for r in rows:
        seen.setdefault((r["measure"], r["basis"], r["start"]), r)
    return list(seen.values())


# --- item-level (项) budget vs actual in a final account ---------------------------------------------------------
#
# "2130501行政运行（项）：年初预算为X万元，支出决算为Y万元，完成年初预算的Z%。决算数大于预算数的主要原因是……" and the
# chain form "一般公共服务（类）政府办公厅（室）及相关机构事务（款）行政运行（项）。年初预算为X万元，支出决算为Y万元"
# (米易县 2023 决算: "住房保障支出221（类）住房改革支出22102（款）住房公积金2210201（项）：支出决算数为15.62万元").

# One classification name with its level mark, its code printed before ("2130501行政运行（项）") or after it
# ("住房公积金2210201（项）"). Names may hold brackets ("政府办公厅（室）及相关机构事务").
_LEVEL_ENTRY = re.compile(
    r"(?P<pre>(?<!\d)\d{3}(?:\d{2}){0,2}(?!\d))?\s*[-—－]?\s*"
    r"(?P<name>[\u4e00-\u9fff][\u4e00-\u9fff（）()“”]{0,39}?)\s*"
    r"(?P<post>(?<!\d)\d{3}(?:\d{2}){0,2}(?!\d))?\s*[（(]\s*(?P<level>类|款|项)\s*[）)]"
)
_ENTRY_GAP = re.compile(r"[\s、,，]*")
_NAME_MARKER = re.compile(r"^[一二三四五六七八九十]{1,3}[）)、.．]\s*")
# Between the item and its first amount: punctuation and at most the word 支出 ("…（项）：支出决算为…").
_ITEM_LEAD = re.compile(r"[\s：:。.，,]*(?:支出)?[\s：:，,]*")
_ITEM_BUDGET_CUE = re.compile(r"(?:年初预算数?|全年预算数?|预算数|预算)\s*(?:为|是)?\s*$")
_ITEM_ACTUAL_CUE = re.compile(r"(?:支出决算数?|决算数?|实际支出数?|执行数)\s*(?:为|是)?\s*$")
# A clause naming another basis or year: an adjusted budget, last year, a change.
_ITEM_OTHER = re.compile(r"调整|追加|上年|去年|比|较|增加|减少|差|超")
_REASON = re.compile(r"(?:主要)?原因")


def extract_item_statements(text: str, fiscal_year: int | None, page_at=None) -> list[dict]:
    """Per 项 of the functional classification, the budget and the actual a final account states for it, as two
    functional_expenditure figures with the reason the document gives (``stated_reason``).

    The 项 code is the one printed, else the one its name has under the 类/款 written before it (or alone, when the
    name is unique at that level); when neither settles one code, nothing is emitted. A list of several 项 before one
    amount states their sum, not an item's: nothing either.

    >>> rows = extract_item_statements("2130501行政运行（项）：年初预算为10.00万元，支出决算为12.00万元，完成年初预算的120%。"
    ...                                "决算数大于预算数的主要原因是人员增加。", 2023)
    >>> [(r["code"], r["basis"], r["value"], r["stated_reason"]) for r in rows]
    [('2130501', 'budget', 100000.0, '主要原因是人员增加'), ('2130501', 'actual', 120000.0, '主要原因是人员增加')]
    """
    if fiscal_year is None or not _ITEM_MARK_FAST.search(text):
        return []
    rows: list[dict] = []
    for line_start, line in _lines_with_items(text):
        chains = _chains(line)
        for i, chain in enumerate(chains):
            end = chains[i + 1][0].start() if i + 1 < len(chains) else len(line)
            found = _item_rows(text, line_start, line, chain, end, fiscal_year, page_at)
            if found and not found[0]["stated_reason"] and i + 1 == len(chains):
                reason = _reason_on_next_line(text, line_start + len(line))
                for r in found:
                    r["stated_reason"] = reason
            rows.extend(found)
    return rows


# A line that goes on explaining the item above it ("决算数大于预算数的主要原因是…" set as its own paragraph).
_REASON_LINE = re.compile(r"[ \t]*(?:决算数|支出决算数|预算执行|主要原因|原因)")


def _reason_on_next_line(text: str, line_end: int) -> str:
    if line_end >= len(text):
        return ""
    nxt_end = text.find("\n", line_end + 1)
    nxt = text[line_end + 1 : len(text) if nxt_end < 0 else nxt_end]
    if not _REASON_LINE.match(nxt) or ITEM_MARK.search(nxt):
        return ""
    return _stated_reason(nxt, 0, len(nxt))


# ITEM_MARK led by its literal 项 (scanned for ~10x faster); the bracket before it is checked after.
_ITEM_MARK_FAST = re.compile(r"项[）)]")


def _lines_with_items(text: str):
    pos = 0
    for m in _ITEM_MARK_FAST.finditer(text):
        if m.start() < pos or m.start() == 0 or text[m.start() - 1] not in "（(":
            continue
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        yield start, text[start:end]
        pos = end


def _chains(line: str) -> list[list[re.Match]]:
    """Runs of level entries written one after another ("…（类）…（款）…（项）")."""
    chains: list[list[re.Match]] = []
    for m in _LEVEL_ENTRY.finditer(line):
        if chains and _ENTRY_GAP.fullmatch(line, chains[-1][-1].end(), m.start()):
            chains[-1].append(m)
        else:
            chains.append([m])
    return chains


def _item_code(chain: list[re.Match]) -> tuple[str, str] | None:
    """(code, label) of the one 项 a chain ends with, or None."""
    levels = [m.group("level") for m in chain]
    if levels[-1] != "项" or levels.count("项") != 1 or levels.count("款") > 1 or levels.count("类") > 1:
        return None
    parent = None
    for m in chain:
        name = _NAME_MARKER.sub("", m.group("name"))
        printed = m.group("pre") or m.group("post") or ""
        level = m.group("level")
        length = {"类": 3, "款": 5, "项": 7}[level]
        if printed and (len(printed) != length or (parent and not printed.startswith(parent))):
            return None
        found = classification.lookup(name, "functional", level=level, parent=parent)
        if printed and found and found != printed:
            return None  # the name is another item's: printed code and name disagree
        code = printed or found
        if code is None:
            if level == "项":
                return None
            continue  # an unknown 类/款 name narrows nothing; the 项 must then be unique on its own
        if classification.kind_of(code) != "functional":
            return None
        parent = code
    label = classification.label(parent) or _NAME_MARKER.sub("", chain[-1].group("name"))
    return parent, label


def _item_rows(text: str, line_start: int, line: str, chain: list[re.Match], end: int, fiscal_year: int,
               page_at) -> list[dict]:
    item = _item_code(chain)
    if item is None:
        return []
    code, label = item
    lead = _ITEM_LEAD.match(line, chain[-1].end(), end)
    first_amount = AMOUNT_RE.search(line, lead.end(), end)
    if first_amount is None:
        return []
    found: dict[str, list[re.Match]] = {"budget": [], "actual": []}
    clause_start = lead.end()
    for a in AMOUNT_RE.finditer(line, lead.end(), end):
        cut = max(line.rfind(c, clause_start, a.start()) for c in "，,；;。")
        clause = line[max(cut + 1, clause_start) : a.start()]
        clause_start = a.end()
        if _ITEM_OTHER.search(clause):
            continue
        if _ITEM_ACTUAL_CUE.search(clause):
            found["actual"].append(a)
        elif _ITEM_BUDGET_CUE.search(clause):
            found["budget"].append(a)
    # The statement must open with its amounts: "行政运行（项）：年初预算为…", not a sentence about something else.
    opening = [a for ms in found.values() for a in ms]
    if not opening or min(a.start() for a in opening) != first_amount.start():
        return []
    last = max(a.end() for a in opening)
    reason = _stated_reason(line, last, end)
    first = chain[0]
    marker = _NAME_MARKER.match(first.group("name"))
    start = line_start + (first.start() if first.group("pre") else first.start("name") + (marker.end() if marker else 0))
    rows = []
    for basis, amounts in found.items():
        values = {parse_amount(*a.group("num", "unit")) for a in amounts}
        if len(values) != 1:
            continue  # two different amounts for one basis: which is the item's is not clear
        a = amounts[0]
        num, unit = a.group("num", "unit")
        a_end = line_start + a.end()
        rows.append({
            "measure": "functional_expenditure", "fiscal_year": fiscal_year, "basis": basis, "code": code,
            "label": label, "value": to_float(parse_amount(num, unit)), "unit": "yuan", "method": "stated",
            "formula": "", "quote": text[start:a_end], "start": start, "end": a_end,
            "page": page_at(start) if page_at else None, "source": "text", "scale": normalise_scale(unit),
            "decimals": decimals_of(num), "stated_reason": reason, "_term_start": start,
        })
    return rows


def _stated_reason(line: str, pos: int, end: int) -> str:
    """The reason clause after ``pos``: from "主要原因" (or "原因") to the end of its sentence, "" if none."""
    m = _REASON.search(line, pos, end)
    if not m or PRIOR_ANYWHERE.search(line, pos, m.start()):
        return ""  # none, or the reason for a change on last year ("比上年增加…，主要原因是…"), not for this
    stop = _SENTENCE_END_FWD.search(line, m.end(), end)
    return line[m.start() : stop.start() if stop else end].strip()
