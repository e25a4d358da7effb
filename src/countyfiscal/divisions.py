"""Administrative divisions (province / prefecture / county) by name, homonyms settled by the document's other places."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str  # province · city · county
    province: str
    city: str
    parent_code: str
    short: str

    def ancestor_codes(self) -> frozenset[str]:
        """Codes of the units above this one (a county's prefecture and province)."""
        out = {self.code[:2] + "0000"}
        if self.parent_code:
            out.add(self.parent_code)
        out.discard(self.code)
        return frozenset(out)

    def ancestor_names(self) -> frozenset[str]:
        """Full names of the units above this one, as a document would print them."""
        return frozenset(n for n in (self.province, self.city) if n and n != self.name)

    def as_dict(self) -> dict[str, str]:
        county = self.name if self.level == "county" else ""
        return {
            "name": self.name,
            "code": self.code,
            "level": self.level,
            "province": self.province,
            "city": self.city,
            "county": county,
        }


class _Table:
    """Everything loaded from divisions.csv, indexed once per process."""

    def __init__(self, rows: list[Division]):
        self.rows = rows
        self.by_code = {d.code: d for d in rows}
        by_name: dict[str, list[Division]] = {}
        for d in rows:
            by_name.setdefault(d.name, []).append(d)
        self.by_name = {k: tuple(v) for k, v in by_name.items()}
        by_short: dict[str, list[Division]] = {}
        for d in rows:
            if d.short:
                by_short.setdefault(d.short, []).append(d)
        self.by_short = {k: tuple(v) for k, v in by_short.items()}
        self.short_lengths = sorted({len(n) for n in self.by_short}, reverse=True)
        # Lengths to try, longest first, when matching a name at a position of a text.
        self.lengths = sorted({len(n) for n in self.by_name}, reverse=True)
        self.last_chars = frozenset(n[-1] for n in self.by_name)
        self.last_char_re = re.compile("[" + "".join(sorted(self.last_chars)) + "]")


@lru_cache(maxsize=1)
def _table() -> _Table:
    path = resources.files("countyfiscal").joinpath("resources", "divisions.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [
            Division(r["code"], r["name"], r["level"], r["province"], r["city"], r["parent_code"], r["short"])
            for r in csv.DictReader(fh)
        ]
    return _Table(rows)


def all_divisions() -> list[Division]:
    """Every division in the table (provinces, prefectures, county-level units), in code order.

    >>> len([d for d in all_divisions() if d.level == "province"])
    31
    """
    return list(_table().rows)


def by_code(code: str) -> Division | None:
    """The division with this 6-digit code, or None.

    >>> by_code("530402").name
    '红塔区'
    """
    return _table().by_code.get(code)


def candidates(name: str) -> tuple[Division, ...]:
    """All divisions whose full name is exactly ``name`` (several for homonyms such as 普陀区)."""
    return _table().by_name.get(name, ())


def place_at(text: str, pos: int) -> str:
    """The longest division name that starts at ``text[pos]``, or "".

    >>> place_at("玉溪市红塔区信访局", 3)
    '红塔区'
    """
    t = _table()
    for n in t.lengths:
        end = pos + n
        if end <= len(text) and text[end - 1] in t.last_chars and text[pos:end] in t.by_name:
            return text[pos:end]
    return ""


def short_at(text: str, pos: int) -> str:
    """The longest short division name (福州 for 福州市) that starts at ``text[pos]``, or "".

    Short names are how zones are named (福州经济技术开发区, 苏州工业园区); alone they are ordinary words far too
    often to count as places anywhere else.

    >>> short_at("年度福州经济技术开发区", 2)
    '福州'
    """
    t = _table()
    for n in t.short_lengths:
        chunk = text[pos : pos + n]
        if len(chunk) == n and chunk in t.by_short:
            return chunk
    return ""


def resolve_short(short: str, context: str = "") -> Division | None:
    """The division a short name (福州, 西安) stands for; homonyms (西安市, and 西安区 twice) settled by how often
    each candidate's full name and the names of the units above it occur in ``context``; None when that does not
    single one out.

    >>> resolve_short("福州").code
    '350100'
    >>> resolve_short("西安") is None, resolve_short("西安", context="陕西省西安市").code
    (True, '610100')
    """
    found = _table().by_short.get(short, ())
    if len(found) == 1:
        return found[0]
    if not found:
        return None
    scored = sorted(((context.count(d.name) + _context_score(d, context), d.code, d) for d in found), reverse=True)
    if scored[0][0] == 0 or scored[0][0] == scored[1][0]:
        return None
    return scored[0][2]


def place_end_pattern() -> re.Pattern:
    """A regex matching any character a division name ends with (市, 区, 县, 旗, 州, 盟, 省 …)."""
    return _table().last_char_re


def places_in(text: str) -> list[tuple[int, int, str]]:
    """Every (start, end, name) of a division name inside ``text``, overlaps included, in order of end.

    Found from the names' last characters (市, 区, 县 …), so the cost follows the number of such characters,
    not the number of names in the table.

    >>> places_in("纳入玉溪市红塔区信访局")
    [(2, 5, '玉溪市'), (5, 8, '红塔区')]
    """
    t = _table()
    out = []
    for m in t.last_char_re.finditer(text):
        end = m.end()
        for n in t.lengths:
            start = end - n
            if start >= 0 and text[start:end] in t.by_name:
                out.append((start, end, text[start:end]))
    return out


def leading_places(text: str) -> list[str]:
    """The chain of division names at the start of ``text``, each under the one before it.

    Stops at the first token that is not a division or does not sit under what precedes it, so
    "杭州市城市管理局" gives ["杭州市"] although 城区 is a county name elsewhere.

    >>> leading_places("玉溪市红塔区信访局")
    ['玉溪市', '红塔区']
    """
    chain: list[str] = []
    pos = 0
    while True:
        name = place_at(text, pos)
        if not name or not _consistent(chain + [name]):
            return chain
        chain.append(name)
        pos += len(name)


def _chain_candidates(chain: list[str]) -> list[Division]:
    """Divisions the last name of ``chain`` can be, given that each earlier name is one of its ancestors."""
    last = candidates(chain[-1])
    for above in chain[:-1]:
        above_codes = {d.code for d in candidates(above)}
        last = tuple(d for d in last if d.ancestor_codes() & above_codes)
    return list(last)


def _consistent(chain: list[str]) -> bool:
    return bool(_chain_candidates(chain))


def _context_score(d: Division, context: str) -> int:
    return sum(context.count(n) for n in d.ancestor_names())


def resolve(name: str, context: str = "") -> dict | None:
    """Province, city, county, code and level of a place name; None when unknown or ambiguous.

    ``name`` is a full division name or a chain of them (玉溪市红塔区). Homonyms (普陀区 in 上海市 and in 舟山市)
    are settled by how often each candidate's province and prefecture names occur in ``context`` (the document's
    text or its other place names); when that does not single one out, the answer is None rather than a guess.
    For the four municipalities ``city`` is the municipality itself.

    >>> resolve("普陀区", context="上海市")["code"]
    '310107'
    >>> resolve("朝阳区") is None
    True
    >>> resolve("玉溪市红塔区")["province"]
    '云南省'
    """
    name = "".join((name or "").split())
    if not name:
        return None
    chain = leading_places(name)
    if "".join(chain) != name:
        return None
    found = _chain_candidates(chain)
    if len(found) > 1:
        scored = sorted(((_context_score(d, context or ""), d.code, d) for d in found), reverse=True)
        if scored[0][0] == 0 or scored[0][0] == scored[1][0]:
            return None
        found = [scored[0][2]]
    return found[0].as_dict() if found else None
