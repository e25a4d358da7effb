"""Text mining in two steps: per document where it is read (``document_stats``), then over the corpus's compact counts."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from countyfiscal.fields import columns, dtypes
from countyfiscal.text.keywords import TOP_K, log_odds_scores, own_name_words, textrank_keywords, tfidf_scores
from countyfiscal.text.sections import SCOPE_KINDS, scope_spans, section_rows, section_tree, sections_table
from countyfiscal.text.themes import GENERIC, Lexicon, load_lexicon
from countyfiscal.text.tokenizer import Tokenizer, fold_width, get_tokenizer

READABLE_STATUSES = ("ok", "partial")
# Themes and keywords are counted in the scopes of sections.SCOPE_KINDS only: over whole documents the mandatory
# 三公 explanation tops every department, glossary lines become examples, and the strongest words are the template's.
SCOPES = tuple(SCOPE_KINDS)
KEYWORD_SCOPES = SCOPES
MISSING_SCOPE = {
    "work_summary": "no work-summary, work-plan or performance section found",
    "duties": "no duties section (主要职责, 职能) found",
}
KEYWORD_METHODS = ("log_odds", "tfidf")
MIN_DEPARTMENTS = 2


@dataclass(frozen=True)
class DocTextStats:
    """What the corpus step needs of one document, and its own rows of the sections and themes tables.

    Compact and picklable: no text, only rows, and the term counts of the keyword scopes.
    """

    file: str
    jurisdiction: str
    department: str
    department_kind: str
    sections: tuple[tuple, ...]  # rows of the sections table (fields.columns("sections"))
    themes: tuple[tuple, ...]  # rows of the themes table (fields.columns("themes"))
    terms: dict[str, dict[str, int]]  # keyword scope -> term -> count; a scope the document lacks is absent
    textrank: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)  # only when asked for
    # (scope, theme, hits, chars) of each theme row, what CorpusCounts.add counts, kept when the rows themselves go
    # elsewhere (a worker sends its rows encoded, ``without_theme_rows``); None: read from ``themes``.
    theme_counts: tuple[tuple[str, str, int, int], ...] | None = None

    @property
    def department_key(self) -> tuple[str, str]:
        """Who the document speaks for: (jurisdiction, department); a document naming no department is its own."""
        return (self.jurisdiction, self.department) if self.department else (self.jurisdiction, "\0" + self.file)

    def frames(self) -> dict[str, pd.DataFrame]:
        """This document's rows of the sections and themes tables, typed."""
        return document_frames([self])

    def counted_themes(self) -> tuple[tuple[str, str, int, int], ...]:
        """(scope, theme, hits, chars) of every row of ``themes`` that scores a theme (a missing scope's row does
        not), in row order."""
        if self.theme_counts is not None:
            return self.theme_counts
        return tuple((row[2], row[3], row[4], row[9]) for row in self.themes if row[3])

    def without_theme_rows(self) -> DocTextStats:
        """Without the sections and themes rows (written out elsewhere), with what ``CorpusCounts.add`` counts of
        the themes: a tenth of their size."""
        return replace(self, sections=(), themes=(), theme_counts=self.counted_themes())

    def without_rows(self) -> DocTextStats:
        """What the keyword pass needs (names and term counts), for keeping until every document has been added:
        the sections and themes rows are written out (``frames``) and counted (``CorpusCounts.add``) before."""
        return replace(self, sections=(), themes=(), theme_counts=None)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def document_stats(
    text: str,
    document: Mapping[str, object],
    *,
    textrank: bool = False,
    lexicon: Lexicon | None = None,
    tokenizer: Tokenizer | None = None,
) -> DocTextStats:
    """Sections, theme hits and term counts per scope (work_summary, duties) of one normalised text.

    ``document`` is the file's documents row (``file``, ``jurisdiction``, ``department``; ``province``, ``city``
    and ``county`` too, whose words are left out of the keywords with the department's). The department's name
    chooses the theme lexicon (resources/themes.yml). Runs where the document is read; the result is what
    ``corpus_tables`` needs. ``textrank``: also jieba's TextRank per keyword scope (about 10 ms a document).

    >>> s = document_stats("一、主要职责\\n负责信访工作。\\n二、重点工作\\n化解信访积案。",
    ...                    {"file": "a.txt", "jurisdiction": "甲县", "department": "甲县信访局"})
    >>> s.department_kind, s.terms
    ('信访', {'work_summary': {'化解': 1, '信访积案': 1}, 'duties': {'信访工作': 1}})
    """
    lexicon = lexicon or load_lexicon()
    tok = tokenizer or get_tokenizer()
    file = _text(document.get("file"))
    jurisdiction = _text(document.get("jurisdiction"))
    department = _text(document.get("department"))
    kind = lexicon.kind_of(department)
    secs = section_tree(text)
    spans = {scope: scope_spans(secs, scope) for scope in SCOPES}

    matcher = lexicon.matcher(kind)
    folded = fold_width(text)
    matches = matcher.matches(text, [span for sp in spans.values() for span in sp], folded)
    themes = []
    for scope in SCOPES:
        if not spans[scope]:
            themes.append((file, jurisdiction, scope, "", None, None, None, None, None, None, "", "", None, None, "",
                           department, kind, "", MISSING_SCOPE[scope]))
            continue
        for theme, r in zip(matcher.themes, matcher.count(text, spans[scope], matches, folded)):
            themes.append((file, jurisdiction, scope, theme.name, r["hits"], r["hits_per_1000_chars"],
                           r["sentence_share"], r["sentences_hit"], r["sentences"], r["chars"], r["terms_found"],
                           r["example"], r["example_start"], r["example_end"], r["sentence_spans"],
                           department, kind, theme.theme_set, ""))
    themes.sort(key=lambda row: (row[2], row[3]))

    own = own_name_words(document, tok)
    terms: dict[str, dict[str, int]] = {}
    ranked: dict[str, tuple[tuple[str, float], ...]] = {}
    for scope in KEYWORD_SCOPES:
        if not spans[scope]:
            continue
        scoped = "\n".join(text[a:b] for a, b in spans[scope])
        counts = Counter(tok.terms(scoped))  # counted in C; the document's own names then leave
        for word in own:
            counts.pop(word, None)
        terms[scope] = dict(counts)
        if textrank:
            ranked[scope] = tuple(textrank_keywords(scoped, tok, exclude=own))
    return DocTextStats(file, jurisdiction, department, kind, tuple(section_rows(file, secs)), tuple(themes), terms,
                        ranked)


def document_frames(stats: Iterable[DocTextStats]) -> dict[str, pd.DataFrame]:
    """The sections and themes rows of several documents, typed, in the order given (give them in file order and
    batch after batch is the whole table in order: every text table sorts by file first)."""
    sections, themes = [], []
    for s in stats:
        sections.extend(s.sections)
        themes.extend(s.themes)
    return {"sections": sections_table(sections), "themes": themes_table(themes)}


def themes_table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns("themes")).astype(dtypes("themes"))


def keywords_table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns("keywords")).astype(dtypes("keywords"))


def recurring_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns("recurring_themes")).astype(dtypes("recurring_themes"))


def wilson_lower(k: int, n: int, z: float = 1.96) -> float:
    """Lower bound of the Wilson score interval of the share k/n (95 % by default): a share resting on few
    departments ranks below the same share resting on many.

    >>> round(wilson_lower(2, 2), 4), round(wilson_lower(23, 27), 4), wilson_lower(0, 0)
    (0.3424, 0.6752, 0.0)
    """
    if n <= 0:
        return 0.0
    p = k / n
    z2 = z * z
    return (p + z2 / (2 * n) - z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))) / (1 + z2 / n)


class CorpusCounts:
    """The corpus-level counts keywords and recurring themes need, gathered one document at a time.

    Memory grows with the vocabulary and the number of departments, not with the documents' texts or rows.
    Call ``add`` for every document first (pass 1), then ``keywords`` for each document (pass 2) and
    ``recurring_themes`` once.
    """

    def __init__(self, lexicon: Lexicon | None = None, top_k: int = TOP_K, min_departments: int = MIN_DEPARTMENTS):
        self.lexicon = lexicon or load_lexicon()
        self.top_k = top_k
        self.min_departments = min_departments
        self.df: dict[str, Counter] = {s: Counter() for s in KEYWORD_SCOPES}
        self.total: dict[str, Counter] = {s: Counter() for s in KEYWORD_SCOPES}
        self.tokens: dict[str, int] = dict.fromkeys(KEYWORD_SCOPES, 0)
        self.documents: dict[str, int] = dict.fromkeys(KEYWORD_SCOPES, 0)
        themes = self.lexicon.themes
        self._bit = {t.name: 1 << i for i, t in enumerate(themes)}
        self._name = {b: n for n, b in self._bit.items()}
        self._set = {t.name: t.theme_set for t in themes}
        # (scope, department key or jurisdiction) -> [themes scored, themes hit] as bit masks
        self._departments: dict[tuple, list[int]] = {}
        self._jurisdictions: dict[tuple, list[int]] = {}
        # (scope, theme) -> [departments scored, departments hit, jurisdictions scored, documents scored,
        #                    documents hit, hits]
        self._theme: dict[tuple[str, str], list[int]] = {}
        # (scope, theme, jurisdiction) -> [hits, characters] over the jurisdiction's documents with a hit
        self._places: dict[tuple[str, str, str], list[int]] = {}

    def add(self, stats: DocTextStats) -> None:
        """Pass 1: count one document's terms (document frequencies, corpus totals) and theme hits."""
        for scope, counts in stats.terms.items():
            self.df[scope].update(counts.keys())
            self.total[scope].update(counts)
            self.tokens[scope] += sum(counts.values())
            self.documents[scope] += 1
        scored: dict[str, int] = {}
        hit: dict[str, int] = {}
        for scope, theme, hits, chars in stats.counted_themes():
            bit = self._bit[theme]
            scored[scope] = scored.get(scope, 0) | bit
            counts = self._theme.setdefault((scope, theme), [0, 0, 0, 0, 0, 0])
            counts[3] += 1
            if hits:
                hit[scope] = hit.get(scope, 0) | bit
                counts[4] += 1
                counts[5] += hits
                if stats.jurisdiction:
                    place = self._places.setdefault((scope, theme, stats.jurisdiction), [0, 0])
                    place[0] += hits
                    place[1] += chars
        for scope, mask in scored.items():
            self._mark(self._departments, (scope, stats.department_key), scope, mask, hit.get(scope, 0), 0, 1)
            if stats.jurisdiction:
                self._mark(self._jurisdictions, (scope, stats.jurisdiction), scope, mask, 0, 2, None)

    def _mark(self, seen: dict, key: tuple, scope: str, scored: int, hit: int, scored_slot: int, hit_slot) -> None:
        """Count, per theme, a department or jurisdiction the first time it is scored against (or hit by) it."""
        masks = seen.setdefault(key, [0, 0])
        for mask, slot, i in ((scored, scored_slot, 0), (hit, hit_slot, 1)):
            new = mask & ~masks[i]
            masks[i] |= mask
            if slot is None:
                continue
            while new:
                low = new & -new
                self._theme[(scope, self._name[low])][slot] += 1
                new ^= low

    def keyword_rows(self, stats: DocTextStats) -> list[tuple]:
        """Pass 2: one document's keyword rows (after ``add`` has seen every document)."""
        rows = []
        for scope in sorted(KEYWORD_SCOPES):  # the table's order
            counts = stats.terms.get(scope)
            if counts is None:
                rows.append((stats.file, scope, "", None, "", None, None, None, None, MISSING_SCOPE[scope]))
                continue
            df, total = self.df[scope], self.total[scope]
            methods = {
                "log_odds": log_odds_scores(counts, total, self.tokens[scope], self.top_k),
                "tfidf": tfidf_scores(counts, df, self.documents[scope], self.top_k) if counts else [],
            }
            if scope in stats.textrank:
                methods["textrank"] = list(stats.textrank[scope])
            for method in sorted(methods):
                for rank, (term, score) in enumerate(methods[method], 1):
                    count = counts.get(term, 0)
                    rows.append((stats.file, scope, method, rank, term, score, count, df[term], total[term] - count, ""))
        return rows

    def keywords(self, stats: DocTextStats) -> pd.DataFrame:
        """``keyword_rows`` as the typed keywords table."""
        return keywords_table(self.keyword_rows(stats))

    def recurring_themes(self) -> pd.DataFrame:
        """Themes mentioned in the scope's text of at least ``min_departments`` departments, ranked per scope by the
        share of the departments scored against them (its 95 % Wilson lower bound, so that 2 departments of 2 do not
        outrank 23 of 27)."""
        places: dict[tuple[str, str], dict[str, list[int]]] = {}
        for (scope, theme, place), hc in self._places.items():
            places.setdefault((scope, theme), {})[place] = hc
        rows = []
        for (scope, theme), (deps_scored, deps_hit, juris_scored, docs_scored, docs_hit, hits) in self._theme.items():
            if deps_hit < max(self.min_departments, 1):
                continue
            by_place = places.get((scope, theme), {})
            rates = {p: round(h * 1000 / c, 3) for p, (h, c) in by_place.items() if c}
            top = min(rates, key=lambda p: (-rates[p], p)) if rates else ""
            rows.append({
                "scope": scope, "theme": theme, "n_jurisdictions": len(by_place),
                "jurisdictions": "、".join(sorted(by_place)), "n_documents": docs_hit, "hits": hits,
                "top_jurisdiction": top, "top_hits_per_1000_chars": rates.get(top),
                "theme_set": self._set[theme], "rank": None, "n_departments": deps_hit,
                "departments_scored": deps_scored, "department_share": round(deps_hit / deps_scored, 4),
                "department_share_low": round(wilson_lower(deps_hit, deps_scored), 4),
                "jurisdictions_scored": juris_scored,
                "jurisdiction_share": round(len(by_place) / juris_scored, 4) if juris_scored else None,
                "documents_scored": docs_scored,
            })
        rows.sort(key=lambda r: (r["scope"], -r["department_share_low"], -r["department_share"], -r["hits"], r["theme"]))
        rank: Counter[str] = Counter()
        for r in rows:
            rank[r["scope"]] += 1
            r["rank"] = rank[r["scope"]]
        return recurring_table(rows)


def corpus_tables(
    stats: Iterable[DocTextStats],
    documents: pd.DataFrame | None = None,
    *,
    top_k: int = TOP_K,
    min_departments: int = MIN_DEPARTMENTS,
    lexicon: Lexicon | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables ``sections``, ``themes``, ``keywords`` and ``recurring_themes`` from per-document stats.

    ``stats`` is iterated twice (document frequencies first, then each document's keywords): give a list, or a
    re-iterable that streams from disk. With ``documents``, only files whose status there is ok or partial are
    used (duplicates are known only once every file is read). Neither argument is changed.
    """
    keep = None
    if documents is not None:
        keep = set(documents.loc[documents["status"].isin(READABLE_STATUSES), "file"])

    def used() -> Iterable[DocTextStats]:
        return (s for s in stats if keep is None or s.file in keep)

    counts = CorpusCounts(lexicon, top_k, min_departments)
    sections, themes = [], []
    for s in used():
        counts.add(s)
        sections.extend(s.sections)
        themes.extend(s.themes)
    keywords = [row for s in used() for row in counts.keyword_rows(s)]
    sort = {"sections": ["file", "start", "depth"], "themes": ["file", "scope", "theme"],
            "keywords": ["file", "scope", "method", "rank"]}
    tables = {"sections": sections_table(sections), "themes": themes_table(themes), "keywords": keywords_table(keywords)}
    for name, keys in sort.items():
        tables[name] = tables[name].sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)
    tables["recurring_themes"] = counts.recurring_themes()
    return tables


def mine(
    texts: dict[str, str],
    documents: pd.DataFrame,
    *,
    top_k: int = TOP_K,
    min_departments: int = MIN_DEPARTMENTS,
    textrank: bool = False,
) -> dict[str, pd.DataFrame]:
    """``corpus_tables`` of every readable document (status ok/partial, with a text), in one process.

    ``texts`` maps file → normalised text; ``documents`` is the documents table. Neither argument is changed.
    """
    readable = documents[documents["status"].isin(READABLE_STATUSES)]
    rows = {r["file"]: r for r in readable.to_dict("records") if r["file"] in texts}
    stats = [document_stats(texts[f], rows[f], textrank=textrank) for f in sorted(rows)]
    return corpus_tables(stats, top_k=top_k, min_departments=min_departments)


def init_worker() -> None:
    """Build this process's tokenizer and lexicon now (a pool initializer): the dictionary is built once per worker."""
    get_tokenizer().cut("信访")
    load_lexicon()
