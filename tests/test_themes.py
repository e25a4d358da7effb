"""Tests for countyfiscal.text.themes: lexicon, counts traceable to sentences, recurring themes."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from countyfiscal.fields import columns
from countyfiscal.text.themes import Theme, count_theme, load_themes, recurring_themes, sentence_spans, themes_frame
from countyfiscal.text.tokenizer import fold_width

from test_keywords import mined  # noqa: F401  (module-scoped fixture: the seeds mined once)


def test_lexicon_has_the_issue_themes_and_at_least_twelve():
    themes = load_themes()
    names = [t.name for t in themes]
    assert len(themes) >= 12 and len(set(names)) == len(names)
    for name in ["源头治理", "积案化解", "领导包案接访", "网上信访", "重要节点维稳", "法治化"]:
        assert name in names
    assert all(t.terms for t in themes)


def test_sentences_split_at_stops_and_line_ends():
    text = "一是甲。二是乙；\n 丙！"
    assert [text[a:b] for a, b in sentence_spans(text, [(0, len(text))])] == ["一是甲。", "二是乙；", "丙！"]


def test_count_theme_hits_rates_and_example():
    theme = Theme("积案化解", ("信访积案", "积案", "重复信访"))
    text = "化解信访积案，治理重复信访。无关句子。积案清零。\n还有一句"
    r = count_theme(text, [(0, len(text))], theme)
    # 信访积案 is one hit (longest term wins), not 信访积案 + 积案
    assert (r["hits"], r["sentences_hit"], r["sentences"]) == (3, 2, 4)
    assert r["terms_found"] == "信访积案×1; 积案×1; 重复信访×1"
    assert r["example"] == "化解信访积案，治理重复信访。"
    assert text[r["example_start"]:r["example_end"]] == r["example"]
    chars = len(re.sub(r"\s", "", text))
    assert r["hits_per_1000_chars"] == round(3000 / chars, 3)
    assert r["sentence_share"] == 0.5
    assert r["sentence_spans"] == f"0:14;{text.index('积案清零')}:{text.index('积案清零') + 5}"


def test_count_theme_matches_quote_and_width_variants():
    theme = Theme("三公", ("“三公”经费",))
    text = '严控"三公"经费，压减三公经费，「三公」经费'
    assert count_theme(text, [(0, len(text))], theme)["hits"] == 3


def test_zero_hits_row_has_no_example():
    r = count_theme("无关。", [(0, 3)], Theme("网上信访", ("网上信访",)))
    assert (r["hits"], r["example"], r["example_start"], r["sentence_spans"]) == (0, "", None, "")


def test_recurring_needs_three_jurisdictions():
    rows = [("a", "甲县", 2, 1000), ("b", "乙县", 1, 500), ("c", "丙县", 3, 1000), ("d", "丙县", 1, 1000)]
    themes = pd.DataFrame([
        {"file": f, "jurisdiction": j, "scope": "document", "theme": t, "hits": h if t == "积案化解" else (h if f == "a" else 0),
         "chars": c}
        for f, j, h, c in rows for t in ("积案化解", "网上信访")
    ])
    out = recurring_themes(themes)
    assert list(out.columns) == columns("recurring_themes")
    assert out["theme"].tolist() == ["积案化解"]
    row = out.iloc[0]
    assert (row["n_jurisdictions"], row["n_documents"], row["hits"]) == (3, 4, 7)
    assert row["jurisdictions"] == "、".join(sorted(["甲县", "乙县", "丙县"]))
    # 甲县 2/1000, 乙县 1/500 (both 2.0 per 1,000), 丙县 4/2000: a three-way tie, broken by the name
    assert (row["top_jurisdiction"], row["top_hits_per_1000_chars"]) == (min("甲县", "乙县", "丙县"), 2.0)


def test_every_seed_theme_count_is_traceable(mined):
    from test_keywords import seed_inputs

    texts, _ = seed_inputs()
    themes = {t.name: t for t in load_themes()}
    frame = mined["themes"]
    assert list(frame.columns) == columns("themes")
    hit = frame[frame["hits"] > 0]
    assert len(hit) > 30
    for row in hit.itertuples():
        text = texts[row.file]
        assert text[row.example_start:row.example_end] == row.example
        spans = [tuple(map(int, s.split(":"))) for s in row.sentence_spans.split(";")]
        assert len(spans) == row.sentences_hit
        for a, b in spans:  # every listed sentence holds a term of the theme
            assert themes[row.theme].pattern.search(fold_width(text[a:b])), (row.file, row.theme, text[a:b])


def test_seed_recurring_themes(mined):
    rec = mined["recurring_themes"]
    doc = rec[rec["scope"] == "document"].set_index("theme")
    # all five seeds are 信访 bureaux: clearing backlogged cases recurs everywhere
    assert doc.loc["积案化解", "n_jurisdictions"] == 5
    ws = rec[rec["scope"] == "work_summary"].set_index("theme")
    # only 红塔区, 紫阳县 and 盘龙区 have a work summary
    assert set(ws["n_jurisdictions"]) == {3}
    assert {"积案化解", "网上信访", "领导包案接访", "重要节点维稳"} <= set(ws.index)
    assert (rec["n_jurisdictions"] >= 3).all()


def test_themes_frame_skips_scopes_a_document_lacks():
    text = "一是化解信访积案。"
    frame = themes_frame({"a": text}, {"document": {"a": [(0, len(text))]}, "work_summary": {}}, {"a": "甲县"})
    assert set(frame["scope"]) == {"document"} and len(frame) == len(load_themes())
    assert frame.loc[frame["theme"] == "积案化解", "hits"].item() == 1
