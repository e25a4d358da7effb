"""Look up China's expenditure classification codes (支出功能分类 / 支出经济分类): code -> name, printed name -> code.

The tables are data files in ``resources/`` (``functional_classification.csv``, ``economic_classification.csv``;
columns ``code,label,level,parent,aliases``; sources in ``classification_SOURCES.md``).

>>> label("2010301")
'行政运行'
>>> lookup("一般公共服务（类）")
'201'
>>> lookup("行政运行") is None       # exists under many 款: never guess
True
>>> lookup("行政运行", parent="20103")
'2010301'
>>> kind_of("30201"), kind_of("2080505")
('economic', 'functional')
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

KINDS = ("functional", "economic")
LEVELS = ("类", "款", "项")
_RESOURCES = Path(__file__).parent / "resources"
_FILES = {"functional": "functional_classification.csv", "economic": "economic_classification.csv"}
# The level a code's length implies; economic 7-digit codes are provincial subdivisions (重庆 prints 3010201 …).
_LEVEL_OF_LENGTH = {3: "类", 5: "款", 7: "项"}
# Characters disclosures print inconsistently inside names: quotes around "三西", spaces from letter-spaced PDFs.
_DROP = re.compile(r"[\s\u3000\"'“”‘’「」]")
# A level marker may sit anywhere: "一般公共服务（类）支出", "行政运行（项）".
_LEVEL_MARK = re.compile(r"\((?:类|款|项)(?:级科目)?\)")
_SUFFIX = "支出"


@dataclass(frozen=True)
class Entry:
    """One row of a classification table."""

    code: str
    label: str
    level: str
    parent: str
    aliases: tuple[str, ...]


def normalize_name(name: str) -> str:
    """A printed classification name in comparable form: NFKC (half-width brackets), no spaces/quotes/level marks.

    >>> normalize_name(" 一般公共服务（类） ")
    '一般公共服务'
    >>> normalize_name("政府办公厅(室)及相关机构事务")
    '政府办公厅(室)及相关机构事务'
    """
    text = unicodedata.normalize("NFKC", name)
    text = _DROP.sub("", text)
    return _LEVEL_MARK.sub("", text)


def _stem(normalized: str) -> str:
    """The name without one trailing 支出 (and a 的 before it), so "社会保障和就业" meets "社会保障和就业支出"
    and "抗疫特别国债安排（类）支出" meets "抗疫特别国债安排的支出"."""
    if normalized.endswith(_SUFFIX) and len(normalized) > len(_SUFFIX):
        normalized = normalized[: -len(_SUFFIX)]
        if normalized.endswith("的") and len(normalized) > 1:
            normalized = normalized[:-1]
    return normalized


def normalize_code(code: str) -> str:
    """Digits of a printed code: "201 03 01" and "[201]" -> "2010301", "201"."""
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", str(code)))


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")


@functools.cache
def table(kind: str = "functional") -> dict[str, Entry]:
    """All entries of one classification, by code (loaded once)."""
    _check_kind(kind)
    text = (_RESOURCES / _FILES[kind]).read_text(encoding="utf-8")
    entries: dict[str, Entry] = {}
    for row in csv.DictReader(text.splitlines()):
        aliases = tuple(a for a in (row["aliases"] or "").split("|") if a)
        entry = Entry(row["code"], row["label"], row["level"], row["parent"] or "", aliases)
        if entry.code in entries:
            raise ValueError(f"{_FILES[kind]}: code {entry.code} appears twice")
        entries[entry.code] = entry
    return entries


@functools.cache
def _name_index(kind: str) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Normalised name -> codes, and 支出-less stem -> codes, over labels and aliases."""
    exact: dict[str, set[str]] = {}
    stem: dict[str, set[str]] = {}
    for entry in table(kind).values():
        for name in (entry.label, *entry.aliases):
            key = normalize_name(name)
            exact.setdefault(key, set()).add(entry.code)
            stem.setdefault(_stem(key), set()).add(entry.code)
    return ({k: frozenset(v) for k, v in exact.items()}, {k: frozenset(v) for k, v in stem.items()})


def label(code: str, kind: str = "functional") -> str | None:
    """Current name of a classification code, or None if the code is not in the table.

    >>> label("210"), label("30217", "economic"), label("999")
    ('卫生健康支出', '公务接待费', None)
    """
    entry = table(kind).get(normalize_code(code))
    return entry.label if entry else None


def _narrow(codes: frozenset[str], kind: str, level: str | None, parent: str | None) -> set[str]:
    entries = table(kind)
    found = set(codes)
    if level is not None:
        found = {c for c in found if entries[c].level == level}
    if parent is not None:
        prefix = normalize_code(parent)
        found = {c for c in found if c.startswith(prefix) and c != prefix}
    return found


@functools.lru_cache(maxsize=65536)  # extractors ask the same few hundred names again and again
def lookup(name: str, kind: str = "functional", level: str | None = None, parent: str | None = None) -> str | None:
    """Code for a classification name as printed, or None when unknown or ambiguous.

    Tolerates "（类）/（款）/（项）" marks, a trailing or missing 支出, full/half-width brackets and spaces.
    ``level`` (类/款/项) and ``parent`` (any code the answer must lie under: the 类 or 款 printed above the row;
    for economic names "3" selects the 部门预算 scheme and "5" the 政府预算 scheme) narrow the candidates.
    An exact name wins over a match that only differs by 支出.

    >>> lookup("社会保障和就业"), lookup("医疗卫生与计划生育支出（类）")
    ('208', '210')
    >>> lookup("对个人和家庭的补助支出", "economic", parent="3")
    '303'
    """
    _check_kind(kind)
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS} or None, not {level!r}")
    key = normalize_name(name)
    if not key:
        return None
    exact, stems = _name_index(kind)
    candidates = _narrow(exact.get(key, frozenset()), kind, level, parent)
    if not candidates:
        candidates = _narrow(stems.get(_stem(key), frozenset()), kind, level, parent)
    return next(iter(candidates)) if len(candidates) == 1 else None


def kind_of(code: str) -> str | None:
    """Which classification a code belongs to, from the tables and else from its shape.

    2xx codes are functional; 3xx and 5xx economic (部门预算 and 政府预算 schemes). A code not in the tables
    still gets a kind when its 3-digit 类 is a known one (e.g. a 项 added after our tables were written).

    >>> kind_of("201"), kind_of("301"), kind_of("50101"), kind_of("2023"), kind_of("20000")
    ('functional', 'economic', 'economic', None, None)
    """
    digits = normalize_code(code)
    if len(digits) not in _LEVEL_OF_LENGTH:
        return None
    for kind in KINDS:
        if digits in table(kind):
            return kind
    head = digits[:3]
    if digits[0] == "2" and head in table("functional"):
        return "functional"
    if digits[0] in "35" and head in table("economic"):
        return "economic"
    return None


def _pattern_for(name: str) -> str:
    """Regex source for one name: brackets of either width; the 支出-less stem only before a level mark."""
    norm = normalize_name(name)
    def esc(text: str) -> str:
        return re.escape(text).replace(r"\(", "[(（]").replace(r"\)", "[)）]")
    stem = _stem(norm)
    if stem != norm:
        # "卫生健康（类）" is common, but a bare "教育" or "其他" is ordinary prose: require the mark.
        variants = [norm] + ([stem + _SUFFIX] if stem + _SUFFIX != norm else [])  # "…安排支出" for "…安排的支出"
        return "|".join(map(esc, variants)) + f"|{esc(stem)}(?=[(（][类款项][)）])"
    # "对个人和家庭的补助支出" is printed for 303 对个人和家庭的补助: take the 支出 into the match.
    return f"{esc(norm)}(?:{_SUFFIX})?"


@functools.cache
def names_regex(kind: str = "functional", level: str | None = None) -> re.Pattern[str]:
    """One compiled alternation of every name and alias of ``kind`` at ``level`` (None: all), longest first.

    >>> names_regex("functional", "类").search("3.社会保障和就业（类）24.53万元").group()
    '社会保障和就业'
    """
    _check_kind(kind)
    names = {
        normalize_name(name)
        for entry in table(kind).values()
        if level is None or entry.level == level
        for name in (entry.label, *entry.aliases)
    }
    # Longest first so "其他社会保障和就业支出" wins over "社会保障和就业支出" at the same position.
    ordered = sorted(names, key=lambda n: (-len(n), n))
    return re.compile("|".join(f"(?:{_pattern_for(n)})" for n in ordered))
