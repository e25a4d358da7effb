"""Today's text mining (``countyfiscal.text.mine``) split into a per-document step and a corpus step, with the
interface the text helper publishes (document_stats / CorpusCounts): a stand-in until theirs lands, then deleted.

``corpus_tables(map(document_stats, …))`` gives the tables ``mine`` gives (tested in tests/test_pipeline_text.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from countyfiscal.fields import columns, dtypes

READABLE_STATUSES = ("ok", "partial")
MIN_JURISDICTIONS = 3


@dataclass
class DocTextStats:
    """What one document contributes: its sections and theme rows, and per scope its terms (counted) and TextRank
    keywords. Compact and picklable."""

    file: str
    sections: list[dict] = field(default_factory=list)
    themes: list[dict] = field(default_factory=list)
    # scope -> (term counts in first-seen order, number of terms, TextRank top terms)
    scopes: dict[str, tuple[dict[str, int], int, list[tuple[str, float]]]] = field(default_factory=dict)

    def frames(self) -> dict[str, pd.DataFrame]:
        return document_frames([self])

    def without_rows(self) -> DocTextStats:
        """What the second pass needs (keywords), without the rows already written: the object to spill."""
        return DocTextStats(self.file, scopes=self.scopes)


def document_stats(text: str, document: Mapping[str, object], *, textrank: bool = True) -> DocTextStats:
    from countyfiscal.text.keywords import textrank_keywords
    from countyfiscal.text.sections import NO_WORK_SUMMARY, section_tree, work_summary_spans
    from countyfiscal.text.themes import count_theme, load_themes, sentence_spans
    from countyfiscal.text.tokenizer import get_tokenizer

    file = str(document["file"])
    jurisdiction = document.get("jurisdiction")
    jurisdiction = "" if jurisdiction is None or pd.isna(jurisdiction) else str(jurisdiction)
    secs = section_tree(text)
    stats = DocTextStats(file)
    for s in secs:
        stats.sections.append({
            "file": file, "path": " > ".join(s.path), "kind": s.kind, "start": s.start, "end": s.end,
            "heading": s.heading.text, "marker": s.heading.marker.strip(), "style": s.heading.style,
            "depth": s.depth, "kind_from": s.kind_from,
        })
    ws = work_summary_spans(secs)
    if not ws:
        stats.sections.append({
            "file": file, "path": "", "kind": NO_WORK_SUMMARY, "start": None, "end": None,
            "heading": "", "marker": "", "style": "", "depth": None, "kind_from": "",
        })
    spans = {"document": [(0, len(text))]}
    if ws:
        spans["work_summary"] = ws
    themes = load_themes()
    for scope in sorted(spans):
        sp = spans[scope]
        sentences = sentence_spans(text, sp)
        for theme in themes:
            row = {"file": file, "jurisdiction": jurisdiction, "scope": scope, "theme": theme.name}
            row.update(count_theme(text, sp, theme, sentences))
            stats.themes.append(row)
    tok = get_tokenizer()
    for scope in sorted(spans):
        scoped = "\n".join(text[a:b] for a, b in spans[scope])
        terms = tok.terms(scoped)
        ranked = textrank_keywords(scoped, tok) if textrank else []
        stats.scopes[scope] = (dict(Counter(terms)), len(terms), ranked)
    return stats


def document_frames(stats: Iterable[DocTextStats]) -> dict[str, pd.DataFrame]:
    """The sections and themes rows of these documents, typed and sorted as the whole tables are."""
    stats = list(stats)
    sections = pd.DataFrame([r for s in stats for r in s.sections], columns=columns("sections")).astype(dtypes("sections"))
    themes = pd.DataFrame([r for s in stats for r in s.themes], columns=columns("themes")).astype(dtypes("themes"))
    return {
        "sections": sections.sort_values(["file", "start", "depth"], na_position="last", kind="stable").reset_index(drop=True),
        "themes": themes.sort_values(["file", "scope", "theme"], kind="stable").reset_index(drop=True),
    }


class CorpusCounts:
    """Corpus accumulator: document frequencies per scope and what recurring themes need; memory grows with the
    vocabulary and the jurisdictions, not with the documents."""

    def __init__(self, top_k: int = 20, min_jurisdictions: int = MIN_JURISDICTIONS) -> None:
        self.top_k = top_k
        self.min_jurisdictions = min_jurisdictions
        self.df: dict[str, Counter] = {}
        self.n: Counter = Counter()
        # (scope, theme) -> [documents with hits, hits]; (scope, theme, jurisdiction) -> [hits, chars]
        self.hit: dict[tuple[str, str], list[int]] = {}
        self.place: dict[tuple[str, str, str], list[int]] = {}

    def add(self, stats: DocTextStats) -> None:
        for scope, (counts, _total, _ranked) in stats.scopes.items():
            self.df.setdefault(scope, Counter()).update(counts.keys())
            self.n[scope] += 1
        for r in stats.themes:
            hits = r["hits"] or 0
            if hits <= 0:
                continue
            key = (r["scope"], r["theme"])
            acc = self.hit.setdefault(key, [0, 0])
            acc[0] += 1
            acc[1] += hits
            if r["jurisdiction"]:
                place = self.place.setdefault((r["scope"], r["theme"], r["jurisdiction"]), [0, 0])
                place[0] += hits
                place[1] += r["chars"] or 0

    def keywords(self, stats: DocTextStats) -> pd.DataFrame:
        return pd.DataFrame(self.keyword_rows(stats), columns=columns("keywords")).astype(dtypes("keywords"))

    def keyword_rows(self, stats: DocTextStats) -> list[tuple]:
        """This document's keyword rows (pass 2) as tuples in the table's column order."""
        from countyfiscal.text.keywords import DECIMALS, smoothed_idf

        rows = []
        for scope in sorted(stats.scopes):
            counts, total, ranked = stats.scopes[scope]
            df, n = self.df[scope], self.n[scope]
            scored = [(t, round(c / total * smoothed_idf(n, df[t]), DECIMALS)) for t, c in counts.items()]
            methods = {"tfidf": sorted(scored, key=lambda ts: (-ts[1], ts[0]))[:self.top_k]}
            if ranked:
                methods["textrank"] = ranked
            for method in sorted(methods):
                for rank, (term, score) in enumerate(methods[method], 1):
                    rows.append((stats.file, scope, method, rank, term, score, counts.get(term, 0), df[term]))
        return rows

    def recurring_themes(self) -> pd.DataFrame:
        rows = []
        for (scope, theme) in sorted(self.hit):
            n_docs, hits = self.hit[(scope, theme)]
            places = {j: v for (s, t, j), v in self.place.items() if s == scope and t == theme}
            names = sorted(places)
            if len(names) < self.min_jurisdictions:
                continue
            by_place = pd.DataFrame({"hits": [places[j][0] for j in names], "chars": [places[j][1] for j in names]},
                                    index=names)
            rate = (by_place["hits"] * 1000 / by_place["chars"]).round(3)
            top = min(rate.index, key=lambda j: (-rate[j], j))
            rows.append({
                "scope": scope, "theme": theme, "n_jurisdictions": len(names), "jurisdictions": "、".join(names),
                "n_documents": n_docs, "hits": hits, "top_jurisdiction": top,
                "top_hits_per_1000_chars": float(rate[top]),
            })
        frame = pd.DataFrame(rows, columns=columns("recurring_themes")).astype(dtypes("recurring_themes"))
        return frame.sort_values(["scope", "n_jurisdictions", "theme"], ascending=[True, False, True],
                                 kind="stable").reset_index(drop=True)


def corpus_tables(stats: Iterable[DocTextStats], documents: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """All four tables from per-document stats (iterated twice), as ``mine`` makes them."""
    stats = sorted(stats, key=lambda s: s.file)
    if documents is not None:
        readable = set(documents.loc[documents["status"].isin(READABLE_STATUSES), "file"])
        stats = [s for s in stats if s.file in readable]
    corpus = CorpusCounts()
    for s in stats:
        corpus.add(s)
    frames = document_frames(stats)
    keywords = [corpus.keywords(s) for s in stats]
    frames["keywords"] = (pd.concat(keywords, ignore_index=True) if keywords
                          else pd.DataFrame(columns=columns("keywords")).astype(dtypes("keywords")))
    frames["recurring_themes"] = corpus.recurring_themes()
    return frames


def init_worker() -> None:
    """Build the process's tokenizer once, and load jieba's tags TextRank reads (before forking workers)."""
    from countyfiscal.text.tokenizer import _jieba_word_tags, get_tokenizer

    get_tokenizer()
    _jieba_word_tags()
