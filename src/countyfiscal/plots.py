"""Figure functions for the notebooks: a tidy frame in, a matplotlib Figure out; the CJK font is set here once."""

from __future__ import annotations

import pathlib
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.font_manager
import mplfonts
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from countyfiscal import load
from countyfiscal.load import MEASURE_ORDER, document_labels

# seaborn.set_theme() resets every font setting, so it must run before the CJK font is registered and chosen.
sns.set_theme(style="whitegrid", context="notebook")
# mplfonts ships the font file but mplfonts.use_font() alone does not register it with the font manager.
_CJK_FONT_PATH = next(pathlib.Path(mplfonts.__file__).parent.rglob("NotoSansCJKsc-Regular.otf"))
matplotlib.font_manager.fontManager.addfont(str(_CJK_FONT_PATH))
CJK_FONT = matplotlib.font_manager.FontProperties(fname=str(_CJK_FONT_PATH)).get_name()  # "Noto Sans CJK SC"
matplotlib.rcParams["font.family"] = "sans-serif"
matplotlib.rcParams["font.sans-serif"] = [CJK_FONT, "DejaVu Sans"]
matplotlib.rcParams["axes.unicode_minus"] = True  # Noto has a real minus sign
# Deterministic files: SVG ids from a fixed salt; dates are dropped when saving (see save_figure).
matplotlib.rcParams["svg.hashsalt"] = "countyfiscal"
matplotlib.rcParams["figure.dpi"] = 100
matplotlib.rcParams["savefig.dpi"] = 100
# No "tight" bbox: constrained layout already fits every label, and "tight" would draw each figure twice.

# Fixed colours so budget and actual never swap colours between figures.
BASIS_COLOURS = {"budget": "#4C72B0", "actual": "#DD8452", "": "#8C8C8C"}
BASIS_LABELS = {"budget": "预算 budget", "actual": "决算 actual", "": "(no basis)"}
BASIS_HATCH = {"budget": "", "actual": "//", "": ".."}
STATUS_COLOURS = {"mismatch": "#C44E52", "rounding": "#DD8452", "insufficient_data": "#8C8C8C"}
SANGONG_PARTS = {
    "sangong_overseas": "因公出国（境）费",
    "sangong_vehicle_purchase": "公务用车购置费",
    "sangong_vehicle_operation": "公务用车运行维护费",
    "sangong_vehicle_total": "公务用车购置及运行费",
    "sangong_reception": "公务接待费",
}
# Short names for tick labels where panels are narrow.
SANGONG_SHORT = {
    "sangong_total": "合计",
    "sangong_overseas": "出国（境）",
    "sangong_vehicle_purchase": "车辆购置",
    "sangong_vehicle_operation": "车辆运行",
    "sangong_vehicle_total": "购置及运行",
    "sangong_reception": "公务接待",
}
PROFILE_MEASURES = {
    "income_total": "收入合计",
    "expenditure_total": "支出合计",
    "basic_expenditure": "基本支出",
    "project_expenditure": "项目支出",
    "personnel_expenditure": "人员经费",
    "public_expenditure": "公用经费",
    "agency_operating_expenses": "机关运行经费",
    "sangong_total": "“三公”经费",
    "government_procurement": "政府采购",
}
METRIC_LABELS = {
    "expenditure_change_pct": "支出合计 change %",
    "basic_change_pct": "基本支出 change %",
    "project_change_pct": "项目支出 change %",
    "sangong_change_pct": "“三公”经费 change %",
    "agency_operating_change_pct": "机关运行经费 change %",
    "personnel_share_of_basic": "人员经费 / 基本支出 %",
    "personnel_share_of_total": "人员经费 / 支出合计 %",
    "sangong_execution_pct": "“三公”经费 execution %",
    "personnel_per_staff": "人员经费 per person (yuan)",
}
METRIC_LABELS |= {
    f"{part}_execution_pct": f"{name} execution %" for part, name in SANGONG_PARTS.items()
}
WAN = 10_000  # 万元: the unit disclosures print money in


def _figure(width: float = 8.0, height: float = 4.5) -> Figure:
    # A bare Figure, not pyplot: no global figure registry to leak memory or show figures twice in notebooks.
    return Figure(figsize=(width, height), layout="constrained")


def _wrap(text: str, width: int = 110) -> str:
    return "\n".join(textwrap.wrap(text, width)) if text else ""


def no_data_figure(title: str, message: str = "no data") -> Figure:
    """A figure that says there is nothing to show, so every expected figure file still exists.

    >>> no_data_figure("三公经费").axes[0].texts[0].get_text()
    'no data'
    """
    fig = _figure(6, 2.5)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=14, color="#666666", transform=ax.transAxes)
    return fig


def _note(fig: Figure, lines: Sequence[str]) -> None:
    """A footnote under the plot: how to read it, and every caveat on comparing its bars."""
    text = "\n".join(_wrap(line) for line in lines if line)
    if text:
        fig.supxlabel(text, fontsize=8, ha="left", x=0.01, color="#444444")


def _comparability_lines(frame: pd.DataFrame) -> list[str]:
    """Say when bars mix bases or years; a reader must not compare a budget with an actual unawares."""
    lines = []
    bases = sorted(b for b in frame.get("basis", pd.Series(dtype=str)).dropna().unique() if b)
    if len(bases) > 1:
        lines.append("Bars mix 预算 (budget, solid) and 决算 (actual, hatched //) figures: compare like with like.")
    years = sorted({int(y) for y in frame.get("fiscal_year", pd.Series(dtype="Int64")).dropna()})
    if len(years) > 1:
        lines.append("Fiscal years differ: " + ", ".join(str(y) for y in years) + " — labels show each bar's year.")
    for note, marker in _note_markers(frame).items():
        lines.append(f"{marker} {note}")
    return lines


def _note_markers(frame: pd.DataFrame) -> dict[str, str]:
    """Each distinct comparability note gets a marker ([1], [2] …) that the bars it concerns carry in their label."""
    if "comparability" not in frame:
        return {}
    notes = sorted({n for n in frame["comparability"].dropna() if n})
    return {note: f"[{i}]" for i, note in enumerate(notes, start=1)}


def _basis_legend(ax, bases: Sequence[str]) -> None:
    handles = [
        matplotlib.patches.Patch(facecolor=BASIS_COLOURS.get(b, "#8C8C8C"), hatch=BASIS_HATCH.get(b, ""), label=BASIS_LABELS.get(b, b))
        for b in bases
    ]
    if handles:
        ax.legend(handles=handles, loc="best", fontsize=8)


# ---------------------------------------------------------------------------------------------------- corpus


def plot_corpus_coverage(documents: pd.DataFrame) -> Figure:
    """Documents per jurisdiction by fiscal year and kind (left) and every input's read status (right)."""
    title = "Documents by jurisdiction, year and kind"
    if documents.empty:
        return no_data_figure(title)
    docs = documents.assign(
        jurisdiction=documents["jurisdiction"].replace("", "(unknown)").fillna("(unknown)"),
        column=document_labels(documents, with_place=False).to_numpy(),
    )
    read = docs[docs["status"].isin(["ok", "partial"])]
    fig = _figure(10, max(3.0, 0.45 * docs["jurisdiction"].nunique() + 2))
    left, right = fig.subplots(1, 2, width_ratios=[3, 1])
    if read.empty:
        left.set_axis_off()
        left.text(0.5, 0.5, "no document was read", ha="center", va="center", transform=left.transAxes)
    else:
        table = read.pivot_table(index="jurisdiction", columns="column", values="file", aggfunc="count", fill_value=0)
        table = table.sort_index().sort_index(axis=1)
        sns.heatmap(table, annot=True, fmt="d", cbar=False, cmap="Blues", linewidths=0.5, ax=left, vmin=0)
        left.set_xlabel("fiscal year · kind")
        left.set_ylabel("")
        left.tick_params(axis="x", rotation=30)
        left.tick_params(axis="y", rotation=0)
    left.set_title(title)
    status = docs["status"].value_counts().reindex(["ok", "partial", "rejected", "duplicate"], fill_value=0)
    right.barh(status.index[::-1], status.values[::-1], color="#55A868")
    for y, v in enumerate(status.values[::-1]):
        right.text(v, y, f" {v}", va="center", fontsize=9)
    right.set_title("Inputs by status")
    right.set_xlabel("files")
    right.set_xlim(0, max(1, status.max()) * 1.25)
    return fig


def plot_measure_coverage(figures: pd.DataFrame, documents: pd.DataFrame) -> Figure:
    """Which measures each document states: a document × measure grid of the number of stated figures."""
    title = "Figures stated per document and measure"
    if figures.empty or documents.empty:
        return no_data_figure(title)
    labels = document_labels(documents)
    stated = figures[figures["method"].eq("stated")] if "method" in figures else figures
    stated = stated.assign(document=stated["file"].map(labels).fillna(stated["file"]))
    if stated.empty:
        return no_data_figure(title)
    table = stated.pivot_table(index="document", columns="measure", values="value", aggfunc="count", fill_value=0)
    order = [m for m in MEASURE_ORDER if m in table.columns] + sorted(c for c in table.columns if c not in MEASURE_ORDER)
    table = table[order].sort_index()
    fig = _figure(max(8, 0.55 * len(order) + 4), max(3, 0.5 * len(table) + 2.5))
    ax = fig.add_subplot()
    sns.heatmap(table, annot=True, fmt="d", cbar=False, cmap="Greens", linewidths=0.5, ax=ax, vmin=0)
    ax.set_title(title)
    ax.set_xlabel("measure (contract vocabulary)")
    ax.set_ylabel("")
    ax.tick_params(axis="x", rotation=60)
    ax.tick_params(axis="y", rotation=0)
    _note(fig, ["Cells count stated figures (all years and bases the document gives); 0 = the measure is not stated."])
    return fig


def plot_flag_summary(flags: pd.DataFrame) -> Figure:
    """Checks that did not pass, by check and status."""
    title = "Flags by check and status"
    if flags.empty:
        return no_data_figure(title, "no flags: every check passed or none ran")
    table = flags.pivot_table(index="check", columns="status", values="file", aggfunc="count", fill_value=0).sort_index()
    statuses = [s for s in STATUS_COLOURS if s in table.columns] + sorted(c for c in table.columns if c not in STATUS_COLOURS)
    table = table[statuses]
    fig = _figure(8, max(2.5, 0.45 * len(table) + 1.5))
    ax = fig.add_subplot()
    left = np.zeros(len(table))
    ys = np.arange(len(table))
    for status in statuses:
        values = table[status].to_numpy()
        ax.barh(ys, values, left=left, color=STATUS_COLOURS.get(status, "#64B5CD"), label=status)
        left = left + values
    for y, total in zip(ys, left):
        ax.text(total, y, f" {int(total)}", va="center", fontsize=9)
    ax.set_yticks(ys, table.index)
    ax.invert_yaxis()
    ax.set_xlim(0, max(1, left.max()) * 1.15)
    ax.set_xlabel("flags")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


# ---------------------------------------------------------------------------------------------------- metrics


def plot_metric_bars(metrics: pd.DataFrame, metric_names: Sequence[str], title: str, unit: str = "%") -> Figure:
    """One panel per metric, one bar per department-year; colour and hatch say budget or actual, labels the year.

    Values are printed on the bars with two decimals, so a reader can check them against metrics.csv.
    """
    frame = metrics[metrics["metric"].isin(metric_names)] if not metrics.empty else metrics
    if frame.empty:
        return no_data_figure(title, "no data: the documents do not state the inputs of these metrics")
    present = [m for m in metric_names if m in set(frame["metric"])]
    # Name the department too where one jurisdiction has several, so bars are never ambiguous.
    several = frame.groupby("jurisdiction")["department"].transform("nunique").gt(1)
    places = frame["jurisdiction"].where(~several, frame["jurisdiction"] + "·" + frame["department"])
    fig = _figure(max(7, 4.2 * min(len(present), 3)), 4.2 * ((len(present) + 2) // 3) + 0.8)
    axes = fig.subplots((len(present) + 2) // 3, min(len(present), 3), squeeze=False).ravel()
    for ax in axes[len(present):]:
        ax.set_axis_off()
    for ax, metric in zip(axes, present):
        rows = frame[frame["metric"].eq(metric)].sort_values(["jurisdiction", "fiscal_year", "basis", "department"])
        markers = _note_markers(frame)
        notes = rows["comparability"].fillna("") if "comparability" in rows else pd.Series("", index=rows.index)
        labels = [
            f"{j}\n{y} {BASIS_LABELS.get(b, b).split()[0]}" + (f" {markers[n]}" if n else "")
            for j, y, b, n in zip(places.loc[rows.index], rows["fiscal_year"], rows["basis"], notes)
        ]
        xs = np.arange(len(rows))
        bases = rows["basis"].fillna("").tolist()
        ax.bar(
            xs,
            rows["value"],
            color=[BASIS_COLOURS.get(b, "#8C8C8C") for b in bases],
            hatch=None,
            edgecolor="white",
            width=0.6,
        )
        for patch, b in zip(ax.patches, bases):
            patch.set_hatch(BASIS_HATCH.get(b, ""))
        for x, v in zip(xs, rows["value"]):
            ax.annotate(f"{v:,.2f}", (x, v), ha="center", va="bottom" if v >= 0 else "top", fontsize=8,
                        xytext=(0, 2 if v >= 0 else -2), textcoords="offset points")
        ax.axhline(0, color="#333333", linewidth=0.8)
        ax.set_xticks(xs, labels, fontsize=8)
        ax.set_xlim(-0.5 - max(0, 2 - len(xs)) * 0.5, len(xs) - 0.5 + max(0, 2 - len(xs)) * 0.5)  # no one-bar slabs
        ax.set_title(METRIC_LABELS.get(metric, metric), fontsize=10)
        ax.set_ylabel(unit)
        low, high = min(0.0, float(rows["value"].min())), max(0.0, float(rows["value"].max()))
        span = (high - low) or 1.0  # an all-zero panel still gets a readable axis
        ax.set_ylim(low - 0.15 * span * (low < 0), high + 0.15 * span)
        _basis_legend(ax, sorted(set(bases), key=list(BASIS_COLOURS).index))
    fig.suptitle(title)
    _note(fig, _comparability_lines(frame))
    return fig


# ---------------------------------------------------------------------------------------------------- figures


def _money_rows(figures: pd.DataFrame, documents: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """Money figures for these measures with a readable document label, one value per file-year-basis-measure."""
    if figures.empty:
        return figures
    rows = figures[figures["measure"].isin(measures) & figures["unit"].eq("yuan")]
    rows = rows[rows["code"].fillna("").eq("")] if "code" in rows else rows
    # "jurisdiction" here is the place label: a jurisdiction, or jurisdiction·department where it has several.
    rows = rows.assign(jurisdiction=rows["file"].map(load.place_labels(documents)).fillna("(unknown)"))
    # A figure stated twice (text and table) keeps its first statement; differences are the checks' business.
    rows = rows.sort_values(["file", "measure", "fiscal_year", "basis", "start"], na_position="last")
    return rows.drop_duplicates(["file", "measure", "fiscal_year", "basis"])


def plot_expenditure_composition(figures: pd.DataFrame, documents: pd.DataFrame) -> Figure:
    """基本支出 vs 项目支出 as shares of their sum, per jurisdiction, year and basis; totals in 万元 beside each bar."""
    title = "Expenditure composition: 基本支出 vs 项目支出"
    rows = _money_rows(figures, documents, ["basic_expenditure", "project_expenditure"])
    if rows.empty:
        return no_data_figure(title)
    wide = rows.pivot_table(index=["jurisdiction", "fiscal_year", "basis"], columns="measure", values="value", aggfunc="first")
    wide = wide.dropna(subset=[c for c in ["basic_expenditure", "project_expenditure"] if c in wide.columns])
    if not {"basic_expenditure", "project_expenditure"} <= set(wide.columns) or wide.empty:
        return no_data_figure(title, "no document states both 基本支出 and 项目支出 for one year")
    wide = wide.sort_index()
    total = wide["basic_expenditure"] + wide["project_expenditure"]
    basic_share = (wide["basic_expenditure"] / total * 100).fillna(0)
    fig = _figure(9, max(3, 0.5 * len(wide) + 1.8))
    ax = fig.add_subplot()
    ys = np.arange(len(wide))
    labels = [f"{j} {y} {BASIS_LABELS.get(b, b)}" for j, y, b in wide.index]
    hatches = [BASIS_HATCH.get(b, "") for _, _, b in wide.index]
    ax.barh(ys, basic_share, color="#4C72B0", label="基本支出 basic", hatch=None)
    ax.barh(ys, 100 - basic_share, left=basic_share, color="#C7D3E8", label="项目支出 project")
    for patch, h in zip(ax.patches[: len(ys)], hatches):
        patch.set_hatch(h)
    for y, share, t in zip(ys, basic_share, total):
        ax.text(1, y, f"{share:.1f}%", va="center", color="white", fontsize=8)
        ax.text(101, y, f"{t / WAN:,.2f} 万元", va="center", fontsize=8)
    ax.set_yticks(ys, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 125)
    ax.set_xlabel("% of 基本支出 + 项目支出")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _note(fig, _comparability_lines(wide.reset_index()))
    return fig


def plot_measure_by_year(figures: pd.DataFrame, documents: pd.DataFrame, measure: str, title: str) -> Figure:
    """One measure over fiscal years, one line per jurisdiction; circles are budgets, squares actuals (万元)."""
    rows = _money_rows(figures, documents, [measure])
    if rows.empty:
        return no_data_figure(title)
    fig = _figure(9, 4.5)
    ax = fig.add_subplot()
    palette = dict(zip(sorted(rows["jurisdiction"].unique()), sns.color_palette("tab10", rows["jurisdiction"].nunique())))
    markers = {"budget": "o", "actual": "s", "": "^"}
    for (jurisdiction, basis), group in rows.groupby(["jurisdiction", "basis"], sort=True):
        group = group.groupby("fiscal_year", as_index=False)["value"].first().sort_values("fiscal_year")
        ax.plot(group["fiscal_year"].astype(int), group["value"] / WAN, marker=markers.get(basis, "^"),
                linestyle="-" if basis == "budget" else "--", color=palette[jurisdiction],
                label=f"{jurisdiction} · {BASIS_LABELS.get(basis, basis)}")
        for x, v in zip(group["fiscal_year"].astype(int), group["value"] / WAN):
            ax.annotate(f"{v:,.2f}", (x, v), fontsize=7, xytext=(4, 2), textcoords="offset points")
    years = sorted(rows["fiscal_year"].dropna().astype(int).unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    ax.set_ylabel("万元")
    ax.set_xlabel("fiscal year")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _note(fig, ["Solid line + circle = 预算 (budget); dashed + square = 决算 (actual). Values in 万元 as stated or derived."])
    return fig


def plot_budget_vs_actual(figures: pd.DataFrame, documents: pd.DataFrame, measures: dict[str, str], title: str) -> Figure:
    """Budget and actual side by side for each measure and jurisdiction-year, in 万元; a missing basis is left empty."""
    rows = _money_rows(figures, documents, list(measures))
    if rows.empty:
        return no_data_figure(title)
    rows = rows[rows["basis"].isin(["budget", "actual"])]
    if rows.empty:
        return no_data_figure(title)
    groups = sorted(rows.groupby(["jurisdiction", "fiscal_year"]).groups)
    fig = _figure(max(7, 3.2 * min(len(groups), 3)), 3.8 * ((len(groups) + 2) // 3) + 0.8)
    axes = fig.subplots((len(groups) + 2) // 3, min(len(groups), 3), squeeze=False).ravel()
    for ax in axes[len(groups):]:
        ax.set_axis_off()
    present = [m for m in measures if m in set(rows["measure"])]
    for ax, (jurisdiction, year) in zip(axes, groups):
        sub = rows[rows["jurisdiction"].eq(jurisdiction) & rows["fiscal_year"].eq(year)]
        xs = np.arange(len(present))
        for offset, basis in ((-0.2, "budget"), (0.2, "actual")):
            values = [sub.loc[sub["measure"].eq(m) & sub["basis"].eq(basis), "value"] for m in present]
            heights = [v.iloc[0] / WAN if len(v) else np.nan for v in values]
            ax.bar(xs + offset, heights, width=0.4, color=BASIS_COLOURS[basis], hatch=BASIS_HATCH[basis],
                   edgecolor="white", label=BASIS_LABELS[basis])
            for x, h in zip(xs + offset, heights):
                if not np.isnan(h):
                    ax.annotate(f"{h:,.2f}", (x, h), ha="center", va="bottom", fontsize=7, rotation=90,
                                xytext=(0, 2), textcoords="offset points")
        ax.set_xticks(xs, [measures[m] for m in present], fontsize=8, rotation=30, ha="right")
        ax.set_title(f"{jurisdiction} {year}", fontsize=10)
        ax.set_ylabel("万元")
        ax.margins(y=0.3)
        ax.legend(fontsize=7, loc="upper right")
    fig.suptitle(title)
    _note(fig, ["Each panel is one jurisdiction and fiscal year; an absent bar means the document does not state it."])
    return fig


ECONOMIC_FAMILIES = {"3": "部门预算支出经济分类", "5": "政府预算支出经济分类"}


def plot_economic_composition(figures: pd.DataFrame, documents: pd.DataFrame) -> Figure:
    """Shares of the economic classification's 类 per document, year and basis; one bar per classification family.

    Departmental (301 工资福利支出 …) and government (501 机关工资福利支出 …) classifications describe the same
    money twice, so each family gets its own bar and never shares a total with the other.
    """
    title = "Economic classification of expenditure (类, % of the stated 类 sum)"
    if figures.empty:
        return no_data_figure(title)
    rows = figures[figures["measure"].eq("economic_expenditure") & figures["code"].fillna("").str.fullmatch(r"\d{3}")]
    if rows.empty:
        return no_data_figure(title, "no document states its expenditure by economic classification 类")
    rows = rows.assign(place=rows["file"].map(load.place_labels(documents)).fillna("(unknown)"), family=rows["code"].str[0])
    rows = rows.sort_values(["file", "code", "fiscal_year", "basis", "start"]).drop_duplicates(["file", "code", "fiscal_year", "basis"])
    names = rows.groupby("code")["label"].first()
    wide = rows.pivot_table(index=["place", "fiscal_year", "basis", "family", "file"], columns="code", values="value",
                            aggfunc="sum", fill_value=0).sort_index()
    shares = wide.div(wide.sum(axis=1).replace(0, np.nan), axis=0).mul(100).fillna(0)
    fig = _figure(10, max(3, 0.5 * len(shares) + 2))
    ax = fig.add_subplot()
    ys = np.arange(len(shares))
    left = np.zeros(len(shares))
    colours = sns.color_palette("Set2", 8) + sns.color_palette("Pastel2", 8) + sns.color_palette("tab20", 20)
    for colour, code in zip(colours, shares.columns):
        ax.barh(ys, shares[code], left=left, color=colour, label=f"{code} {names.get(code, '')}")
        for y, l, v in zip(ys, left, shares[code]):
            if v >= 6:
                ax.text(l + v / 2, y, f"{v:.1f}", ha="center", va="center", fontsize=7)
        left = left + shares[code].to_numpy()
    labels = [f"{p} {y} {BASIS_LABELS.get(b, b)} · {f}xx" for p, y, b, f, _ in shares.index]
    ax.set_yticks(ys, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the stated 类 total of the bar's classification")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    families = sorted(set(shares.index.get_level_values("family")))
    _note(fig, _comparability_lines(shares.reset_index())
          + ["3xx = " + ECONOMIC_FAMILIES["3"] + ", 5xx = " + ECONOMIC_FAMILIES["5"] + "; each bar sums one family only."
             if len(families) > 1 else ""])
    return fig


# ---------------------------------------------------------------------------------------------------- text


SCOPE_LABELS = {"work_summary": "work-summary sections", "document": "whole documents"}


def _theme_value_column(themes: pd.DataFrame) -> str:
    for column in ("hits_per_1000_chars", "hits"):
        if column in themes:
            return column
    return ""


def _in_scope(frame: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Rows of one text scope (work_summary or document) where the table distinguishes scopes."""
    return frame[frame["scope"].eq(scope)] if scope and "scope" in frame else frame


def _with_jurisdiction(frame: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    if "jurisdiction" in frame or "file" not in frame or documents.empty:
        return frame
    return frame.assign(jurisdiction=frame["file"].map(documents.set_index("file")["jurisdiction"]).fillna("(unknown)"))


def plot_theme_heatmap(themes: pd.DataFrame, documents: pd.DataFrame, scope: str = "work_summary") -> Figure:
    """Theme × jurisdiction: theme-term hits per 1,000 characters of the scope's text (mean over a place's documents)."""
    title = f"Work themes by jurisdiction: hits per 1,000 characters of {SCOPE_LABELS.get(scope, scope or 'text')}"
    value = _theme_value_column(themes)
    frame = _in_scope(themes, scope) if value and "theme" in themes else themes.iloc[0:0]
    if frame.empty:
        return no_data_figure(title)
    frame = _with_jurisdiction(frame, documents)
    table = frame.pivot_table(index="theme", columns="jurisdiction", values=value, aggfunc="mean", fill_value=0)
    table = table.assign(_total=table.sum(axis=1)).sort_values(["_total"], ascending=False, kind="stable")
    table = table.drop(columns="_total").sort_index(axis=1)
    fig = _figure(max(6, 1.1 * table.shape[1] + 4), max(3.5, 0.4 * len(table) + 2))
    ax = fig.add_subplot()
    sns.heatmap(table, annot=True, fmt=".2f", cmap="YlOrRd", linewidths=0.5, ax=ax, cbar_kws={"label": value})
    ax.tick_params(axis="y", rotation=0)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("")
    ax.set_ylabel("")
    missing = sorted(set(load.jurisdictions(documents)) - set(table.columns))
    lines = ["Documents differ in kind (预算/决算/绩效自评) and year; their texts differ in length and genre."]
    if missing:
        lines.append(f"No {SCOPE_LABELS.get(scope, scope)} text found for: " + "、".join(missing) + ".")
    _note(fig, lines)
    return fig


def plot_top_keywords(
    keywords: pd.DataFrame, documents: pd.DataFrame, n: int = 10, scope: str = "work_summary", method: str = "tfidf"
) -> Figure:
    """The n highest-scoring keywords per jurisdiction for one scope and method (TF-IDF by default)."""
    title = f"Top {n} keywords per jurisdiction ({method}, {SCOPE_LABELS.get(scope, scope or 'text')})"
    term = "term" if "term" in keywords else ("keyword" if "keyword" in keywords else "")
    frame = _in_scope(keywords, scope) if term and "score" in keywords else keywords.iloc[0:0]
    if method and "method" in frame:
        frame = frame[frame["method"].eq(method)]
    if frame.empty:
        return no_data_figure(title)
    frame = _with_jurisdiction(frame, documents)
    frame = frame.groupby(["jurisdiction", term], as_index=False)["score"].max()
    groups = sorted(frame["jurisdiction"].unique())
    cols = min(len(groups), 3)
    rows_n = (len(groups) + cols - 1) // cols
    fig = _figure(4.2 * cols, 0.28 * n * rows_n + 1.2 * rows_n + 0.5)
    axes = fig.subplots(rows_n, cols, squeeze=False).ravel()
    for ax in axes[len(groups):]:
        ax.set_axis_off()
    for ax, jurisdiction in zip(axes, groups):
        top = frame[frame["jurisdiction"].eq(jurisdiction)].sort_values(["score", term], ascending=[False, True]).head(n)
        ax.barh(np.arange(len(top)), top["score"], color="#8172B3")
        ax.set_yticks(np.arange(len(top)), top[term], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(jurisdiction, fontsize=10)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(title)
    return fig


def plot_recurring_themes(recurring_themes: pd.DataFrame, scope: str = "work_summary") -> Figure:
    """Themes that recur across jurisdictions: how many jurisdictions' texts of this scope mention each."""
    title = f"Themes recurring across jurisdictions ({SCOPE_LABELS.get(scope, scope or 'text')})"
    frame = _in_scope(recurring_themes, scope) if "theme" in recurring_themes else recurring_themes.iloc[0:0]
    if frame.empty:
        return no_data_figure(title, "no theme recurs in enough jurisdictions")
    count = "n_jurisdictions"
    if count not in frame:
        frame = frame.groupby("theme", as_index=False).size().rename(columns={"size": count})
    frame = frame.sort_values([count, "theme"], ascending=[False, True])
    fig = _figure(8, max(2.5, 0.4 * len(frame) + 1.5))
    ax = fig.add_subplot()
    ys = np.arange(len(frame))
    ax.barh(ys, frame[count], color="#64B5CD")
    for y, v, places in zip(ys, frame[count], frame.get("jurisdictions", [""] * len(frame))):
        ax.text(v, y, f" {int(v)}  {places}", va="center", fontsize=8)
    ax.set_yticks(ys, frame["theme"])
    ax.invert_yaxis()
    ax.set_xlim(0, frame[count].max() * 2.2)
    ax.set_xlabel("jurisdictions mentioning the theme")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title(title)
    return fig


# ---------------------------------------------------------------------------------------------------- profile


def plot_profile_figures(figures: pd.DataFrame, documents: pd.DataFrame, jurisdiction: str) -> Figure:
    """Every headline money figure known for one jurisdiction, by fiscal year and basis, in 万元."""
    title = f"{jurisdiction}: headline figures (万元)"
    docs = documents[documents["jurisdiction"].eq(jurisdiction)] if not documents.empty else documents
    rows = _money_rows(figures[figures["file"].isin(docs["file"])] if not figures.empty else figures, docs, list(PROFILE_MEASURES))
    if rows.empty:
        return no_data_figure(title)
    # Several departments of one place: each keeps its own bars (the place label names the department).
    prefix = rows["jurisdiction"] + " " if rows["jurisdiction"].nunique() > 1 else pd.Series("", index=rows.index)
    rows = rows.assign(series=[f"{p}{y} {BASIS_LABELS.get(b, b)}" for p, y, b in zip(prefix, rows["fiscal_year"], rows["basis"])])
    series = sorted(rows["series"].unique())
    present = [m for m in PROFILE_MEASURES if m in set(rows["measure"])]
    fig = _figure(9, max(3.5, 0.32 * len(present) * len(series) + 1.5))
    ax = fig.add_subplot()
    height = 0.8 / len(series)
    ys = np.arange(len(present))
    colours = sns.color_palette("Paired", len(series))
    for i, (name, colour) in enumerate(zip(series, colours)):
        sub = rows[rows["series"].eq(name)].set_index("measure")["value"]
        values = [sub.get(m, np.nan) / WAN for m in present]
        basis = rows.loc[rows["series"].eq(name), "basis"].iloc[0]
        ax.barh(ys + i * height, values, height=height, color=colour, hatch=BASIS_HATCH.get(basis, ""),
                edgecolor="white", label=name)
        for y, v in zip(ys + i * height, values):
            if not np.isnan(v):
                ax.text(v, y, f" {v:,.2f}", va="center", fontsize=7)
    ax.set_yticks(ys + height * (len(series) - 1) / 2, [PROFILE_MEASURES[m] for m in present])
    ax.invert_yaxis()
    ax.margins(x=0.2)
    ax.set_xlabel("万元")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _note(fig, ["Each bar is one fiscal year and basis (预算 budget / 决算 actual, hatched //); absent bars are not stated."])
    return fig


def plot_profile_themes(themes: pd.DataFrame, documents: pd.DataFrame, jurisdiction: str, scope: str = "document") -> Figure:
    """Theme hits per 1,000 characters in one jurisdiction's texts, against the mean of all jurisdictions.

    The whole documents by default: every read document has text, not every one has a work-summary section.
    """
    title = f"{jurisdiction}: themes vs all jurisdictions ({SCOPE_LABELS.get(scope, scope or 'text')})"
    value = _theme_value_column(themes)
    frame = _in_scope(themes, scope) if value and "theme" in themes else themes.iloc[0:0]
    if frame.empty:
        return no_data_figure(title)
    frame = _with_jurisdiction(frame, documents)
    per = frame.pivot_table(index="theme", columns="jurisdiction", values=value, aggfunc="mean", fill_value=0)
    if jurisdiction not in per.columns:
        return no_data_figure(title, "no theme is mentioned in this jurisdiction's documents")
    table = pd.DataFrame({"this": per[jurisdiction], "all": per.mean(axis=1)})
    table = table.sort_values(["this", "all"], ascending=False)
    fig = _figure(8, max(3, 0.35 * len(table) + 1.5))
    ax = fig.add_subplot()
    ys = np.arange(len(table))
    ax.barh(ys - 0.2, table["this"], height=0.4, color="#C44E52", label=jurisdiction)
    ax.barh(ys + 0.2, table["all"], height=0.4, color="#BBBBBB", label="mean of all jurisdictions")
    ax.set_yticks(ys, table.index, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(value)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


# ---------------------------------------------------------------------------------------------------- saving


def figure_name(notebook: str, figure: str, param: str = "") -> str:
    """The stable file stem of a figure: ``<notebook-stem>__<figure-name>[__<param>]``.

    >>> figure_name("10_county_profile", "headline", "红塔区")
    '10_county_profile__headline__红塔区'
    """
    parts = [notebook, figure] + ([param] if param else [])
    bad = [p for p in parts if not p or "/" in p or "\\" in p]
    if bad:
        raise ValueError(f"figure name parts must be non-empty and contain no path separator: {parts}")
    return "__".join(parts)


@dataclass(frozen=True)
class SavedFigure:
    """The two files of a saved figure; a notebook displays it from the PNG just written (no second rendering)."""

    png: Path
    svg: Path

    @property
    def paths(self) -> list[Path]:
        return [self.png, self.svg]

    def _repr_png_(self) -> bytes:
        return self.png.read_bytes()

    def __repr__(self) -> str:
        # The file stem only: notebook outputs must not show where this machine keeps its files.
        return f"{self.png.stem} (.png, .svg)"


def save_figure(fig: Figure, name: str, figures_dir: str | Path = "../reports/figures") -> SavedFigure:
    """Write ``fig`` as ``<name>.png`` and ``<name>.svg`` into ``figures_dir`` (created if needed); no timestamps.

    The result shows the PNG when it is a notebook cell's last expression.
    """
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    png, svg = figures_dir / f"{name}.png", figures_dir / f"{name}.svg"
    fig.savefig(png, format="png", metadata={"Software": None})
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return SavedFigure(png, svg)
