"""Count a lexicon of 信访 and fiscal themes per document, every count traceable to its sentences."""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from countyfiscal.fields import columns, dtypes
from countyfiscal.text.tokenizer import fold_width, phrase_pattern, resource_path

Span = tuple[int, int]
# A sentence ends at 。！？； (or their ASCII forms) or at a line end: headings and table rows are lines.
_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]*")


@dataclass(frozen=True)
class Theme:
    name: str
    terms: tuple[str, ...]
    description: str = ""

    @functools.cached_property
    def pattern(self) -> re.Pattern:
        # Longest term first: at one position 信访积案 wins over 积案, and matches never overlap.
        ordered = sorted(self.terms, key=lambda t: (-len(t), t))
        return re.compile("|".join(f"(?P<t{i}>{phrase_pattern(t)})" for i, t in enumerate(ordered)))

    @functools.cached_property
    def ordered_terms(self) -> tuple[str, ...]:
        return tuple(sorted(self.terms, key=lambda t: (-len(t), t)))


def load_themes(path: str | Path | None = None) -> tuple[Theme, ...]:
    """Themes of ``themes.yml`` (theme → description, terms), in file order."""
    path = Path(path) if path else resource_path("themes.yml")
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    themes = []
    for name, spec in data.items():
        terms = tuple(dict.fromkeys(str(t).strip() for t in spec["terms"] if str(t).strip()))
        if not terms:
            raise ValueError(f"theme {name!r} in {path} has no terms")
        themes.append(Theme(str(name), terms, str(spec.get("description", ""))))
    return tuple(themes)


def sentence_spans(text: str, spans: list[Span]) -> list[Span]:
    """(start, end) of every non-blank sentence inside ``spans``, leading and trailing spaces excluded.

    >>> sentence_spans("一是甲。二是乙；\\n 丙", [(0, 11)])
    [(0, 4), (4, 8), (10, 11)]
    """
    out = []
    for lo, hi in spans:
        for m in _SENTENCE.finditer(text, lo, hi):
            s, e = m.start(), m.end()
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if s < e:
                out.append((s, e))
    return out


def count_theme(text: str, spans: list[Span], theme: Theme, sentences: list[Span] | None = None) -> dict:
    """Hits of ``theme`` in ``text`` restricted to ``spans``, with the sentences that hold them.

    >>> t = Theme("积案化解", ("信访积案", "积案"))
    >>> r = count_theme("化解信访积案。无关。积案清零", [(0, 15)], t)
    >>> r["hits"], r["sentences_hit"], r["example"], r["terms_found"]
    (2, 2, '化解信访积案。', '信访积案×1; 积案×1')
    """
    folded = fold_width(text)  # same length as text, so offsets found here hold in the original
    sentences = sentence_spans(text, spans) if sentences is None else sentences
    starts = [s for s, _ in sentences]
    per_sentence: Counter[int] = Counter()
    terms: Counter[str] = Counter()
    hits = 0
    for lo, hi in spans:
        for m in theme.pattern.finditer(folded, lo, hi):
            hits += 1
            terms[theme.ordered_terms[int(m.lastgroup[1:])]] += 1
            i = bisect.bisect_right(starts, m.start()) - 1
            if i >= 0 and m.start() < sentences[i][1]:
                per_sentence[i] += 1
    chars = sum(1 for lo, hi in spans for ch in text[lo:hi] if not ch.isspace())
    best = min(per_sentence, key=lambda i: (-per_sentence[i], i)) if per_sentence else None
    return {
        "hits": hits,
        "hits_per_1000_chars": round(hits * 1000 / chars, 3) if chars else None,
        "sentence_share": round(len(per_sentence) / len(sentences), 4) if sentences else None,
        "sentences_hit": len(per_sentence),
        "sentences": len(sentences),
        "chars": chars,
        "terms_found": "; ".join(f"{t}×{n}" for t, n in sorted(terms.items(), key=lambda kv: (-kv[1], kv[0]))),
        "example": text[sentences[best][0]:sentences[best][1]] if best is not None else "",
        "example_start": sentences[best][0] if best is not None else None,
        "example_end": sentences[best][1] if best is not None else None,
        "sentence_spans": ";".join(f"{sentences[i][0]}:{sentences[i][1]}" for i in sorted(per_sentence)),
    }


def themes_frame(
    texts: dict[str, str],
    spans: dict[str, dict[str, list[Span]]],
    jurisdictions: dict[str, str] | None = None,
    themes: tuple[Theme, ...] | None = None,
) -> pd.DataFrame:
    """One row per document, scope and theme (zero hits included, so absence is comparable across counties).

    ``spans`` maps scope → file → the (start, end) spans of that scope; a file missing from a scope gets no
    rows for it (e.g. no work summary).
    """
    themes = themes if themes is not None else load_themes()
    jurisdictions = jurisdictions or {}
    rows = []
    for scope in sorted(spans):
        for file in sorted(spans[scope]):
            text, sp = texts[file], spans[scope][file]
            sentences = sentence_spans(text, sp)
            for theme in themes:
                row = {"file": file, "jurisdiction": jurisdictions.get(file, ""), "scope": scope, "theme": theme.name}
                row.update(count_theme(text, sp, theme, sentences))
                rows.append(row)
    frame = pd.DataFrame(rows, columns=columns("themes")).astype(dtypes("themes"))
    return frame.sort_values(["file", "scope", "theme"], kind="stable").reset_index(drop=True)


def recurring_themes(themes: pd.DataFrame, min_jurisdictions: int = 3) -> pd.DataFrame:
    """Themes with hits in at least ``min_jurisdictions`` distinct (non-empty) jurisdictions, per scope,
    with the jurisdiction where each is densest (hits and characters summed over its documents)."""
    rows = []
    hit = themes[themes["hits"].fillna(0) > 0]
    for (scope, theme), g in hit.groupby(["scope", "theme"], sort=True):
        places = g[g["jurisdiction"].fillna("") != ""]
        names = sorted(set(places["jurisdiction"]))
        if len(names) < min_jurisdictions:
            continue
        by_place = places.groupby("jurisdiction", sort=True)[["hits", "chars"]].sum()
        rate = (by_place["hits"] * 1000 / by_place["chars"]).round(3)
        top = min(rate.index, key=lambda j: (-rate[j], j))
        rows.append({
            "scope": scope, "theme": theme, "n_jurisdictions": len(names), "jurisdictions": "、".join(names),
            "n_documents": g["file"].nunique(), "hits": int(g["hits"].sum()),
            "top_jurisdiction": top, "top_hits_per_1000_chars": float(rate[top]),
        })
    frame = pd.DataFrame(rows, columns=columns("recurring_themes")).astype(dtypes("recurring_themes"))
    return frame.sort_values(["scope", "n_jurisdictions", "theme"], ascending=[True, False, True], kind="stable").reset_index(drop=True)
