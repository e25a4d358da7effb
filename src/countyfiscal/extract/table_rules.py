"""The rules of resources/table_titles.yml, loaded once: which line is a table title, its kind, its unit."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser where PyYAML has it (the same safe loading, ~10x faster; each file is read once per process)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    text = (Path(__file__).parent.parent / "resources" / "table_titles.yml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_YAML_LOADER)


RULES = _rules()
_SPACE = re.compile(r"[\s\u3000]+")
_KINDS = [(k["kind"], re.compile(k["pattern"])) for k in RULES["kinds"]]
_NOT_TITLE = re.compile(RULES["not_title"])
_UNIT = re.compile(RULES["unit"])
_CJK = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=65536)  # table cells are squeezed again for every column, role and anchor that reads them
def squeeze(text: str) -> str:
    """Text with all whitespace (including the ideographic space) removed."""
    return _SPACE.sub("", text)


def classify_title(title: str) -> str | None:
    """Standard table kind of a printed title, or None.

    >>> classify_title("表3：2026年市级部门支出预算总表")
    'expenditure'
    >>> classify_title("2026年财政拨款收支总体情况表")
    'fiscal_appropriation'
    """
    s = squeeze(title)
    for kind, pat in _KINDS:
        if pat.search(s):
            return kind
    return None


def is_title_line(line: str) -> bool:
    """A line that names a standard table (not a contents line, not a cross reference, not a sentence).

    >>> is_title_line("表1：2026年市级部门收支预算总表")
    True
    >>> is_title_line("（一）收支预算总表 ........ 3")
    False
    """
    if "表" not in line:
        return False  # most lines: nothing more to test
    s = squeeze(line)
    if not s or len(s) > RULES["title_max_chars"] or _NOT_TITLE.search(s):
        return False
    if "，" in s or "。" in s or "：" in s.split("表")[-1]:
        return False
    return classify_title(s) is not None and bool(re.search(r"表[)）]?$|表（[^）]{1,8}）$|表\([^)]{1,8}\)$", s))


_TITLE_END = re.compile(r"表[)）]?$|表（[^）]{1,8}）$|表\([^)]{1,8}\)$")
_TITLE_WORDS = re.compile(RULES["title_words"])


def looks_like_title(line: str) -> bool:
    """A line that names a table, of a known kind or not: short, not a contents line or a sentence, ending in 表
    and naming money ('部门预算项目支出及其他支出预算表'). A title of unknown kind ends the table before it.

    >>> looks_like_title("部门预算项目支出及其他支出预算表"), is_title_line("部门预算项目支出及其他支出预算表")
    (True, False)
    >>> looks_like_title("表6")
    False
    """
    if "表" not in line:
        return False
    if is_title_line(line):
        return True
    s = squeeze(line)
    if not s or len(s) > RULES["title_max_chars"] or _NOT_TITLE.search(s):
        return False
    if "，" in s or "。" in s or "：" in s.split("表")[-1]:
        return False
    m = _TITLE_END.search(s)
    return bool(m) and len(_CJK.findall(s[: m.start()])) >= 5 and bool(_TITLE_WORDS.search(s))


def find_unit(text: str) -> str | None:
    """The money unit of a caption such as '单位：万元' / '金额单位:元'.

    >>> find_unit("部门名称：杭州市气象局 单位:万元")
    '万元'
    """
    m = _UNIT.search(squeeze(text))
    return m.group(1) if m else None
