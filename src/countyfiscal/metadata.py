"""Document facts from a disclosure's normalised text: kind, fiscal year, department, jurisdiction and its admin code."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from countyfiscal import divisions

# libyaml's parser where PyYAML has it (the same safe loading, done once per process, ~10x faster)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Whitespace inside titles and names is layout, not content (PDFs letter-space them): matching runs on the text
# without it (see compact), and quotes are mapped back onto the original text (see quote_in).
# Full-width digits occur in titles typed in some word processors.
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_FULLWIDTH_DIGIT = re.compile("[０-９]")
_CJK = "\u4e00-\u9fff"
# Longest department name considered (places + middle + ending), in characters.
MAX_NAME = 40
_CJK_PREFIX = re.compile(f"[{_CJK}]{{0,{MAX_NAME}}}")
_CJK_TAIL = re.compile(f"[{_CJK}]*$")
# A place missing from the division table, recognised by its ending alone (used only for names in a title).
_PLACE_LIKE = re.compile(f"[{_CJK}]{{1,8}}?[省市县区旗州盟]")
# A county-level or zone unit below a known place but missing from the table; three characters at least, so
# words such as 社区 do not count.
_SUB_PLACE_LIKE = re.compile(f"[{_CJK}]{{2,8}}?[县区旗]")

# Where a title may stand when no "<year>年…<kind>" title is found anywhere.
TITLE_AREA = 1500
# Where department names are counted when the title names none (documents starting at 第一部分 部门概况).
DEPARTMENT_AREA = 6000
# Characters of the original text compacted up front; the rest only when a rule must look further.
HEAD_CHARS = 10000
YEAR_MIN, YEAR_MAX = 2010, 2035

KEYS = (
    "doc_kind", "fiscal_year", "department", "jurisdiction", "province", "city", "county", "admin_code", "scope",
    "is_disclosure", "not_disclosure_reason", "evidence",
)


@dataclass(frozen=True)
class _Rules:
    title: re.Pattern
    title_year_after: re.Pattern
    kind_of: dict[str, str]
    plain_kind: re.Pattern
    suffix: re.Pattern
    breaks: tuple[str, ...]
    max_middle: int
    central: tuple[str, ...]
    party: tuple[str, ...]
    not_place_start: frozenset[str]
    fiscal: tuple[str, ...]
    min_fiscal: int
    genres: re.Pattern
    genre_of: dict[str, str]
    zone: re.Pattern
    zone_max_middle: int
    scope: re.Pattern
    scope_of: dict[str, str]


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    path = resources.files("countyfiscal").joinpath("resources", "metadata_rules.yaml")
    cfg = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    kind_of = {w: kind for kind, words in cfg["doc_kinds"].items() for w in words}
    kinds = _alternation(kind_of)
    gap = int(cfg["title_gap"])
    # The gap may hold a department name but no digits or sentence punctuation: those end a title.
    gap_chars = r"[^\d，。；：、,.;:！？!?（）()《》<>“”\"'‘’]"
    title = re.compile(rf"(20\d\d)年度?({gap_chars}{{0,{gap}}}?)({kinds})")
    title_year_after = re.compile(rf"({kinds})[（(](20\d\d)(?:年度?)?[)）]")
    suffixes = sorted(cfg["department_suffixes"], key=lambda s: len(re.sub(r"\(.*?\)", "", s)), reverse=True)
    genre_of = {w: genre for genre, words in cfg["non_disclosure_genres"].items() for w in words}
    scope_of = {w: scope for scope, words in cfg["scopes"].items() for w in words}
    return _Rules(
        title=title,
        title_year_after=title_year_after,
        kind_of=kind_of,
        plain_kind=re.compile(kinds),
        suffix=re.compile("|".join(suffixes)),
        breaks=tuple(cfg["department_breaks"]),
        max_middle=int(cfg["department_max_middle"]),
        central=tuple(sorted(cfg["central_prefixes"], key=len, reverse=True)),
        party=tuple(sorted(cfg["party_prefixes"], key=len, reverse=True)),
        not_place_start=frozenset(cfg["not_place_start"]),
        fiscal=tuple(cfg["fiscal_terms"]),
        min_fiscal=int(cfg["min_fiscal_terms"]),
        genres=re.compile(_alternation(genre_of)),
        genre_of=genre_of,
        zone=re.compile(_alternation(cfg["zone_words"])),
        zone_max_middle=int(cfg["zone_max_middle"]),
        scope=re.compile(_alternation(scope_of)),
        scope_of=scope_of,
    )


def compact(text: str) -> str:
    """The text without whitespace, full-width digits made ASCII: what all matching here runs on.

    >>> compact("曾都区信访局 2023 年部门预算")
    '曾都区信访局2023年部门预算'
    """
    flat = "".join(text.split())
    return flat.translate(_FULLWIDTH_DIGITS) if _FULLWIDTH_DIGIT.search(flat) else flat


def quote_in(text: str, fragment: str) -> str:
    """The first stretch of ``text`` that reads as ``fragment`` once whitespace is removed ("" if none).

    >>> quote_in("曾都区信访局 2023 年部门预算", "2023年部门预算")
    '2023 年部门预算'
    """
    if not fragment:
        return ""
    if _is_compact(fragment):
        return _quote_at(text, compact(text).find(fragment), len(fragment))
    parts = []
    for ch in fragment:
        if "0" <= ch <= "9":
            parts.append(f"[{ch}{chr(ord(ch) + 0xFEE0)}]")
        else:
            parts.append(re.escape(ch))
    m = re.search(r"\s*".join(parts), text)
    return m.group(0) if m else ""


def _is_compact(fragment: str) -> bool:
    """Whether ``fragment`` reads as itself in compact text (no whitespace, no full-width digits)."""
    return fragment.split() == [fragment] and not _FULLWIDTH_DIGIT.search(fragment)


def _quote_at(text: str, j: int, length: int) -> str:
    r"""The stretch of ``text`` that ``compact(text)[j : j + length]`` was made from ("" for j < 0).

    What quote_in's pattern (the fragment's characters with ``\s*`` between them) finds, without compiling a
    pattern per fragment: regex ``\s`` and str.split() agree on whitespace, and compact() keeps every other
    character, full-width digits made ASCII (matched by the pattern too), so the first match runs from the j-th
    character that is not whitespace to the (j + length - 1)-th.
    """
    if j < 0:
        return ""
    start, seen = _offset_of(text, j, 0, 0)
    end, _ = _offset_of(text, j + length - 1, start, seen)
    return text[start : end + 1]


_NOT_SPACE = re.compile(r"\S")


def _offset_of(text: str, k: int, x: int, seen: int) -> tuple[int, int]:
    """(offset of the k-th character of ``text`` that is not whitespace, k), given that ``text[:x]`` holds ``seen``
    such characters (seen <= k). Counted by str.split() on slices, in C: no Python step per whitespace run."""
    while seen < k and x < len(text):
        # The next k - seen characters hold at most that many non-whitespace ones: never overshoots.
        y = x + (k - seen)
        seen += len("".join(text[x:y].split()))
        x = y
    m = _NOT_SPACE.search(text, x)
    return (m.start() if m else len(text)), k


class _Flat:
    """The text as compact() gives it: its head at once, the whole only when a rule has to look further.

    compact() removes characters one by one, so the head is a prefix of the whole and offsets agree.
    """

    def __init__(self, text: str):
        self.text = text
        self.head = compact(text[:HEAD_CHARS])
        self.complete = len(text) <= HEAD_CHARS
        self._full = self.head if self.complete else None

    @property
    def full(self) -> str:
        if self._full is None:
            self._full = compact(self.text)
        return self._full

    def quote(self, fragment: str) -> str:
        """quote_in(self.text, fragment), using the compact text already made (head first)."""
        if not fragment or not _is_compact(fragment):
            return quote_in(self.text, fragment)
        # The head is a prefix of the whole: a fragment found in it is the first in the whole too.
        j = self.head.find(fragment)
        if j < 0 and not self.complete:
            j = self.full.find(fragment)
        return _quote_at(self.text, j, len(fragment))

    def covering(self, end: int) -> str:
        """The head if it holds everything up to ``end`` (with a margin for matches cut at its edge), else the whole."""
        return self.head if self.complete or end <= len(self.head) - MAX_NAME else self.full


def _find_title(flat: _Flat, rules: _Rules) -> tuple[str, int | None, int, int]:
    """(doc_kind, fiscal_year, start, end) of the earliest "<year>年 … <kind word>" title in the text.

    Earliest, not most frequent: a 决算 mentions 预算 throughout, but names itself first.
    """
    if not flat.complete:
        # A title found in the head, clear of its cut edge, is the earliest in the whole text too.
        found = _find_title_in(flat.head, len(flat.head) - MAX_NAME, rules)
        if found[0] and found[1] is not None:
            return found
    return _find_title_in(flat.full, len(flat.full), rules)


def _find_title_in(flat: str, endpos: int, rules: _Rules) -> tuple[str, int | None, int, int]:
    best = None
    for m in rules.title.finditer(flat, 0, endpos):
        year = int(m.group(1))
        if YEAR_MIN <= year <= YEAR_MAX:
            best = (rules.kind_of[m.group(3)], year, m.start(), m.end())
            break
    m2 = rules.title_year_after.search(flat, 0, best[2] if best else endpos)
    if m2 and YEAR_MIN <= int(m2.group(2)) <= YEAR_MAX:
        best = (rules.kind_of[m2.group(1)], int(m2.group(2)), m2.start(), m2.end())
    if best:
        return best
    # A kind word with no year beside it still tells the kind; the year stays unknown rather than guessed.
    m = rules.plain_kind.search(flat, 0, TITLE_AREA)
    if m:
        return rules.kind_of[m.group(0)], None, m.start(), m.end()
    return "", None, -1, -1


def _department_candidates(window: str, rules: _Rules) -> list[tuple[str, int]]:
    """(name, offset) of every organisation name in ``window`` that starts at a place (or 国家) and ends in a suffix."""
    longest: dict[int, str] = {}
    place_end = divisions.place_end_pattern()
    # A name never spans punctuation or digits: for each ending, take the CJK run just before it (read off the
    # reversed window, so the cost is the run's length), and skip runs with no place ending (市, 县 …) and no 国.
    rev = window[::-1]
    n = len(window)
    # A document repeats its own names: each distinct run is read once (the reading depends on the run alone).
    name_of: dict[tuple[str, int], str] = {}
    for m in rules.suffix.finditer(window):
        k = len(_CJK_PREFIX.match(rev, n - m.start()).group())
        if k == 0:
            continue
        run = window[m.start() - k : m.end()]
        name = name_of.get((run, k))
        if name is None:
            place_like = place_end.search(run, 0, k) or "国" in run
            name = name_of[run, k] = _name_in_run(run, k, rules) if place_like else ""
        if name:
            # 泉州市人民政府 inside 泉州市人民政府办公室: the name goes on, keep the longer one from that start.
            start = m.end() - len(name)
            if len(name) > len(longest.get(start, "")):
                longest[start] = name
    return [(name, start) for start, name in longest.items()]


def _name_in_run(text: str, suffix_start: int, rules: _Rules) -> str:
    """The longest well-formed organisation name that ends ``text`` (a CJK run, then the ending from ``suffix_start``)."""
    run = text[:suffix_start]
    starts = {s for s, _, _ in divisions.places_in(run)}
    if "国" in run:
        starts.update(i for c in rules.central for i in _find_all(run, c))
    if rules.zone.search(run):
        starts.update(i for i in range(len(run)) if _leading_zone(run[i:], rules))
    for s in sorted(starts):
        if run.startswith(rules.central, s):
            middle = run[s:]
            if any(c in middle[1:] for c in rules.central):  # a list of central bodies run together
                continue
        else:
            places = divisions.leading_places(run[s:])
            if places:
                middle = run[s + sum(map(len, places)) :]
            else:
                # 福州经济技术开发区生态环境局: a zone named by a division's short name.
                zone = _leading_zone(run[s:], rules)
                if not zone:
                    continue
                middle = run[s + len(zone[0]) :]
            # Another place inside the middle means the run is a sentence joining two names; try a later start.
            if divisions.places_in(middle):
                continue
        if len(middle) > rules.max_middle or any(b in middle for b in rules.breaks):
            continue
        if not middle and len(text) - suffix_start < 3:  # "重庆市委" alone is not a department
            continue
        for p in rules.party:
            if s >= len(p) and run.startswith(p, s - len(p)):
                s -= len(p)
                break
        return text[s:]
    return ""


def _leading_zone(text: str, rules: _Rules) -> tuple[str, str] | None:
    """(zone, short name) when ``text`` starts with a zone named by a division's short name (福州经济技术开发区 ->
    ("福州经济技术开发区", "福州")), else None. The words between the name and the zone word may not name a
    department (福州公安局开发区分局 is no zone)."""
    place = divisions.short_at(text, 0)
    if not place:
        return None
    m = rules.zone.search(text, len(place), len(place) + rules.zone_max_middle + _ZONE_WORD_MAX)
    if not m or m.start() - len(place) > rules.zone_max_middle or rules.suffix.search(text, len(place), m.start()):
        return None
    return text[: m.end()], place


# Longest zone word (试验区 …) in characters: bounds the search for one after a division's name.
_ZONE_WORD_MAX = 4


def _zone_parent_in_text(flat: str, zone: str, context: str) -> tuple[dict, str] | None:
    """(division, mention) for the division the document prints right before ``zone`` (重庆两江新区, 重庆市两江新区),
    when every such mention names the same one; None otherwise."""
    found: dict[str, tuple[dict, str]] = {}
    for i in _find_all(flat, zone):
        window = flat[max(0, i - MAX_NAME) : i]
        full = [name for _, end, name in divisions.places_in(window) if end == len(window)]
        if full:
            name = max(full, key=len)
            place = divisions.resolve(name, context=context)
        else:
            name = next((window[-n:] for n in (4, 3, 2) if divisions.short_at(window[-n:], 0) == window[-n:]), "")
            d = divisions.resolve_short(name, context) if name else None
            place = d.as_dict() if d else None
        if place:
            found.setdefault(place["code"], (place, name + zone))
    return next(iter(found.values())) if len(found) == 1 else None


def _unlisted_place_names(flat: str, lo: int, t_start: int, t_end: int, rules: _Rules) -> list[str]:
    """Names ending at or inside the title whose leading place is not in the division table."""
    out = []
    for m in rules.suffix.finditer(flat, lo, t_end):
        if m.end() < t_start:
            continue
        run = _CJK_TAIL.search(flat, max(0, m.start() - MAX_NAME), m.start()).group()
        run_start = m.start() - len(run)
        if run_start > 0 and flat[run_start - 1].isdigit() and run.startswith("年"):
            # "2026年度两江新区财政局": the title's year word is not part of the name.
            run = run[2:] if run.startswith("年度") else run[1:]
        cut = max((run.rfind(b) + len(b) for b in rules.breaks if b in run), default=0)
        start = cut
        for p in rules.party:
            if run.startswith(p, cut):
                start = cut + len(p)
                break
        place = _unlisted_place(run[start:], rules)
        if not place:
            continue
        middle = run[start + len(place) :]
        if len(middle) > rules.max_middle or (not middle and m.end() - m.start() < 3):
            continue
        out.append(run[cut:] + m.group())
    return out


def _unlisted_place(name: str, rules: _Rules) -> str:
    """The place-like start of ``name`` (two or more characters ending in 市/县/区…), or ""."""
    m = _PLACE_LIKE.match(name)
    if not m or name[0] in rules.not_place_start:
        return ""
    return m.group()


def _find_all(text: str, sub: str):
    i = text.find(sub)
    while i >= 0:
        yield i
        i = text.find(sub, i + 1)


def _pick_department(flat_text: _Flat, rules: _Rules, title: tuple[int, int]) -> str:
    """The department the title names; else the most frequent name, a short form (红塔区信访局) counting
    towards its long form (玉溪市红塔区信访局)."""
    t_start, t_end = title
    flat = flat_text.covering(max(DEPARTMENT_AREA, t_end))
    if t_start >= 0:
        # "杭州市司法局 2026年度部门预算", "2026年度泉州市人民政府办公室部门预算": the name at or inside the title.
        lo = max(0, t_start - MAX_NAME)
        near = _department_candidates(flat[lo:t_end], rules)
        in_title = [n for n, off in near if t_start <= lo + off + len(n) <= t_end]
        if not in_title:
            # A place the table lacks (莱芜市 before 2019, a county created after the table's vintage) still
            # names the department when it stands in the title itself.
            in_title = _unlisted_place_names(flat, lo, t_start, t_end, rules)
        if in_title:
            return max(in_title, key=len)
    found = _department_candidates(flat[: max(DEPARTMENT_AREA, t_end)], rules)
    if not found and len(flat_text.full) > max(DEPARTMENT_AREA, t_end):
        found = _department_candidates(flat_text.full, rules)
    if not found:
        return ""
    counts = Counter(n for n, _ in found)
    first: dict[str, int] = {}
    for n, off in found:
        first.setdefault(n, off)
    total = {n: sum(c for k, c in counts.items() if n.endswith(k)) for n in counts}
    return max(counts, key=lambda n: (total[n], len(n), -first[n]))


def _local_places(core: str, rules: _Rules) -> list[str]:
    """The places a department name starts with; for a central body's local branch (国家税务总局重庆市税务局),
    the places after the central body's name."""
    if not core.startswith(rules.central):
        return divisions.leading_places(core)
    for start, _, _ in divisions.places_in(core):
        chain = divisions.leading_places(core[start:])
        if chain:
            return chain
    return []


def _unlisted_below(core: str, local: list[str], rules: _Rules) -> str:
    """A county-like unit (和安县, 高新区) right after the known places that the table does not hold, or ""."""
    rest = core[core.index(local[-1]) + len(local[-1]) :]
    m = _SUB_PLACE_LIKE.match(rest)
    if not m or rest[0] in rules.not_place_start:
        return ""
    return m.group()


def _strip_party(name: str, rules: _Rules) -> str:
    for p in rules.party:
        if name.startswith(p):
            return name[len(p):]
    return name


def _fiscal_terms(flat: str, rules: _Rules, enough: int) -> list[str]:
    terms = []
    for term in rules.fiscal:  # substring tests in C beat one alternation regex here; stop once enough are seen
        if term in flat:
            terms.append(term)
            if len(terms) >= enough:
                break
    return terms


def _disclosure(flat_text: _Flat, kind: str, rules: _Rules) -> tuple[bool, str, str]:
    """(is_disclosure, reason, quoted cue): a kind in the title plus enough distinct fiscal terms.

    Without a recognised title, only a text full of the tables' vocabulary (twice the usual number of terms)
    counts: it is a disclosure whose kind is unknown, not a non-disclosure.
    """
    enough = rules.min_fiscal if kind else 2 * rules.min_fiscal
    terms = _fiscal_terms(flat_text.head, rules, enough)
    if len(terms) < enough and not flat_text.complete:
        terms = _fiscal_terms(flat_text.full, rules, enough)
    if len(terms) >= enough:
        return True, "", ""
    flat = flat_text.full
    g = rules.genres.search(flat)
    if g:
        return False, f"not a fiscal disclosure ({rules.genre_of[g.group(0)]})", g.group(0)
    if not kind:
        return False, "not a fiscal disclosure (no 预算/决算/绩效自评 title found)", ""
    return False, f"not a fiscal disclosure (title found but only {len(terms)} of the fiscal table terms)", ""


def describe(text: str, file: str = "") -> dict:
    """Kind, fiscal year, department and jurisdiction of a disclosure, with the quotes they were read from.

    ``file`` is only carried for messages; nothing is read from the file name. Unknown values are "" (None for
    ``fiscal_year``): a fact the text does not settle is left empty, never guessed. ``evidence`` maps each key
    that was read to the exact stretch of ``text`` it came from (the title for doc_kind / fiscal_year and for
    is_disclosure when true; the department's first mention for department / jurisdiction / admin_code; the cue
    naming what the document is when it is not a disclosure).

    >>> d = describe("紫阳县信访局2023年部门预算收支说明 收入合计 支出合计 基本支出 项目支出")
    >>> d["doc_kind"], d["fiscal_year"], d["department"], d["admin_code"]
    ('budget', 2023, '紫阳县信访局', '610924')
    """
    rules = _rules()
    text = text or ""
    flat = _Flat(text)
    out: dict = {k: "" for k in KEYS}
    out["fiscal_year"] = None
    evidence: dict[str, str] = {}

    kind, year, t_start, t_end = _find_title(flat, rules)
    out["doc_kind"], out["fiscal_year"] = kind, year
    title_quote = flat.quote(flat.covering(t_end)[t_start:t_end]) if t_start >= 0 else ""
    if kind:
        evidence["doc_kind"] = title_quote
    if year is not None:
        evidence["fiscal_year"] = title_quote

    if t_start >= 0:
        sm = rules.scope.search(flat.covering(t_end), t_start, t_end)
        if sm:
            out["scope"] = rules.scope_of[sm.group()]
            evidence["scope"] = title_quote

    dept = _pick_department(flat, rules, (t_start, t_end))
    if dept:
        out["department"] = dept
        dept_quote = flat.quote(dept)
        evidence["department"] = dept_quote
        core = _strip_party(dept, rules)
        local = _local_places(core, rules)
        below = _unlisted_below(core, local, rules) if local else ""
        if below and rules.zone.search(below):
            below = ""  # 福州市高新区财政局: a zone is not a division; the department belongs to 福州市
        zone = None if local else _leading_zone(core, rules)
        if zone:
            # 福州经济技术开发区生态环境局: the zone's division, when its short name is not ambiguous.
            place = divisions.resolve_short(zone[1], context=flat.head + "\n" + text)
            if place:
                out.update(jurisdiction=place.name, province=place.province, city=place.city,
                           county=place.as_dict()["county"], admin_code=place.code)
                evidence["jurisdiction"] = evidence["admin_code"] = dept_quote
        elif below:
            # 和田地区和安县教育局 with 和安县 missing from the table: the county is unknown, and the prefecture's
            # code would be wrong for it, so nothing is resolved.
            out["jurisdiction"] = below
            evidence["jurisdiction"] = dept_quote
        elif local:
            out["jurisdiction"] = local[-1]
            evidence["jurisdiction"] = dept_quote
            # The whole text as context (homonyms); the compact head adds letter-spaced place names.
            place = divisions.resolve("".join(local), context=flat.head + "\n" + text)
            if place:
                out.update(province=place["province"], city=place["city"], county=place["county"],
                           admin_code=place["code"])
                evidence["admin_code"] = dept_quote
        elif core.startswith(rules.central):
            out["jurisdiction"] = "国家"
            evidence["jurisdiction"] = dept_quote
        else:
            # Only a name from the title can start with a place the table lacks: keep it, resolve nothing.
            unlisted = _unlisted_place(core, rules)
            zm = rules.zone.search(unlisted) if unlisted else None
            if zm and zm.end() == len(unlisted):
                # 两江新区财政局: a zone is not a jurisdiction; its division is the one the document names with it.
                parent = _zone_parent_in_text(flat.full, unlisted, flat.head + "\n" + text)
                if parent:
                    place, mention = parent
                    out.update(jurisdiction=place["name"], province=place["province"], city=place["city"],
                               county=place["county"], admin_code=place["code"])
                    evidence["jurisdiction"] = evidence["admin_code"] = flat.quote(mention)
            else:
                out["jurisdiction"] = unlisted
                if unlisted:
                    evidence["jurisdiction"] = dept_quote

    ok, reason, cue = _disclosure(flat, kind, rules)
    out["is_disclosure"], out["not_disclosure_reason"] = ok, reason
    evidence["is_disclosure"] = title_quote if ok else flat.quote(cue)
    out["evidence"] = {k: v for k, v in evidence.items() if v}
    return out
