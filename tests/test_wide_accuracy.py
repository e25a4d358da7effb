"""Issue #12's accuracy targets on every labelled real document (seeds, dev, wide): recall ≥ 97 %, nothing wrong.

The labels: tests/data/seed_labels.csv, dev_labels.csv, dev_labels_narrative.csv and wide_labels.csv (seven wide-corpus
budgets labelled by hand before any code change for them). The scoring rules live in benchmarks/bench_wide.py (which
prints the same figures, with every miss and wrong row, beside coverage, identities and keys with two values); the
small tests below pin those rules and the label file on inline data.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
WIDE_LABELS = REPO / "tests" / "data" / "wide_labels.csv"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_wide", REPO / "benchmarks" / "bench_wide.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def _need_shared(folder: str) -> Path:
    path = SHARED / folder
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is absent: CI must put ../shared beside the clone")
        pytest.skip(f"{path} is absent")
    return path


# --- the scoring rules, on inline data -------------------------------------------------------------------------

def _label_file(tmp_path, rows: list[str]) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text("file,measure,fiscal_year,basis,code,value,unit,quote,source,note\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    return path


def _figures(rows, scope: bool = False) -> pd.DataFrame:
    cols = ["file", "measure", "fiscal_year", "basis", "code", "value", "source", "quote", "scale", "decimals", "page"]
    df = pd.DataFrame([r[:11] for r in rows], columns=cols)
    if scope:
        df["scope"] = [r[11] for r in rows]
    df["fiscal_year"] = df["fiscal_year"].astype("Int64")
    return df


def test_notes_give_scope_not_stated_and_targets(tmp_path):
    labels = bench.load_labels({"wide": [_label_file(tmp_path, [
        "a.pdf,basic_expenditure,2026,budget,,75194400.00,yuan,\"合计 66,307.98 7,519.44\",table,表3",
        "a.pdf,basic_expenditure,2026,budget,,75173200.00,yuan,\"合计 46,402.33 7,517.32\",table,appropriation; 表5",
        "a.pdf,personnel_expenditure,2026,budget,,,yuan,,,not stated; derivable only",
        "a.pdf,sangong_vehicle_total,2026,budget,,175000.00,yuan,预算安排 17.50 万元,text,",
        "a.pdf,sangong_vehicle_purchase,2026,budget,,0.00,yuan,购置费 0.00 万元,text,",
        "a.pdf,sangong_vehicle_operation,2026,budget,,175000.00,yuan,运行费 17.50 万元,text,",
    ])]})
    assert list(labels["scope"]) == ["total", "appropriation", "total", "total", "total", "total"]
    assert list(labels["stated"]) == [True, True, False, True, True, True]
    # the contract emits the vehicle total only where the 购置/运行 split is not printed
    assert list(labels["target"]) == [True, True, True, False, True, True]
    assert labels.loc[0, "tol"] == Decimal("50")


def test_a_label_file_without_notes_reads_two_values_as_whole_and_part(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("file,measure,fiscal_year,basis,code,value,unit,quote\n"
                    "b.pdf,project_expenditure,2026,budget,,21316100,yuan,\n"
                    "b.pdf,project_expenditure,2026,budget,,20080000,yuan,\n", encoding="utf-8")
    labels = bench.load_labels({"dev": [path]})
    scopes = dict(zip(labels["value"], labels["scope"]))
    assert scopes == {Decimal(21316100): "total", Decimal(20080000): "appropriation"}


def test_score_counts_hits_misses_wrong_and_wrong_scope(tmp_path):
    labels = bench.load_labels({"wide": [_label_file(tmp_path, [
        "a.pdf,basic_expenditure,2026,budget,,75194400.00,yuan,\"合计 66,307.98 7,519.44\",table,",
        "a.pdf,basic_expenditure,2026,budget,,75173200.00,yuan,\"合计 46,402.33 7,517.32\",table,appropriation",
        "a.pdf,sangong_total,2026,budget,,198400.00,yuan,“三公”经费19.84万元,text,",
        "a.pdf,functional_expenditure,2026,budget,201,1906300.00,yuan,201 一般公共服务支出 190.63,table,",
        "a.pdf,personnel_expenditure,2026,budget,,,yuan,,,not stated",
    ])]})
    figures = _figures([
        # the whole-department basic, printed in 元 (within the label's rounding of 50 yuan)
        ("a.pdf", "basic_expenditure", 2026, "budget", "", 75194412.0, "table", "合计 75,194,412.00", "元", 2, 9),
        # the 一般公共预算-only basic on the same key: a second value for one key
        ("a.pdf", "basic_expenditure", 2026, "budget", "", 75173200.0, "table", "合计 7,517.32", "万元", 2, 13),
        # 190.62 vs 190.63, both to 0.01 万元: two roundings of 190.625 agree
        ("a.pdf", "functional_expenditure", 2026, "budget", "201", 1906200.0, "text", "支出190.62万元", "万元", 2, 2),
        # a value no label allows
        ("a.pdf", "functional_expenditure", 2026, "budget", "201", 1900000.0, "text", "支出190万元", "万元", 0, 2),
        # a stated figure where the labels say the document states none
        ("a.pdf", "personnel_expenditure", 2026, "budget", "", 5.0, "table", "5.00", "元", 2, 4),
    ])
    acc = bench.score_accuracy(labels, figures)
    assert (acc.found, acc.labels) == (2, 3)  # sangong_total missed
    assert [m["measure"] for m in acc.misses] == ["sangong_total"]
    assert (acc.appropriation_found, acc.appropriation_labels) == (1, 1)
    assert acc.rows_on_labelled_keys == 4
    assert [r["value"] for r in acc.wrong] == [1900000.0]
    assert [r["value"] for r in acc.wrong_scope] == [75173200.0]
    assert [r["measure"] for r in acc.on_not_stated] == ["personnel_expenditure"]


def test_with_a_scope_column_each_row_is_compared_with_its_own_scope(tmp_path):
    labels = bench.load_labels({"wide": [_label_file(tmp_path, [
        "a.pdf,basic_expenditure,2026,budget,,75194400.00,yuan,\"合计 66,307.98 7,519.44\",table,",
        "a.pdf,basic_expenditure,2026,budget,,75173200.00,yuan,\"合计 46,402.33 7,517.32\",table,appropriation",
        "a.pdf,project_expenditure,2026,budget,,3060000.00,yuan,项目支出 306.00 万元,text,",
    ])]})
    figures = _figures([
        ("a.pdf", "basic_expenditure", 2026, "budget", "", 75194400.0, "table", "7,519.44", "万元", 2, 9, "total"),
        ("a.pdf", "basic_expenditure", 2026, "budget", "", 75173200.0, "table", "7,517.32", "万元", 2, 13,
         "appropriation"),
        # the whole value emitted as the 一般公共预算 part: wrong scope
        ("a.pdf", "basic_expenditure", 2026, "budget", "", 75194400.0, "table", "7,519.44", "万元", 2, 21,
         "appropriation"),
        # no appropriation label: the part equals the whole (labels name the part only where it differs)
        ("a.pdf", "project_expenditure", 2026, "budget", "", 3060000.0, "table", "306.00", "万元", 2, 11,
         "appropriation"),
    ], scope=True)
    acc = bench.score_accuracy(labels, figures)
    assert (acc.found, acc.labels, acc.appropriation_found) == (1, 2, 1)  # project (total scope) not emitted
    assert acc.wrong == [] and [r["page"] for r in acc.wrong_scope] == [21]


def test_identities_take_one_value_per_key():
    f = _figures([
        ("a.pdf", "expenditure_total", 2026, "budget", "", 100.0, "table", "100.00", "元", 2, 1),
        ("a.pdf", "basic_expenditure", 2026, "budget", "", 60.0, "table", "60.00", "元", 2, 1),
        ("a.pdf", "basic_expenditure", 2026, "budget", "", 55.0, "table", "55.00", "元", 2, 2),
        ("a.pdf", "project_expenditure", 2026, "budget", "", 40.0, "table", "40.00", "元", 2, 1),
        ("a.pdf", "functional_expenditure", 2026, "budget", "201", 70.0, "table", "70.00", "元", 2, 1),
        ("a.pdf", "functional_expenditure", 2026, "budget", "208", 31.0, "table", "31.00", "元", 2, 1),
        ("a.pdf", "personnel_expenditure", 2026, "budget", "", 50.0, "table", "50.00", "元", 2, 1),
        ("a.pdf", "public_expenditure", 2026, "budget", "", 10.0, "table", "10.00", "元", 2, 1),
    ])
    f["unit"] = "yuan"
    got = {c["identity"]: c["held"] for c in bench.identities(f)}
    # 60 + 40 = 100 (55 is another reading of basic); 50 + 10 = 60; 70 + 31 ≠ 100
    assert got == {"basic + project = total": True, "personnel + public = basic": True, "classes = total": False}


def test_the_textual_test_needs_an_amount_after_the_term():
    terms = {"basic_expenditure": ["基本支出"], "sangong_overseas": ["因公出国（境）费用"],
             "sangong_vehicle_purchase": ["公务用车购置费"], "sangong_vehicle_operation": ["公务用车运行费"],
             "sangong_vehicle_total": ["公务用车购置及运行费"], "staff_actual": ["实有人数"]}
    text = ("基本支出：指为保障机构正常运转的支出。相应调增因公出国（境）费用预算。2.公务接待费预算6.02万元"
            "公务用车购置及运行费17.50其中公务用车购置费0.00公务用车运行费17.50实有人数25人")
    got = bench.stated_by_text(text, terms)
    # 基本支出 has no amount before the sentence ends; the 6.02 after 因公出国 is the next sentence's; the vehicle
    # total is no target where the split is stated
    assert got == {"sangong_vehicle_purchase", "sangong_vehicle_operation", "staff_actual"}
    grand = bench.stated_by_text("收入总计81,206.56上年结转结余7,600.00支出总计81,206.56年终结转结余28收入", {})
    assert grand == {"income_grand_total"}


# --- the label file --------------------------------------------------------------------------------------------

def test_every_wide_label_states_its_value_in_its_quote_and_has_a_known_note():
    labels = bench.load_labels({"wide": [WIDE_LABELS]})
    odd = [n for n in labels["note"] if n.startswith(("appropriation", "not stated"))
           and not re.match(r"^(appropriation|not stated)(; |$)", n)]
    assert not odd, odd
    stated = labels[labels["stated"]]
    zero_in_words = stated["value"].eq(0) & ~stated["quote"].str.contains(r"\d")
    unfound = stated[(stated["tol"] == Decimal("0.005")) & ~zero_in_words]
    assert unfound.empty, unfound[["file", "measure", "value", "quote"]].to_string()
    whole = stated[stated["scope"] == "total"]
    assert not whole.duplicated(["file", "measure", "fiscal_year", "basis", "code"]).any(), "one whole label per key"
    for file, g in labels[labels["scope"] == "total"].groupby("file"):
        missing = set(bench.HEADLINE) - set(g["measure"])
        assert not missing, f"{file}: every headline measure is labelled, stated or not: {sorted(missing)}"
    assert labels["file"].nunique() >= 6 and len(stated) >= 150


def test_every_wide_quote_is_in_its_document():
    corpus = _need_shared("wide-corpus")
    labels = bench.load_labels({"wide": [WIDE_LABELS]})
    for file, g in labels[labels["stated"]].groupby("file"):
        text = bench.document_text(corpus / file)
        absent = [q for q in g["quote"] if re.sub(r"\s", "", bench._QUOTES.sub("", q)) not in text]
        assert not absent, f"{file}: quotes not in the text layer: {absent}"


# --- the real documents -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_score():
    folders = {"seeds": _need_shared("seeds"), "dev": _need_shared("dev-corpus"), "wide": _need_shared("wide-corpus")}
    labels = bench.load_labels()
    files = [folders[c] / f for c, f in sorted(set(zip(labels["corpus"], labels["file"])))]
    return bench.score_accuracy(labels, bench.accuracy.extract(files))


def _listing(rows, fmt) -> str:
    return "\n".join(fmt(r) for r in rows)


def test_recall_at_least_97_percent_on_every_labelled_document(real_score):
    recall = 100.0 * real_score.found / real_score.labels
    misses = _listing(real_score.misses, lambda m: f"{m['file']} {m['measure']} {m['fiscal_year']} {m['code']}: "
                      f"{m['label']:.2f} «{m['quote']}» -> {m['extracted']}")
    assert recall >= 97.0, f"recall {recall:.1f} % of {real_score.labels} labels; misses:\n{misses}"


def test_no_wrong_value_on_a_labelled_key(real_score):
    rows = _listing(real_score.wrong + real_score.wrong_scope,
                    lambda r: f"{r['file']} {r['measure']} {r['fiscal_year']} {r['code']} {r['scope']}: "
                    f"{r['value']:.2f} [{r['source']} p{r['page']}] «{r['quote']}» — {r['why']}")
    n_wrong, n_scope = len(real_score.wrong), len(real_score.wrong_scope)
    assert n_wrong + n_scope == 0, (f"{n_wrong} wrong and {n_scope} wrong-scope rows of "
                                    f"{real_score.rows_on_labelled_keys} on labelled keys:\n{rows}")
