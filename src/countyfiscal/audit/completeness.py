"""The standard tables a disclosure prints: missing ones, ones its table of contents lists but its body lacks, empty ones.

A document's tables are found by their printed titles (table_titles.yml's kinds, and standard_tables.yml's 决算
titles): a run of three or more title lines with nothing between them is a table of contents (each line an entry),
any other title line opens a table that runs to the next title. Which kinds a disclosure should print is data
(resources/standard_tables.yml). These are facts about the document's structure, found while it is read: their flags
go on ``Document.flags`` and a missing table is named in the document's status reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from countyfiscal.extract.table_rules import classify_title, is_title_line, squeeze

# libyaml's parser where PyYAML has it (the same safe loading, ~10x faster; each file is read once per process)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

GLUED_TITLE = re.compile(r"(?P<title>\S.{3,40}?表(?:（[^）]{1,12}）|\([^)]{1,12}\))?)(?=\S)")
PART_HEADING = re.compile(r"^[ \t]*第[一二三四五六七八九十]{1,3}部分", re.M)
TOC_RUN = 3  # title lines in a row (nothing else between them) that make a table of contents
TOC_ENTRY = re.compile(r"^(?P<title>.*?表[)）]?)\s*(?:[.．…·•\-—_\s]{2,}\s*\d{1,3}|\s+\d{1,3})\s*$")
# An amount a table prints in a cell: decimals or thousands separators (not an index row "1 2 3", not a year).
CELL_AMOUNT = re.compile(r"(?=\d)(?:(?<![\d.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\d.,])\d+\.\d+)")


@lru_cache(maxsize=1)
def rules() -> dict:
    with resources.files("countyfiscal.resources").joinpath("standard_tables.yml").open(encoding="utf-8") as fh:
        spec = yaml.load(fh, Loader=_YAML_LOADER)
    spec["_final_titles"] = [(t["kind"], re.compile(t["pattern"])) for t in spec.get("final_account_titles") or []]
    spec["_stated_empty"] = re.compile(spec["stated_empty"])
    return spec


def table_kind_of_title(title: str) -> str | None:
    """The standard kind of a printed table title: a 决算 title of standard_tables.yml, else table_titles.yml's kind.

    >>> table_kind_of_title("收入支出决算总表"), table_kind_of_title("财政拨款收入支出决算总表")
    ('income_expenditure', 'fiscal_appropriation')
    >>> table_kind_of_title("表3：2026年市级部门支出预算总表")
    'expenditure'
    """
    s = squeeze(title)
    if "决算" in s:
        for kind, pattern in rules()["_final_titles"]:
            if pattern.search(s):
                return kind
    return classify_title(s)


@dataclass(frozen=True)
class TableTitle:
    kind: str
    title: str  # the line as printed, stripped
    start: int  # offsets of the line in the text
    end: int
    listed: bool  # an entry of a table of contents, not the title of a table
    region_end: int = 0  # a table: where its body ends (the next title, or the end of the text)


def _title_line(line: str) -> str | None:
    """The kind of a title line: one that names a standard table (is_title_line), or a 决算 title."""
    s = squeeze(line)
    if not s or len(s) > 60:
        return None
    if is_title_line(line):
        return table_kind_of_title(line)
    if "，" in s or "。" in s or re.search(r"详见|见附|见表", s):
        return None
    if "决算" in s and s.endswith("表"):
        for kind, pattern in rules()["_final_titles"]:
            if pattern.search(s):
                return kind
    # A title the text layer glued to the table's header ("一般公共预算支出情况表（按功能分类科目）功能科目名称 …").
    m = GLUED_TITLE.match(line)
    if m and is_title_line(m.group("title")):
        return table_kind_of_title(m.group("title"))
    return None


@lru_cache(maxsize=32)  # (read while extracting, again by the checks of the same document)
def table_titles(text: str) -> tuple[TableTitle, ...]:
    """Every title line of a standard table in ``text``: table-of-contents entries (listed) and tables (with the end
    of their body), in text order."""
    found: list[list] = []  # [kind, line, start, end, toc_entry]
    for start, end in _lines_with(text, "表"):
        stripped = text[start:end].strip()
        kind = _title_line(stripped)
        if kind:
            found.append([kind, stripped, start, end, False])
            continue
        m = TOC_ENTRY.match(stripped)  # "（一）收支预算总表 ........ 3"
        if m:
            kind = table_kind_of_title(m.group("title"))
            if kind:
                found.append([kind, stripped, start, end, True])
    # A run of title lines with nothing but line breaks between them is a table of contents; a kind met again starts
    # a new run (the first table's title right below the list).
    runs: list[list[int]] = []
    for i, f in enumerate(found):
        if runs and not text[found[runs[-1][-1]][3]:f[2]].strip() and f[0] not in {found[j][0] for j in runs[-1]}:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        if len(run) >= TOC_RUN:
            for i in run:
                found[i][4] = True
    # A heading right above a title of the same kind ("一、收支预算总表" over "2026 年度收支预算总表") is one table.
    found = [f for i, f in enumerate(found)
             if f[4] or i + 1 == len(found) or found[i + 1][4] or found[i + 1][0] != f[0]
             or text[f[3]:found[i + 1][2]].strip()]
    tables = [f for f in found if not f[4]]
    parts = [m.start() for m in PART_HEADING.finditer(text)]
    out = []
    for f in found:
        region_end = 0
        if not f[4]:
            # A table runs to the next table's title, or to the next part of the document ("第三部分 …说明").
            nxt = next((t[2] for t in tables if t[2] > f[2]), len(text))
            region_end = min(nxt, next((p for p in parts if p > f[3]), nxt))
        out.append(TableTitle(f[0], f[1], f[2], f[3], f[4], region_end))
    return tuple(out)


def _lines_with(text: str, char: str):
    """(start, end) of each line of ``text`` holding ``char``, in order (found by str.find: most lines hold none)."""
    i = text.find(char)
    while i >= 0:
        start = text.rfind("\n", 0, i) + 1
        end = text.find("\n", i)
        end = len(text) if end < 0 else end
        yield start, end
        i = text.find(char, end)


def _names(kind: str) -> str:
    return rules()["names"].get(kind, kind)


def stated_empty(text: str, title: TableTitle) -> str | None:
    """The words that state a table empty on purpose: a note in its body, or a sentence elsewhere naming it."""
    spec = rules()
    body = text[title.end:min(title.region_end, title.end + spec["note_window"])]
    m = spec["_stated_empty"].search(body)
    if m:
        return _sentence(body, m.start(), m.end())
    # "故《政府性基金预算财政拨款收入支出决算表》为空表" in the narrative.
    for m in spec["_stated_empty"].finditer(text):
        sentence = _sentence(text, m.start(), m.end())
        names = re.findall(r"《([^》]{4,40})》", sentence)
        if any(table_kind_of_title(n) == title.kind for n in names):
            return sentence
    return None


def _sentence(text: str, start: int, end: int) -> str:
    a = max(text.rfind(ch, 0, start) for ch in "。\n；") + 1
    b = min([i for i in (text.find(ch, end) for ch in "。\n；") if i >= 0] or [len(text)])
    return text[a:b + (1 if b < len(text) and text[b] == "。" else 0)].strip()


def has_amounts(text: str, title: TableTitle) -> bool:
    return CELL_AMOUNT.search(text, title.end, title.region_end) is not None


def audit_tables(text: str, doc_kind: str, file: str = "", page_at=None) -> tuple[list[dict], list[str]]:
    """Flags about the document's standard tables, and the clauses its status reason gets (missing tables).

    Flags (origin ``reading``): check ``completeness`` — a table its table of contents lists but its body lacks
    (mismatch), a required table missing where the document prints its tables (insufficient_data), a table that
    prints no amount and is not stated as empty (insufficient_data)."""
    from countyfiscal.audit.checks import _flag, cite

    spec = rules()
    expected = spec["kinds"].get(doc_kind)
    titles = table_titles(text)
    tables = [t for t in titles if not t.listed]
    if not expected or len({t.kind for t in tables}) < spec["min_tables"]:
        return [], []  # the document does not carry its tables (or is of no kind with a standard set)
    page_at = page_at or (lambda offset: None)
    body_kinds = {t.kind for t in tables}
    flags, gaps = [], []
    listed: dict[str, TableTitle] = {}
    for t in titles:
        if t.listed:
            listed.setdefault(t.kind, t)
    for kind in list(dict.fromkeys(expected["required"] + list(listed))):
        if kind in body_kinds:
            continue
        name = _names(kind)
        if kind in listed:
            entry = {"quote": listed[kind].title, "page": page_at(listed[kind].start)}
            flags.append(_flag(file, "completeness", "mismatch", "", "", None, "", f"{name} missing", f"{name}",
                               f"The table of contents lists {cite(entry)}, but the document holds no such table "
                               f"({name}).", [entry]))
            gaps.append(f"its {name} is missing though its table of contents lists it")
        else:
            flags.append(_flag(file, "completeness", "insufficient_data", "", "", None, "", f"{name} missing",
                               f"{name}", f"The document prints its standard tables but not the {name} a "
                               f"{'预算' if doc_kind == 'budget' else '决算'} publishes.", []))
            gaps.append(f"it has no {name}")
    for t in tables:
        if has_amounts(text, t) or stated_empty(text, t):
            continue
        entry = {"quote": t.title, "page": page_at(t.start)}
        flags.append(_flag(file, "completeness", "insufficient_data", "", "", None, "", "no amounts", "",
                           f"The table {cite(entry)} prints no amount and the document does not state it empty "
                           "(空表, 无数据).", [entry]))
    for f in flags:
        f["origin"] = "reading"
    return flags, gaps
