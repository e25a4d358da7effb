"""The like-with-like panel on the real seeds: stated beats recomputed, mismatches kept, bases and kinds never lost."""

from __future__ import annotations

import pandas as pd
import pytest

from countyfiscal.analysis import panel
from countyfiscal.analysis.sources import cite, footnote
from countyfiscal.analysis.metrics import compute_metrics, statements_frame

from _fiscal_fixtures import seed_run


@pytest.fixture(scope="module")
def seeds() -> dict[str, pd.DataFrame]:
    docs, figs, texts = seed_run()
    statements = statements_frame(texts, figs)
    return {"documents": docs, "figures": figs, "statements": statements,
            "metrics": compute_metrics(figs, docs, statements=statements)}


def _row(p: pd.DataFrame, department: str, metric: str) -> pd.Series:
    rows = p[p["department_label"].eq(department) & p["metric"].eq(metric)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_the_statements_table_gives_the_same_metrics_as_the_texts(seeds):
    docs, figs, texts = seed_run()
    pd.testing.assert_frame_equal(compute_metrics(figs, docs, texts=texts), seeds["metrics"])


def test_zengdu_states_minus_15_percent_where_its_figures_give_minus_13_04(seeds):
    p = panel.build_panel(seeds, panel.CHANGES)
    row = _row(p, "曾都区信访局", "sangong_change_pct")
    assert (row["value"], row["stated"], row["recomputed"], row["mismatch"]) == (-15.0, -15.0, -13.0435, True)
    assert (row["source"], row["quote"], row["doc_kind"], row["base"]) == ("stated", "减少 15 %", "budget", "prior_budget")
    # Agreement within the stated precision is no mismatch: 红塔区 states −1.05 %, its figures give −1.0473 %.
    hongta = _row(p, "玉溪市红塔区信访局", "expenditure_change_pct")
    assert (hongta["value"], hongta["recomputed"], hongta["mismatch"]) == (-1.05, -1.0473, False)
    # 米易县 states −3 % where the stated amounts give −3.56 %: beyond half a percent, so marked.
    assert _row(p, "米易县信访局", "agency_operating_change_pct")["mismatch"]


def test_a_stated_execution_rate_appears_though_no_budget_figure_is_stated(seeds):
    p = panel.build_panel(seeds, panel.EXECUTIONS)
    miyi = _row(p, "米易县信访局", "sangong_execution_pct")
    assert (miyi["value"], miyi["source"], miyi["quote"]) == (100.0, "stated", "0.22万元，完成预算100%")
    assert pd.isna(miyi["recomputed"])
    hongta = _row(p, "玉溪市红塔区信访局", "sangong_execution_pct")
    assert (hongta["value"], hongta["recomputed"], hongta["source"]) == (23.09, 23.0882, "stated")


def test_a_performance_evaluation_is_never_labelled_a_final_account(seeds):
    p = panel.build_panel(seeds)
    panlong = _row(p, "盘龙区信访局", "personnel_share_of_total")
    assert (panlong["doc_kind"], panlong["series"]) == ("performance_evaluation", "绩效自评 · 决算数")


def test_unchanged_wording_is_a_change_of_zero_and_bases_stay_apart():
    docs = pd.DataFrame({"file": ["a"], "status": ["ok"], "jurisdiction": ["甲县"], "department": ["甲县信访局"],
                         "fiscal_year": [2023], "doc_kind": ["budget"]})
    statements = pd.DataFrame([
        dict(file="a", kind="wording", measure="sangong_total", fiscal_year=2023, basis="budget", value=None,
             decimals=None, direction=0, words="unchanged", quote="与上年持平", start=1, base="prior_budget", page=None),
        dict(file="a", kind="change_pct", measure="expenditure_total", fiscal_year=2023, basis="budget", value=0.8,
             decimals=1, direction=1, words="", quote="增长 0.8%", start=2, base="prior_execution", page=4),
    ])
    metrics = pd.DataFrame({"jurisdiction": ["甲县"], "department": ["甲县信访局"], "fiscal_year": [2023],
                            "basis": ["budget"], "metric": ["expenditure_change_pct"], "value": [2.5], "numerator": [1.0],
                            "denominator": [1.0], "formula": [""], "inputs": ["a"], "comparability": [""],
                            "base": ["prior_budget"]})
    p = panel.build_panel({"documents": docs, "statements": statements, "metrics": metrics})
    assert _row(p, "甲县信访局", "sangong_change_pct")[["value", "source"]].tolist() == [0.0, "stated"]
    # 增长 0.8% against last year's execution and 2.5 % against last year's budget are two values, not a mismatch.
    changes = p[p["metric"].eq("expenditure_change_pct")].sort_values("base")
    assert changes[["base", "value", "source", "mismatch"]].values.tolist() == [
        ["prior_budget", 2.5, "recomputed", False], ["prior_execution", 0.8, "stated", False]]
    assert changes["series"].tolist() == ["预算 · 预算数 · 比上年预算数", "预算 · 预算数 · 比上年执行数"]


def test_sources_name_documents_pages_and_tables():
    docs = pd.DataFrame({"file": ["a.pdf", "b.txt"], "jurisdiction": ["杭州市", "甲县"], "department": ["杭州市司法局", "甲县信访局"],
                         "fiscal_year": [2026, 2023], "doc_kind": ["budget", "final_account"]})
    rows = pd.DataFrame({"file": ["a.pdf", "a.pdf", "a.pdf", "b.txt;a.pdf"], "page": [5, 6, 23, None],
                         "table": ["", "表1：收支预算总表", "表1：收支预算总表", ""]})
    cited = cite(rows, docs)
    assert cited.to_dict("records") == [
        {"document": "杭州市司法局 2026 预算", "file": "a.pdf", "pages": "5–6, 23", "tables": "表1：收支预算总表", "values": 4},
        {"document": "甲县信访局 2023 决算", "file": "b.txt", "pages": "", "tables": "", "values": 1}]
    assert footnote(cited, limit=1) == ["Sources: 杭州市司法局 2026 预算 (a.pdf, p. 5–6, 23, 表1：收支预算总表); and 1 more document "
                                        "(all listed in the figure's .json and the report index)"]
