"""Rank each document's keywords by TF-IDF over our own corpus, with jieba's TextRank alongside for comparison."""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd

from countyfiscal.fields import columns, dtypes
from countyfiscal.text.tokenizer import Tokenizer, get_tokenizer

TOP_K = 20
DECIMALS = 6
# jieba's TextRank default parts of speech (place names, nouns, verbal nouns, verbs); our user words are nouns.
TEXTRANK_POS = ("ns", "n", "vn", "v")


def smoothed_idf(n_docs: int, df: int) -> float:
    """ln((1 + N) / (1 + df)) + 1: a term in every document still weighs 1, so a corpus of five keeps its order.

    >>> round(smoothed_idf(5, 1), 4), smoothed_idf(5, 5)
    (2.0986, 1.0)
    """
    return math.log((1 + n_docs) / (1 + df)) + 1


def tfidf_keywords(terms_by_file: dict[str, list[str]], top_k: int = TOP_K) -> dict[str, list[tuple[str, float]]]:
    """Top ``top_k`` (term, score) per file, score = (count / terms in file) × smoothed IDF across these files.

    Ties (after rounding to 6 decimals) are broken by the term, so the order never depends on dict order.

    >>> tfidf_keywords({"a": ["积案", "积案", "信访"], "b": ["信访", "热线"]}, top_k=2)["a"]
    [('积案', 0.936977), ('信访', 0.333333)]
    """
    df = Counter(t for terms in terms_by_file.values() for t in set(terms))
    n = len(terms_by_file)
    out = {}
    for file, terms in terms_by_file.items():
        counts = Counter(terms)
        total = len(terms)
        scored = [(t, round(c / total * smoothed_idf(n, df[t]), DECIMALS)) for t, c in counts.items()]
        out[file] = sorted(scored, key=lambda ts: (-ts[1], ts[0]))[:top_k]
    return out


class _PairCutter:
    """Hands jieba's TextRank our tokens as (word, flag) pairs; stopwords get flag 'x' so TextRank skips them."""

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer

    def cut(self, text: str):
        from jieba.posseg import pair

        tok = self.tokenizer
        return [pair(w, tok.pos(w) if tok.is_term(w) else "x") for w in tok.cut(text)]


def textrank_keywords(text: str, tokenizer: Tokenizer | None = None, top_k: int = TOP_K) -> list[tuple[str, float]]:
    """jieba's TextRank over our segmentation (window 5, nouns and verbs), as (term, normalised weight)."""
    from jieba.analyse.textrank import TextRank

    tr = TextRank()  # a fresh instance; its tokenizer is replaced so jieba's global one is never touched
    tr.tokenizer = tr.postokenizer = _PairCutter(tokenizer or get_tokenizer())
    ranked = tr.textrank(text, topK=None, withWeight=True, allowPOS=TEXTRANK_POS)
    scored = [(t, round(w, DECIMALS)) for t, w in ranked]
    return sorted(scored, key=lambda ts: (-ts[1], ts[0]))[:top_k]


def keywords_frame(
    scoped_texts: dict[str, dict[str, str]],
    tokenizer: Tokenizer | None = None,
    top_k: int = TOP_K,
    textrank: bool = True,
) -> pd.DataFrame:
    """The keywords table: ``scoped_texts`` maps scope → file → the text of that scope."""
    tok = tokenizer or get_tokenizer()
    rows = []
    for scope in sorted(scoped_texts):
        texts = scoped_texts[scope]
        terms = {f: tok.terms(texts[f]) for f in sorted(texts)}
        df = Counter(t for ts in terms.values() for t in set(ts))
        methods = {"tfidf": tfidf_keywords(terms, top_k)}
        if textrank:
            methods["textrank"] = {f: textrank_keywords(texts[f], tok, top_k) for f in sorted(texts)}
        for method, per_file in methods.items():
            for file, ranked in per_file.items():
                counts = Counter(terms[file])
                for rank, (term, score) in enumerate(ranked, 1):
                    rows.append({
                        "file": file, "scope": scope, "method": method, "rank": rank, "term": term,
                        "score": score, "count": counts[term], "df": df[term],
                    })
    frame = pd.DataFrame(rows, columns=columns("keywords")).astype(dtypes("keywords"))
    return frame.sort_values(["file", "scope", "method", "rank"], kind="stable").reset_index(drop=True)
