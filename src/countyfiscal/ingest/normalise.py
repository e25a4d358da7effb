"""Raw extracted text -> the one normalised text every quote and offset refers to (pure, deterministic)."""

from __future__ import annotations

import re
import bisect
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------------------------------------------------------
# Character level.  Only what breaks number/keyword regexes is rewritten; Chinese punctuation (，：（）“”、。) stays,
# because the reference quotes contain it verbatim.
# ---------------------------------------------------------------------------------------------------------------

_CHAR_MAP: dict[int, str | None] = {}
for _c in range(0xFF10, 0xFF1A):  # full-width digits
    _CHAR_MAP[_c] = chr(_c - 0xFEE0)
for _c in list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B)):  # full-width letters
    _CHAR_MAP[_c] = chr(_c - 0xFEE0)
_CHAR_MAP[0xFF05] = "%"  # ％
for _c in (0x00A0, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x202F, 0x205F, 0x3000):
    _CHAR_MAP[_c] = " "
for _c in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0xFFFE, 0x00AD):  # zero-width / BOM / soft hyphen
    _CHAR_MAP[_c] = None
for _c in range(0x00, 0x20):  # C0 controls except tab/newline/CR/FF (CR and FF are handled before the map)
    if _c not in (0x09, 0x0A, 0x0D, 0x0C):
        _CHAR_MAP[_c] = None
_CHAR_MAP[0x7F] = None
_CHAR_MAP[0x0B] = "\n"  # vertical tab = Word's manual line break in some exports
_CHAR_MAP[0x2028] = "\n"
_CHAR_MAP[0x2029] = "\n"


def _fold_radicals() -> None:
    # PDFs set in some fonts map 一 → ⼀ (Kangxi radical) and the like; regexes then miss ordinary words.
    import unicodedata

    for lo, hi in ((0x2E80, 0x2EF4), (0x2F00, 0x2FD6), (0xF900, 0xFADA)):
        for c in range(lo, hi):
            ch = chr(c)
            folded = unicodedata.normalize("NFKC", ch)
            if folded != ch and len(folded) == 1:
                _CHAR_MAP[c] = folded


_fold_radicals()
# The characters _CHAR_MAP rewrites, as one class: most texts hold few, so only those runs are translated.
_RE_MAPPED = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_CHAR_MAP)) + "]+")

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RE_SPACES = re.compile(r" {2,}")
_RE_SPACE_TAB = re.compile(r" *\t *")
_RE_FW_DOT = re.compile(r"(?<=\d)．(?=\d)")
# "3，456，789.12" (digit groups of three) -> "3,456,789.12"; a list "1，2，3" or "2023，100人" is left alone.
# Only a digit, a full-width comma and a digit in a row can be rewritten by it.
_RE_THOUSANDS_HINT = re.compile(r"\d，\d")
_RE_THOUSANDS = re.compile(r"(?<![\d.,，])\d{1,3}(?:[，,]\d{3})+(?![\d]|[，,]\d)")
# letter-spaced runs: ≥3 single CJK characters each separated by one space ("本 年 收 入 合 计")
_RE_LETTERSPACED = re.compile(rf"(?<!\S)[{_CJK}](?: [{_CJK}]){{2,}}(?!\S)")
# a letter-spaced number, told apart from a row of one-digit cells by the unit, year word or % right after it:
# "1 2 3 . 4 5 万 元" -> "123.45 万 元", "2 0 2 3 年" -> "2023 年" (a re-typeset, letter-spaced 决算; issue #15)
_RE_SPACED_NUMBER = re.compile(r"(?<![\d.,])\d(?: [\d.,])+(?= ?(?:[万亿千] ?元|元|年|%|％))")
# a unit split by letter-spacing or a line break right after a number: "1,947.94 万 元" -> "1,947.94 万元"
_RE_UNIT_SPLIT = re.compile(r"(?<=\d)( ?[万亿]) (元)")
_RE_BOOKMARK = re.compile(r"\[bookmark: [^\]\n]*\]")
_LEADER = r"(?:[.．·•・]{4,}|[…⋯]{2,}|(?:\. ){4,})"
_RE_LEADER = re.compile(_LEADER)
# What every leader holds (two dot-like characters in a row, or ". "): a search led by one character class runs
# ~10x faster than _LEADER's alternation, so lines without it skip the table-of-contents step.
_RE_LEADER_HINT = re.compile(r"[.．·•・…⋯][.．·•・…⋯ ]")
_RE_TOC_LINE = re.compile(rf"(?:\S.*?{_LEADER}\s*(?:\d{{1,3}}|[ivxlIVXL]{{1,5}})?\s*)+")
_RE_LEADER_NUM = re.compile(rf"\s*{_LEADER}\s*(?:\d{{1,3}}(?!\d|\.\d))?")
_RE_LIST_TAB = re.compile(r"^((?:\d{1,2}|[一二三四五六七八九十]+)[.．、]|[（(][一二三四五六七八九十\d]{1,3}[）)])\t")

# decorated page numbers: "- 3 -", "— 3 —", "第 3 页", "第3页 共10页", "3/10"; a bare "—" left by broken decorations
_RE_PAGE_NO = re.compile(
    r"[-—–－_ ]*(?:第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}|Page\s*\d{1,4}(?:\s*of\s*\d{1,4})?)[-—–－_ ]*"
    r"|[-—–－]+ *\d{1,4} *[-—–－]*|[-—–－]* *\d{1,4} *[-—–－]+|[-—–－]+",
    re.IGNORECASE,
)
_RE_LEADING_PAGE_NO = re.compile(r"^[-—–－]+ *\d{1,4} *[-—–－]+ +(?=\S)")
_RE_BARE_NUMBER = re.compile(r"\d{1,4}")


def _clean_chars(raw: str) -> str:
    s = raw.replace("\r\n", "\n").replace("\r", "\n")
    s = _RE_MAPPED.sub(lambda m: m.group().translate(_CHAR_MAP), s)
    if "[bookmark: " in s:
        s = _RE_BOOKMARK.sub("", s)
    return s


def _rewrite_line(line: str) -> str:
    """Line-local rewrites; idempotent, so applying them again after lines are joined changes only the seams."""
    line = line.strip(" \t\f\n")
    if not line:
        return ""
    if "\t" in line:
        line = _RE_LIST_TAB.sub(r"\1 ", line)
        line = _RE_SPACE_TAB.sub("\t", line)
    if _RE_LEADER_HINT.search(line):
        line = _strip_toc(line)
        if "\t" in line:  # a leader between a cell and a tab leaves a space beside the tab ("0……0\t0")
            line = _RE_SPACE_TAB.sub("\t", line)
    if "  " in line:
        line = _RE_SPACES.sub(" ", line)
    if "．" in line:
        line = _RE_FW_DOT.sub(".", line)
    if "，" in line and _RE_THOUSANDS_HINT.search(line):
        line = _RE_THOUSANDS.sub(lambda m: m.group(0).replace("，", ","), line)
    if " " in line:
        line = _RE_SPACED_NUMBER.sub(lambda m: m.group().replace(" ", ""), line)
        line = _collapse_letterspacing(line)
        line = _RE_UNIT_SPLIT.sub(r"\1\2", line)
    return line


_RE_CJK_OR_PUNCT = re.compile(rf"[{_CJK}、，。：；！？（）“”《》,;:]")


def _collapse_letterspacing(line: str) -> str:
    """"二、本 年 收 入 合 计" -> "二、本年收入合计": a letter-spaced run also swallows the space to a neighbouring
    word that touches it with a CJK character or punctuation (but not the space before or after a number)."""
    out: list[str] = []
    pos = 0
    for m in _RE_LETTERSPACED.finditer(line):
        start, end = m.start(), m.end()
        if start >= 2 and line[start - 1] == " " and _RE_CJK_OR_PUNCT.match(line[start - 2]):
            start -= 1
        if end + 1 < len(line) and line[end] == " " and _RE_CJK_OR_PUNCT.match(line[end + 1]):
            end += 1
        if start < pos:  # the previous run already took the shared space
            start = pos
        out.append(line[pos:start])
        out.append(line[start:end].replace(" ", ""))
        pos = end
    if not out:
        return line
    out.append(line[pos:])
    return "".join(out)


def _strip_toc(line: str) -> str:
    """Drop a table-of-contents entry ("（一）主要职能 ....2") so its page number cannot look like a figure."""
    if not _RE_LEADER.search(line):
        return line
    if _RE_TOC_LINE.fullmatch(line):
        return ""
    return _RE_SPACES.sub(" ", _RE_LEADER_NUM.sub(" ", line)).strip()


# ---------------------------------------------------------------------------------------------------------------
# Line level: page furniture and hard wraps.
# ---------------------------------------------------------------------------------------------------------------

_TERMINAL = "。；！？：;!?:"
_RE_MARKER = re.compile(
    r"(?:第[一二三四五六七八九十百零〇\d]+[部分章节条篇]"
    r"|[一二三四五六七八九十]+[、.．]"
    r"|[（(][一二三四五六七八九十]{1,3}[）)]"
    r"|[（(]\d{1,2}[）)]"
    r"|\d{1,2}[.．、](?!\d)"
    r"|[一二三四五六七八九十]+是"
    r"|表[一二三四五六七八九十\d]+"
    r"|附[件表]|注[：:]|[①-⑳]|[A-Za-z][.、](?![\d.]))"
)
_NUM = r"-?\d[\d,]*(?:\.\d+)?"
_RE_TWO_NUMBERS = re.compile(rf"(?:^|\s){_NUM}\s+{_NUM}(?=\s|$)")
_RE_ONLY_NUMBERS = re.compile(rf"{_NUM}(?:\s+{_NUM})*")
_RE_TWO_NUMBERS_HINT = re.compile(r"[\d,]\s+-?\d")  # a number may end in its comma: "0, 0"


@dataclass
class Line:
    """One line on its way through normalisation; ``fixed`` lines (table rows we render) are never joined."""

    text: str
    page: int = 0
    fixed: bool = False
    tag: Any = None
    # (offset within text, page) for every source line joined into this one
    segments: list[tuple[int, int]] = field(default_factory=list)
    joined: bool = False  # set by a join pass: its seams still need the line rewrites


def _width(s: str) -> float:
    # CJK/full-width characters are one em wide, ASCII about half and a space about a quarter: a line full of
    # numbers holds more characters than a line of Chinese.
    n = len(s)
    wide = (len(s.encode("utf-8")) - n) / 2
    spaces = s.count(" ")
    return wide + (n - wide - spaces) * 0.5 + spaces * 0.25


def _table_like(s: str) -> bool:
    if "\t" in s:
        return True
    # _RE_TWO_NUMBERS is led by an alternation, so it is tried at every position; the hint (a digit or comma, space,
    # digit) is led by a character class, which the regex engine scans for quickly: most prose lines fail it.
    if _RE_TWO_NUMBERS_HINT.search(s) and _RE_TWO_NUMBERS.search(s):
        return True
    return bool(_RE_ONLY_NUMBERS.fullmatch(s))


class _Measure:
    """Per-call memo of line widths and table-likeness: join passes re-measure mostly unchanged lines."""

    def __init__(self) -> None:
        self._w: dict[str, float] = {}
        self._t: dict[str, bool] = {}

    def width(self, s: str) -> float:
        v = self._w.get(s)
        if v is None:
            v = self._w[s] = _width(s)
        return v

    def table_like(self, s: str) -> bool:
        v = self._t.get(s)
        if v is None:
            v = self._t[s] = _table_like(s)
        return v


def _typical_width(lines: list[Line], m: _Measure) -> float | None:
    """Width at which the document hard-wraps its prose, or None when it does not look hard-wrapped.

    A hard-wrapped document has many lines of (nearly) the same, maximal width, and most of them stop mid-sentence.
    Documents whose lines are whole paragraphs have no such cluster (or their cluster ends in 。), so nothing is joined.
    """
    prose = [(ln.text, m.width(ln.text)) for ln in lines if not ln.fixed and not m.table_like(ln.text)]
    widths = [round(w) for _, w in prose if w >= 12]
    if len(widths) < 5:
        return None
    counts: dict[int, int] = {}
    for w in widths:
        counts[w] = counts.get(w, 0) + 1
    # sorted widths with a running count of open-ended lines: each centre's test is then two bisections
    ordered = sorted((w, t[-1] not in _TERMINAL) for t, w in prose)
    sorted_w = [w for w, _ in ordered]
    open_before = [0]
    for _, is_open in ordered:
        open_before.append(open_before[-1] + is_open)
    qualifying: dict[int, int] = {}
    lo_w = min(counts) - 2
    cumulative = [0]
    for w in range(lo_w - 2, max(counts) + 5):
        cumulative.append(cumulative[-1] + counts.get(w, 0))
    for centre in range(lo_w, max(counts) + 3):
        i = centre - lo_w  # cumulative[i] counts widths below centre - 2
        n = cumulative[i + 5] - cumulative[i]
        if n == 0:
            continue
        if n < 5 or n < 0.05 * len(prose):
            continue
        lo, hi = _bounds(float(centre))
        i_lo, i_hi = bisect.bisect_left(sorted_w, lo), bisect.bisect_right(sorted_w, hi)
        # the wrap width is the page's text width: few prose lines may be wider than it
        if len(prose) - i_hi > 0.2 * len(prose):
            continue
        # ...and lines cut at that width mostly stop mid-sentence (whole paragraphs end in 。)
        if open_before[i_hi] - open_before[i_lo] < 0.6 * (i_hi - i_lo):
            continue
        qualifying[centre] = n
    if not qualifying:
        return None
    # the body text is the widest substantial cluster; narrower ones are table cells wrapping inside their column
    top = max(qualifying.values())
    widest = max(c for c, n in qualifying.items() if n >= 0.5 * top)
    near = {c: n for c, n in qualifying.items() if abs(c - widest) <= 3}
    best = max(near, key=lambda c: (near[c], c))
    return float(best)


def _bounds(typical: float) -> tuple[float, float]:
    # wider above than below: digit-heavy lines of a full measure still come out wider than the estimate
    return typical - max(2.5, 0.12 * typical), typical + max(4.0, 0.2 * typical)


_RE_NO_JOIN_AFTER = re.compile(
    r"(?:(?:金额)?单位\s*[：:]\s*\S{0,4}|表\s*[）)]?|[（(][一二三四五六七八九十]级项目[）)])$"  # unit caption, table title
)
_RE_NO_JOIN_BEFORE = re.compile(r"(?:(?:金额)?单位|部门名称|单位名称|项目名称|编制单位|填报单位)\s*[：:]")
_RE_OPEN_NUMBER = re.compile(r"\d(?:\.(\d?)|,(\d{0,2}))$")


def _number_cut(cur: str, nxt: str) -> bool:
    """True when a number continues across the break: "1682.7"+"6", "2,777,"+"536.87", "12,3"+"45.00"."""
    m = _RE_OPEN_NUMBER.search(cur)
    if not m:
        return False
    lead = re.match(r"\d+", nxt)
    k = len(lead.group(0)) if lead else 0
    if m.group(1) is not None:  # after a decimal point: at most 4 decimals in all, and no second point
        return len(m.group(1)) + k <= 4 and not nxt[k:k + 1] == "."
    return len(m.group(2)) + k == 3 or (len(m.group(2)) + k > 3 and nxt[3 - len(m.group(2))] in ",.")
_RE_TABLE_TITLE = re.compile(r"^表\s*[一二三四五六七八九十\d]+")


def _joinable(cur: str, nxt: str, lo: float, hi: float, m: _Measure) -> bool:
    if cur[-1] in _TERMINAL or not (lo <= m.width(cur) <= hi):
        return False
    if _RE_MARKER.match(nxt) or m.table_like(cur) or m.table_like(nxt):
        return False
    if _RE_NO_JOIN_AFTER.search(cur) or _RE_NO_JOIN_BEFORE.match(nxt) or _RE_TABLE_TITLE.match(cur):
        return False
    if nxt[0].isdigit() and (cur[-1].isdigit() or (cur[-1] in ".," and cur[-2:-1].isdigit())) \
            and not _number_cut(cur, nxt):
        # "1682.7" + "6 万元" is one number cut by the wrap; "256.45" + "30109 …" are two table cells
        return False
    # performance-target tables ("受益人口 ≥ 150 万人次 20 是") are rows, not wrapped prose
    if any(op in cur or op in nxt for op in ("≥", "≤", "＞", "＜", " = ")):
        return False
    return True


_RE_HAN_DIGIT_SPACED = re.compile(rf"[{_CJK}] \d|\d [{_CJK}]")
_RE_HAN_DIGIT_TIGHT = re.compile(rf"[{_CJK}]\d|\d[{_CJK}]")


def numbers_spaced(lines: list[Line]) -> bool:
    """Whether this document sets numbers off from Chinese with spaces ("比 2022 年度"), as many Word exports do."""
    return _numbers_spaced([ln.text for ln in lines if not ln.fixed])


def _numbers_spaced(texts: list[str]) -> bool:
    sample = "\n".join(texts)
    spaced = len(_RE_HAN_DIGIT_SPACED.findall(sample))
    return spaced > 2 * len(_RE_HAN_DIGIT_TIGHT.findall(sample))


class _Spaced:
    """``numbers_spaced`` of the lines as they were first given, worked out only if a seam asks (two whole-text
    regex scans that most documents, with no Chinese–digit seam to join, never need)."""

    def __init__(self, lines: list[Line]) -> None:
        self._texts: list[str] | None = [ln.text for ln in lines if not ln.fixed]
        self._value = False

    def __bool__(self) -> bool:
        if self._texts is not None:
            self._value, self._texts = _numbers_spaced(self._texts), None
        return self._value


def _seam(a: str, b: str, spaced: "bool | _Spaced" = False) -> str:
    # Chinese has no spaces between words; only two Latin words keep one ("1682.7"+"6" must become "1682.76"),
    # and a number meeting a Chinese character gets the space the document puts there elsewhere.
    x, y = a[-1], b[0]
    if x.isascii() and x.isalpha() and y.isascii() and y.isalpha():
        return " "
    if ((_is_han(x) and y.isdigit()) or (x.isdigit() and _is_han(y))) and spaced:
        return " "
    return ""


def _is_han(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"


_RE_UNIT_END = re.compile(r"\d ?[万亿]$")


def _split_unit(cur: str, nxt: str) -> bool:
    # "…186549.30 万" + "元，…": a money unit split by a line break is always one word.
    return nxt.startswith("元") and bool(_RE_UNIT_END.search(cur))


def join_lines(lines: list[Line], m: _Measure | None = None, spaced: "bool | _Spaced" = False) -> tuple[list[Line], int]:
    """One pass of joining hard-wrapped lines and split units; returns (lines, number of joins).

    The input Line objects are reused and mutated; pass copies if the originals are still needed.
    """
    m = m or _Measure()
    typical = _typical_width(lines, m)
    if typical is None:
        return _join_split_units(lines)
    lo, hi = _bounds(typical)
    out: list[Line] = []
    prev: Line | None = None  # out[-1] when lines may be joined to it
    para: _Paragraph | None = None  # prev, once a line has been joined to it
    last_piece = ""  # the input line appended last: a wrap is judged on it, not on the paragraph joined so far
    joins = 0
    for ln in lines:
        if not ln.text:
            continue
        if not ln.segments:
            ln.segments = [(0, ln.page)]
        if prev is not None and not ln.fixed:
            if _joinable(last_piece, ln.text, lo, hi, m) or _split_unit(para.tail if para else prev.text, ln.text):
                para = para or _Paragraph(prev)
                para.add(ln, spaced)
                last_piece = ln.text
                joins += 1
                continue
        if para is not None:
            para.close()
            para = None
        out.append(ln)  # the caller's lines are reused and extended in place (layout passes its own copies)
        prev = None if ln.fixed else ln
        last_piece = ln.text
    if para is not None:
        para.close()
    return out, joins


class _Paragraph:
    """A line taking the lines joined to it; their text is concatenated once, when it is closed (growing the text
    piece by piece is quadratic in its length, and one page listed 100,000 times is one paragraph)."""

    __slots__ = ("line", "parts", "length", "tail")
    TAIL = 16  # enough of the end for _seam and _split_unit

    def __init__(self, line: Line) -> None:
        self.line = line
        self.parts = [line.text]
        self.length = len(line.text)
        self.tail = line.text[-self.TAIL:]

    def add(self, ln: Line, spaced: "bool | _Spaced" = False) -> None:
        """Append ``ln`` across the seam, keeping where each source line's text now starts."""
        glue = _seam(self.tail, ln.text, spaced)
        base = self.length + len(glue)
        self.parts.append(glue + ln.text)
        self.length = base + len(ln.text)
        self.tail = (self.tail + glue + ln.text)[-self.TAIL:]
        self.line.segments.extend((base + o, p) for o, p in ln.segments)
        self.line.joined = True

    def close(self) -> None:
        if len(self.parts) > 1:
            self.line.text = "".join(self.parts)
            self.parts = [self.line.text]


def _join_split_units(lines: list[Line]) -> tuple[list[Line], int]:
    """``join_lines`` for a document that is not hard-wrapped: no width joins a line, so only split units do."""
    out: list[Line] = []
    prev: Line | None = None
    para: _Paragraph | None = None
    joins = 0
    for ln in lines:
        if not ln.text:
            continue
        if not ln.segments:
            ln.segments = [(0, ln.page)]
        if prev is not None and ln.text[0] == "元" and not ln.fixed \
                and _split_unit(para.tail if para else prev.text, ln.text):
            para = para or _Paragraph(prev)
            para.add(ln)
            joins += 1
            continue
        if para is not None:
            para.close()
            para = None
        out.append(ln)
        prev = None if ln.fixed else ln
    if para is not None:
        para.close()
    return out, joins


_RE_WORDY = re.compile(rf"[{_CJK}A-Za-z]")


def _page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Remove running headers/footers (a line recurring at the edge of most pages) and page numbers."""
    n = len(pages)
    if n == 0:
        return pages
    edge = 2

    def key(s: str) -> str:
        # exact text (spaces aside): content that differs only in its numbers is content, not a running header
        return s.replace(" ", "")

    recurring: set[str] = set()
    if n >= 3:
        seen: dict[str, int] = {}
        for lines in pages:
            ks = {key(s) for s in lines[:edge] + lines[-edge:] if s}
            for k in ks:
                seen[k] = seen.get(k, 0) + 1
        for k, c in seen.items():
            if c >= max(3, 0.5 * n) and _RE_WORDY.search(k) and len(k) >= 2 and not _table_like(k):
                recurring.add(k)
    # bare page numbers are only dropped when they follow the page sequence (num - page index constant)
    offsets: dict[int, int] = {}
    for i, lines in enumerate(pages):
        for s in {*(lines[:edge]), *(lines[-edge:])}:
            if _RE_BARE_NUMBER.fullmatch(s):
                offsets[int(s) - i] = offsets.get(int(s) - i, 0) + 1
    page_offset = None
    if offsets:
        off, c = max(offsets.items(), key=lambda kv: (kv[1], -abs(kv[0])))
        if c >= 2 and c >= 0.3 * n:
            page_offset = off
    out = []
    for i, lines in enumerate(pages):
        keep = []
        for j, s in enumerate(lines):
            at_edge = j < edge or j >= len(lines) - edge
            if at_edge and key(s) in recurring:
                continue
            if at_edge and page_offset is not None and _RE_BARE_NUMBER.fullmatch(s) and int(s) - i == page_offset:
                continue
            if _RE_PAGE_NO.fullmatch(s):
                continue
            if j == 0 and _RE_LEADING_PAGE_NO.match(s):
                s = _RE_LEADING_PAGE_NO.sub("", s)
            keep.append(s)
        out.append(keep)
    return out


def prose_lines(raw: str, page: int = 0) -> list[Line]:
    """Character- and line-level cleaning of one page (or a whole unpaged text), before wraps are joined."""
    return [Line(t, page) for t in (_rewrite_line(s) for s in _clean_chars(raw).split("\n")) if t]


_ANCHOR = 16
_FOLDED = str.maketrans({"，": ",", "．": ".", "\t": " "})


def _moved_segments(before: str, after: str, segments: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where each source line's text starts once the line rewrites have run over a joined line.

    Rewrites only touch seams, and only delete characters or swap one for one, so a source line's text keeps its
    first characters: each is found again (as is, or with the swaps made) at or after where the one before it was,
    at most as far on as it was in ``before``. Each search covers only that stretch, so the work is linear in the
    line's length, however many lines were joined into it (rewriting the prefix before each seam is quadratic).
    """
    out: list[tuple[int, int]] = []
    prev_o = prev_at = 0
    for o, p in segments:
        at = prev_at
        if o:
            stop = min(len(after), prev_at + (o - prev_o) + _ANCHOR)
            for anchor in _anchors(before[o:o + _ANCHOR]):
                found = after.find(anchor, prev_at, stop)
                if found >= 0:
                    at = found
                    break
        out.append((at, p))
        prev_o, prev_at = o, at
    return out


def _anchors(head: str) -> list[str]:
    """Text a source line starts with, as it may read after the rewrites: as is, with one-for-one swaps, then
    shorter (the rest may be deleted), down to its first non-space character."""
    head = head.lstrip(" \t")
    folded = head.translate(_FOLDED)
    return [a for a in dict.fromkeys((head, folded, folded[:4], folded[:1])) if a]


def layout(lines: list[Line]) -> tuple[str, list[Line]]:
    """Join wrapped lines until nothing joins (so normalising is idempotent), re-apply line rewrites on the seams,
    and return (text, output lines) with segments/tag offsets made absolute."""
    current = [Line(ln.text, ln.page, ln.fixed, ln.tag, list(ln.segments)) for ln in lines]
    m = _Measure()
    spaced = _Spaced(current)
    for _ in range(10):
        current, joins = join_lines(current, m, spaced)
        for ln in current:
            if ln.joined:
                ln.joined = False
                before = ln.text
                ln.text = _rewrite_line(before)
                if ln.text != before:
                    ln.segments = _moved_segments(before, ln.text, ln.segments)
        if not joins:
            break
    parts: list[str] = []
    pos = 0
    for ln in current:
        ln.segments = [(pos + o, p) for o, p in ln.segments]
        ln.tag = (ln.tag, pos, pos + len(ln.text)) if ln.tag is not None else None
        parts.append(ln.text)
        pos += len(ln.text) + 1
    return "\n".join(parts), current


def normalise_pages(pages: list[str]) -> tuple[str, list[int]]:
    """Normalise a paged text; returns (text, page_starts) where page_starts[i] is where page i+1 begins."""
    cleaned = [[t for t in (_rewrite_line(s) for s in _clean_chars(p).split("\n")) if t] for p in pages]
    if len(cleaned) > 1:
        cleaned = _page_furniture(cleaned)
    lines = [Line(t, i) for i, page in enumerate(cleaned) for t in page]
    text, out = layout(lines)
    return text, page_starts(out, len(pages), len(text))


def page_starts(lines: list[Line], n_pages: int, text_len: int) -> list[int]:
    first: dict[int, int] = {}
    for ln in lines:
        for off, p in ln.segments:
            if p not in first:
                first[p] = off
    starts = [text_len] * n_pages
    nxt = text_len
    for p in range(n_pages - 1, -1, -1):
        nxt = first.get(p, nxt)
        nxt = min(nxt, starts[p + 1]) if p + 1 < n_pages else nxt
        starts[p] = nxt
    if starts:
        starts[0] = 0
    return starts


def normalise(raw: str) -> str:
    """The normalised form of an extracted text; form feeds separate pages (page furniture is removed).

    >>> normalise("本 年 收 入 合 计 3，456，789.12元\\r\\n比 2022 年度 318.55 万元减少")
    '本年收入合计 3,456,789.12元\\n比 2022 年度 318.55 万元减少'
    """
    return normalise_pages(raw.split("\f"))[0]


def normalise_cell(raw: str) -> str:
    """A table cell's text normalised like the body, on one line (its own line breaks become spaces)."""
    lines = [ln.text for ln in prose_lines(raw.replace("\t", " "))]
    return _rewrite_line(" ".join(lines)) if lines else ""
