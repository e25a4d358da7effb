"""Rank what distinguishes a document's words from the rest of the corpus: log-odds z-scores, TF-IDF (TextRank optional)."""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter
from collections.abc import Mapping

import numpy as np

from countyfiscal.text.tokenizer import Tokenizer, get_tokenizer

TOP_K = 20
DECIMALS = 6
# From this many distinct terms in a document, scores are computed over arrays (the same numbers, less interpreter).
ARRAYS_FROM = 16
# Strength of the log-odds prior, in tokens: the corpus's term shares act as this many pseudo-tokens in each
# document and in the rest (Monroe, Colaresi & Quinn 2008, "informative Dirichlet prior"). It keeps a term seen
# once in one short text from outranking one the document returns to again and again.
PRIOR_TOKENS = 1000.0
# jieba's TextRank default parts of speech (place names, nouns, verbal nouns, verbs); our user words are nouns.
TEXTRANK_POS = ("ns", "n", "vn", "v")
# The last characters of a place name, and of an organisation's name (局, 委员会, 支队 …): a word of the document's own
# names that ends so is a name, not a subject (信访局 goes, 信访 stays).
PLACE_ENDINGS = ("省", "市", "区", "县", "州", "盟", "旗", "镇", "乡", "街道")
ORG_ENDINGS = ("局", "厅", "委", "办", "部", "处", "室", "所", "站", "队", "中心", "委员会", "办公室", "支队", "大队",
               "机关", "政府", "党委")
_PLACE_STEM = re.compile("(?:" + "|".join(PLACE_ENDINGS) + ")$")
NAME_FIELDS = ("department", "jurisdiction", "province", "city", "county")


def smoothed_idf(n_docs: int, df: int) -> float:
    """ln((1 + N) / (1 + df)) + 1: a term in every document still weighs 1, so a corpus of five keeps its order.

    >>> round(smoothed_idf(5, 1), 4), smoothed_idf(5, 5)
    (2.0986, 1.0)
    """
    return math.log((1 + n_docs) / (1 + df)) + 1


def tfidf_scores(counts: Mapping[str, int], df: Mapping[str, int], n_docs: int, top_k: int = TOP_K) -> list[tuple[str, float]]:
    """Top ``top_k`` (term, score) of one document: (count / terms in the document) × smoothed IDF.

    Ties (after rounding to 6 decimals) are broken by the term, so the order never depends on dict order.

    >>> tfidf_scores({"积案": 2, "信访": 1}, {"积案": 1, "信访": 2}, 2, top_k=2)
    [('积案', 0.936977), ('信访', 0.333333)]
    """
    total = sum(counts.values())
    if not total:
        return []
    idf = _idf_table(n_docs)
    if len(counts) >= ARRAYS_FROM:
        terms = list(counts)
        c = np.fromiter(counts.values(), dtype=np.float64, count=len(terms))
        idfs = np.fromiter(map(idf, map(df.__getitem__, terms)), dtype=np.float64, count=len(terms))
        return _top_arrays(c * idfs, terms, 1 / total, top_k)
    raw = [(c * idf(df[t]), t) for t, c in counts.items()]
    return _top(raw, 1 / total, top_k)


@functools.lru_cache(maxsize=8)
def _idf_table(n_docs: int):
    """smoothed_idf(n_docs, df) memoised per df (document frequencies repeat)."""
    return functools.lru_cache(maxsize=None)(functools.partial(smoothed_idf, n_docs))


def _top(raw: list[tuple[float, str]], scale: float, top_k: int) -> list[tuple[str, float]]:
    """The ``top_k`` (term, round(value × scale, 6)) of raw (value, term) pairs, highest first, ties by term.

    Only the values that can still be among the top after rounding are rounded: any value within half a unit of
    the 6th decimal of the k-th largest (rounding moves a value by at most that).
    """
    if not raw:
        return []
    if len(raw) > top_k:
        kth = heapq.nlargest(top_k, raw)[-1][0] * scale
        floor = (kth - 1e-6) / scale if scale > 0 else kth
        raw = [vt for vt in raw if vt[0] >= floor]
    return _ranked(raw, scale, top_k)


def _ranked(pairs, scale: float, top_k: int) -> list[tuple[str, float]]:
    """(term, round(value × scale, 6)) of (value, term) pairs, highest first, ties by term, the first ``top_k``."""
    scored = [(t, round(v * scale, DECIMALS)) for v, t in pairs]
    scored.sort(key=lambda ts: (-ts[1], ts[0]))
    return scored[:top_k]


def _top_arrays(values, terms: list[str], scale: float, top_k: int) -> list[tuple[str, float]]:
    """``_top`` of (values[i], terms[i]) pairs, the values an array: the k-th largest found by partition, only the
    values that can still be among the top taken out of the array."""
    if not len(terms):
        return []
    if len(terms) > top_k:
        kth = float(np.partition(values, len(terms) - top_k)[len(terms) - top_k]) * scale
        floor = (kth - 1e-6) / scale if scale > 0 else kth
        keep = np.flatnonzero(values >= floor)
        pairs = zip(values[keep].tolist(), [terms[i] for i in keep.tolist()])
    else:
        pairs = zip(values.tolist(), terms)
    return _ranked(pairs, scale, top_k)


def tfidf_keywords(terms_by_file: dict[str, list[str]], top_k: int = TOP_K) -> dict[str, list[tuple[str, float]]]:
    """Top ``top_k`` (term, score) per file, score = (count / terms in file) × smoothed IDF across these files.

    >>> tfidf_keywords({"a": ["积案", "积案", "信访"], "b": ["信访", "热线"]}, top_k=2)["a"]
    [('积案', 0.936977), ('信访', 0.333333)]
    """
    counts = {f: Counter(terms) for f, terms in terms_by_file.items()}
    df = Counter(t for c in counts.values() for t in c)
    return {f: tfidf_scores(c, df, len(counts), top_k) for f, c in counts.items()}


def log_odds_scores(
    counts: Mapping[str, int],
    corpus: Mapping[str, int],
    corpus_total: int,
    top_k: int = TOP_K,
    prior_tokens: float = PRIOR_TOKENS,
) -> list[tuple[str, float]]:
    """Top ``top_k`` (term, z) of one document against the rest of the corpus, over-represented terms only (z > 0).

    ``counts``: the document's term counts; ``corpus``/``corpus_total``: term counts and total over every document
    of the corpus, this one included. With y the term's count here (n terms), r its count in the rest (m terms) and
    the prior a = prior_tokens × corpus share of the term:
    δ = ln((y+a) / (n+prior−y−a)) − ln((r+a) / (m+prior−r−a)), z = δ / √(1/(y+a) + 1/(r+a)).

    >>> corpus = {"积案": 6, "信访": 40, "热线": 4}
    >>> log_odds_scores({"积案": 5, "信访": 10}, corpus, 50)
    [('积案', 0.463666)]
    """
    n = sum(counts.values())
    m = corpus_total - n
    share = prior_tokens / corpus_total if corpus_total else 0.0
    if len(counts) >= ARRAYS_FROM:
        return _log_odds_arrays(counts, corpus, n, m, share, prior_tokens, top_k)
    log, sqrt = math.log, math.sqrt
    raw = []
    for term, y in counts.items():
        c = corpus[term]
        a = c * share
        r = c - y
        here = (y + a) / (n + prior_tokens - y - a)
        rest = (r + a) / (m + prior_tokens - r - a)
        # δ > 0 needs here > rest (log is monotonic): the under-represented half of the terms skips both logs.
        if here > rest:
            delta = log(here) - log(rest)
            if delta > 0:
                raw.append((delta / sqrt(1 / (y + a) + 1 / (r + a)), term))
    return [ts for ts in _top(raw, 1.0, top_k) if ts[1] > 0]


def _log_odds_arrays(counts: Mapping[str, int], corpus: Mapping[str, int], n: int, m: int, share: float,
                     prior_tokens: float, top_k: int) -> list[tuple[str, float]]:
    """``log_odds_scores`` over arrays: the same IEEE operations in the same order per term (NumPy's + − × ÷ and √
    round exactly as Python's), so the same numbers; the logarithms stay ``math.log``'s, of Python floats.

    With two or more terms in the document every denominator is positive (the rest of the corpus holds more than
    this term), so no division by zero can hide in an array."""
    terms = list(counts)
    y = np.fromiter(counts.values(), dtype=np.float64, count=len(terms))
    c = np.fromiter(map(corpus.__getitem__, terms), dtype=np.float64, count=len(terms))
    a = c * share
    r = c - y
    ya, ra = y + a, r + a
    here = ya / ((n + prior_tokens) - y - a)
    rest = ra / ((m + prior_tokens) - r - a)
    up = np.flatnonzero(here > rest)  # δ > 0 needs here > rest (log is monotonic)
    log = math.log
    delta = (np.fromiter(map(log, here[up].tolist()), dtype=np.float64, count=len(up))
             - np.fromiter(map(log, rest[up].tolist()), dtype=np.float64, count=len(up)))
    pos = delta > 0
    up = up[pos]
    z = delta[pos] / np.sqrt(1 / ya[up] + 1 / ra[up])
    return [ts for ts in _top_arrays(z, [terms[i] for i in up.tolist()], 1.0, top_k) if ts[1] > 0]


def own_name_words(document: Mapping[str, object], tokenizer: Tokenizer | None = None) -> frozenset[str]:
    """Words that name the document's own place or department, from its documents row (never a hard list).

    Every field of NAME_FIELDS is cut into words; a word is a name when it ends like a place (市, 区, 县 …) or an
    organisation (局, 委员会, 支队 …), or is the whole field, or is a place's name without its ending (杭州 of
    杭州市). Subject words inside a name stay: 信访局 and 杭州市 are names, 信访 is not.

    >>> sorted(own_name_words({"department": "杭州市信访局", "jurisdiction": "杭州市"}))
    ['信访局', '杭州', '杭州市', '杭州市信访局']
    """
    tok = tokenizer or get_tokenizer()
    out = set()
    for field in NAME_FIELDS:
        value = document.get(field)
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()
        out.add(value)
        for word in tok.cut(value):
            if len(word) >= 2 and word.endswith(PLACE_ENDINGS + ORG_ENDINGS):
                out.add(word)
                stem = _PLACE_STEM.sub("", word)
                if len(stem) >= 2 and word.endswith(PLACE_ENDINGS):
                    out.add(stem)
    return frozenset(out)


class _PairCutter:
    """Hands jieba's TextRank our tokens as (word, flag) pairs; stopwords get flag 'x' so TextRank skips them."""

    def __init__(self, tokenizer: Tokenizer, exclude: frozenset[str] = frozenset()):
        self.tokenizer = tokenizer
        self.exclude = exclude

    def cut(self, text: str):
        from jieba.posseg import pair

        tok = self.tokenizer
        return [pair(w, tok.pos(w) if tok.is_term(w) and w not in self.exclude else "x") for w in tok.cut(text)]


def textrank_keywords(
    text: str, tokenizer: Tokenizer | None = None, top_k: int = TOP_K, exclude: frozenset[str] = frozenset()
) -> list[tuple[str, float]]:
    """jieba's TextRank over our segmentation (window 5, nouns and verbs), as (term, normalised weight).

    About 10 ms a document: optional (``document_stats(..., textrank=True)``), for comparison only.
    """
    from jieba.analyse.textrank import TextRank

    tr = TextRank()  # a fresh instance; its tokenizer is replaced so jieba's global one is never touched
    tr.tokenizer = tr.postokenizer = _PairCutter(tokenizer or get_tokenizer(), exclude)
    ranked = tr.textrank(text, topK=None, withWeight=True, allowPOS=TEXTRANK_POS)
    scored = [(t, round(w, DECIMALS)) for t, w in ranked]
    return sorted(scored, key=lambda ts: (-ts[1], ts[0]))[:top_k]
