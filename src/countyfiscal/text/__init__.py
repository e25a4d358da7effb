"""Mine the disclosures' words: sections, theme hits, keywords and recurring themes, per document then per corpus.

``document_stats`` runs where a document is read (compact, picklable result); ``corpus_tables`` turns those stats
into the four tables; ``mine`` does both in one process.
"""

from __future__ import annotations

from countyfiscal.text.stats import (
    KEYWORD_SCOPES,
    READABLE_STATUSES,
    SCOPES,
    CorpusCounts,
    DocTextStats,
    corpus_tables,
    document_frames,
    document_stats,
    init_worker,
    mine,
)

__all__ = [
    "KEYWORD_SCOPES",
    "READABLE_STATUSES",
    "SCOPES",
    "CorpusCounts",
    "DocTextStats",
    "corpus_tables",
    "document_frames",
    "document_stats",
    "init_worker",
    "mine",
]
