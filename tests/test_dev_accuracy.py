"""Extractor accuracy on the dev-corpus budgets against independent hand labels (tests/data/dev_labels_narrative.csv).

The targets are the project's: ≥ 85 % of the headline figures the narratives state found with the right value, and
≤ 1 wrong value per 100 extracted rows on labelled keys. The scoring rules live in benchmarks/bench_accuracy.py
(which prints the same figures with every miss and wrong row); the small tests below pin those rules on inline data.
"""

import importlib.util
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "dev-corpus"
LABELS = REPO / "tests" / "data" / "dev_labels_narrative.csv"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_accuracy", REPO / "benchmarks" / "bench_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


# --- the scoring rules, on inline data -------------------------------------------------------------------------

def test_label_tolerance_is_half_the_last_printed_digit():
    assert bench.label_tolerance("运行经费1,595.96万元", Decimal("15959600")) == Decimal("50")
    assert bench.label_tolerance("预算支出 4 万元", Decimal("40000")) == Decimal("5000")
    assert bench.label_tolerance("合计 2,777,536.87元", Decimal("2777536.87")) == Decimal("0.005")


def _labels(rows):
    df = pd.DataFrame(rows, columns=["file", "measure", "fiscal_year", "basis", "code", "value", "unit", "quote",
                                     "source", "note"])
    df["value"] = df["value"].map(Decimal)
    df["tol"] = [bench.label_tolerance(q, v) for q, v in zip(df["quote"], df["value"])]
    return df


def _figures(rows):
    return pd.DataFrame(rows, columns=["file", "measure", "fiscal_year", "basis", "code", "value", "source", "quote",
                                       "scale", "decimals", "page"])


def test_score_counts_hits_misses_wrong_scope_and_unlabelled_rows():
    labels = _labels([
        ("a.pdf", "expenditure_total", 2026, "budget", "", "1749006400", "yuan", "预算数174,900.64万元", "text", ""),
        ("a.pdf", "sangong_total", 2026, "budget", "", "8909700", "yuan", "预算890.97万元", "text", ""),
        ("a.pdf", "functional_expenditure", 2026, "budget", "201", "231037600", "yuan", "支出23,103.76万元", "text", ""),
        ("a.pdf", "functional_expenditure", 2026, "budget", "201", "166042300", "yuan", "16,604.23", "table",
         "appropriation"),
    ])
    figures = _figures([
        # a table in 元 agrees with the 万元 narrative within the narrative's rounding (50 yuan)
        ("a.pdf", "expenditure_total", 2026, "budget", "", 1749006412.34, "table", "合计 1,749,006,412.34", "元", 2, 8),
        ("a.pdf", "functional_expenditure", 2026, "budget", "201", 231037600.0, "text", "支出23,103.76万元", "万元", 2, 3),
        # the 一般公共预算-only class figure on the whole-department key: wrong, and tagged as a scope error
        ("a.pdf", "functional_expenditure", 2026, "budget", "201", 166042300.0, "table", "16,604.23", "万元", 2, 16),
        # a key no label covers
        ("a.pdf", "agency_operating_expenses", 2026, "budget", "", 100.0, "text", "运行经费100元", "元", 0, 4),
        # not a headline figure (项-level class): ignored
        ("a.pdf", "functional_expenditure", 2026, "budget", "2011301", 5.0, "table", "行政运行 5", "元", 0, 16),
    ])
    s = bench.score(labels, figures)
    assert s.figures["recall_text_headline"] == (pytest.approx(66.67), "%")  # sangong_total missed
    assert [m["measure"] for m in s.misses] == ["sangong_total"]
    assert s.figures["rows_on_labelled_keys"] == (3, "rows")
    assert s.figures["wrong_per_100"] == (pytest.approx(33.33), "per 100 rows")
    assert s.figures["wrong_per_100_text_rows"] == (0.0, "per 100 rows")
    assert len(s.wrong) == 1 and "一般公共预算-only" in s.wrong[0]["why"]
    assert [r["measure"] for r in s.unlabelled] == ["agency_operating_expenses"]
    with_scope = bench.score(labels, figures, include_appropriation=True)
    assert with_scope.figures["wrong_per_100"] == (0.0, "per 100 rows")
    assert with_scope.figures["recall_appropriation_only"] == (100.0, "%")


def test_every_label_states_its_value_in_its_quote():
    """A label's value must be a number printed in its quote (read in 元, 万元 or 亿元): guards against typos."""
    labels = bench.load_labels(LABELS)
    assert set(labels["source"]) <= {"text", "table"} and set(labels["note"]) <= {"", "appropriation"}
    assert set(labels["unit"]) == {"yuan"} and set(labels["basis"]) == {"budget"}
    unfound = labels[labels["tol"] == Decimal("0.005")]
    assert unfound.empty, unfound[["file", "measure", "value", "quote"]].to_string()
    whole = labels[labels["note"] == ""]
    assert not whole.duplicated(bench.KEY).any(), "one whole-department label per key"
    assert (whole["source"] == "text").sum() >= 150


# --- the real documents -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dev_score():
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent")
    labels = bench.load_labels(LABELS)
    files = [CORPUS / name for name in sorted(set(labels["file"]))]
    return bench.score(labels, bench.extract(files))


def _listing(rows, fmt):
    return "\n".join(fmt(r) for r in rows)


def test_dev_narrative_headline_recall_at_least_85_percent(dev_score):
    recall, _ = dev_score.figures["recall_text_headline"]
    misses = _listing(dev_score.misses, lambda m: f"{m['file']} {m['measure']} {m['fiscal_year']} {m['code']}: "
                      f"{m['label_value']:.2f} «{m['quote']}» -> {m['extracted']}")
    assert recall >= 85.0, f"recall {recall} %; misses:\n{misses}"


def test_dev_wrong_values_at_most_1_per_100(dev_score):
    wrong, _ = dev_score.figures["wrong_per_100"]
    rows = _listing(dev_score.wrong, lambda r: f"{r['file']} {r['measure']} {r['fiscal_year']} {r['code']}: "
                    f"{r['value']:.2f} [{r['source']} p{r['page']}] «{r['quote']}» — {r['why']}")
    assert wrong <= 1.0, f"{wrong} wrong per 100 rows on labelled keys:\n{rows}"
