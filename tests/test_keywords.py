"""Tests for countyfiscal.text.keywords: log-odds against the rest of the corpus, TF-IDF, the document's own names."""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import pandas as pd
import pytest

from countyfiscal.text import mine
from countyfiscal.text.keywords import (
    log_odds_scores,
    own_name_words,
    smoothed_idf,
    textrank_keywords,
    tfidf_keywords,
    tfidf_scores,
)
from countyfiscal.text.tokenizer import get_tokenizer

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
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
        "department": [p + "信访局" for p in SEED_PLACES.values()] + [""], "fiscal_year": 2023, "doc_kind": "",
        "status": ["ok"] * 4 + ["partial", "rejected"],
    })
    return texts, documents


def shared(folder: str) -> Path:
    """A corpus beside the repository (../shared); CI has it, so there its absence fails instead of skipping."""
    path = REPO.parent / "shared" / folder
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"../shared/{folder} is absent (CI must put ../shared beside the clone)")
        pytest.skip(f"../shared/{folder} is absent")
    return path


@functools.lru_cache(maxsize=1)
def _dev_inputs() -> tuple[tuple[tuple[str, str], ...], tuple[dict, ...]]:
    from countyfiscal.ingest import read_document
    from countyfiscal.metadata import describe

    texts, rows = [], []
    for path in sorted(shared("dev-corpus").glob("*_2026_budget.pdf")):
        text = read_document(path).text
        meta = describe(text, path.name)
        texts.append((path.name, text))
        rows.append({"file": path.name, "status": "ok",
                     **{k: meta.get(k) or "" for k in ("department", "jurisdiction", "province", "city", "county")}})
    return tuple(texts), tuple(rows)


def dev_texts() -> dict[str, str]:
    """The normalised texts of the dev corpus's 16 budgets (real PDFs of city departments), read once."""
    return dict(_dev_inputs()[0])


def dev_inputs() -> tuple[dict[str, str], pd.DataFrame]:
    texts, rows = _dev_inputs()
    return dict(texts), pd.DataFrame(list(rows))


@functools.lru_cache(maxsize=1)
def _mined_seeds() -> dict[str, pd.DataFrame]:
    texts, documents = seed_inputs()
    return mine(texts, documents)


@functools.lru_cache(maxsize=1)
def _mined_dev() -> dict[str, pd.DataFrame]:
    texts, documents = dev_inputs()
    return mine(texts, documents)


@pytest.fixture(scope="module")
def mined() -> dict[str, pd.DataFrame]:
    """The seeds mined once per test session (shared with test_themes); tests only read it."""
    return _mined_seeds()


@pytest.fixture(scope="module")
def mined_dev() -> dict[str, pd.DataFrame]:
    return _mined_dev()


# --- scores --------------------------------------------------------------------------------------------------------

def test_smoothed_idf():
    assert smoothed_idf(5, 5) == 1.0
    assert round(smoothed_idf(5, 1), 6) == 2.098612


def test_tfidf_scores_and_tie_order():
    out = tfidf_keywords({"a": ["积案", "积案", "信访", "热线"], "b": ["信访", "热线"]})
    # 积案: tf 2/4 × idf(2, 1) = 0.5 × (ln(3/2)+1) = 0.702733; 信访 and 热线 tie at 0.25 and sort by term
    assert out["a"] == [("积案", 0.702733), ("信访", 0.25), ("热线", 0.25)]
    assert out["b"] == [("信访", 0.5), ("热线", 0.5)]
    assert tfidf_scores({"积案": 2, "信访": 1, "热线": 1}, {"积案": 1, "信访": 2, "热线": 2}, 2) == out["a"]


def test_log_odds_z_by_hand():
    # a document of 15 terms (积案 5, 信访 10) in a corpus of 50 (积案 6, 信访 40, 热线 4); prior 1,000 tokens
    corpus = {"积案": 6, "信访": 40, "热线": 4}
    a = 1000 * 6 / 50  # prior count of 积案
    delta = math.log((5 + a) / (15 + 1000 - 5 - a)) - math.log((1 + a) / (35 + 1000 - 1 - a))
    z = delta / math.sqrt(1 / (5 + a) + 1 / (1 + a))
    assert log_odds_scores({"积案": 5, "信访": 10}, corpus, 50) == [("积案", round(z, 6))]
    # 信访 is under-represented here (10 of 15 against 30 of 35 in the rest): never a keyword of this document
    assert all(t != "信访" for t, _ in log_odds_scores({"积案": 5, "信访": 10}, corpus, 50))


def test_log_odds_ranks_a_repeated_distinctive_term_over_a_one_off():
    corpus = {"监狱": 8, "罪犯": 1, "法治": 40, "工作": 51}
    ranked = log_odds_scores({"监狱": 8, "罪犯": 1, "法治": 6, "工作": 5}, corpus, 100)
    assert [t for t, _ in ranked] == ["监狱", "罪犯"]


def test_own_names_come_from_the_document_row():
    row = {"department": "杭州市司法局", "jurisdiction": "杭州市", "province": "浙江省", "city": "杭州市", "county": ""}
    assert own_name_words(row) == {"杭州市司法局", "杭州市", "杭州", "司法局", "浙江省", "浙江"}
    row = {"department": "玉溪市红塔区信访局", "jurisdiction": "红塔区", "city": "玉溪市"}
    assert {"红塔区", "红塔", "信访局", "玉溪市", "玉溪"} <= own_name_words(row)
    assert "信访" not in own_name_words(row) and own_name_words({"department": float("nan")}) == frozenset()


def test_textrank_uses_our_segmentation_and_skips_stopwords():
    text = "落实三到位一处理，化解信访积案。信访积案化解靠三到位一处理。切实做好信访积案化解工作。"
    ranked = textrank_keywords(text, get_tokenizer())
    terms = [t for t, _ in ranked]
    assert "信访积案" in terms and "三到位一处理" in terms
    assert not {"工作", "切实做好", "切实"} & set(terms)
    assert ranked[0][1] == 1.0  # jieba normalises the strongest to 1


# --- the keywords table ----------------------------------------------------------------------------------------

TEMPLATE_WORDS = {"支出", "决算", "科目", "预算", "万元", "全区", "全县", "全市", "项目", "资金", "绩效", "指标"}


def test_keywords_never_stopwords_template_or_own_names(mined, mined_dev):
    tok = get_tokenizer()
    for frame, (texts, documents) in ((mined["keywords"], seed_inputs()), (mined_dev["keywords"], dev_inputs())):
        terms = frame.dropna(subset=["rank"])
        assert len(terms) > 0
        assert not [t for t in terms["term"] if tok.is_stopword(t) or t in TEMPLATE_WORDS]
        rows = documents.set_index("file")
        for file, g in terms.groupby("file"):
            own = own_name_words(rows.loc[file].to_dict())
            assert not own & set(g["term"]), file
    assert set(mined["keywords"]["method"]) == {"log_odds", "tfidf"}
    assert set(mined["keywords"]["scope"]) == {"work_summary", "duties"}


def test_seed_work_summary_keywords_are_about_the_work(mined):
    kw = mined["keywords"]
    hongta = kw[(kw["file"] == "000_d2df3ef129941176.txt") & (kw["scope"] == "work_summary")]
    assert {"领导包案", "信访工作条例"} <= set(hongta.loc[hongta["method"] == "tfidf", "term"])
    assert {"领导包案", "信访工作条例"} <= set(hongta.loc[hongta["method"] == "log_odds", "term"])


# Department-distinguishing words of the dev corpus's work-summary sections (log-odds against the other 15 budgets):
# what each department does, not the template or the place.
DEV_KEYWORDS = {
    "hz_sifa_2026_budget.pdf": {"监狱", "罪犯", "戒毒所"},  # 杭州市司法局
    "hz_gongan_2026_budget.pdf": {"公安", "治安", "机动车"},  # 杭州市公安局
    "sz_shuiwu_2026_budget.pdf": {"供水", "污水", "河湖"},  # 苏州市水务局
    "fz_yibao_2026_budget.pdf": {"医保", "参保"},  # 福州市医疗保障局
    "huz_weijian_2026_budget.pdf": {"公共卫生", "医院"},  # 湖州市卫生健康委员会
    "sz_shenji_2026_budget.pdf": {"审计"},  # 苏州市审计局
}


def test_dev_keywords_tell_departments_apart(mined_dev):
    kw = mined_dev["keywords"]
    top = kw[(kw["scope"] == "work_summary") & (kw["method"] == "log_odds") & (kw["rank"] <= 15)]
    for file, words in DEV_KEYWORDS.items():
        assert words <= set(top.loc[top["file"] == file, "term"]), file
    # a word of one department's top list is rarely another's: the lists differ
    by_file = top.groupby("file")["term"].apply(set)
    shared_words = [len(a & b) for i, a in enumerate(by_file) for b in list(by_file)[i + 1:]]
    assert max(shared_words) <= 5


def test_a_document_without_a_scope_says_so(mined_dev):
    kw = mined_dev["keywords"]
    row = kw[(kw["file"] == "cq_xuanchuan_2026_budget.pdf") & (kw["scope"] == "work_summary")]
    assert len(row) == 1 and row["note"].item() == "no work-summary, work-plan or performance section found"
    assert row["term"].item() == "" and pd.isna(row["rank"].item())
    duties = kw[(kw["file"] == "cq_xuanchuan_2026_budget.pdf") & (kw["scope"] == "duties")]
    assert {"宣传", "新闻"} <= set(duties["term"])


def test_keyword_counts_df_and_rest_count_add_up(mined_dev):
    kw = mined_dev["keywords"].dropna(subset=["rank"])
    totals = kw.groupby(["scope", "term"])[["count", "rest_count"]].apply(lambda g: set(g["count"] + g["rest_count"]))
    assert all(len(s) == 1 for s in totals)  # count here + count elsewhere = the corpus count, the same from every file
    assert (kw["df"] >= 1).all() and (kw["count"] >= 1).all()


def test_scores_over_arrays_are_the_per_term_loops_numbers(monkeypatch):
    """From ARRAYS_FROM distinct terms the log-odds and TF-IDF scores are computed over NumPy arrays: the same
    IEEE operations in the same order, so the same rounded scores and the same order as the per-term loop, on
    random documents and corpora (heavy ties included: many terms share counts and document frequencies)."""
    import random

    from countyfiscal.text import keywords

    rng = random.Random(7)
    vocab = [f"词{i}" for i in range(400)]
    for trial in range(300):
        corpus_words = rng.sample(vocab, rng.randint(2, 400))
        corpus = {w: rng.choice([1, 1, 2, 3, 5, 8, 40, 1000]) for w in corpus_words}
        doc_words = rng.sample(corpus_words, rng.randint(2, len(corpus_words)))
        counts = {w: rng.randint(1, corpus[w]) for w in doc_words}
        df = {w: rng.randint(1, 50) for w in corpus_words}
        total = sum(corpus.values())
        top_k = rng.choice([1, 5, 20, 500])
        monkeypatch.setattr(keywords, "ARRAYS_FROM", 10**9)
        loop = (keywords.log_odds_scores(counts, corpus, total, top_k), keywords.tfidf_scores(counts, df, 60, top_k))
        monkeypatch.setattr(keywords, "ARRAYS_FROM", 2)
        arrays = (keywords.log_odds_scores(counts, corpus, total, top_k), keywords.tfidf_scores(counts, df, 60, top_k))
        assert arrays == loop, trial
        assert all(type(score) is float for ranked in arrays for _, score in ranked)
