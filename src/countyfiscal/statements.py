"""Normalised text -> the changes, shares, execution rates and comparative wording a disclosure states about its figures."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from importlib import resources

import pandas as pd
import yaml

from countyfiscal.amounts import AMOUNT_RE, Amount, amount_from_match, find_amounts

COLUMNS = [
    "kind",  # change_amount · change_pct · share_pct · execution_pct · wording
    "measure",
    "code",
    "fiscal_year",
    "basis",
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
# A line that starts a numbered item ends the sentence before it even without punctuation (PDF lists).
LIST_START = re.compile(r"\n\s*(?:\d{1,2}\s*[.、．](?!\d)|[（(]\s*[\d一二三四五六七八九十]{1,3}\s*[）)]|[一二三四五六七八九十]{1,3}\s*、|第[一二三四五六七八九十]+部分)")

PCT = r"(?P<pct>\d+(?:\.\d+)?)\s*[%％]"
UP = "增加|增长|上升|上涨|提高|增"
DOWN = "减少|下降|降低|压减|缩减|节约|减"
VERB = re.compile(
    rf"(?P<verb>(?:{UP}|{DOWN})(?:\s*/\s*(?:{UP}|{DOWN}))?)\s*(?:了|额为|额|为|幅度为|幅度|比例为)?\s*"
)
COMPARE_CUE = re.compile(r"(?:比|较|与|对比)\s*(?:上年|去年|上一年|上年度|20\d\d\s*年|同期)|同比|上年同期|较上年度|较年初")
SHARE = re.compile(rf"占(?P<base>[^，,。；;%％\d]{{0,30}}?)(?:的)?(?:比重|比例|比重为|比例为)?\s*{PCT}")
EXECUTION = re.compile(rf"完成(?:年初|全年|调整)?预算(?:数)?(?:的)?\s*{PCT}|预算执行率(?:为|达到?)?\s*{PCT.replace('pct', 'pct2')}")
WORDING_CMP = re.compile(
    r"决算数?(?:据)?\s*(?P<op>大于|小于|等于|高于|低于|超过|少于|多于)\s*(?:年初|全年|调整)?\s*预算数?"
)
WORDING_SAME = re.compile(r"(?P<qual>基本|大体|总体|略有|大致)?(?:持平|无变化|没有变化|未发生变化|保持不变)")

_OP_WORDS = {
    "大于": "greater", "高于": "greater", "超过": "greater", "多于": "greater",
    "小于": "less", "低于": "less", "少于": "less",
    "等于": "equal",
}


@cache
def _measure_rules() -> dict:
    with resources.files("countyfiscal.resources").joinpath("measures.yml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["measures"]


@cache
def _share_bases() -> dict[str, str]:
    with resources.files("countyfiscal.resources").joinpath("statements.yml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)["share_bases"]


def _fold_quotes(s: str) -> str:
    return re.sub(r"[“”\"‘’'「」『』]", "", s)


@cache
def _term_regex() -> tuple[re.Pattern, dict[str, str]]:
    """All measure names of resources/measures.yml, longest first, matched on quote-folded text."""
    pairs = [(t, m) for m, spec in _measure_rules().items() for t in spec["terms"]]
    pairs.sort(key=lambda p: len(p[0]), reverse=True)
    groups = {}
    parts = []
    for i, (term, measure) in enumerate(pairs):
        pat = re.escape(term).replace("（", "[（(]").replace("）", "[）)]")
        parts.append(f"(?P<t{i}>{pat})")
        groups[f"t{i}"] = measure
    return re.compile("|".join(parts)), groups


def _last_term(text: str, start: int, end: int) -> tuple[str, int] | None:
    """The last measure named in text[start:end] (quote marks ignored), with its offset."""
    if end <= start:
        return None
    segment = text[start:end]
    folded, index = [], []
    for i, ch in enumerate(segment):
        if ch not in "“”\"‘’'「」『』":
            folded.append(ch)
            index.append(i)
    folded_s = "".join(folded)
    rx, groups = _term_regex()
    excludes = {m: spec.get("exclude_before", []) or [] for m, spec in _measure_rules().items()}
    last = None
    for m in rx.finditer(folded_s):
        measure = groups[m.lastgroup]
        before = folded_s[max(0, m.start() - 12) : m.start()]
        if any(before.endswith(w) for w in excludes.get(measure, [])):
            continue
        last = (measure, start + index[m.start()])
    return last


def sentence_start(text: str, pos: int) -> int:
    """Offset where the sentence holding ``pos`` begins."""
    i = pos - 1
    while i >= 0 and text[i] not in SENTENCE_END:
        if text[i] == "\n" and LIST_START.match(text, i):
            return i + 1
        i -= 1
    return i + 1


def _is_clause_end(text: str, i: int) -> bool:
    ch = text[i]
    if ch == ",":  # a thousands separator is not a comma
        return not (0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit())
    return ch in CLAUSE_END


def _clause_start(text: str, pos: int, floor: int) -> int:
    i = pos - 1
    while i >= floor and not _is_clause_end(text, i):
        i -= 1
    return max(i + 1, floor)


def period_start(text: str, pos: int) -> int:
    """Offset where the full sentence (up to "。", not "；") holding ``pos`` begins."""
    i = pos - 1
    while i >= 0 and text[i] not in "。！？!?":
        if text[i] == "\n" and LIST_START.match(text, i):
            return i + 1
        i -= 1
    return i + 1


def _direction(verb: str) -> int:
    if "/" in verb:
        return 0
    return 1 if re.match(UP, verb) else -1


def _decimals(num: str) -> int:
    return len(num.split(".", 1)[1]) if "." in num else 0


def _outside_parentheses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of text[start:end] at parenthesis depth 0 (so "（分别为：…80,660.50元…）" is skipped)."""
    spans, depth, span_start = [], 0, start
    for i in range(start, end):
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


def _amount_before(text: str, amounts: list[Amount], pos: int, floor: int) -> Amount | None:
    """The last amount ending before ``pos`` and after ``floor``, not inside parentheses."""
    spans = _outside_parentheses(text, floor, pos)
    best = None
    for a in amounts:
        if a.start >= floor and a.end <= pos and any(s <= a.start and a.end <= e for s, e in spans):
            best = a
    return best


def _figure_at(figures: pd.DataFrame, amount: Amount | None) -> dict | None:
    """The stated figure whose quote covers ``amount``, if the extractor emitted one."""
    if amount is None or figures.empty or "start" not in figures:
        return None
    hits = figures[(figures["start"] <= amount.start) & (figures["end"] >= amount.end)]
    if "method" in hits:
        hits = hits[hits["method"].fillna("stated") == "stated"]
    if hits.empty:
        return None
    # Several quotes can cover one amount ("年初预算为0.00元，决算为0.00元"): the one ending with it is its figure.
    hits = hits.assign(_gap=(hits["end"] - amount.end).abs(), _len=hits["end"] - hits["start"])
    return hits.sort_values(["_gap", "_len"]).iloc[0].drop(["_gap", "_len"]).to_dict()


def _doc_year_and_basis(figures: pd.DataFrame) -> tuple[int | None, str]:
    if figures.empty:
        return None, ""
    years = pd.to_numeric(figures["fiscal_year"], errors="coerce").dropna()
    year = int(years.max()) if len(years) else None
    money = figures[(figures["unit"] == "yuan")] if "unit" in figures else figures
    if year is not None:
        money = money[pd.to_numeric(money["fiscal_year"], errors="coerce") == year]
    bases = money["basis"].dropna()
    bases = bases[bases != ""]
    basis = bases.mode().iloc[0] if len(bases) else ""
    return year, basis


def _basis_cue(segment: str) -> str:
    found = ""
    for m in re.finditer(r"决算|执行数|实际支出|(?<!公共)(?<!基金)(?<!经营)预算", segment):
        found = "actual" if m.group(0) in ("决算", "执行数", "实际支出") else "budget"
    return found


def _subject(text, pos, sent, amounts, figures, doc_year, doc_basis) -> dict:
    """Which figure a statement at ``pos`` is about: a measure named right before it, else the nearest figure."""
    last_amount = _amount_before(text, amounts, pos, sent)
    gap_start = last_amount.end if last_amount else sent
    named = _last_term(text, gap_start, pos)
    cue = _basis_cue(text[sent:pos])
    if named and _names_subject(text, named, pos):
        return {"measure": named[0], "code": "", "fiscal_year": doc_year, "basis": cue or doc_basis}
    fig = None
    if not figures.empty and "start" in figures:
        before = figures[(figures["end"] <= pos) & (figures["start"] >= sent)]
        if "method" in before:
            before = before[before["method"].fillna("stated") == "stated"]
        before = before[before["unit"].fillna("yuan") == "yuan"] if "unit" in before else before
        if not before.empty:
            fig = before.sort_values(["end", "start"]).iloc[-1].to_dict()
            # "收入预算515.3万元，…主要是政府性基金收入较上年下降45.9%": words between name another subject.
            gap = _fold_quotes(text[int(fig["end"]):pos])
            if not SUBJECT_GAP.fullmatch(gap):
                fig = None
    if fig is not None:
        year = fig.get("fiscal_year")
        year = int(year) if pd.notna(year) else doc_year
        # "比上年 0.23万元减少 0.03万元": the figure is last year's; the change belongs to this year.
        if doc_year is not None and year < doc_year:
            year = doc_year
        code = fig.get("code")
        return {
            "measure": fig["measure"],
            "code": "" if code is None or pd.isna(code) else str(code),
            "fiscal_year": year,
            "basis": fig.get("basis") if isinstance(fig.get("basis"), str) and fig.get("basis") else cue or doc_basis,
        }
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
    m = rx.match(_fold_quotes(text[named[1]:pos]))
    if not m:
        return False
    rest = _fold_quotes(text[named[1]:pos])[m.end():]
    return SUBJECT_GAP.fullmatch(rest) is not None


def _compare_context(text: str, pos: int, sent: int) -> bool:
    """A comparison with an earlier year is in force: in this sentence, or the one a "其中" sentence continues."""
    period = period_start(text, pos)
    if COMPARE_CUE.search(text, period, pos):
        return True
    if re.match(r"\s*其中", text[period:pos]) and period > 0:
        prev = period_start(text, period - 1)
        return COMPARE_CUE.search(text, prev, period) is not None
    return False


def _row(**kw) -> dict:
    row = dict.fromkeys(COLUMNS)
    row.update(kw)
    return row


def _amount_fields(prefix: str, a: Amount | None) -> dict:
    if a is None:
        return {}
    return {
        f"{prefix}_value": float(a.value),
        f"{prefix}_scale": a.scale,
        f"{prefix}_decimals": a.decimals,
        f"{prefix}_quote": a.quote,
        **({f"{prefix}_start": a.start} if prefix == "figure" else {}),
    }


def _changes(text, amounts, figures, doc_year, doc_basis) -> list[dict]:
    rows: list[dict] = []
    last_chain: dict | None = None
    for m in VERB.finditer(text):
        after = m.end()
        am = AMOUNT_RE.match(text, after)
        pm = re.compile(PCT).match(text, after)
        if not am and not pm:
            continue
        sent = sentence_start(text, m.start())
        if not _compare_context(text, m.start(), sent):
            continue
        direction = _direction(m.group("verb"))
        subject = _subject(text, m.start(), sent, amounts, figures, doc_year, doc_basis)
        if am:
            a = amount_from_match(am)
            row = _row(kind="change_amount", value=float(a.value), scale=a.scale, decimals=a.decimals,
                       direction=direction, quote=text[m.start():a.end], start=m.start(), end=a.end,
                       sentence_start=sent, chain=-1, **subject)
            rows.append(row)
            last_chain = row
            # "较上年增加0.05万元（7.69%）": the percentage in brackets qualifies the amount.
            paren = re.compile(rf"\s*[（(]\s*{PCT}\s*[）)]").match(text, a.end)
            if paren:
                rows.append(_row(kind="change_pct", value=float(paren.group("pct")), scale="%",
                                 decimals=_decimals(paren.group("pct")), direction=direction,
                                 quote=text[m.start():paren.end()], start=paren.start("pct"), end=paren.end(),
                                 sentence_start=sent, chain=row["start"], **subject))
        else:
            chain = -1
            # A percentage right after an amount of the same subject ("减少29,395.84元，下降1.05%") pairs with it.
            if (last_chain is not None and last_chain["sentence_start"] == sent
                    and subject["measure"] in ("", last_chain["measure"])
                    and _amount_before(text, amounts, m.start(), last_chain["end"]) is None
                    and SUBJECT_GAP.fullmatch(_fold_quotes(text[last_chain["end"]:m.start()]))):
                chain = last_chain["start"]
                subject = {k: last_chain[k] for k in ("measure", "code", "fiscal_year", "basis")}
                if direction == 0:
                    direction = last_chain["direction"]
            rows.append(_row(kind="change_pct", value=float(pm.group("pct")), scale="%",
                             decimals=_decimals(pm.group("pct")), direction=direction,
                             quote=text[m.start():pm.end()], start=m.start(), end=pm.end(),
                             sentence_start=sent, chain=chain, **subject))
    return rows


# A share printed without its base ("占49.4%") in a sentence that states no total: the total these parts add to.
IMPLICIT_BASE = {
    "basic_expenditure": "expenditure_total",
    "project_expenditure": "expenditure_total",
    "personnel_expenditure": "expenditure_total",
    "public_expenditure": "expenditure_total",
    "fiscal_appropriation_income": "income_total",
}


def _find_base(text: str, phrase: str, figures: pd.DataFrame, doc_year, basis, measure: str | None = None) -> dict:
    """The amount a share is "of": a measure the phrase names, else the phrase stated with an amount elsewhere."""
    phrase_f = _fold_quotes(phrase).strip()
    bases = _share_bases()
    measure = measure or bases.get(phrase_f)
    if measure is None:
        named = _last_term(phrase_f, 0, len(phrase_f))
        if named and len(phrase_f) <= len(named[0]) + 8 and not re.search(r"一般公共预算|政府性基金|国有资本", phrase_f):
            measure = named[0]
    if measure and not figures.empty:
        cue = _basis_cue(phrase_f) or basis
        hit = figures[(figures["measure"] == measure) & (pd.to_numeric(figures["fiscal_year"], errors="coerce") == doc_year)]
        if "method" in hit:
            hit = hit[hit["method"].fillna("stated") == "stated"]
        if cue and (hit["basis"] == cue).any():
            hit = hit[hit["basis"] == cue]
        if len(hit) and hit["value"].nunique() == 1:
            first = hit.sort_values("start").iloc[0]
            return {"base_value": float(first["value"]), "base_scale": first.get("scale") or "元",
                    "base_decimals": first.get("decimals"), "base_quote": first.get("quote")}
        return {}
    if measure:
        return {}
    # The phrase itself, written with an amount elsewhere ("一般公共预算财政拨款支出2,777,536.87元").
    core = re.sub(r"总(?=支出|收入)", "", phrase_f)
    if len(core) < 4:
        return {}
    pat = re.escape(core).replace("（", "[（(]").replace("）", "[）)]")
    rx = re.compile(pat + r"(?:决算|预算|数|合计|总额|为|是|：|:|\s){0,4}")
    found: dict[Decimal, Amount] = {}
    for m in rx.finditer(_fold_quotes(text)):
        am = AMOUNT_RE.match(_fold_quotes(text), m.end())
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
        subject = _subject(text, num.end, sent, amounts, figures, doc_year, doc_basis)
        if fig is not None:
            code = fig.get("code")
            subject = {"measure": fig["measure"], "code": "" if code is None or pd.isna(code) else str(code),
                       "fiscal_year": int(fig["fiscal_year"]) if pd.notna(fig.get("fiscal_year")) else doc_year,
                       "basis": fig.get("basis") or subject["basis"]}
        elif _last_term(text, _clause_start(text, num.start, sent), num.start) is None:
            subject = {**subject, "measure": "", "code": ""}
        base_phrase = m.group("base").strip()
        base: dict = {}
        if base_phrase:
            base = _find_base(text, base_phrase, figures, doc_year, subject["basis"] or doc_basis)
        else:
            # "本年支出合计295.02万元，其中：基本支出255.51万元，占87%": the sentence's leading amount.
            period = period_start(text, num.start)
            for a in amounts:
                if a.start < period or a.start >= num.start:
                    continue
                if re.match(r"[，,]?\s*占", text[a.end:a.end + 3]):
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
                         sentence_start=sent, chain=-1, **subject, **_amount_fields("figure", num), **base))
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
            subject = {"measure": fig["measure"], "code": "" if code is None or pd.isna(code) else str(code),
                       "fiscal_year": int(fig["fiscal_year"]) if pd.notna(fig.get("fiscal_year")) else doc_year,
                       "basis": "actual"}
        else:
            subject = _subject(text, m.start(), sent, amounts, figures, doc_year, doc_basis)
            subject["basis"] = "actual"
        start = num.start if num is not None else m.start()
        rows.append(_row(kind="execution_pct", value=float(pct), scale="%", decimals=_decimals(pct), direction=1,
                         quote=text[start:m.end()], start=m.start(), end=m.end(), sentence_start=sent, chain=-1,
                         **subject, **_amount_fields("figure", num)))
    return rows


def _wordings(text, amounts, figures, doc_year, doc_basis, subjects: list[dict]) -> list[dict]:
    rows = []

    def carried_subject(pos: int, sent: int) -> dict:
        s = _subject(text, pos, sent, amounts, figures, doc_year, doc_basis)
        if s["measure"] or _amount_before(text, amounts, pos, sent) is not None:
            return s
        # "…完成预算100%…。决算数小于预算数的主要原因是…": the subject carries over from the sentence before.
        earlier = [r for r in subjects if r["end"] <= pos and r["measure"] and r["start"] >= sentence_start(text, max(sent - 1, 0))]
        if earlier:
            last = max(earlier, key=lambda r: r["end"])
            return {k: last[k] for k in ("measure", "code", "fiscal_year", "basis")}
        return s

    for m in WORDING_CMP.finditer(text):
        sent = sentence_start(text, m.start())
        s = carried_subject(m.start(), sent)
        rows.append(_row(kind="wording", words=_OP_WORDS[m.group("op")], quote=m.group(0), start=m.start(),
                         end=m.end(), sentence_start=sent, chain=-1, direction=0, **s))
    for m in WORDING_SAME.finditer(text):
        if m.group("qual"):
            continue  # "基本持平" admits a small change: not a claim of equality
        sent = sentence_start(text, m.start())
        if not _compare_context(text, m.end(), sent) and not re.search(r"上年|去年|同期", text[sent:m.end()]):
            continue
        s = carried_subject(m.start(), sent)
        rows.append(_row(kind="wording", words="unchanged", quote=text[_clause_start(text, m.start(), sent):m.end()],
                         start=m.start(), end=m.end(), sentence_start=sent, chain=-1, direction=0, **s))
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
    figures = figures.copy() if figures is not None else pd.DataFrame()
    if not figures.empty:
        for col in ("start", "end"):
            figures[col] = pd.to_numeric(figures[col], errors="coerce")
        figures = figures.dropna(subset=["start", "end"])
    amounts = find_amounts(text)
    doc_year, doc_basis = _doc_year_and_basis(figures)
    rows = _changes(text, amounts, figures, doc_year, doc_basis)
    rows += _shares(text, amounts, figures, doc_year, doc_basis)
    rows += _executions(text, amounts, figures, doc_year, doc_basis)
    rows += _wordings(text, amounts, figures, doc_year, doc_basis, rows)
    out = pd.DataFrame(rows, columns=COLUMNS)
    return out.sort_values(["start", "kind"], kind="stable").reset_index(drop=True)
