"""Mine the disclosures' words: section tree, work summary, keywords and recurring themes (``mine``)."""

from __future__ import annotations

import pandas as pd

from countyfiscal.text.keywords import keywords_frame
from countyfiscal.text.sections import section_tree, sections_frame, work_summary_spans
from countyfiscal.text.themes import load_themes, recurring_themes, themes_frame

READABLE_STATUSES = ("ok", "partial")
SCOPES = ("document", "work_summary")


def mine(texts: dict[str, str], documents: pd.DataFrame, min_jurisdictions: int = 3) -> dict[str, pd.DataFrame]:
    """Tables ``sections``, ``keywords``, ``themes`` and ``recurring_themes`` for the readable documents.

    ``texts`` maps file → normalised text; ``documents`` is the documents table (file, jurisdiction, status, …).
    Only files with status ok/partial and a text are mined. Neither argument is changed.
    """
    readable = documents[documents["status"].isin(READABLE_STATUSES)]
    files = sorted(f for f in readable["file"] if f in texts)
    texts = {f: texts[f] for f in files}
    jurisdictions = {
        f: ("" if pd.isna(j) else str(j)) for f, j in zip(readable["file"], readable["jurisdiction"]) if f in texts
    }
    spans: dict[str, dict[str, list[tuple[int, int]]]] = {"document": {}, "work_summary": {}}
    for f, text in texts.items():
        spans["document"][f] = [(0, len(text))]
        ws = work_summary_spans(section_tree(text))
        if ws:
            spans["work_summary"][f] = ws
    scoped_texts = {
        scope: {f: "\n".join(texts[f][a:b] for a, b in sp) for f, sp in spans[scope].items()} for scope in SCOPES
    }
    themes = themes_frame(texts, spans, jurisdictions, load_themes())
    return {
        "sections": sections_frame(texts),
        "keywords": keywords_frame(scoped_texts),
        "themes": themes,
        "recurring_themes": recurring_themes(themes, min_jurisdictions),
    }


__all__ = ["mine"]
