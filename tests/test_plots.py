"""Figure functions: the bundled CJK font, like with like in every series, stated beats recomputed (mismatches marked),
sources named, log axes and distributions where labels or magnitudes demand them, stable 200 dpi files."""

from __future__ import annotations

import io
import json
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from countyfiscal.analysis import load, plots
from countyfiscal.analysis import panel

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


def _figure_row(file, measure, year, basis, value, code="", label="", unit="yuan", method="stated", start=0, page=None,
                table=""):
    return dict(file=file, measure=measure, fiscal_year=year, basis=basis, code=code, label=label, value=value,
                unit=unit, method=method, formula="", quote="（略）", start=start, end=start + 5, page=page, table=table)


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
        _figure_row("b.pdf", "expenditure_total", 2023, "budget", 1_865_493_000.00, page=5, table="表1 收支总表"),
        _figure_row("b.pdf", "basic_expenditure", 2023, "budget", 414_189_400.00, page=6, table="表5 支出表"),
        _figure_row("b.pdf", "project_expenditure", 2023, "budget", 1_451_303_600.00, page=6, table="表5 支出表"),
        _figure_row("b.pdf", "sangong_total", 2023, "budget", 3_080_000.00, page=9),
        _figure_row("b.pdf", "economic_expenditure", 2023, "budget", 2_500_000.0, "301", "工资福利支出"),
        _figure_row("b.pdf", "economic_expenditure", 2023, "budget", 2_500_000.0, "501", "机关工资福利支出"),
        _figure_row("b.pdf", "staff_actual", 2023, "", 12, unit="count"),
        _figure_row("c.txt", "expenditure_total", 2022, "actual", 2_846_343.88),
        _figure_row("c.txt", "personnel_expenditure", 2022, "actual", 2_107_912.71),
    ]
)
FIGURES["fiscal_year"] = FIGURES["fiscal_year"].astype("Int64")
FIGURES["page"] = FIGURES["page"].astype("Int64")

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

# Recomputed values (metrics.csv) ...
METRICS = pd.DataFrame(
    {
        "jurisdiction": ["甲县", "乙区", "甲县", "丙县", "甲县", "乙区"],
        "department": ["甲县信访局", "乙区信访局", "甲县信访局", "丙县信访局", "甲县信访局", "乙区信访局"],
        "fiscal_year": pd.array([2023, 2023, 2023, 2022, 2023, 2023], dtype="Int64"),
        "basis": ["actual", "budget", "actual", "actual", "actual", "budget"],
        "metric": ["expenditure_change_pct", "expenditure_change_pct", "personnel_share_of_basic",
                   "personnel_share_of_total", "sangong_execution_pct", "sangong_change_pct"],
        "value": [6.8284, 3.5, 89.6866, 74.0569, 23.0882, -13.0435],
        "numerator": [177_536.87, 140_000.0, 2_329_472.74, 2_107_912.71, 11_668.09, -300.0],
        "denominator": [2_600_000.0, 4_000_000.0, 2_597_347.23, 2_846_343.88, 50_537.0, 2300.0],
        "formula": ["(this − last) / last × 100"] * 6,
        "inputs": ["a.txt", "b.pdf", "a.txt", "c.txt", "a.txt", "b.pdf"],
        "comparability": ["", "last year's figure derived from the stated change (this year − change)", "", "", "", ""],
        "base": ["prior_final_account", "prior_execution", "", "", "", "prior_budget"],
    }
)
# ... and what the documents state themselves (statements.csv, with the base of each change).
STATEMENTS = pd.DataFrame(
    [
        dict(file="b.pdf", kind="change_pct", measure="sangong_total", fiscal_year=2023, basis="budget", value=15.0,
             decimals=0, direction=-1, words="", quote="减少 15 %", start=900, base="prior_budget", page=9),
        dict(file="a.txt", kind="share_pct", measure="personnel_expenditure", fiscal_year=2023, basis="actual",
             value=89.69, decimals=2, direction=1, words="基本支出", quote="占基本支出的89.69%", start=400, base="", page=None),
        dict(file="a.txt", kind="wording", measure="basic_expenditure", fiscal_year=2023, basis="actual", value=None,
             decimals=None, direction=0, words="unchanged", quote="与上年持平", start=300, base="prior_final_account", page=None),
        dict(file="c.txt", kind="execution_pct", measure="sangong_total", fiscal_year=2022, basis="actual", value=100.0,
             decimals=0, direction=1, words="", quote="完成预算100%", start=50, base="", page=None),
    ]
)
STATEMENTS["fiscal_year"] = STATEMENTS["fiscal_year"].astype("Int64")

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

TABLES = {"documents": DOCUMENTS, "figures": FIGURES, "metrics": METRICS, "statements": STATEMENTS}
PANEL = panel.build_panel(TABLES)


def _all_figures(frames: dict[str, pd.DataFrame]) -> dict[str, Figure]:
    """Every public figure function, called as the notebooks call it."""
    d, f, m = frames["documents"], frames["figures"], frames["metrics"]
    p = panel.build_panel({"documents": d, "metrics": m, "statements": frames.get("statements")})
    return {
        "coverage": plots.plot_corpus_coverage(d),
        "measures": plots.plot_measure_coverage(f, d),
        "flags": plots.plot_flag_summary(frames["flags"], d),
        "panel": plots.plot_panel(p, panel.CHANGES + panel.SHARES, "压缩 −4.06%", d, f),
        "metric_bars": plots.plot_metric_bars(m, ["expenditure_change_pct"], "压缩"),
        "composition": plots.plot_expenditure_composition(f, d),
        "by_year": plots.plot_measure_by_year(f, d, "expenditure_total", "支出合计 by year"),
        "budget_vs_actual": plots.plot_budget_vs_actual(f, d, plots.SANGONG_SHORT, "三公"),
        "economic": plots.plot_economic_composition(f, d),
        "theme_heatmap": plots.plot_theme_heatmap(frames["themes"], d),
        "keywords": plots.plot_top_keywords(frames["keywords"], d),
        "recurring": plots.plot_recurring_themes(frames["recurring_themes"], documents=d, themes=frames["themes"]),
        "profile": plots.plot_profile_figures(f, d, "甲县信访局"),
        "profile_themes": plots.plot_profile_themes(frames["themes"], d, "甲县信访局", scope="work_summary"),
        "no_data": plots.no_data_figure("无数据 −1"),
    }


FULL = {"documents": DOCUMENTS, "figures": FIGURES, "flags": FLAGS, "metrics": METRICS, "statements": STATEMENTS,
        "themes": THEMES, "keywords": KEYWORDS, "recurring_themes": RECURRING}
EMPTY = {name: load.empty_table(name) for name in FULL}


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _draw_everything(figs: dict[str, Figure]) -> list[str]:
    messages = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fig in figs.values():
            for fmt in ("png", "svg"):
                fig.savefig(io.BytesIO(), format=fmt, dpi=50)
    messages.extend(str(w.message) for w in caught)
    return messages


def test_cjk_font_is_the_bundled_noto():
    assert plots.CJK_FONT == "Noto Sans CJK SC"
    assert matplotlib.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"
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
    assert [m for m in _draw_everything(figs) if "Glyph" in m] == []


def test_figures_show_data_not_placeholder_when_data_exists(full_figures):
    placeholders = [name for name, fig in full_figures.items() if "no data" in " ".join(_texts(fig))]
    assert placeholders == ["no_data"]


def test_empty_tables_give_no_data_figures():
    texts = {name: _texts(fig) for name, fig in _all_figures(EMPTY).items()}
    assert texts["measures"] == ["no data"]
    assert texts["theme_heatmap"] == ["no document in scope has work-summary, work-plan and performance\nsections"]
    assert texts["flags"] == ["no flags: every check passed or none ran"]


def test_the_panel_prefers_stated_values_and_keeps_both_where_they_disagree():
    row = PANEL[PANEL["metric"].eq("sangong_change_pct")].iloc[0]
    # 乙区 states −15 % against last year's budget; its figures give −13.04 %: the stated value is drawn, both kept.
    assert (row["value"], row["stated"], row["recomputed"], row["mismatch"], row["base"]) == (-15.0, -15.0, -13.0435, True, "prior_budget")
    share = PANEL[PANEL["metric"].eq("personnel_share_of_basic")].iloc[0]
    assert (share["value"], share["recomputed"], share["mismatch"], share["source"]) == (89.69, 89.6866, False, "stated")
    # "与上年持平" is a stated change of exactly 0 %.
    flat = PANEL[PANEL["metric"].eq("basic_change_pct")].iloc[0]
    assert (flat["value"], flat["source"], flat["base"]) == (0.0, "stated", "prior_final_account")
    # "完成预算100%" of a 绩效自评 is an execution rate, and the 绩效自评 stays a 绩效自评 (not 决算).
    execution = PANEL[PANEL["metric"].eq("sangong_execution_pct") & PANEL["department_label"].eq("丙县信访局")].iloc[0]
    assert (execution["value"], execution["doc_kind"], execution["series"]) == (100.0, "performance_evaluation", "绩效自评 · 决算数")


def test_series_never_mix_kinds_bases_or_bases_of_change(full_figures):
    fig = full_figures["panel"]
    series = fig.countyfiscal["series"]
    assert series, "the panel figure records its series"
    for s in series:
        assert len(s["doc_kinds"]) == 1 and len(s["bases"]) == 1 and len(s["change_bases"]) == 1, s
    legend = plots.figure_info(fig)["legend"]
    # Each series is in the legend by its kind, basis and base of change; a budget change vs last year's execution is
    # its own series, apart from a final account's change vs last year's final account.
    assert "预算 · 预算数 · 比上年执行数" in legend and "决算 · 决算数 · 比上年决算数" in legend
    assert "绩效自评 · 决算数 · 比较基数未说明" not in legend and "绩效自评 · 决算数" in legend
    assert plots.STYLE_LEGEND["mismatch"] in legend and plots.STYLE_LEGEND["recomputed"] in legend


def test_a_mismatch_is_marked_and_both_values_printed(full_figures):
    fig = full_figures["panel"]
    assert "-15.00  (recomputed -13.04)" in _texts(fig)
    diamonds = [c for ax in fig.axes for c in ax.collections if c.get_offsets().shape[0] == 1]
    assert any(np.allclose(c.get_offsets()[0][0], -13.0435) for c in diamonds)


def test_every_figure_names_its_documents_pages_and_tables(full_figures):
    fig = full_figures["by_year"]
    sources = {s["file"]: s for s in fig.countyfiscal["sources"]}
    assert sorted(sources) == ["a.txt", "b.pdf", "c.txt"]
    assert sources["b.pdf"]["document"] == "乙区信访局 2023 预算"
    assert sources["b.pdf"]["pages"] == "5" and sources["b.pdf"]["tables"] == "表1 收支总表"
    assert sources["c.txt"]["document"] == "丙县信访局 2022 绩效自评"
    assert "Sources: 丙县信访局 2022 绩效自评 (c.txt)" in fig.get_supxlabel()
    composition = full_figures["composition"].countyfiscal["sources"]
    assert [(s["file"], s["pages"], s["tables"]) for s in composition] == [("b.pdf", "6", "表5 支出表"), ("a.txt", "", "")]
    for name, f in full_figures.items():
        if name != "no_data":
            assert f.countyfiscal["sources"], name


def test_magnitudes_an_order_apart_get_a_log_axis_with_plain_numbers(full_figures):
    ax = full_figures["by_year"].axes[0]
    # 乙区's budget of 186,549.30 万元 against county bureaus' ~280 万元: a linear axis would flatten them to 0.
    assert ax.get_xscale() == "log"
    assert "log scale" in ax.get_xlabel() and ax.get_xlabel().startswith("支出合计")
    assert ax.xaxis.get_major_formatter()(1000, 0) == "1,000"


def test_axes_name_measures_in_chinese_not_internal_names(full_figures):
    measures = [t.get_text() for t in full_figures["measures"].axes[0].get_xticklabels()]
    assert "支出合计" in measures and "expenditure_total" not in measures
    profile = [t.get_text() for t in full_figures["profile"].axes[0].get_yticklabels()]
    assert profile[:2] == ["支出合计", "基本支出"]


def test_more_rows_than_labels_can_show_become_a_distribution_per_series():
    n = plots.MAX_ROWS + 5
    docs = pd.DataFrame({"file": [f"f{i}.txt" for i in range(n)], "status": "ok", "doc_kind": "budget",
                         "fiscal_year": 2023, "jurisdiction": [f"{i}县" for i in range(n)],
                         "department": [f"{i}县信访局" for i in range(n)]})
    metrics = pd.DataFrame({"jurisdiction": docs["jurisdiction"], "department": docs["department"], "fiscal_year": 2023,
                            "basis": "budget", "metric": "expenditure_change_pct", "value": np.linspace(-10, 10, n),
                            "numerator": 1.0, "denominator": 1.0, "formula": "", "inputs": docs["file"],
                            "comparability": "", "base": "prior_budget"})
    fig = plots.plot_panel(panel.build_panel({"documents": docs, "metrics": metrics}), panel.CHANGES, "many", docs)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [f"预算 · 预算数 · 比上年预算数 (n={n})"]
    assert f"{n} department-years, shown as one box per series" in fig.get_supxlabel()


def test_two_departments_of_one_place_get_separate_bars():
    docs = pd.concat([DOCUMENTS, DOCUMENTS.iloc[[0]].assign(file="e.txt", department="甲县财政局")], ignore_index=True)
    figs = pd.concat([FIGURES, FIGURES[FIGURES["file"].eq("a.txt")].assign(file="e.txt")], ignore_index=True)
    fig = plots.plot_expenditure_composition(figs, docs)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["乙区信访局 2023", "甲县信访局 2023", "甲县财政局 2023"]


def test_economic_composition_keeps_the_two_classifications_apart():
    fig = plots.plot_economic_composition(FIGURES, DOCUMENTS)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["301 工资福利支出", "302 商品和服务支出", "501 机关工资福利支出"]
    assert [t.get_text() for t in fig.axes[0].texts] == ["100.0", "80.0", "20.0", "100.0"]
    bars = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert bars == ["乙区信访局 2023 预算 · 预算数 · 3xx", "乙区信访局 2023 预算 · 预算数 · 5xx", "甲县信访局 2023 决算 · 决算数 · 3xx"]


def test_save_figure_writes_200_dpi_png_svg_and_sources_deterministically(tmp_path):
    name = plots.figure_name("02_budget_compression", "composition")
    first = plots.save_figure(plots.plot_expenditure_composition(FIGURES, DOCUMENTS), name, tmp_path / "one")
    second = plots.save_figure(plots.plot_expenditure_composition(FIGURES, DOCUMENTS), name, tmp_path / "two")
    assert [p.name for p in first.paths] == [f"{name}.png", f"{name}.svg", f"{name}.json"]
    assert repr(first) == f"{name} (.png, .svg, .json)"
    for a, b in zip(first.paths, second.paths):
        assert a.read_bytes() == b.read_bytes()
    with Image.open(first.png) as image:
        assert round(image.info["dpi"][0]) == 200
    info = json.loads(first.info.read_text(encoding="utf-8"))
    assert info["title"].startswith("Expenditure composition") and info["sources"][0]["file"] == "b.pdf"
    assert "项目支出 (the rest)" in info["legend"]
    html = first._repr_html_()
    assert html.startswith("<figure><img src=\"data:image/png;base64,") and "乙区信访局 2023 预算" in html
    svg = first.svg.read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and str(tmp_path) not in svg
    assert plots.save_figure(plots.no_data_figure("x"), "x", tmp_path, svg=False).svg is None


def test_the_png_is_rgb_with_exactly_matplotlibs_pixels_and_a_transparent_figure_keeps_its_alpha(tmp_path):
    import numpy as np

    fig = plots.plot_expenditure_composition(FIGURES, DOCUMENTS)
    fig.set_size_inches(7.0, 2.01)  # 2.01 in × 200 dpi lands a hair under 402 pixels: Agg draws 402 rows
    saved = plots.save_figure(fig, "rgb", tmp_path, svg=False)
    fig.savefig(tmp_path / "reference.png", format="png", dpi=plots.DPI)
    with Image.open(saved.png) as ours, Image.open(tmp_path / "reference.png") as reference:
        assert ours.mode == "RGB" and reference.mode == "RGBA" and ours.size == reference.size == (1400, 402)
        assert np.array_equal(np.asarray(ours), np.asarray(reference.convert("RGB")))
        assert ours.info["dpi"] == reference.info["dpi"]
    see_through = plots.no_data_figure("x")
    see_through.patch.set_alpha(0.0)
    with Image.open(plots.save_figure(see_through, "alpha", tmp_path, svg=False).png) as image:
        assert image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 0


def test_png_bytes_keeps_every_pixel_of_noise_and_of_a_non_contiguous_image():
    import io

    import numpy as np

    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)  # the Up filter wraps around 256 everywhere
    pixels[..., 3] = 255
    for image in (pixels, pixels[::2, ::3]):
        with Image.open(io.BytesIO(plots.png_bytes(image, 3))) as decoded:
            assert decoded.mode == "RGB" and decoded.size == (image.shape[1], image.shape[0])
            assert np.array_equal(np.asarray(decoded), image[..., :3])
    pixels[36, 52, 3] = 0  # one see-through pixel: not this writer's job
    assert plots.png_bytes(pixels, 1) is None


def test_figure_name_rejects_paths_but_cleans_a_parameter():
    assert plots.figure_name("10_department_profile", "themes", "甲县信访局") == "10_department_profile__themes__甲县信访局"
    assert plots.figure_name("10_department_profile", "x", "a/b") == "10_department_profile__x__a／b"
    with pytest.raises(ValueError):
        plots.figure_name("01", "../x")


def test_text_figures_keep_to_one_scope_and_method():
    heat = plots.plot_theme_heatmap(THEMES, DOCUMENTS)
    assert sorted(t.get_text() for t in heat.axes[0].get_xticklabels()) == ["乙区信访局", "甲县信访局"]
    assert "丙县信访局" in heat.get_supxlabel()  # only 'document' scope text: said, not silently dropped
    words = plots.plot_top_keywords(KEYWORDS, DOCUMENTS)  # no log_odds in this table: tfidf
    assert [[t.get_text() for t in ax.get_yticklabels()] for ax in words.axes] == [["初信初访"], ["信访积案", "枫桥经验"]]
    assert "tfidf" in words.countyfiscal["title"]
    recurring = plots.plot_recurring_themes(RECURRING)
    assert [t.get_text() for t in recurring.axes[0].get_yticklabels()] == ["1. 源头治理"]


# Today's text tables grow (text helper, v2): a kind's lexicon scored only for that kind, a row saying a document has
# no text of a scope, log-odds keywords.
THEMES_V2 = pd.DataFrame({
    "file": ["a.txt", "a.txt", "b.pdf", "b.pdf", "b.pdf", "c.txt"],
    "scope": ["work_summary"] * 6,
    "theme": ["源头治理", "党建", "源头治理", "党建", "刑罚执行", ""],
    "hits": pd.array([4, 0, 1, 2, 9, pd.NA], dtype="Int64"),
    "hits_per_1000_chars": [1.25, 0.0, 0.33, 0.5, 3.0, np.nan],
    "theme_set": ["信访", "generic", "信访", "generic", "司法", ""],
    "department_kind": ["信访", "信访", "信访", "信访", "信访", "信访"],
    "note": ["", "", "", "", "", "no work-summary, work-plan or performance section found"],
})


def test_a_theme_a_department_is_not_scored_against_is_blank_not_zero():
    fig = plots.plot_theme_heatmap(THEMES_V2, DOCUMENTS)
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert rows == ["党建", "源头治理 [信访]", "刑罚执行 [司法]"]  # generic first, then each kind's lexicon
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert cells.count("0.00") == 1 and "nan" not in cells  # 甲县 scored on 党建 with 0 hits; 刑罚执行 not scored for 甲县
    assert "No work-summary, work-plan and performance sections found for: 丙县信访局." in fig.get_supxlabel()


def test_recurring_themes_rank_by_the_share_of_departments_scored():
    from countyfiscal.analysis import recurring

    ranked = recurring.recurring_themes(THEMES_V2, DOCUMENTS)
    # 源头治理: both 信访 departments scored mention it; 党建: one of two; 刑罚执行: one department only, so it does not recur.
    assert ranked[["rank", "theme", "n_departments", "departments_scored", "department_share"]].values.tolist() == [
        [1, "源头治理", 2, 2, 1.0]]
    assert recurring.recurring_themes(THEMES_V2, DOCUMENTS, min_departments=1)["theme"].tolist() == ["源头治理", "刑罚执行", "党建"]
    coverage = recurring.text_coverage(THEMES_V2, DOCUMENTS)
    assert coverage[["department_label", "has_text"]].values.tolist() == [["丙县信访局", "no"], ["乙区信访局", "yes"], ["甲县信访局", "yes"]]
    assert coverage["note"].iloc[0] == "no work-summary, work-plan or performance section found"
    fig = plots.plot_recurring_themes(ranked, documents=DOCUMENTS, themes=THEMES_V2)
    assert [t.get_text() for t in fig.axes[0].texts] == [" 2/2"]
    assert {s["file"] for s in fig.countyfiscal["sources"]} == {"a.txt", "b.pdf"}


def test_a_department_profile_is_one_figure_with_its_figures_and_its_themes():
    fig = plots.plot_profile(FIGURES, THEMES, DOCUMENTS, "乙区信访局")
    headline, themes = fig.axes
    assert [t.get_text() for t in headline.get_yticklabels()] == ["支出合计", "基本支出", "项目支出", "“三公”经费"]
    assert headline.get_xscale() == "log"  # 186,549.30 万元 beside 308.00 万元
    assert [t.get_text() for t in themes.get_yticklabels()] == ["源头治理"]
    assert [s["document"] for s in fig.countyfiscal["sources"]] == ["乙区信访局 2023 预算"]
    assert fig.get_layout_engine() is None  # fixed margins: drawn a thousand times
    empty = plots.plot_profile(FIGURES.iloc[0:0], THEMES.iloc[0:0], DOCUMENTS, "乙区信访局")
    assert "none of this department's documents states a headline figure" in _texts(empty)[0]


def test_a_caveat_names_the_bars_it_concerns(full_figures):
    fig = full_figures["panel"]
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    # 乙区's 2023 change rests on last year's figure derived from the stated change: its bar carries [1].
    assert "乙区信访局 2023 [1]" in labels and "甲县信访局 2023" in labels
    assert "[1] last year's figure derived from the stated change (this year − change)." in fig.get_supxlabel()


def test_a_theme_scored_for_one_department_alone_gets_no_mean_to_compare_against():
    # 乙区信访局 (b.pdf) is scored on 刑罚执行 alone (a 司法 theme); 源头治理 and 党建 also for 甲县信访局 (a.txt).
    table, n_departments, _, _ = plots._theme_table(THEMES_V2, DOCUMENTS, "乙区信访局", "work_summary", None)
    assert n_departments == 2
    assert table.loc["刑罚执行", "this"] == 3.0 and pd.isna(table.loc["刑罚执行", "all"])
    assert table.loc["源头治理", "all"] == pytest.approx((1.25 + 0.33) / 2) and table.loc["源头治理", "scored"] == 2
    fig = plots.plot_profile_themes(THEMES_V2, DOCUMENTS, "乙区信访局")
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["乙区信访局", "mean of the departments scored on the theme (2 of 2);\nnone for the 1 theme of "
                                    "this department's kind alone"]
