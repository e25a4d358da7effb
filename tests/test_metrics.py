"""Metrics on the seeds: each value reproducible from its numerator and denominator, zero budgets give no ratio."""

from __future__ import annotations

import pandas as pd
import pytest

from countyfiscal.fields import columns
from countyfiscal.analysis.metrics import compute_metrics

from _fiscal_fixtures import seed_run


@pytest.fixture(scope="module")
def metrics():
    docs, figs, texts = seed_run()
    return compute_metrics(figs, docs, texts=texts)


def _value(m, department, metric, year=2023):
    sel = m[(m["department"] == department) & (m["metric"] == metric) & (m["fiscal_year"] == year)]
    assert len(sel) == 1, (department, metric, sel)
    return sel.iloc[0]


def test_every_value_is_reproducible_by_hand(metrics):
    assert list(metrics.columns) == columns("metrics")
    pct = ~metrics["metric"].eq("personnel_per_staff")
    change = metrics["metric"].str.endswith("_change_pct")
    by_hand = (metrics["numerator"] / metrics["denominator"]).where(~pct, metrics["numerator"] / metrics["denominator"] * 100)
    assert (by_hand.round(4) - metrics["value"]).abs().max() < 1e-3
    assert (metrics.loc[change, "value"] < 0).any() and metrics["formula"].ne("").all()


def test_seed_values(metrics):
    hongta = "玉溪市红塔区信访局"
    assert _value(metrics, hongta, "sangong_execution_pct")["value"] == 23.0882  # 11,668.09 / 50,537.00
    assert _value(metrics, hongta, "sangong_change_pct")["denominator"] == 5438.41  # 11,668.09 − 6,229.68
    assert _value(metrics, hongta, "personnel_share_of_basic")["value"] == 89.6866
    zengdu = "曾都区信访局"
    row = _value(metrics, zengdu, "project_change_pct")  # like with like: 2023 budget vs 2022 budget, 148 vs 195
    assert (row["basis"], row["numerator"], row["denominator"], row["value"]) == ("budget", -470000.0, 1950000.0, -24.1026)
    assert _value(metrics, zengdu, "sangong_change_pct")["value"] == -13.0435
    ziyang = _value(metrics, "紫阳县信访局", "personnel_share_of_total")  # 人员经费 not stated: 301 + 303
    assert ziyang["numerator"] == 1620200.0 and "derived" in ziyang["comparability"]


def test_zero_budget_gives_no_ratio_but_a_flag(metrics):
    from countyfiscal.audit.checks import run_checks

    hongta = metrics[metrics["department"] == "玉溪市红塔区信访局"]
    assert "sangong_overseas_execution_pct" not in set(hongta["metric"])
    assert pd.api.types.is_float_dtype(metrics["value"]) and metrics["value"].abs().max() < 1e9
    docs, figs, texts = seed_run()
    flags = run_checks(figs, docs, texts)
    zero = flags[(flags["check"] == "execution_rate") & flags["file"].str.startswith("000")]
    assert set(zero["measure"]) == {"sangong_overseas", "sangong_vehicle_purchase"}


def test_a_document_of_unknown_year_gives_no_compression_but_does_not_stop_the_others(metrics):
    docs, figs, texts = seed_run()
    unknown = docs.assign(fiscal_year=docs["fiscal_year"].where(~docs["file"].str.startswith("004")))
    m = compute_metrics(figs, unknown, texts=texts)
    zengdu = m[m["department"] == "曾都区信访局"]
    assert not zengdu["metric"].str.endswith("_change_pct").any()  # no year of its own: nothing to compress
    assert "personnel_share_of_basic" in set(zengdu["metric"])
    others = m[m["department"] != "曾都区信访局"].reset_index(drop=True)
    pd.testing.assert_frame_equal(others, metrics[metrics["department"] != "曾都区信访局"].reset_index(drop=True))


def test_lists_of_dicts_give_the_same_metrics_as_tables(metrics):
    docs, figs, texts = seed_run()
    pd.testing.assert_frame_equal(compute_metrics(figs.to_dict("records"), docs.to_dict("records"), texts), metrics)


def test_a_general_budget_part_is_not_the_departments_figure():
    # 苏州市自然资源和规划局 2026: 基本支出 12,947.96 万元 (all funds); 人员经费 11,577.73 万元 only for its 财政拨款 part
    # (figures.scope appropriation): no personnel share of the department is computed from it.
    docs = pd.DataFrame([{"file": "a.pdf", "status": "ok", "doc_kind": "budget", "fiscal_year": 2026,
                          "department": "苏州市自然资源和规划局", "jurisdiction": "苏州市"}])
    row = {"file": "a.pdf", "fiscal_year": 2026, "basis": "budget", "code": "", "unit": "yuan", "method": "stated",
           "source": "text", "table": "", "scale": "万元", "decimals": 2}
    figs = pd.DataFrame([{**row, "measure": "basic_expenditure", "value": 129479600.0, "quote": "基本支出 12,947.96 万元",
                          "start": 0, "end": 18, "scope": "total"},
                         {**row, "measure": "personnel_expenditure", "value": 115777300.0,
                          "quote": "人员经费 11,577.73 万元", "start": 40, "end": 58, "scope": "appropriation"}])
    m = compute_metrics(figs, docs)
    assert "personnel_share_of_basic" not in set(m["metric"])
    assert "personnel_share_of_basic" in set(compute_metrics(figs.assign(scope="total"), docs)["metric"])


def test_preparing_some_measures_gives_the_rows_of_preparing_all_of_them():
    """``_prepare(..., measures)`` turns only those measures' rows of a table into dicts: the same rows, in the same
    order and with the same values, as preparing every figure and keeping those measures (and as a list of dicts)."""
    import math

    from countyfiscal.analysis.metrics import SANGONG, _prepare

    docs, figs, texts = seed_run()
    frame = figs if isinstance(figs, pd.DataFrame) else pd.DataFrame(figs)

    def plain(rows):  # NaN compares unequal to itself: a marker instead
        return [{k: ("NaN" if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rows]

    every = [r for r in _prepare(frame, docs) if r["measure"] in SANGONG]
    some = _prepare(frame, docs, measures=SANGONG)
    assert len(some) >= 20 and {r["measure"] for r in some} <= set(SANGONG)
    assert plain(some) == plain(every)
    # Without offsets, a row's place among the measures' rows stands in for its start, as it always has (its
    # place among all the figures would leave gaps).
    without_start = _prepare(frame.drop(columns=["start"]), docs, measures=SANGONG)
    assert len(without_start) == len(some)
    assert sorted(r["start"] for r in without_start) == list(range(len(some)))
