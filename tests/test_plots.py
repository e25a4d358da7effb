"""Every figure function draws with the bundled CJK font (no "Glyph missing"), handles empty input, saves stably."""

from __future__ import annotations

import io
import warnings

import matplotlib
import pandas as pd
import pytest
from matplotlib.figure import Figure

from countyfiscal import load, plots

# Small frames in the contract's columns with Chinese names; invented places (甲县, 乙区) so nothing depends on seeds.
DOCUMENTS = pd.DataFrame(
    {
        "file": ["a.txt", "b.pdf", "c.txt", "d.txt"],
        "status": ["ok", "ok", "partial", "rejected"],
        "reason": ["", "", "some tables missing", "not a fiscal disclosure"],
        "doc_kind": ["final_account", "budget", "performance_evaluation", ""],
        "fiscal_year": pd.array([2023, 2023, 2022, None], dtype="Int64"),
        "department": ["甲县信访局", "乙区信访局", "丙县信访局", ""],
        "jurisdiction": ["甲县", "乙区", "丙县", ""],
    }
)


def _figure_row(file, measure, year, basis, value, code="", label="", unit="yuan", method="stated", start=0):
    return dict(file=file, measure=measure, fiscal_year=year, basis=basis, code=code, label=label, value=value,
                unit=unit, method=method, formula="", quote="（略）", start=start, end=start + 5)


FIGURES = pd.DataFrame(
    [
        _figure_row("a.txt", "expenditure_total", 2023, "actual", 2_777_536.87),
        _figure_row("a.txt", "expenditure_total", 2022, "actual", 2_600_000.00),
        _figure_row("a.txt", "basic_expenditure", 2023, "actual", 2_597_347.23),
        _figure_row("a.txt", "project_expenditure", 2023, "actual", 180_189.64),
        _figure_row("a.txt", "personnel_expenditure", 2023, "actual", 2_329_472.74),
        _figure_row("a.txt", "sangong_total", 2023, "budget", 50_537.00),
        _figure_row("a.txt", "sangong_total", 2023, "actual", 11_668.09),
        _figure_row("a.txt", "sangong_reception", 2023, "budget", 31_137.00),
        _figure_row("a.txt", "sangong_reception", 2023, "actual", 0.0),
        _figure_row("a.txt", "economic_expenditure", 2023, "actual", 2_000_000.0, "301", "工资福利支出"),
        _figure_row("a.txt", "economic_expenditure", 2023, "actual", 500_000.0, "302", "商品和服务支出"),
        _figure_row("b.pdf", "expenditure_total", 2023, "budget", 4_105_300.00),
        _figure_row("b.pdf", "basic_expenditure", 2023, "budget", 3_105_300.00),
        _figure_row("b.pdf", "project_expenditure", 2023, "budget", 1_000_000.00),
        _figure_row("b.pdf", "economic_expenditure", 2023, "budget", 2_500_000.0, "301", "工资福利支出"),
        _figure_row("b.pdf", "economic_expenditure", 2023, "budget", 2_500_000.0, "501", "机关工资福利支出"),
        _figure_row("b.pdf", "staff_actual", 2023, "", 12, unit="count"),
    ]
)
FIGURES["fiscal_year"] = FIGURES["fiscal_year"].astype("Int64")

FLAGS = pd.DataFrame(
    {
        "file": ["a.txt", "a.txt", "b.pdf"],
        "check": ["sum_of_parts", "share", "sum_of_parts"],
        "status": ["mismatch", "rounding", "insufficient_data"],
        "measure": ["expenditure_total", "project_expenditure", "sangong_total"],
        "code": ["", "", ""],
        "fiscal_year": pd.array([2023, 2023, 2023], dtype="Int64"),
        "basis": ["actual", "actual", "budget"],
        "reported": ["100", "6.49%", ""],
        "expected": ["101", "6.487%", ""],
        "message": ["合计与分项之和不符。", "占比四舍五入。", "缺少分项。"],
        "quotes": ["x|y", "z", ""],
    }
)

METRICS = pd.DataFrame(
    {
        "jurisdiction": ["甲县", "乙区", "甲县", "乙区", "甲县"],
        "department": ["甲县信访局", "乙区信访局", "甲县信访局", "乙区信访局", "甲县信访局"],
        "fiscal_year": pd.array([2023, 2023, 2023, 2023, 2023], dtype="Int64"),
        "basis": ["actual", "budget", "actual", "budget", "actual"],
        "metric": ["expenditure_change_pct", "expenditure_change_pct", "personnel_share_of_basic",
                   "personnel_share_of_basic", "sangong_execution_pct"],
        "value": [-4.06, 3.5, 89.69, 75.0, 23.09],
        "numerator": [-112_000.0, 140_000.0, 2_329_472.74, 2_000_000.0, 11_668.09],
        "denominator": [2_760_000.0, 4_000_000.0, 2_597_347.23, 2_666_666.67, 50_537.0],
        "formula": ["(this − last) / last × 100"] * 5,
        "inputs": ["a.txt", "b.pdf", "a.txt", "b.pdf", "a.txt"],
        "comparability": ["", "budget figures", "", "人员经费 derived from 301+303", ""],
    }
)

THEMES = pd.DataFrame(
    {
        "file": ["a.txt", "a.txt", "b.pdf", "c.txt"],
        "scope": ["work_summary", "work_summary", "work_summary", "document"],
        "theme": ["源头治理", "积案化解", "源头治理", "网上信访"],
        "hits": [4, 2, 1, 3],
        "hits_per_1000_chars": [1.25, 0.5, 0.33, 2.0],
    }
)
KEYWORDS = pd.DataFrame(
    {
        "file": ["a.txt", "a.txt", "b.pdf", "c.txt"],
        "scope": ["work_summary"] * 4,
        "method": ["tfidf", "tfidf", "tfidf", "textrank"],
        "term": ["信访积案", "枫桥经验", "初信初访", "联席会议"],
        "score": [0.41, 0.33, 0.52, 1.0],
    }
)
RECURRING = pd.DataFrame({"scope": ["work_summary", "document"], "theme": ["源头治理", "网上信访"],
                          "n_jurisdictions": [3, 2], "jurisdictions": ["甲县、乙区、丙县", "甲县、乙区"]})


def _all_figures(frames: dict[str, pd.DataFrame]) -> dict[str, Figure]:
    """Every public figure function, called as the notebooks call it."""
    d, f, m = frames["documents"], frames["figures"], frames["metrics"]
    return {
        "coverage": plots.plot_corpus_coverage(d),
        "measures": plots.plot_measure_coverage(f, d),
        "flags": plots.plot_flag_summary(frames["flags"]),
        "metric_bars": plots.plot_metric_bars(m, ["expenditure_change_pct", "personnel_share_of_basic"], "压缩 −4.06%"),
        "composition": plots.plot_expenditure_composition(f, d),
        "by_year": plots.plot_measure_by_year(f, d, "expenditure_total", "支出合计 by year"),
        "budget_vs_actual": plots.plot_budget_vs_actual(f, d, plots.SANGONG_SHORT, "三公"),
        "economic": plots.plot_economic_composition(f, d),
        "theme_heatmap": plots.plot_theme_heatmap(frames["themes"], d),
        "keywords": plots.plot_top_keywords(frames["keywords"], d),
        "recurring": plots.plot_recurring_themes(frames["recurring_themes"]),
        "profile": plots.plot_profile_figures(f, d, "甲县"),
        "profile_themes": plots.plot_profile_themes(frames["themes"], d, "甲县", scope="work_summary"),
        "no_data": plots.no_data_figure("无数据 −1"),
    }


FULL = {"documents": DOCUMENTS, "figures": FIGURES, "flags": FLAGS, "metrics": METRICS, "themes": THEMES,
        "keywords": KEYWORDS, "recurring_themes": RECURRING}
EMPTY = {name: load.empty_table(name) for name in FULL}


def _draw_everything(figs: dict[str, Figure]) -> list[str]:
    messages = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fig in figs.values():
            fig.canvas.draw()
            for fmt in ("png", "svg"):
                fig.savefig(io.BytesIO(), format=fmt)
    messages.extend(str(w.message) for w in caught)
    return messages


def test_cjk_font_is_the_bundled_noto():
    assert plots.CJK_FONT == "Noto Sans CJK SC"
    assert matplotlib.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"
    # The bundled file is registered (a system copy of the same family may also exist and is equally good).
    registered = {f.fname for f in matplotlib.font_manager.fontManager.ttflist if f.name == "Noto Sans CJK SC"}
    assert str(plots._CJK_FONT_PATH) in registered
    found = matplotlib.font_manager.findfont(matplotlib.font_manager.FontProperties(family=["sans-serif"]))
    assert "NotoSansCJK" in str(found)


@pytest.fixture(scope="module")
def full_figures():
    """Every figure built once from FULL (drawing them is the slow part of this module); inputs checked unchanged."""
    before = {k: v.copy() for k, v in FULL.items()}
    figs = _all_figures(FULL)
    for name, frame in FULL.items():
        pd.testing.assert_frame_equal(frame, before[name])  # figure functions never mutate their input
    return figs


@pytest.mark.parametrize("frames", ["data", "empty"])
def test_every_figure_renders_chinese_without_missing_glyphs(frames, full_figures):
    figs = full_figures if frames == "data" else _all_figures(EMPTY)
    assert all(isinstance(fig, Figure) for fig in figs.values())
    glyph = [m for m in _draw_everything(figs) if "Glyph" in m]
    assert glyph == []


def test_figures_show_data_not_placeholder_when_data_exists(full_figures):
    figs = full_figures
    placeholders = [name for name, fig in figs.items() if any(t.get_text() == "no data" for ax in fig.axes for t in ax.texts)]
    assert placeholders == ["no_data"]


def test_empty_tables_give_no_data_figures():
    figs = _all_figures(EMPTY)
    texts = {name: [t.get_text() for ax in fig.axes for t in ax.texts] for name, fig in figs.items()}
    assert texts["measures"] == ["no data"]
    assert texts["theme_heatmap"] == ["no data"]
    assert texts["flags"] == ["no flags: every check passed or none ran"]


def test_metric_bars_print_values_and_warn_about_mixed_bases():
    fig = plots.plot_metric_bars(METRICS, ["expenditure_change_pct"], "change")
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["-4.06", "3.50"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["乙区\n2023 预算 [1]", "甲县\n2023 决算"]
    note = fig.get_supxlabel()
    assert "预算 (budget" in note and "决算 (actual" in note
    assert "[1] budget figures" in note


def test_expenditure_composition_shares():
    fig = plots.plot_expenditure_composition(FIGURES, DOCUMENTS)
    texts = [t.get_text() for t in fig.axes[0].texts]
    # 甲县: 2,597,347.23 / 2,777,536.87 = 93.5 %; 乙区: 3,105,300 / 4,105,300 = 75.6 %
    assert "93.5%" in texts and "75.6%" in texts
    assert "277.75 万元" in texts


def test_economic_composition_uses_only_lei_codes():
    fig = plots.plot_economic_composition(FIGURES, DOCUMENTS)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["301 工资福利支出", "302 商品和服务支出", "501 机关工资福利支出"]
    assert [t.get_text() for t in fig.axes[0].texts] == ["100.0", "80.0", "20.0", "100.0"]
    # 301 and 501 describe the same money in two classifications: separate bars, never one total.
    bars = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert bars == ["乙区 2023 预算 budget · 3xx", "乙区 2023 预算 budget · 5xx", "甲县 2023 决算 actual · 3xx"]


def test_two_departments_of_one_place_get_separate_bars():
    docs = pd.concat([DOCUMENTS, DOCUMENTS.iloc[[0]].assign(file="e.txt", department="甲县财政局")], ignore_index=True)
    figs = pd.concat([FIGURES, FIGURES[FIGURES["file"].eq("a.txt")].assign(file="e.txt")], ignore_index=True)
    fig = plots.plot_expenditure_composition(figs, docs)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [
        "乙区 2023 预算 budget", "甲县·甲县信访局 2023 决算 actual", "甲县·甲县财政局 2023 决算 actual"]


def test_save_figure_is_deterministic(tmp_path):
    name = plots.figure_name("02_budget_compression", "composition")
    first = plots.save_figure(plots.plot_expenditure_composition(FIGURES, DOCUMENTS), name, tmp_path / "one")
    second = plots.save_figure(plots.plot_expenditure_composition(FIGURES, DOCUMENTS), name, tmp_path / "two")
    assert [p.name for p in first.paths] == ["02_budget_compression__composition.png", "02_budget_compression__composition.svg"]
    assert repr(first) == "02_budget_compression__composition (.png, .svg)"
    assert first._repr_png_().startswith(b"\x89PNG")
    for a, b in zip(first.paths, second.paths):
        assert a.read_bytes() == b.read_bytes()
    svg = first.svg.read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and str(tmp_path) not in svg


def test_figure_name_rejects_paths():
    assert plots.figure_name("10_county_profile", "themes", "甲县") == "10_county_profile__themes__甲县"
    with pytest.raises(ValueError):
        plots.figure_name("01", "../x")


def test_text_figures_keep_to_one_scope_and_method():
    heat = plots.plot_theme_heatmap(THEMES, DOCUMENTS)
    assert sorted(t.get_text() for t in heat.axes[0].get_xticklabels()) == ["乙区", "甲县"]  # 丙县 only has 'document'
    assert "丙县" in heat.get_supxlabel()
    words = plots.plot_top_keywords(KEYWORDS, DOCUMENTS)
    assert [[t.get_text() for t in ax.get_yticklabels()] for ax in words.axes] == [["初信初访"], ["信访积案", "枫桥经验"]]
    recurring = plots.plot_recurring_themes(RECURRING)
    assert [t.get_text() for t in recurring.axes[0].get_yticklabels()] == ["源头治理"]
