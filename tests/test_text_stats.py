"""Per-document text mining (document_stats) and the corpus step (corpus_tables) give the tables mine() gives."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from countyfiscal.fields import columns
from countyfiscal.text import CorpusCounts, corpus_tables, document_frames, document_stats, init_worker, mine

from test_keywords import SEED_PLACES, dev_inputs, mined, mined_dev, seed_inputs  # noqa: F401  (fixtures)


def _stats(item):
    text, row = item
    return document_stats(text, row)


def _items(texts, documents):
    rows = documents.set_index("file", drop=False)
    return [(texts[f], rows.loc[f].to_dict()) for f in sorted(texts) if f in rows.index]


def test_worker_stats_then_corpus_step_equal_mine(mined, mined_dev):
    """document_stats in worker processes (pickled back), then corpus_tables in the parent: the same tables, cell for
    cell, as mine() in one process; the order the stats arrive in does not matter."""
    for (texts, documents), expected in ((seed_inputs(), mined), (dev_inputs(), mined_dev)):
        with ProcessPoolExecutor(2, initializer=init_worker) as pool:
            stats = list(pool.map(_stats, _items(texts, documents)))
        got = corpus_tables(stats[::-1], documents)
        assert set(got) == set(expected) == {"sections", "themes", "keywords", "recurring_themes"}
        for name in expected:
            pd.testing.assert_frame_equal(got[name], expected[name], check_exact=True)


def test_tables_have_declared_columns_and_only_readable_documents(mined):
    for table, frame in mined.items():
        assert list(frame.columns) == columns(table), table
        if "file" in frame:
            assert set(frame["file"]) == set(SEED_PLACES)  # the rejected document is not mined


def test_corpus_tables_keeps_only_readable_documents_of_the_documents_table():
    texts, documents = seed_inputs()
    stats = [_stats(item) for item in _items(texts, documents)]
    documents = documents.assign(status=["ok", "duplicate", "ok", "ok", "partial", "rejected"])
    got = corpus_tables(stats, documents)
    assert "001_397323f2860f1b51.txt" not in set(got["themes"]["file"])
    assert got["recurring_themes"]["documents_scored"].max() == 4


def test_per_document_frames_are_the_tables_rows(mined):
    texts, documents = seed_inputs()
    stats = [_stats(item) for item in _items(texts, documents)]
    frames = document_frames(stats)  # in file order: batch after batch is the table in order
    for name in ("sections", "themes"):
        pd.testing.assert_frame_equal(frames[name], mined[name], check_exact=True)
    one = stats[0].frames()["themes"]
    pd.testing.assert_frame_equal(one, mined["themes"][mined["themes"]["file"] == stats[0].file].reset_index(drop=True))


def test_corpus_counts_streams_keywords_one_document_at_a_time(mined):
    texts, documents = seed_inputs()
    stats = [_stats(item) for item in _items(texts, documents)]
    counts = CorpusCounts()
    for s in stats:
        counts.add(s)
    streamed = pd.concat([counts.keywords(s.without_rows()) for s in stats], ignore_index=True)
    pd.testing.assert_frame_equal(streamed, mined["keywords"], check_exact=True)
    pd.testing.assert_frame_equal(counts.recurring_themes(), mined["recurring_themes"], check_exact=True)


def test_stats_are_compact_and_hold_no_text():
    texts, documents = seed_inputs()
    for item in _items(texts, documents):
        s = _stats(item)
        blob = pickle.dumps(s)
        assert pickle.loads(blob) == s
        assert item[0] not in blob.decode("utf-8", "ignore")
        # what is kept for the keyword pass is smaller than the text it came from
        assert len(pickle.dumps(s.without_rows())) < len(item[0].encode("utf-8"))


def test_a_document_without_sections_gets_note_rows_and_no_keywords():
    s = document_stats("会议通知：请各位于周五下午三点到三楼会议室开会。", {"file": "n.txt", "jurisdiction": "", "department": ""})
    themes = s.frames()["themes"]
    notes = themes[themes["note"] != ""]
    assert list(notes["scope"]) == ["duties", "work_summary"] and notes["hits"].isna().all()
    assert len(themes) == 2 and (notes["department_kind"] == "").all()
    assert s.terms == {}
    keywords = corpus_tables([s])["keywords"]
    assert list(keywords["note"].str.startswith("no ")) == [True, True]


def test_mine_is_deterministic_and_leaves_its_inputs_alone(mined):
    texts, documents = seed_inputs()
    before = documents.copy()
    again = mine(texts, documents)
    pd.testing.assert_frame_equal(documents, before)
    for table in mined:
        pd.testing.assert_frame_equal(mined[table], again[table], check_exact=True)


def test_textrank_is_optional():
    texts, documents = seed_inputs()
    small = {f: texts[f] for f in list(texts)[:2]}
    kw = mine(small, documents, textrank=True)["keywords"]
    assert set(kw["method"].dropna()) == {"log_odds", "tfidf", "textrank"}
    assert "textrank" not in set(mine(small, documents)["keywords"]["method"])
