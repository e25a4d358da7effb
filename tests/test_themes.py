"""Tests for countyfiscal.text.themes: lexicons chosen by department, one-pattern counting, traceable counts."""

from __future__ import annotations

import bisect
import re
from collections import Counter

import pytest

from countyfiscal.text.sections import SCOPE_KINDS, scope_spans, section_tree
from countyfiscal.text.themes import (
    GENERIC,
    Theme,
    ThemeMatcher,
    load_lexicon,
    load_themes,
    nonspace_chars,
    sentence_spans,
)
from countyfiscal.text.tokenizer import fold_width

from test_keywords import dev_texts, mined, seed_inputs  # noqa: F401  (mined: module-scoped fixture)


def reference_count(text: str, spans: list[tuple[int, int]], theme: Theme) -> dict:
    """The per-theme scan the package used before one pattern counted every theme (kept here as the reference):
    the theme's own pattern run over each span."""
    folded = fold_width(text)
    sentences = sentence_spans(text, spans)
    starts = [s for s, _ in sentences]
    per_sentence: Counter[int] = Counter()
    terms: Counter[str] = Counter()
    hits = 0
    for lo, hi in spans:
        for m in theme.pattern.finditer(folded, lo, hi):
            hits += 1
            terms[theme.ordered_terms[m.lastindex - 1]] += 1
            i = bisect.bisect_right(starts, m.start()) - 1
            if i >= 0 and m.start() < sentences[i][1]:
                per_sentence[i] += 1
    return {"hits": hits, "sentences_hit": len(per_sentence), "terms": dict(terms),
            "sentences": ";".join(f"{sentences[i][0]}:{sentences[i][1]}" for i in sorted(per_sentence))}


# --- the lexicon ---------------------------------------------------------------------------------------------------

ISSUE_KINDS = ["信访", "公安", "司法", "气象", "商务", "交通", "水利", "生态环境", "卫生健康", "民政", "医保", "科技", "审计",
               "数据", "应急", "自然资源", "政府办公厅", "退役军人"]


def test_lexicon_has_generic_themes_and_the_department_kinds_of_the_corpora():
    lex = load_lexicon()
    assert len(lex.generic) >= 10 and all(t.theme_set == GENERIC for t in lex.generic)
    kinds = [k.name for k in lex.kinds]
    assert set(ISSUE_KINDS) <= set(kinds)
    assert all(len(k.themes) >= 3 and all(t.theme_set == k.name for t in k.themes) for k in lex.kinds)
    names = [t.name for t in load_themes()]
    assert len(set(names)) == len(names)
    # the 信访 themes keep their names (notebooks and earlier outputs name them)
    xinfang = {t.name for t in lex.themes_for("信访")}
    assert {"源头治理", "积案化解", "领导包案接访", "网上信访", "重要节点维稳", "法治化"} <= xinfang
    # a department of no known kind is scored against the generic themes only
    assert lex.themes_for("") == lex.generic


@pytest.mark.parametrize("department, kind", [
    ("玉溪市红塔区信访局", "信访"), ("杭州市公安局", "公安"), ("福州市公安局交通管理支队", "公安"), ("杭州市司法局", "司法"),
    ("重庆市气象局", "气象"), ("重庆市商务委员会", "商务"), ("湖州市交通运输局", "交通"), ("重庆市水利局", "水利"),
    ("苏州市水务局", "水利"), ("苏州市生态环境局", "生态环境"), ("湖州市卫生健康委员会", "卫生健康"), ("福州市民政局", "民政"),
    ("福州市医疗保障局", "医保"), ("苏州市科学技术局", "科技"), ("苏州市审计局", "审计"), ("苏州市数据局", "数据"),
    ("苏州市应急管理局", "应急"), ("重庆市规划和自然资源局", "自然资源"), ("苏州市自然资源和规划局", "自然资源"),
    ("泉州市人民政府办公室", "政府办公厅"),  # 人民政府 holds 民政: not the civil-affairs lexicon
    ("重庆市人民政府办公厅", "政府办公厅"), ("湖州市退役军人事务局", "退役军人"), ("湖州市财政局", "财政"),
    ("中共重庆市委宣传部", "宣传"), ("重庆市经济和信息化委员会", "经信"), ("某某市档案馆", ""), ("", ""),
])
def test_department_kind_from_the_name(department, kind):
    assert load_lexicon().kind_of(department) == kind


# --- counting ------------------------------------------------------------------------------------------------------

def test_sentences_split_at_stops_and_line_ends():
    text = "一是甲。二是乙；\n 丙！"
    assert [text[a:b] for a, b in sentence_spans(text, [(0, len(text))])] == ["一是甲。", "二是乙；", "丙！"]


def test_nonspace_chars_counts_what_a_character_loop_counts():
    text = "一、 重点工作\n\t化解　积案 12 件。\n\n"
    spans = [(0, 7), (8, len(text))]
    assert nonspace_chars(text, spans) == sum(1 for a, b in spans for ch in text[a:b] if not ch.isspace()) == 14


def test_count_hits_rates_and_example():
    theme = Theme("积案化解", ("信访积案", "积案", "重复信访"))
    matcher = ThemeMatcher((theme,))
    text = "化解信访积案，治理重复信访。无关句子。积案清零。\n还有一句"
    r, = matcher.count(text, [(0, len(text))], matcher.matches(text))
    # 信访积案 is one hit (longest term wins), not 信访积案 + 积案
    assert (r["hits"], r["sentences_hit"], r["sentences"]) == (3, 2, 4)
    assert r["terms_found"] == "信访积案×1; 积案×1; 重复信访×1"
    assert r["example"] == "化解信访积案，治理重复信访。"
    assert text[r["example_start"]:r["example_end"]] == r["example"]
    chars = len(re.sub(r"\s", "", text))
    assert r["hits_per_1000_chars"] == round(3000 / chars, 3)
    assert r["sentence_share"] == 0.5
    assert r["sentence_spans"] == f"0:14;{text.index('积案清零')}:{text.index('积案清零') + 5}"


def test_one_pattern_credits_every_theme_as_its_own_scan_would():
    # 信息化建设 (theme a) holds 信息化 (theme b): one match of the longer term counts for both themes
    a, b = Theme("网上信访", ("信息化建设", "网上信访")), Theme("数字化", ("信息化", "数字化"))
    matcher = ThemeMatcher((a, b))
    text = "推进信息化建设。数字化。"
    ra, rb = matcher.count(text, [(0, len(text))], matcher.matches(text))
    assert (ra["hits"], ra["terms_found"]) == (1, "信息化建设×1")
    assert (rb["hits"], rb["terms_found"]) == (2, "信息化×1; 数字化×1")


def test_counts_only_inside_the_spans():
    matcher = ThemeMatcher((Theme("积案化解", ("积案",)),))
    text = "积案一。\n积案二。\n积案三。"
    r, = matcher.count(text, [(5, 9)], matcher.matches(text))
    assert (r["hits"], r["chars"], r["sentences"], r["example"]) == (1, 4, 1, "积案二。")


def test_count_matches_quote_and_width_variants():
    matcher = ThemeMatcher((Theme("三公", ("“三公”经费",)),))
    text = '严控"三公"经费，压减三公经费，「三公」经费'
    assert matcher.count(text, [(0, len(text))], matcher.matches(text))[0]["hits"] == 3


def test_zero_hits_has_no_example():
    matcher = ThemeMatcher((Theme("网上信访", ("网上信访",)),))
    r, = matcher.count("无关。", [(0, 3)], matcher.matches("无关。"))
    assert (r["hits"], r["example"], r["example_start"], r["sentence_spans"]) == (0, "", None, "")


def _all_texts() -> dict[str, str]:
    texts, _ = seed_inputs()
    return {**texts, **dev_texts()}


def test_one_pattern_counts_equal_the_per_theme_scan_on_real_documents():
    """Every theme of every lexicon, counted with one pattern over the whole text and the mining scopes of the seeds
    and the dev corpus, gives what each theme's own pattern gives scanning alone (hits, terms, sentences), and the
    characters are those a loop over each character counts.
    Each document is counted with the generic lexicon, its own kind's and two other kinds' (every kind is tried)."""
    lex = load_lexicon()
    kinds = [k.name for k in lex.kinds]
    compared, tried = 0, set()
    for n, (name, text) in enumerate(sorted(_all_texts().items())):
        secs = section_tree(text)
        scopes = [[(0, len(text))]] + [scope_spans(secs, s) for s in SCOPE_KINDS]
        for kind in ["", kinds[(2 * n) % len(kinds)], kinds[(2 * n + 1) % len(kinds)]]:
            tried.add(kind)
            matcher = lex.matcher(kind)
            matches = matcher.matches(text)
            for spans in filter(None, scopes):
                chars = sum(1 for lo, hi in spans for ch in text[lo:hi] if not ch.isspace())  # one by one, as before
                for theme, r in zip(matcher.themes, matcher.count(text, spans, matches)):
                    if kind and theme.theme_set == GENERIC:
                        continue  # the generic themes are compared once per scope, with kind ""
                    ref = reference_count(text, spans, theme)
                    assert r["chars"] == chars
                    got = {"hits": r["hits"], "sentences_hit": r["sentences_hit"],
                           "terms": dict(Counter(dict(
                               (t, int(n)) for t, n in (x.rsplit("×", 1) for x in r["terms_found"].split("; ") if x)))),
                           "sentences": r["sentence_spans"]}
                    assert got == ref, (name, kind, theme.name)
                    compared += ref["hits"] > 0
    assert tried == {""} | set(kinds)
    assert compared > 200


# --- the themes and recurring_themes tables ----------------------------------------------------------------------

def test_every_seed_theme_count_is_traceable(mined):
    from countyfiscal.fields import columns

    texts, _ = seed_inputs()
    themes = {t.name: t for t in load_themes()}
    frame = mined["themes"]
    assert list(frame.columns) == columns("themes")
    hit = frame[frame["hits"].fillna(0) > 0]
    assert len(hit) > 50
    for row in hit.itertuples():
        text = texts[row.file]
        assert text[row.example_start:row.example_end] == row.example
        spans = [tuple(map(int, s.split(":"))) for s in row.sentence_spans.split(";")]
        assert len(spans) == row.sentences_hit
        for a, b in spans:  # every listed sentence holds a term of the theme
            assert themes[row.theme].pattern.search(fold_width(text[a:b])), (row.file, row.theme, text[a:b])


def test_seed_themes_scored_against_the_petition_lexicon_in_work_sections(mined):
    frame = mined["themes"]
    assert set(frame["department_kind"]) == {"信访"} and set(frame["theme_set"]) == {GENERIC, "信访"}
    assert set(frame["scope"]) == {"work_summary", "duties"}  # never the whole text
    ws = frame[frame["scope"] == "work_summary"]
    assert set(ws["file"]) == set(seed_inputs()[0]) and ws["note"].eq("").all()
    # the mandatory 三公 explanation is no work summary: the theme that tops the whole documents is small there
    texts, _ = seed_inputs()
    matcher = load_lexicon().matcher("信访")
    whole = Counter()
    for text in texts.values():
        for theme, r in zip(matcher.themes, matcher.count(text, [(0, len(text))], matcher.matches(text))):
            whole[theme.name] += r["hits"]
    assert whole.most_common(1)[0][0] == "三公经费管控"
    assert ws.groupby("theme")["hits"].sum()["三公经费管控"] <= 2
    # 红塔区's work summary: 领导包案 and the 信访工作条例 are counted with their sentences
    hongta = ws[ws["file"] == "000_d2df3ef129941176.txt"].set_index("theme")
    assert hongta.loc["领导包案接访", "hits"] >= 3 and hongta.loc["信访工作条例", "hits"] >= 2


def test_seed_recurring_themes_are_ranked_by_share_of_departments(mined):
    rec = mined["recurring_themes"]
    ws = rec[rec["scope"] == "work_summary"].set_index("theme")
    assert list(ws["rank"]) == list(range(1, len(ws) + 1))
    assert ws["department_share_low"].is_monotonic_decreasing  # one denominator (5 信访 departments): share order
    assert ws["department_share"].is_monotonic_decreasing
    assert ws.loc["积案化解", "n_departments"] == 5 and ws.loc["积案化解", "department_share"] == 1.0
    assert (ws["departments_scored"] == 5).all() and (ws["n_departments"] >= 2).all()
    # shares differ: no longer ten identical bars
    assert ws["department_share"].nunique() >= 3


def test_recurring_counts_departments_not_documents():
    from countyfiscal.text import corpus_tables, document_stats

    text = "二、重点工作\n化解信访积案。推进网上信访。\n"
    docs = [
        {"file": "a1.txt", "jurisdiction": "甲县", "department": "甲县信访局"},
        {"file": "a2.txt", "jurisdiction": "甲县", "department": "甲县信访局"},  # the same department, another year
        {"file": "b.txt", "jurisdiction": "乙县", "department": "乙县信访局"},
        {"file": "c.txt", "jurisdiction": "乙县", "department": "乙县公安局"},
    ]
    stats = [document_stats(text if d["file"] != "b.txt" else "二、重点工作\n化解信访积案。\n", d) for d in docs]
    rec = corpus_tables(stats)["recurring_themes"]
    rec = rec[rec["scope"] == "work_summary"].set_index("theme")
    row = rec.loc["积案化解"]
    # 积案化解 is a 信访 theme: the 公安局 is not scored against it
    assert (row["n_departments"], row["departments_scored"], row["n_documents"], row["documents_scored"]) == (2, 2, 3, 3)
    assert (row["n_jurisdictions"], row["jurisdictions_scored"], row["department_share"]) == (2, 2, 1.0)
    assert "网上信访" not in rec.index  # one department (甲县信访局, twice) is not a recurrence
    assert (rec["theme_set"] == "信访").all()


def test_a_share_resting_on_few_departments_ranks_below_one_resting_on_many():
    from countyfiscal.text import corpus_tables, document_stats

    docs = [({"file": f"p{i}.txt", "jurisdiction": f"{i}县", "department": f"{i}县公安局"},
             "二、重点工作\n打击违法犯罪。\n") for i in range(2)]
    docs += [({"file": f"x{i}.txt", "jurisdiction": f"{i}市", "department": f"{i}市档案馆"},
              "二、重点工作\n推进数字化。\n" if i < 9 else "二、重点工作\n整理档案。\n") for i in range(10)]
    rec = corpus_tables([document_stats(text, row) for row, text in docs])["recurring_themes"].set_index("theme")
    # 打击违法犯罪: 2 of 2 公安 departments (share 1.0); 数字化与信息化: 9 of 12 departments (share 0.75)
    assert rec.loc["打击违法犯罪", "department_share"] == 1.0 and rec.loc["数字化与信息化", "department_share"] == 0.75
    assert rec.loc["数字化与信息化", "rank"] == 1 and rec.loc["打击违法犯罪", "rank"] == 2
    assert (rec.loc["打击违法犯罪", "department_share_low"], rec.loc["数字化与信息化", "department_share_low"]) == (0.3424, 0.4677)
