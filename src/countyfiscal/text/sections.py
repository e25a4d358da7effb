"""Parse the heading hierarchy of a normalised disclosure into classified sections and find its work summary."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

import pandas as pd
import yaml

from countyfiscal.fields import columns, dtypes
from countyfiscal.text.tokenizer import resource_path

# libyaml's parser where PyYAML has it (the same safe loading, ~10x faster; each file is read once per process)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_CN = "一二三四五六七八九十"
# Numbering styles of Chinese official documents, outermost first; rank orders them in the hierarchy.
# A fixed order (not order of first appearance) keeps 盘龙区's "(二) 信访工作目标完成情况" a sibling of
# "(二) 重点工作概述" even after "1." items came between them.
_MARKERS: tuple[tuple[str, int, re.Pattern], ...] = tuple(
    (style, rank, re.compile(pattern))
    for style, rank, pattern in (
        ("part", 0, rf"第[{_CN}百]{{1,3}}(?:部分|章|篇)"),
        ("annex", 1, rf"附件\s*[0-9{_CN}]{{0,3}}(?=\s|[:：]|$)"),
        ("cn", 2, rf"[{_CN}]{{1,3}}\s*[、．.]"),
        ("cn_paren", 3, rf"[（(]\s*[{_CN}]{{1,3}}\s*[）)]"),
        ("num", 4, r"\d{1,2}\s*[、.．](?!\d)"),
        ("num_paren", 5, r"[（(]\s*\d{1,2}\s*[）)]"),
        ("circled", 6, r"[①-⑳]"),
        ("item", 7, rf"[{_CN}]{{1,3}}是(?=\S)"),
    )
)
# Every marker in one pattern, tried in the order above (the first alternative matching wins, as a loop would).
_ANY_MARKER = re.compile("|".join(f"(?P<{style}>{p.pattern})" for style, _, p in _MARKERS))
_RANK = {style: rank for style, rank, _ in _MARKERS}
BARE_RANK = 2  # an unnumbered heading (名词解释) sits where 一、 headings do
# List items, as opposed to structural headings: under a duties section they stay duties whatever they say.
LIST_STYLES = frozenset({"num", "num_paren", "circled", "item"})
# A heading's title ends at the first sentence stop; a comma inside a number (2,090,097.89) is no stop.
_TITLE_STOP = re.compile(r"[。；;：:，！？!?]|,(?!\d)")
_TOC_LINE = re.compile(r"[.．…·]{3,}\s*\d+\s*$")
_BARE_FORBIDDEN = re.compile(r"[。，；：,;:！？!?、]")
# A flattened table row is no heading: "二、政府性基金预算拨款收入 1800.00 二、外交支出" holds a bare number or a
# second numbering marker after a space.
_TABLE_ROW = re.compile(rf"(?:^|\s)-?[\d,]+\.\d+(?:\s|$)|\s[{_CN}]{{1,3}}、|\s[（(][{_CN}]{{1,3}}[）)]")
_SPACE = re.compile(r"\s")


def _table_row(rest: str) -> bool:
    """_TABLE_ROW found in ``rest``: it needs a space in the line or a number at its start, so a heading with
    neither (most of them) is not scanned position by position."""
    return bool((_SPACE.search(rest) or rest[:1] in ("-", ",") or rest[:1].isdecimal()) and _TABLE_ROW.search(rest))
_LEAD_CHARS = " \t\u3000\ufeff"  # what may stand before a heading on its line
MAX_TITLE = 40
KINDS = ("duties", "work_summary", "finance", "performance", "glossary", "overview", "other")
NO_WORK_SUMMARY = "no_work_summary"


class Heading(NamedTuple):
    """A heading that starts a line (immutable; a named tuple, so the tens of thousands a large corpus holds are
    cheap to make)."""

    start: int  # offset of the heading's first non-space character
    line_end: int  # offset just past the heading's line (or its title line), before the newline
    marker: str  # numbering as printed ("（二）"), empty for an unnumbered heading
    title: str  # the heading's words up to the first sentence stop
    style: str  # part · annex · cn · cn_paren · num · num_paren · circled · item · bare
    rank: int
    # offset just past the title's last character; the rest of the line, if any, is the section's body
    # ("(三)绩效目标设置情况：2026年…" has its body on the heading's line). -1: the line end.
    title_end: int = -1
    text: str = ""  # marker (spaces removed) and title as one label: "（二）重点工作", "第一部分 部门概况"

    @property
    def body_start(self) -> int:
        return self.line_end if self.title_end < 0 else self.title_end


def _heading(start: int, line_end: int, marker: str, title: str, style: str, title_end: int) -> Heading:
    """A Heading with its rank and label."""
    # 第一部分 部门概况 / 附件1 部门预算绩效评价报告 are printed with a space; 一、部门概况 is not.
    sep = " " if style in ("part", "annex") and title else ""
    return Heading(start, line_end, marker, title, style, _RANK.get(style, BARE_RANK), title_end,
                   "".join(marker.split()) + sep + title)


class Section(NamedTuple):
    heading: Heading
    start: int
    end: int  # just past the section's last non-space character, before the next heading of same or higher rank
    depth: int  # 1 for a top-level section
    parent: int | None  # index of the enclosing section in the list
    path: tuple[str, ...]
    kind: str
    kind_from: str  # heading · parent · previous_sibling · default


@functools.lru_cache(maxsize=1)
def _rules() -> tuple[tuple[tuple[str, re.Pattern], ...], tuple[str, ...]]:
    data = yaml.load(resource_path("section_kinds.yml").read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    kinds = tuple((kind, re.compile("|".join(f"(?:{p})" for p in pats))) for kind, pats in data["kinds"].items())
    unknown = {k for k, _ in kinds} - set(KINDS)
    if unknown:
        raise ValueError(f"section_kinds.yml names kinds the code does not know: {sorted(unknown)}")
    return kinds, tuple(data["bare_heading_endings"])


@functools.lru_cache(maxsize=8192)
def kind_of_title(title: str) -> str | None:
    """The kind a heading's words name, or None (remembered per title: headings repeat across a corpus).

    >>> kind_of_title("2023年度重点工作任务概述"), kind_of_title("部门主要职责"), kind_of_title("加强队伍建设")
    ('work_summary', 'duties', None)
    """
    for kind, pattern in _rules()[0]:
        if pattern.search(title):
            return kind
    return None


def _title(rest: str) -> str:
    return _title_span(rest)[0]


def _title_span(rest: str) -> tuple[str, int]:
    """The title at the start of ``rest`` (up to the first sentence stop, at most MAX_TITLE characters) and the
    offset in ``rest`` just past its words."""
    m = _TITLE_STOP.search(rest)
    raw = (rest[: m.start()] if m else rest).rstrip()
    return raw.strip()[:MAX_TITLE], len(raw)


def _is_title_line(line: str) -> bool:
    """Short, no sentence punctuation, and no numbering of its own: words that can stand as a heading."""
    return (
        2 <= len(line) <= 30
        and not _BARE_FORBIDDEN.search(line)
        and not _ANY_MARKER.match(line)
    )


def find_headings(text: str) -> list[Heading]:
    """Headings that start a line: 第X部分, 附件N, 一、, （一）, 1., （1）, ①, 一是…, and short unnumbered titles.

    >>> [h.text for h in find_headings("一、部门概况\\n（一）主要职能。负责信访。\\n1.受理来信；\\n一是强化源头治理，提升能力。")]
    ['一、部门概况', '（一）主要职能', '1.受理来信', '一是强化源头治理']
    """
    out: list[Heading] = []
    _, endings = _rules()
    lines = text.split("\n")
    taken: set[int] = set()  # lines used as the title of the heading above them
    marker_at = _ANY_MARKER.match
    pos = -1  # offset of the line's first character, minus one: the newline before it
    for n, line in enumerate(lines):
        offset, pos = pos + 1, pos + 1 + len(line)
        if n in taken or not line:
            continue
        body = line.lstrip(_LEAD_CHARS)
        start = offset + len(line) - len(body)
        # A blank line or a table-of-contents entry ("第一部分 部门概况……3") is no heading. The entry test runs only
        # on a line that could otherwise be one (numbered, or short with a heading's ending): most lines are not.
        m = marker_at(body)
        if m:
            tail = body.rstrip()
            if tail[-1:].isdecimal() and _TOC_LINE.search(body):  # the entry ends in a page number (\d)
                continue
            style = m.lastgroup
            rest = body[m.end():]
            if style not in ("part", "annex") and _table_row(rest):
                continue
            title, title_len = _title_span(rest)
            line_end = pos
            title_end = start + m.end() + title_len
            if not title and style in ("part", "annex"):
                # PDFs often print "第一部分" and "部门概况" on separate lines.
                nxt = next((k for k in range(n + 1, min(n + 3, len(lines))) if lines[k].strip()), None)
                if nxt is not None and _is_title_line(lines[nxt].strip()):
                    title = lines[nxt].strip()
                    taken.add(nxt)
                    line_end = title_end = pos + 1 + sum(len(lines[k]) + 1 for k in range(n + 1, nxt)) + len(
                        lines[nxt].rstrip())
            out.append(_heading(start, line_end, m.group(0), title, style, title_end))
        else:
            bare = body.strip()
            if (
                bare
                and len(bare) <= 30
                and bare.endswith(endings)
                and not _TOC_LINE.search(body)
                and _is_title_line(bare)
                and not bare[0].isdigit()
                and kind_of_title(bare) is not None
            ):
                out.append(_heading(start, pos, "", bare, "bare", start + len(body.rstrip())))
    return out


def section_tree(text: str) -> list[Section]:
    """Every heading's section, in text order, with its path of headings and its kind.

    A section runs to the next heading of the same or a higher rank. Its kind comes from its own heading
    (resources/section_kinds.yml); inside a work summary or glossary every subsection keeps that kind, and
    list items under duties stay duties (a duty such as "完成交办的其他工作任务" is no work plan). A heading
    that names no kind follows a work-summary sibling just before it (work summaries list their items as
    sibling headings: 盘龙区 "(三) 加强业务能力提升"), else its parent.
    """
    headings = find_headings(text)
    # A section ends where the next heading of the same or a higher rank starts: one pass with a stack of the
    # headings still open (their ranks increase up the stack).
    ends = [len(text)] * len(headings)
    open_: list[int] = []
    for j, h in enumerate(headings):
        while open_ and headings[open_[-1]].rank >= h.rank:
            ends[open_.pop()] = h.start
        open_.append(j)
    sections: list[Section] = []
    stack: list[int] = []
    last_child: dict[int | None, int] = {}
    for i, h in enumerate(headings):
        end = ends[i]
        while end > h.start and text[end - 1].isspace():
            end -= 1
        while stack and sections[stack[-1]].heading.rank >= h.rank:
            stack.pop()
        parent = stack[-1] if stack else None
        parent_sec = sections[parent] if parent is not None else None
        prev = last_child.get(parent)
        kind, kind_from = _classify(h, parent_sec, sections[prev] if prev is not None else None)
        path = (parent_sec.path if parent_sec else ()) + (h.text,)
        sections.append(Section(h, h.start, end, len(stack) + 1, parent, path, kind, kind_from))
        last_child[parent] = i
        stack.append(i)
    return sections


def _classify(h: Heading, parent: Section | None, previous_sibling: Section | None) -> tuple[str, str]:
    if parent is not None and parent.kind in ("work_summary", "glossary"):
        return parent.kind, "parent"
    if parent is not None and parent.kind == "duties" and h.style in LIST_STYLES:
        return "duties", "parent"
    own = kind_of_title(h.title)
    if own in ("performance", "finance") and parent is not None and parent.kind == "duties":
        # "（十）负责科技监督评价体系建设", "（三）负责拟订水务固定资产投资计划和资金监督管理" list duties, whatever
        # they name. (Work-summary headings keep their kind: 红塔区 prints "（二）2023年度重点工作任务概述" under
        # 一、主要职能; so does a 机构设置 beside 主要职责 under "部门主要职责及机构设置".)
        return "duties", "parent"
    if own:
        return own, "heading"
    if previous_sibling is not None and previous_sibling.kind == "work_summary":
        return "work_summary", "previous_sibling"
    if parent is not None:
        return parent.kind, "parent"
    return "other", "default"


# The text-mining scopes: which kinds of section each one counts (resources/section_kinds.yml names the kinds).
# work_summary: what the department did or plans to do, and how it judges its own performance (work summary, work
# plan, 绩效目标/绩效自评 narrative), found alike in 预算, 决算 and 绩效自评; duties: what the department is for.
SCOPE_KINDS: dict[str, tuple[str, ...]] = {
    "work_summary": ("work_summary", "performance"),
    "duties": ("duties",),
}


def scope_sections(sections: list[Section], scope: str) -> list[int]:
    """Indexes of the outermost sections of ``scope`` (see SCOPE_KINDS), in text order.

    A section inside another section of the scope is covered by it; a section that is its heading's words alone
    (a table-of-contents entry printed without page numbers) is left out.
    """
    kinds = SCOPE_KINDS[scope]
    out = []
    for i, s in enumerate(sections):
        if s.kind not in kinds or s.end <= s.heading.body_start:
            continue
        parent = s.parent
        while parent is not None and sections[parent].kind not in kinds:
            parent = sections[parent].parent
        if parent is None or sections[parent].end <= sections[parent].heading.body_start:
            out.append(i)
    return out


def scope_spans(sections: list[Section], scope: str) -> list[tuple[int, int]]:
    """(start, end) of the outermost sections of ``scope``, in text order; empty when the document has none.

    >>> secs = section_tree("一、主要职责\\n负责信访。\\n二、重点工作\\n化解积案。\\n三、绩效目标\\n办结率100%。\\n")
    >>> scope_spans(secs, "work_summary"), scope_spans(secs, "duties")
    ([(13, 25), (26, 41)], [(0, 12)])
    """
    return [(sections[i].start, sections[i].end) for i in scope_sections(sections, scope)]


def section_rows(file: str, sections: list[Section]) -> list[tuple]:
    """Rows of the sections table for one document (columns of ``fields.columns("sections")``), in table order.

    ``scope`` names the text-mining scope a section's text is counted in (an outermost section of that scope);
    a document with no work_summary-scope section gets one ``no_work_summary`` row (no offsets) so its absence is
    visible, not silent.
    """
    scope_of = {i: scope for scope in SCOPE_KINDS for i in scope_sections(sections, scope)}
    rows = [
        (file, " > ".join(s.path), s.kind, s.start, s.end, s.heading.text, s.heading.marker.strip(), s.heading.style,
         s.depth, s.kind_from, scope_of.get(i, ""))
        for i, s in enumerate(sections)
    ]
    rows.sort(key=lambda r: (r[3], r[8]))
    if not any(v == "work_summary" for v in scope_of.values()):
        rows.append((file, "", NO_WORK_SUMMARY, None, None, "", "", "", None, "", ""))
    return rows


def sections_frame(texts: dict[str, str]) -> pd.DataFrame:
    """The sections table for several documents (see ``section_rows``)."""
    rows = [row for file in sorted(texts) for row in section_rows(file, section_tree(texts[file]))]
    return sections_table(rows)


def sections_table(rows: list[tuple]) -> pd.DataFrame:
    """Rows of ``section_rows`` (documents in file order) as the typed sections table."""
    return pd.DataFrame(rows, columns=columns("sections")).astype(dtypes("sections"))
