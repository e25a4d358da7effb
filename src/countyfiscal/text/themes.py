"""Count a generic fiscal-work lexicon and the lexicon of the department's kind, every count traceable to its sentences."""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from countyfiscal.text.tokenizer import _LEAD_WINDOW, QUOTES, fold_width, grouped_regex, phrase_pattern, resource_path

# libyaml's parser where PyYAML has it (the same safe loading, ~10x faster; each file is read once per process)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Span = tuple[int, int]
GENERIC = "generic"
# A sentence ends at 。！？； (or their ASCII forms) or at a line end: headings and table rows are lines.
_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*")


@dataclass(frozen=True)
class Theme:
    name: str
    terms: tuple[str, ...]
    description: str = ""
    theme_set: str = GENERIC  # "generic", or the department kind whose lexicon the theme belongs to

    @functools.cached_property
    def ordered_terms(self) -> tuple[str, ...]:
        # Longest term first: at one position 信访积案 wins over 积案, and matches never overlap.
        return tuple(sorted(self.terms, key=lambda t: (-len(t), t)))

    @functools.cached_property
    def pattern(self) -> re.Pattern:
        """This theme's terms alone (group i+1 = ordered_terms[i]); the counting uses one pattern per lexicon."""
        return re.compile("|".join(f"({phrase_pattern(t)})" for t in self.ordered_terms))


@dataclass(frozen=True)
class DepartmentKind:
    name: str
    department: re.Pattern  # searched in the department's name
    themes: tuple[Theme, ...]


@dataclass(frozen=True)
class Lexicon:
    """themes.yml: the generic themes every department is scored against, and the department kinds' lexicons."""

    generic: tuple[Theme, ...]
    kinds: tuple[DepartmentKind, ...]

    @property
    def themes(self) -> tuple[Theme, ...]:
        """Every theme of the file: the generic ones, then each kind's, in file order."""
        return self.generic + tuple(t for k in self.kinds for t in k.themes)

    def kind_of(self, department: str) -> str:
        """The first department kind whose name pattern occurs in ``department``; "" when none does.

        >>> lex = load_lexicon()
        >>> lex.kind_of("玉溪市红塔区信访局"), lex.kind_of("福州市公安局交通管理支队"), lex.kind_of("某某协会")
        ('信访', '公安', '')
        """
        for kind in self.kinds:
            if department and kind.department.search(department):
                return kind.name
        return ""

    def themes_for(self, kind: str) -> tuple[Theme, ...]:
        """The themes a department of ``kind`` is scored against: the generic ones, then its kind's."""
        return self.generic + next((k.themes for k in self.kinds if k.name == kind), ())

    @functools.cached_property
    def _matchers(self) -> dict[str, ThemeMatcher]:
        return {}

    def matcher(self, kind: str) -> ThemeMatcher:
        """The compiled matcher of ``themes_for(kind)``, built once per kind."""
        matcher = self._matchers.get(kind)
        if matcher is None:
            matcher = self._matchers[kind] = ThemeMatcher(self.themes_for(kind))
        return matcher


def _themes(spec: dict, theme_set: str, path: Path) -> tuple[Theme, ...]:
    themes = []
    for name, body in (spec or {}).items():
        terms = tuple(dict.fromkeys(str(t).strip() for t in body["terms"] if str(t).strip()))
        if not terms:
            raise ValueError(f"theme {name!r} in {path} has no terms")
        themes.append(Theme(str(name), terms, str(body.get("description", "")), theme_set))
    return tuple(themes)


@functools.lru_cache(maxsize=4)
def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """The lexicon of ``themes.yml`` (the package's when ``path`` is None), read once per path."""
    path = Path(path) if path else resource_path("themes.yml")
    data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    generic = _themes(data["generic"], GENERIC, path)
    kinds = []
    for kind, body in data["department_kinds"].items():
        patterns = body["department"]
        kinds.append(DepartmentKind(str(kind), re.compile("|".join(f"(?:{p})" for p in patterns)),
                                    _themes(body["themes"], str(kind), path)))
    lexicon = Lexicon(generic, tuple(kinds))
    names = [t.name for t in lexicon.themes]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"theme names must be unique in {path}; repeated: {repeated}")
    kind_names = [k.name for k in kinds]
    if len(set(kind_names)) != len(kind_names) or GENERIC in kind_names:
        raise ValueError(f"department kinds in {path} must be unique and not {GENERIC!r}")
    return lexicon


def load_themes(path: str | Path | None = None) -> tuple[Theme, ...]:
    """Every theme of ``themes.yml``: the generic ones, then each department kind's, in file order."""
    return load_lexicon(path).themes


def sentence_spans(text: str, spans: list[Span]) -> list[Span]:
    """(start, end) of every non-blank sentence inside ``spans``, leading and trailing spaces excluded.

    >>> sentence_spans("一是甲。二是乙；\\n 丙", [(0, 11)])
    [(0, 4), (4, 8), (10, 11)]
    """
    out = []
    for lo, hi in spans:
        for m in _SENTENCE.finditer(text, lo, hi):
            s, e = m.span()
            if text[s].isspace() or text[e - 1].isspace():
                piece = text[s:e]
                s += len(piece) - len(piece.lstrip())
                e -= len(piece) - len(piece.rstrip())
            if s < e:
                out.append((s, e))
    return out


def nonspace_chars(text: str, spans: list[Span]) -> int:
    """Characters of ``text`` inside ``spans`` that are not whitespace (no per-character Python loop).

    >>> nonspace_chars("一是 甲。\\n 二", [(0, 8)])
    5
    """
    # str.split() splits at exactly the characters \s matches (Py_UNICODE_ISSPACE), ten times faster than findall.
    return sum(sum(map(len, text[lo:hi].split())) for lo, hi in spans)


def _merged(spans: list[Span]) -> list[Span]:
    """Sorted spans with overlapping or touching ones joined."""
    out: list[list[int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


class ThemeMatcher:
    """Counts several themes with ONE compiled pattern of all their terms, exactly as each theme's own scan would.

    The pattern finds every position where some term's fixed characters start (searched in C from one start to
    the next: each alternative begins with a literal, so the engine skips ahead to a character that can start a
    term); there only the themes with a term that can start there are tried, each with its own leftmost-longest,
    non-overlapping reading (from the opening quote, if any, as its own scan would). So 信息化建设 is one hit of a theme listing 信息化建设 and one of a
    theme listing 信息化, and 居民医保基金 is a hit of 居民医保 for one theme and of 医保基金 for another.
    """

    def __init__(self, themes: tuple[Theme, ...]):
        self.themes = themes
        terms = sorted({t for th in themes for t in th.terms}, key=lambda t: (-len(t), t))
        self.terms = tuple(terms)
        # Each alternative starts at its term's first fixed character (not an optional quote or bracket), so the
        # regex engine skips in C to the next character that can start a term; the alternatives are grouped by
        # that character and term _term_of[g] is the one whose group g closed.
        self.pattern, self.leads, self._term_of = grouped_regex(self.terms) if terms else (None, (), ())
        # starters[i]: the themes with a term that can match where term i (the longest term starting at a
        # position) matches, i.e. the themes worth trying there.
        starters = []
        for term in terms:
            folded = fold_width(term)
            fixed = folded.lstrip(QUOTES + "（(）) ")
            starters.append(tuple(k for k, theme in enumerate(themes)
                                  if theme.pattern.match(folded) or theme.pattern.match(fixed)))
        self.starters = tuple(starters)
        self._match_at = tuple(theme.pattern.match for theme in themes)
        self._ordered = tuple(theme.ordered_terms for theme in themes)

    def matches(self, text: str, spans: list[Span] | None = None, folded: str | None = None) -> list[tuple[int, int, int]]:
        """(start, first fixed character, term index) of every position of ``text`` (inside ``spans``, if given)
        where a term's fixed characters start (the longest such term), in order; start is before the term's
        optional opening quote when one is printed."""
        if self.pattern is None:
            return []
        folded = fold_width(text) if folded is None else folded
        search = self.pattern.search
        leads = self.leads
        out = []
        for lo, hi in _merged(spans) if spans is not None else [(0, len(text))]:
            m = search(folded, lo, hi)
            while m:
                p, i = m.start(), self._term_of[m.lastindex]
                lead = leads[i].search(folded, max(0, p - _LEAD_WINDOW), p) if leads[i] is not None else None
                out.append((lead.start() if lead else p, p, i))
                m = search(folded, p + 1, hi)
        return out

    def count(self, text: str, spans: list[Span], matches: list[tuple[int, int, int]], folded: str | None = None) -> list[dict]:
        """Per theme (in order): hits of its terms inside ``spans``, with the sentences that hold them.

        ``matches`` are ``self.matches(text)``; a hit must lie wholly inside one span. ``folded``: ``fold_width(text)``
        when the caller has it. Rows of themes without a hit are one shared dict (read them, do not change them).

        >>> m = ThemeMatcher((Theme("积案化解", ("信访积案", "积案")),))
        >>> text = "化解信访积案。无关。积案清零"
        >>> r, = m.count(text, [(0, len(text))], m.matches(text))
        >>> r["hits"], r["sentences_hit"], r["example"], r["terms_found"]
        (2, 2, '化解信访积案。', '信访积案×1; 积案×1')
        """
        sentences = sentence_spans(text, spans)
        starts = [s for s, _ in sentences]
        n = len(self.themes)
        hits = [0] * n
        per_sentence: dict[int, dict[int, int]] = {}  # theme -> sentence index -> hits
        terms: dict[int, dict[str, int]] = {}  # theme -> term -> hits
        folded = fold_width(text) if folded is None else folded
        match_at, ordered, starters = self._match_at, self._ordered, self.starters
        bisect_right = bisect.bisect_right
        k_span, n_spans = 0, len(spans)
        lo, hi = spans[0] if spans else (0, 0)
        free = [0] * n  # per theme: where its scan may match next (its matches never overlap)
        for lead, start, term in matches:
            if start >= hi:
                while k_span < n_spans and spans[k_span][1] <= start:
                    k_span += 1
                if k_span == n_spans:
                    break
                lo, hi = spans[k_span]
            if start < lo:
                continue
            tries = (lead, start) if lo <= lead < start else (start,)
            for k in starters[term]:
                for at in tries:
                    if at < free[k]:
                        continue
                    m = match_at[k](folded, at, hi)
                    if m is None:
                        continue
                    free[k] = m.end()
                    hits[k] += 1
                    found = terms.setdefault(k, {})
                    word = ordered[k][m.lastindex - 1]
                    found[word] = found.get(word, 0) + 1
                    i = bisect_right(starts, at) - 1
                    if i >= 0 and at < sentences[i][1]:
                        ps = per_sentence.setdefault(k, {})
                        ps[i] = ps.get(i, 0) + 1
                    break
        chars = nonspace_chars(text, spans)
        n_sentences = len(sentences)
        zero = {
            "hits": 0, "hits_per_1000_chars": 0.0 if chars else None, "sentence_share": 0.0 if sentences else None,
            "sentences_hit": 0, "sentences": n_sentences, "chars": chars, "terms_found": "", "example": "",
            "example_start": None, "example_end": None, "sentence_spans": "",
        }
        out = []
        for k in range(n):
            if not hits[k]:
                out.append(zero)
                continue
            ps = per_sentence.get(k, {})
            best = min(ps, key=lambda i: (-ps[i], i)) if ps else None
            out.append({
                "hits": hits[k],
                "hits_per_1000_chars": round(hits[k] * 1000 / chars, 3) if chars else None,
                "sentence_share": round(len(ps) / n_sentences, 4) if sentences else None,
                "sentences_hit": len(ps),
                "sentences": n_sentences,
                "chars": chars,
                "terms_found": "; ".join(f"{t}×{c}" for t, c in sorted(terms[k].items(), key=lambda kv: (-kv[1], kv[0]))),
                "example": text[sentences[best][0]:sentences[best][1]] if best is not None else "",
                "example_start": sentences[best][0] if best is not None else None,
                "example_end": sentences[best][1] if best is not None else None,
                "sentence_spans": ";".join(f"{sentences[i][0]}:{sentences[i][1]}" for i in sorted(ps)),
            })
        return out
