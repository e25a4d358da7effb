"""Scope parameters: what each matches, one sentence for what matches nothing, one label per department."""

from __future__ import annotations

import pandas as pd
import pytest

from countyfiscal.analysis import load
from countyfiscal.analysis import scope

# The shapes of the dev corpus: a city with three departments, a department whose jurisdiction is a city, two 信访局
# of the same name in two counties.
DOCUMENTS = pd.DataFrame({
    "file": ["cq1.pdf", "cq2.pdf", "cq3.pdf", "hz.pdf", "a.txt", "b.txt", "c.txt", "x.pdf"],
    "status": ["ok", "ok", "ok", "ok", "ok", "partial", "ok", "rejected"],
    "doc_kind": ["budget", "budget", "budget", "budget", "final_account", "budget", "performance_evaluation", ""],
    "fiscal_year": pd.array([2026, 2026, 2026, 2026, 2023, 2023, 2022, None], dtype="Int64"),
    "jurisdiction": ["重庆市", "重庆市", "重庆市", "杭州市", "甲县", "乙县", "甲县", ""],
    "department": ["重庆市气象局", "重庆市水利局", "重庆市商务委员会", "杭州市司法局", "信访局", "信访局", "信访局", ""],
    "city": ["重庆市", "重庆市", "重庆市", "杭州市", "某市", "某市", "某市", ""],
    "province": ["重庆市", "重庆市", "重庆市", "浙江省", "某省", "某省", "某省", ""],
})
FIGURES = pd.DataFrame({"file": ["cq1.pdf", "a.txt", "a.txt"], "basis": ["budget", "actual", "budget"],
                        "measure": ["expenditure_total"] * 3})
TABLES = {"documents": DOCUMENTS, "figures": FIGURES}


def test_every_department_has_its_own_label_never_its_jurisdiction():
    labels = scope.department_labels(DOCUMENTS[DOCUMENTS["status"].ne("rejected")])
    assert labels.tolist() == ["重庆市气象局", "重庆市水利局", "重庆市商务委员会", "杭州市司法局", "甲县·信访局", "乙县·信访局",
                               "甲县·信访局"]


@pytest.mark.parametrize("given, files", [
    ({}, ["a.txt", "b.txt", "c.txt", "cq1.pdf", "cq2.pdf", "cq3.pdf", "hz.pdf"]),
    ({"jurisdictions": '["甲县", "杭州市"]'}, ["a.txt", "c.txt", "hz.pdf"]),
    ({"jurisdictions": "浙江省"}, ["hz.pdf"]),
    ({"departments": "信访"}, ["a.txt", "b.txt", "c.txt"]),
    ({"departments": "甲县·信访局"}, ["a.txt", "c.txt"]),
    ({"departments": ["重庆市水利局"], "fiscal_years": 2026}, ["cq2.pdf"]),
    ({"doc_kinds": "决算, 绩效自评"}, ["a.txt", "c.txt"]),
    ({"fiscal_years": [2022, 2023], "jurisdictions": "甲县"}, ["a.txt", "c.txt"]),
])
def test_scope_selects_what_it_names(given, files):
    assert sorted(scope.select(TABLES, **given).files) == files


@pytest.mark.parametrize("given, sentence", [
    ({"jurisdictions": "丙县"}, "jurisdictions: 丙县 matches no document read; the documents read are from 乙县、杭州市、甲县、重庆市"),
    ({"departments": "公安"}, "departments: 公安 matches no department read; the departments read are 乙县·信访局、杭州市司法局、"
                             "甲县·信访局、重庆市商务委员会、重庆市气象局、重庆市水利局"),
    ({"fiscal_years": "2019"}, "fiscal_years: no document read reports on 2019; the years read are 2022、2023、2026"),
    ({"fiscal_years": "last"}, "fiscal_years: last is not a year; write e.g. [2022, 2023]"),
    ({"doc_kinds": "预决算"}, "doc_kinds: 预决算 is not a kind of document; use budget (预算), final_account (决算) or "
                             "performance_evaluation (绩效自评)"),
    ({"basis": "plan"}, "basis: plan is not a basis; use budget (预算数) or actual (决算数/执行数)"),
    ({"jurisdictions": "杭州市", "fiscal_years": 2023}, "no document read is at once in jurisdictions 杭州市 and fiscal years "
                                                        "2023; each matches some documents, but not the same ones"),
    ({"departments": "重庆市气象局", "basis": "actual"}, "basis: the documents in scope state no 决算数/执行数 (actual) figure"),
])
def test_a_value_that_matches_nothing_is_one_sentence(given, sentence):
    with pytest.raises(scope.ScopeError) as info:
        scope.select(TABLES, **given)
    assert str(info.value) == sentence
    assert info.value._render_traceback_() == [f"ScopeError: {sentence}"]  # all a notebook shows


def test_apply_filters_every_table_by_file_department_year_and_basis():
    metrics = pd.DataFrame({"jurisdiction": ["甲县", "甲县", "乙县"], "department": ["信访局", "信访局", "信访局"],
                            "fiscal_year": [2023, 2022, 2023], "basis": ["actual", "actual", "budget"],
                            "metric": ["x", "x", "x"], "inputs": ["a.txt", "c.txt", "b.txt"]})
    flags = pd.DataFrame({"file": ["a.txt", "b.txt;a.txt", "cq1.pdf"], "basis": ["actual", "budget", "budget"]})
    tables = {"documents": DOCUMENTS, "figures": FIGURES, "metrics": metrics, "flags": flags}
    chosen = scope.select(tables, jurisdictions="甲县", fiscal_years=2023, basis="actual")
    out = chosen.apply(tables)
    assert out["documents"]["file"].tolist() == ["a.txt"]
    assert out["documents"]["department_label"].tolist() == ["甲县·信访局"]
    assert out["figures"].to_dict("records") == [{"file": "a.txt", "basis": "actual", "measure": "expenditure_total"}]
    assert out["metrics"][["fiscal_year", "inputs", "department_label"]].values.tolist() == [[2023, "a.txt", "甲县·信访局"]]
    assert out["flags"]["file"].tolist() == ["a.txt"]  # the cross-document flag is of the budget basis
    assert chosen.describe() == ("Scope: jurisdictions 甲县 · every department · fiscal years 2023 · every kind of document · "
                                 "basis 决算数/执行数 — 1 document, 1 department")
    everything = scope.select(tables).apply(tables)
    assert len(everything["documents"]) == len(DOCUMENTS)  # the default scope keeps every input, rejected ones too


def test_pick_department_takes_a_label_a_name_or_a_unique_part():
    assert load.pick_department(DOCUMENTS, "司法") == "杭州市司法局"
    assert load.pick_department(DOCUMENTS, "甲县·信访局") == "甲县·信访局"
    with pytest.raises(load.DataError, match=r"department '信访局' names 2 departments \(乙县·信访局、甲县·信访局\)"):
        load.pick_department(DOCUMENTS, "信访局")
    with pytest.raises(load.DataError, match=r"department '公安局' is not in the data; the departments read are: 乙县·信访局"):
        load.pick_department(DOCUMENTS, "公安局")
