"""Tests for countyfiscal.text.keywords and the mine() entry point: TF-IDF on our corpus, TextRank, determinism."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

from countyfiscal.fields import columns
from countyfiscal.text import mine
from countyfiscal.text.keywords import keywords_frame, smoothed_idf, textrank_keywords, tfidf_keywords
from countyfiscal.text.tokenizer import get_tokenizer

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
SEED_PLACES = {
    "000_d2df3ef129941176.txt": "红塔区",
    "001_397323f2860f1b51.txt": "紫阳县",
    "002_94b8458f609bc2e0.txt": "盘龙区",
    "003_0f5fdd14f3227a61.txt": "米易县",
    "004_70dee09d8603147c.txt": "曾都区",
}


@functools.lru_cache(maxsize=1)
def _seed_texts() -> tuple[tuple[str, str], ...]:
    from countyfiscal.ingest import read_document

    return tuple((name, read_document(RAW / name).text) for name in SEED_PLACES)


def seed_inputs() -> tuple[dict[str, str], pd.DataFrame]:
    texts = dict(_seed_texts())
    documents = pd.DataFrame({
        "file": list(SEED_PLACES) + ["rejected.pdf"],
        "jurisdiction": list(SEED_PLACES.values()) + ["某县"],
        "department": "", "fiscal_year": 2023, "doc_kind": "",
        "status": ["ok"] * 4 + ["partial", "rejected"],
    })
    return texts, documents


@functools.lru_cache(maxsize=1)
def _mined_seeds() -> dict[str, pd.DataFrame]:
    texts, documents = seed_inputs()
    return mine(texts, documents)


@pytest.fixture(scope="module")
def mined() -> dict[str, pd.DataFrame]:
    """The seeds mined once per test session (shared with test_themes); tests only read it."""
    return _mined_seeds()


def test_smoothed_idf():
    assert smoothed_idf(5, 5) == 1.0
    assert round(smoothed_idf(5, 1), 6) == 2.098612


def test_tfidf_scores_and_tie_order():
    out = tfidf_keywords({"a": ["积案", "积案", "信访", "热线"], "b": ["信访", "热线"]})
    # 积案: tf 2/4 × idf(2, 1) = 0.5 × (ln(3/2)+1) = 0.702733; 信访 and 热线 tie at 0.25 and sort by term
    assert out["a"] == [("积案", 0.702733), ("信访", 0.25), ("热线", 0.25)]
    assert out["b"] == [("信访", 0.5), ("热线", 0.5)]


def test_textrank_uses_our_segmentation_and_skips_stopwords():
    text = "落实三到位一处理，化解信访积案。信访积案化解靠三到位一处理。切实做好信访积案化解工作。"
    ranked = textrank_keywords(text, get_tokenizer())
    terms = [t for t, _ in ranked]
    assert "信访积案" in terms and "三到位一处理" in terms
    assert not {"工作", "切实做好", "切实"} & set(terms)
    assert ranked[0][1] == 1.0  # jieba normalises the strongest to 1


def test_keywords_frame_columns_and_counts():
    frame = keywords_frame({"document": {"a": "信访积案化解。信访积案清零。", "b": "网上信访。"}}, textrank=False)
    assert list(frame.columns) == columns("keywords")
    top = frame[(frame["file"] == "a")].iloc[0]
    assert (top["term"], top["count"], top["df"], top["rank"]) == ("信访积案", 2, 1, 1)


def test_stopwords_never_appear_in_keywords(mined):
    tok = get_tokenizer()
    kw = mined["keywords"]
    assert len(kw) > 0
    assert not [t for t in kw["term"] if tok.is_stopword(t) or t.lower() in tok.stopwords]
    assert set(kw["method"]) == {"tfidf", "textrank"}


def test_seed_work_summary_keywords_are_about_the_work(mined):
    kw = mined["keywords"]
    hongta = kw[(kw["file"] == "000_d2df3ef129941176.txt") & (kw["scope"] == "work_summary") & (kw["method"] == "tfidf")]
    assert {"领导包案", "信访工作条例"} <= set(hongta["term"])
    # documents without a work summary have no work_summary keywords
    assert kw[(kw["file"] == "003_0f5fdd14f3227a61.txt") & (kw["scope"] == "work_summary")].empty


def test_mine_uses_only_readable_documents_and_declared_columns(mined):
    for table, frame in mined.items():
        assert list(frame.columns) == columns(table), table
        if "file" in frame:
            assert set(frame["file"]) <= set(SEED_PLACES)
    assert set(mined["sections"]["file"]) == set(SEED_PLACES)


def test_outputs_identical_across_runs(mined):
    texts, documents = seed_inputs()
    before = documents.copy()
    again = mine(texts, documents)
    pd.testing.assert_frame_equal(documents, before)  # input not mutated
    for table in mined:
        pd.testing.assert_frame_equal(mined[table], again[table], check_exact=True)
