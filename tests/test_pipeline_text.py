"""The pipeline's per-document text mining (text_interim, until the text helper's lands) equals mine() on the seeds."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from countyfiscal import text_interim
from countyfiscal.pipeline import process_file
from countyfiscal.text import mine

ROOT = Path(__file__).resolve().parents[1]


def test_per_document_stats_and_corpus_counts_give_the_tables_mine_gives():
    results = [process_file(p) for p in sorted((ROOT / "data" / "raw").glob("*.txt"))]
    documents = pd.DataFrame([r.document for r in results])
    texts = {r.document["file"]: r.text for r in results}
    whole = mine(texts, documents)
    stats = [text_interim.document_stats(r.text, r.document) for r in results]
    split = text_interim.corpus_tables([s for s in stats], documents)
    assert whole.keys() == split.keys()
    for name in whole:
        pd.testing.assert_frame_equal(split[name], whole[name], check_index_type=False)
        assert len(whole[name]) > 0, name
    # what pass 2 reads, spilled without the rows already written, gives the same keyword rows
    corpus = text_interim.CorpusCounts()
    for s in stats:
        corpus.add(s)
    assert [corpus.keyword_rows(s.without_rows()) for s in stats] == [corpus.keyword_rows(s) for s in stats]
