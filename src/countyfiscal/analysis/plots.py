"""Figure functions for the notebooks: a tidy frame in, a matplotlib Figure out; the CJK font is set here once.

Every figure keeps like with like: a series (a colour and hatch in the legend) is one kind of document (预算 / 决算 /
绩效自评), one basis (预算数 / 决算数) and, for a change, one base of change (比上年预算数 / 执行数 / 决算数), and its
legend says which. A value a document states is drawn solid; one recomputed from its figures (the document states no
such value) is drawn pale; where a stated value and the recomputed one differ beyond the stated precision, a black
diamond marks the recomputed value. Every figure names its documents, pages and tables (``fig.countyfiscal``, the
footnote, and the ``.json`` saved beside it). Beyond ``MAX_ROWS`` rows a chart draws a distribution per series.
"""

from __future__ import annotations

import base64
import io
import json
import os
import pathlib
import struct
import textwrap
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.font_manager
import matplotlib.patches
import matplotlib.lines
import mplfonts
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from countyfiscal.analysis.panel import series_label
from countyfiscal.analysis.scope import KIND_NAMES, department_labels
from countyfiscal.analysis.sources import cite, figure_sources, footnote
from countyfiscal.analysis.load import MEASURE_ORDER, measure_label
from countyfiscal.analysis.names import figure_name  # noqa: F401  (the notebooks name their figures as plots.figure_name)

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
DPI = 200  # PNG files: print quality
matplotlib.rcParams["savefig.dpi"] = DPI
# No "tight" bbox: constrained layout already fits every label, and "tight" would draw each figure twice.
# Titles sit at the top of their axes (no chart puts ticks on top): matplotlib's automatic title position measures
# every tick label of the axes at each draw to find that out (a sixth of the draw of a department's profile).
matplotlib.rcParams["axes.titley"] = 1.0

MAX_ROWS = 40  # beyond this many bars a chart shows a distribution per series (labels would overprint)
KEYWORD_PANELS = 12  # keyword panels per figure; beyond, the profiles show each department's
LOG_SPREAD = 50  # money axes go logarithmic when the largest value is this many times the smallest
WAN = 10_000  # 万元: the unit disclosures print money in

# A series' colour says the kind of document and the basis; its hatch says the base of a change.
SERIES_COLOURS = {
    ("budget", "budget"): "#4C72B0",
    ("budget", "actual"): "#8172B3",
    ("final_account", "actual"): "#DD8452",
    ("final_account", "budget"): "#64B5CD",
    ("performance_evaluation", "actual"): "#55A868",
    ("performance_evaluation", "budget"): "#8DCB9B",
}
BASE_HATCH = {"prior_budget": "", "prior_final_account": "", "prior_execution": "//", "": "..", None: ""}
BASIS_COLOURS = {"budget": "#4C72B0", "actual": "#DD8452", "": "#8C8C8C"}
BASIS_LABELS = {"budget": "预算数 budget", "actual": "决算数 actual", "": "(无口径)"}
STATUS_COLOURS = {"mismatch": "#C44E52", "rounding": "#DD8452", "insufficient_data": "#8C8C8C"}
SANGONG_PARTS = {
    "sangong_overseas": "因公出国（境）费",
    "sangong_vehicle_purchase": "公务用车购置费",
    "sangong_vehicle_operation": "公务用车运行维护费",
    "sangong_vehicle_total": "公务用车购置及运行费",
    "sangong_reception": "公务接待费",
}
SANGONG_SHORT = {
    "sangong_total": "合计",
    "sangong_overseas": "出国（境）",
    "sangong_vehicle_purchase": "车辆购置",
    "sangong_vehicle_operation": "车辆运行",
    "sangong_vehicle_total": "购置及运行",
    "sangong_reception": "公务接待",
}
PROFILE_MEASURES = {m: measure_label(m) for m in (
    "income_total", "expenditure_total", "basic_expenditure", "project_expenditure", "personnel_expenditure",
    "public_expenditure", "agency_operating_expenses", "sangong_total", "government_procurement")}
METRIC_LABELS = {
    "expenditure_change_pct": "支出合计 比上年增减 %",
    "basic_change_pct": "基本支出 比上年增减 %",
    "project_change_pct": "项目支出 比上年增减 %",
    "sangong_change_pct": "“三公”经费 比上年增减 %",
    "agency_operating_change_pct": "机关运行经费 比上年增减 %",
    "personnel_share_of_basic": "人员经费 占 基本支出 %",
    "personnel_share_of_total": "人员经费 占 支出合计 %",
    "sangong_execution_pct": "“三公”经费 预算执行率 %",
    "personnel_per_staff": "人均人员经费 (元/人)",
}
METRIC_LABELS |= {f"{part}_execution_pct": f"{name} 预算执行率 %" for part, name in SANGONG_PARTS.items()}
STYLE_LEGEND = {
    "stated": "solid = stated in the document (所述)",
    "recomputed": "pale = recomputed from its figures (重算; no value stated)",
    "mismatch": "recomputed value, where it differs from the stated one beyond rounding",
}


MAX_INCHES = (30.0, 60.0)  # no figure grows past this however many rows: a 200 dpi canvas must stay in memory


def _figure(width: float = 8.0, height: float = 4.5, layout: str | None = "constrained") -> Figure:
    # A bare Figure, not pyplot: no global figure registry to leak memory or show figures twice in notebooks.
    return Figure(figsize=(min(width, MAX_INCHES[0]), min(height, MAX_INCHES[1])), layout=layout)


def _wrap(text: str, width: int = 120) -> str:
    return "\n".join(textwrap.wrap(text, width)) if text else ""


def _note(fig: Figure, lines: Sequence[str]) -> None:
    """A footnote under the plot: how to read it, every caveat on comparing its bars, and its sources."""
    text = "\n".join(_wrap(line) for line in lines if line)
    if text:
        fig.supxlabel(text, fontsize=7.5, ha="left", x=0.01, color="#444444")


def _fixed_layout(fig: Figure, left: float, right: float, top: float = 0.45) -> None:
    """Margins in inches instead of constrained layout, for the per-department figures drawn by the thousand:
    solving the layout costs more than drawing the figure. The figure must be made with ``layout=None``. The bottom
    margin fits the footnote's lines."""
    width, height = fig.get_size_inches()
    footnote = fig.get_supxlabel()
    lines = footnote.count("\n") + 1 if footnote else 0
    bottom = 0.6 + 0.15 * lines
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                        bottom=min(0.6, bottom / height))
    if footnote:
        fig._supxlabel.set_y(0.08 / height)
        fig._supxlabel.set_verticalalignment("bottom")


def _series_records(rows: pd.DataFrame, label_column: str = "series") -> list[dict]:
    """What each series of a chart holds (from the rows drawn, not from how it was built): its legend label, the
    kinds of document, bases and bases of change in it. A chart is like with like when each holds one of each."""
    if rows is None or rows.empty or label_column not in rows.columns:
        return []
    out = []
    for label, group in rows.groupby(label_column, sort=True):
        rec = {"label": str(label), "rows": int(len(group))}
        for column, key in (("doc_kind", "doc_kinds"), ("basis", "bases"), ("base", "change_bases")):
            if column in group.columns:
                rec[key] = sorted({str(v) for v in group[column].fillna("")})
        out.append(rec)
    return out


def _finish(fig: Figure, title: str, documents: pd.DataFrame, source_rows: pd.DataFrame | None,
            notes: Sequence[str] = (), series: Sequence[dict] = ()) -> Figure:
    """Attach what the figure rests on (``fig.countyfiscal``) and write the footnote: notes, then the sources."""
    cited = cite(source_rows, documents) if source_rows is not None else cite(None, documents)
    fig.countyfiscal = {"title": title, "notes": [n for n in notes if n], "series": list(series),
                        "sources": cited.to_dict("records")}
    _note(fig, list(notes) + footnote(cited))
    return fig


def no_data_figure(title: str, message: str = "no data") -> Figure:
    """A figure that says there is nothing to show, so every expected figure file still exists.

    >>> no_data_figure("三公经费").axes[0].texts[0].get_text()
    'no data'
    """
    fig = _figure(6, 2.5)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, _wrap(message, 70), ha="center", va="center", fontsize=12, color="#666666", transform=ax.transAxes)
    fig.countyfiscal = {"title": title, "notes": [message], "series": [], "sources": []}
    return fig


def _labels(documents: pd.DataFrame) -> pd.Series:
    """file -> department label (documents' own column when scope.apply added it)."""
    if documents.empty:
        return pd.Series(dtype="str")
    if "department_label" in documents.columns:
        return pd.Series(documents["department_label"].to_numpy(), index=documents["file"].to_numpy(), dtype="str")
    return department_labels(documents)


def _colour(doc_kind: str, basis: str) -> str:
    return SERIES_COLOURS.get((doc_kind, basis), BASIS_COLOURS.get(basis, "#8C8C8C"))


def _series_handles(rows: pd.DataFrame, with_base: bool) -> list:
    handles, seen = [], set()
    for kind, basis, base, label in rows[["doc_kind", "basis", "base", "series"]].drop_duplicates().itertuples(index=False):
        if label in seen:
            continue
        seen.add(label)
        handles.append(matplotlib.patches.Patch(facecolor=_colour(kind, basis), hatch=BASE_HATCH.get(base if with_base else None, ""),
                                                edgecolor="#333333", label=label))
    return sorted(handles, key=lambda h: h.get_label())


def _style_handles(rows: pd.DataFrame) -> list:
    out = []
    if "source" in rows.columns and rows["source"].eq("stated").any():
        out.append(matplotlib.patches.Patch(facecolor="#999999", edgecolor="#333333", label=STYLE_LEGEND["stated"]))
    if "source" in rows.columns and rows["source"].eq("recomputed").any():
        out.append(matplotlib.patches.Patch(facecolor="#999999", alpha=0.4, edgecolor="#333333", linestyle="--",
                                            label=STYLE_LEGEND["recomputed"]))
    if "mismatch" in rows.columns and rows["mismatch"].any():
        out.append(matplotlib.lines.Line2D([], [], marker="D", color="black", linestyle="", label=STYLE_LEGEND["mismatch"]))
    return out


def _distribution(ax, rows: pd.DataFrame, value: str, by: str = "series", log: bool = False) -> None:
    """One box (with its points) per series, for charts with more rows than labels can show."""
    groups = [(name, g[value].dropna().to_numpy()) for name, g in rows.groupby(by, sort=True, observed=True)]
    groups = [(n, v) for n, v in groups if len(v)]
    ys = np.arange(len(groups))
    ax.boxplot([v for _, v in groups], positions=ys, orientation="horizontal", widths=0.5, showfliers=False)
    rng = np.random.default_rng(0)  # fixed jitter: the same picture on every run
    for y, (_, v) in zip(ys, groups):
        ax.scatter(v, y + rng.uniform(-0.18, 0.18, len(v)), s=6, alpha=0.5, color="#4C72B0", zorder=3)
    ax.set_yticks(ys, [f"{n} (n={len(v)})" for n, v in groups], fontsize=8)
    if log:
        _set_log(ax)
    ax.invert_yaxis()


def _set_log(ax, axis: str = "x") -> None:
    """A logarithmic axis labelled with plain numbers (1, 10, 100, 1,000), not powers of ten."""
    getattr(ax, f"set_{axis}scale")("log")
    fmt = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}")
    getattr(ax, f"{axis}axis").set_major_formatter(fmt)
    # No minor ticks: eight unlabelled ticks per decade add nothing a reader uses, and building them costs more than
    # drawing the rest of a profile figure.
    getattr(ax, f"{axis}axis").set_minor_locator(matplotlib.ticker.NullLocator())


def _log_axis(values: pd.Series) -> bool:
    positive = values[values > 0]
    return len(positive) > 1 and positive.max() / positive.min() > LOG_SPREAD


# ---------------------------------------------------------------------------------------------------- corpus


def plot_corpus_coverage(documents: pd.DataFrame) -> Figure:
    """Documents read per department (or per jurisdiction, or province, when there are many) by fiscal year and kind;
    the title counts every input by status."""
    if documents.empty:
        return no_data_figure("Documents by department, fiscal year and kind")
    status = documents["status"].value_counts().reindex(["ok", "partial", "rejected", "duplicate"], fill_value=0)
    inputs = " · ".join(f"{n} {s}" for s, n in status.items())
    read = documents[documents["status"].isin(["ok", "partial"])]
    rows_by = read.assign(department=read["file"].map(_labels(documents)))
    level = "department"
    for candidate in ("department", "jurisdiction", "province"):
        level = candidate
        if rows_by[candidate].nunique() <= 60:
            break
    title = f"Documents read by {level}, fiscal year and kind\ninputs: {inputs}"
    years = read["fiscal_year"].astype("Int64").astype("str").replace("<NA>", "?")
    kinds = read["doc_kind"].fillna("").map(lambda k: KIND_NAMES.get(k, k or "?"))
    rows_by = rows_by.assign(column=(years + " " + kinds).to_numpy(),
                             **{level: rows_by[level].fillna("").replace("", "(未识别)")})
    n_rows = max(1, rows_by[level].nunique())
    n_cols = max(1, rows_by["column"].nunique())
    fig = _figure(max(6.5, 1.1 * n_cols + 4), max(3.0, 0.3 * n_rows + 2.4))
    ax = fig.add_subplot()
    if read.empty:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no document was read", ha="center", va="center", transform=ax.transAxes)
    else:
        table = rows_by.pivot_table(index=level, columns="column", values="file", aggfunc="count", fill_value=0)
        table = table.sort_index().sort_index(axis=1)
        sns.heatmap(table, annot=n_rows <= 60, fmt="d", cbar=False, cmap="Blues", linewidths=0.5, ax=ax, vmin=0)
        ax.set_xlabel("fiscal year · kind (预算 / 决算 / 绩效自评)")
        ax.set_ylabel("")
        ax.tick_params(axis="x", rotation=30)
        ax.tick_params(axis="y", rotation=0, labelsize=8)
    ax.set_title(title, fontsize=11)
    return _finish(fig, title, documents, read[["file"]],
                   ["Each cell counts the documents read (status ok or partial); documents.csv says why any other input "
                    "was not read."])


def plot_measure_coverage(figures: pd.DataFrame, documents: pd.DataFrame) -> Figure:
    """Which measures each document states: a document × measure grid of stated figures (Chinese measure names);
    with more than 60 documents, the share of documents of each kind stating each measure."""
    title = "Measures stated per document"
    if figures.empty or documents.empty:
        return no_data_figure(title)
    names = _document_names(documents)
    stated = figures[figures["method"].eq("stated")] if "method" in figures else figures
    stated = stated[stated["file"].isin(documents["file"])]
    if stated.empty:
        return no_data_figure(title)
    order = [m for m in MEASURE_ORDER if m in set(stated["measure"])] + sorted(set(stated["measure"]) - set(MEASURE_ORDER))
    n_docs = stated["file"].nunique()
    if n_docs <= 60:
        stated = stated.assign(document=stated["file"].map(names).fillna(stated["file"]))
        table = stated.pivot_table(index="document", columns="measure", values="value", aggfunc="count", fill_value=0)
        table = table[[m for m in order if m in table.columns]].sort_index()
        table.columns = [measure_label(m) for m in table.columns]
        fig = _figure(max(8, 0.5 * len(order) + 5), max(3, 0.32 * len(table) + 3))
        ax = fig.add_subplot()
        sns.heatmap(table, annot=True, fmt="d", cbar=False, cmap="Greens", linewidths=0.5, ax=ax, vmin=0,
                    annot_kws={"fontsize": 7})
        ax.set_ylabel("")
        ax.tick_params(axis="y", rotation=0, labelsize=8)
        note = "Cells count stated figures (all years and bases the document gives); 0 = the measure is not stated."
    else:
        kinds = documents.set_index("file")["doc_kind"].fillna("")
        per = stated.assign(kind=stated["file"].map(kinds).map(lambda k: KIND_NAMES.get(k, k or "?")))
        n_of_kind = per.groupby("kind")["file"].nunique()
        share = per.groupby(["measure", "kind"])["file"].nunique().unstack(fill_value=0).div(n_of_kind, axis=1) * 100
        share = share.reindex([m for m in order if m in share.index])
        share.index = [measure_label(m) for m in share.index]
        fig = _figure(9, max(3, 0.3 * len(share) + 2.5))
        ax = fig.add_subplot()
        sns.heatmap(share, annot=True, fmt=".0f", cbar=False, cmap="Greens", linewidths=0.5, ax=ax, vmin=0, vmax=100)
        title = f"Measures stated: % of the {n_docs} documents of each kind"
        note = "Each cell: the share of documents of that kind stating the measure at least once."
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("")
    ax.tick_params(axis="x", rotation=60, labelsize=8)
    return _finish(fig, title, documents, stated[["file"] + [c for c in ("page", "table") if c in stated.columns]], [note])


def _document_names(documents: pd.DataFrame) -> pd.Series:
    from countyfiscal.analysis.sources import document_names

    return document_names(documents)


def plot_flag_summary(flags: pd.DataFrame, documents: pd.DataFrame | None = None) -> Figure:
    """Checks that did not pass, by check and status."""
    title = "Flags by check and status"
    documents = documents if documents is not None else pd.DataFrame()
    if flags.empty:
        return no_data_figure(title, "no flags: every check passed or none ran")
    table = flags.pivot_table(index="check", columns="status", values="file", aggfunc="count", fill_value=0).sort_index()
    statuses = [s for s in STATUS_COLOURS if s in table.columns] + sorted(c for c in table.columns if c not in STATUS_COLOURS)
    table = table[statuses]
    fig = _figure(8, max(2.5, 0.45 * len(table) + 2))
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
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _finish(fig, title, documents, flags[["file"]],
                   ["mismatch = beyond rounding; rounding = within the printed precision; insufficient_data = a check "
                    "could not be completed. flags.csv names both statements of each."])


# ---------------------------------------------------------------------------------------------------- the panel


def _row_labels(rows: pd.DataFrame) -> list[str]:
    """'<department> <year>', with the series appended where one department-year has several bars."""
    base = rows["department_label"].astype(str) + " " + rows["fiscal_year"].astype("Int64").astype(str)
    dup = base.duplicated(keep=False)
    return [b + (f" · {s}" if d else "") for b, s, d in zip(base, rows["series"], dup)]


def plot_panel(panel: pd.DataFrame, metrics: Sequence[str], title: str, documents: pd.DataFrame,
               figures: pd.DataFrame | None = None, unit: str = "%", reference: float | None = None) -> Figure:
    """One panel per metric, one horizontal bar per department-year: stated values solid, recomputed ones pale, a
    black diamond where a stated value and its recomputation disagree; colour and hatch = the series (kind of
    document · basis · base of change), each in the legend. ``reference`` draws a dashed line (100 for execution)."""
    frame = panel[panel["metric"].isin(metrics)] if not panel.empty else panel
    if frame.empty:
        return no_data_figure(title, "no data: the documents in scope state neither these values nor their inputs")
    present = [m for m in metrics if m in set(frame["metric"])]
    sizes = [min(int(frame["metric"].eq(m).sum()), MAX_ROWS) if frame["metric"].eq(m).sum() <= MAX_ROWS
             else frame.loc[frame["metric"].eq(m), "series"].nunique() for m in present]
    fig = _figure(11, sum(0.3 * n + 1.1 for n in sizes) + 1.6)
    axes = fig.subplots(len(present), 1, squeeze=False, height_ratios=[n + 3 for n in sizes]).ravel()
    with_base = frame["metric"].str.endswith("_change_pct").any()
    # Each caveat on comparing a value (metrics.csv comparability) gets a marker its bars carry: [1], [2] …
    caveats = sorted({c for c in frame["comparability"].fillna("") if c})
    markers = {c: f"[{i}]" for i, c in enumerate(caveats, start=1)}
    notes = []
    for ax, metric in zip(axes, present):
        # Bars of one series side by side (like beside like), then by department and year.
        rows = frame[frame["metric"].eq(metric)].sort_values(["series", "department_label", "fiscal_year"])
        ax.set_title(METRIC_LABELS.get(metric, metric), fontsize=10, loc="left")
        ax.set_xlabel(unit, fontsize=8)
        if len(rows) > MAX_ROWS:
            _distribution(ax, rows, "value")
            notes.append(f"{METRIC_LABELS.get(metric, metric)}: {len(rows)} department-years, shown as one box per series; "
                         "scope the notebook (departments=…, jurisdictions=…) to see each department.")
            continue
        ys = np.arange(len(rows))
        colours = [_colour(k, b) for k, b in zip(rows["doc_kind"], rows["basis"])]
        hatches = [BASE_HATCH.get(base if metric.endswith("_change_pct") else None, "") for base in rows["base"]]
        stated = rows["source"].eq("stated").to_numpy()
        bars = ax.barh(ys, rows["value"], color=colours, edgecolor="#333333", height=0.65)
        for bar, hatch, s in zip(bars, hatches, stated):
            bar.set_hatch(hatch)
            if not s:
                bar.set_alpha(0.4)
                bar.set_linestyle("--")
        values, recomputed, mismatch = rows["value"].to_numpy(), rows["recomputed"].to_numpy(), rows["mismatch"].to_numpy()
        for y, v, r, m in zip(ys, values, recomputed, mismatch):
            text = f"{v:,.2f}" + (f"  (recomputed {r:,.2f})" if m else "")
            ax.annotate(text, (v, y), ha="left" if v >= 0 else "right", va="center", fontsize=7,
                        xytext=(3 if v >= 0 else -3, 0), textcoords="offset points")
            if m:
                ax.scatter([r], [y], marker="D", s=22, color="black", zorder=4)
        marks = [f" {markers[c]}" if c in markers else "" for c in rows["comparability"].fillna("")]
        ax.set_yticks(ys, [label + m for label, m in zip(_row_labels(rows), marks)], fontsize=8)
        ax.set_ylim(len(rows) - 0.5 + 0.4, -0.5 - 0.4)  # room above and below: one bar is a bar, not a slab
        ax.axvline(0, color="#333333", linewidth=0.8)
        if reference is not None:
            ax.axvline(reference, color="#333333", linewidth=0.8, linestyle="--")
        low = min(0.0, float(np.nanmin(np.r_[values, recomputed[~np.isnan(recomputed)]])))
        high = max(0.0, float(np.nanmax(np.r_[values, recomputed[~np.isnan(recomputed)]])), reference or 0.0)
        span = (high - low) or 1.0
        room = 0.55 if mismatch.any() else 0.25  # "-15.00  (recomputed -13.04)" needs more room beside its bar
        ax.set_xlim(low - room * span * (low < 0), high + (room + 0.05) * span)
        ax.tick_params(axis="x", labelsize=8)
    handles = _series_handles(frame, with_base) + _style_handles(frame)
    # Beside the first panel (constrained layout makes room for it), clear of the title.
    axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    fig.suptitle(title, fontsize=12)
    notes.insert(0, "Each colour is one kind of document and basis" + (", each hatch one base of change" if with_base else "")
                 + " (legend); bars of different series are not like with like.")
    if reference is not None:
        notes.append(f"Dashed line: {reference:g} % (the actual equals the budget).")
    mixed_years = frame["fiscal_year"].nunique() > 1
    if mixed_years:
        notes.append("Fiscal years differ: " + ", ".join(str(y) for y in sorted(frame["fiscal_year"].dropna().unique()))
                     + " — each bar's label names its year.")
    if not panel.attrs.get("statements", True):
        from countyfiscal.analysis.panel import NO_STATEMENTS

        notes.append(NO_STATEMENTS)
    notes += [f"{markers[c]} {c}." for c in caveats[:6]] + (
        [f"… and {len(caveats) - 6} more notes (the comparability column of the table above)."] if len(caveats) > 6 else [])
    return _finish(fig, title, documents, figure_sources(figures, frame), notes, _series_records(frame))


def plot_metric_bars(metrics: pd.DataFrame, metric_names: Sequence[str], title: str, unit: str = "%",
                     documents: pd.DataFrame | None = None) -> Figure:
    """metrics.csv alone (no stated values) drawn as the panel: every bar is a recomputed value."""
    from countyfiscal.analysis.panel import build_panel

    documents = documents if documents is not None else _documents_of(metrics)
    panel = build_panel({"documents": documents, "metrics": metrics}, list(metric_names))
    return plot_panel(panel, metric_names, title, documents, unit=unit)


def _documents_of(metrics: pd.DataFrame) -> pd.DataFrame:
    """A stand-in documents table for metrics given alone: one row per input file, kind unknown."""
    if metrics.empty:
        return pd.DataFrame(columns=["file", "status", "doc_kind", "fiscal_year", "department", "jurisdiction"])
    first = metrics.assign(file=metrics["inputs"].fillna("").str.split(";").str[0])
    docs = first.drop_duplicates("file")[["file", "jurisdiction", "department", "fiscal_year"]]
    return docs.assign(status="ok", doc_kind="")


# ---------------------------------------------------------------------------------------------------- money


def _money_rows(figures: pd.DataFrame, documents: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """Money figures of these measures (no classification code) of the documents given, one value per file, measure,
    year and basis (a figure stated twice keeps its first statement: differences are the checks' business), with
    the department label, the document's kind and the series (kind · basis)."""
    if figures.empty or documents.empty:
        return figures.iloc[0:0].assign(department_label="", doc_kind="", series="")
    rows = figures[figures["measure"].isin(measures) & figures["unit"].eq("yuan") & figures["file"].isin(documents["file"])]
    rows = rows[rows["code"].fillna("").eq("")] if "code" in rows else rows
    rows = rows.sort_values(["file", "measure", "fiscal_year", "basis", "start"], na_position="last")
    rows = rows.drop_duplicates(["file", "measure", "fiscal_year", "basis"])
    kinds = documents.set_index("file")["doc_kind"].fillna("")
    rows = rows.assign(department_label=rows["file"].map(_labels(documents)).fillna("(未识别)"),
                       doc_kind=rows["file"].map(kinds).fillna(""), base="")
    return rows.assign(series=[series_label(k, b) for k, b in zip(rows["doc_kind"], rows["basis"].fillna(""))])


MARKERS = {"budget": "o", "final_account": "s", "performance_evaluation": "^", "": "D"}


def plot_measure_by_year(figures: pd.DataFrame, documents: pd.DataFrame, measure: str, title: str) -> Figure:
    """One measure in 万元, one row per department: a point per fiscal year (colour) and series (marker: kind of
    document; filled = 预算数, open = 决算数), points of one series joined. A log axis when values span orders of
    magnitude; a distribution per year and series beyond MAX_ROWS departments."""
    rows = _money_rows(figures, documents, [measure])
    rows = rows[rows["fiscal_year"].notna()]
    if rows.empty:
        return no_data_figure(title, f"no document in scope states {measure_label(measure)}")
    values = rows["value"] / WAN
    log = _log_axis(values)
    departments = sorted(rows["department_label"].unique())
    years = sorted(rows["fiscal_year"].astype(int).unique())
    palette = dict(zip(years, sns.color_palette("viridis", len(years)) if len(years) > 1 else ["#4C72B0"]))
    notes = [f"Values as stated, in 万元{' on a logarithmic axis (they span orders of magnitude)' if log else ''}. "
             "Marker = kind of document; filled = 预算数 (budget), open = 决算数 (actual); colour = fiscal year; "
             "a line joins the years of one series."]
    if len(departments) > MAX_ROWS:
        fig = _figure(10, 0.35 * rows[["fiscal_year", "series"]].drop_duplicates().shape[0] + 3)
        ax = fig.add_subplot()
        frame = rows.assign(group=rows["fiscal_year"].astype(int).astype(str) + " · " + rows["series"], v=values)
        _distribution(ax, frame, "v", by="group", log=log)
        notes.append(f"{len(departments)} departments: one box per year and series; scope the notebook to see each.")
    else:
        fig = _figure(10, 0.32 * len(departments) + 2.8)
        ax = fig.add_subplot()
        ys = {d: i for i, d in enumerate(departments)}
        for (dept, series), group in rows.groupby(["department_label", "series"], sort=True):
            group = group.sort_values("fiscal_year")
            kind, basis = group["doc_kind"].iloc[0], group["basis"].iloc[0]
            y = ys[dept]
            xs = (group["value"] / WAN).to_numpy()
            if len(xs) > 1:
                ax.plot(xs, [y] * len(xs), color="#999999", linewidth=0.8, zorder=1)
            for k, (x, year) in enumerate(zip(xs, group["fiscal_year"].astype(int))):
                colour = palette[year]
                ax.scatter([x], [y], marker=MARKERS.get(kind, "D"), s=36, zorder=3, linewidths=1.2,
                           facecolors=colour if basis == "budget" else "none", edgecolors=colour)
                # Years of one department alternate above and below, so close values keep readable labels.
                ax.annotate(f"{x:,.2f}", (x, y), fontsize=6.5, xytext=(0, 5 if k % 2 == 0 else -11),
                            textcoords="offset points", ha="center")
        ax.set_yticks(range(len(departments)), departments, fontsize=8)
        ax.set_ylim(len(departments) - 0.5, -0.7)
        if log:
            _set_log(ax)
        handles = [matplotlib.lines.Line2D([], [], marker="o", linestyle="", color=palette[y], label=str(y)) for y in years]
        for series, group in rows.groupby("series", sort=True):
            kind, basis = group["doc_kind"].iloc[0], group["basis"].iloc[0]
            handles.append(matplotlib.lines.Line2D([], [], marker=MARKERS.get(kind, "D"), linestyle="", color="#333333",
                                                   markerfacecolor="#333333" if basis == "budget" else "none", label=series))
        ax.legend(handles=handles, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_xlabel(f"{measure_label(measure)} (万元{', log scale' if log else ''})")
    ax.set_title(title, fontsize=11)
    return _finish(fig, title, documents, rows, notes, _series_records(rows))


def plot_expenditure_composition(figures: pd.DataFrame, documents: pd.DataFrame) -> Figure:
    """基本支出 vs 项目支出 as shares of their sum, one bar per department, year and series; totals in 万元."""
    title = "Expenditure composition: 基本支出 vs 项目支出"
    rows = _money_rows(figures, documents, ["basic_expenditure", "project_expenditure"])
    if rows.empty:
        return no_data_figure(title)
    wide = rows.pivot_table(index=["department_label", "fiscal_year", "series", "doc_kind", "basis"], columns="measure",
                            values="value", aggfunc="first")
    if not {"basic_expenditure", "project_expenditure"} <= set(wide.columns):
        return no_data_figure(title, "no document in scope states both 基本支出 and 项目支出 for one year")
    wide = wide.dropna(subset=["basic_expenditure", "project_expenditure"]).sort_index()
    if wide.empty:
        return no_data_figure(title, "no document in scope states both 基本支出 and 项目支出 for one year")
    total = wide["basic_expenditure"] + wide["project_expenditure"]
    share = (wide["basic_expenditure"] / total.replace(0, np.nan) * 100).fillna(0)
    flat = wide.reset_index().assign(share=share.to_numpy(), total=total.to_numpy())
    used = rows.merge(flat[["department_label", "fiscal_year", "series"]], on=["department_label", "fiscal_year", "series"])
    notes = ["Each bar: 基本支出 as a share of 基本支出 + 项目支出 of one department, year and series (kind · basis)."]
    if len(flat) > MAX_ROWS:
        fig = _figure(9, 0.4 * flat["series"].nunique() + 2.5)
        ax = fig.add_subplot()
        _distribution(ax, flat, "share")
        ax.set_xlim(0, 100)
        notes.append(f"{len(flat)} department-years: one box per series; scope the notebook to see each.")
    else:
        fig = _figure(10, max(3, 0.32 * len(flat) + 2.2))
        ax = fig.add_subplot()
        ys = np.arange(len(flat))
        colours = [_colour(k, b) for k, b in zip(flat["doc_kind"], flat["basis"])]
        ax.barh(ys, flat["share"], color=colours, edgecolor="#333333")
        ax.barh(ys, 100 - flat["share"], left=flat["share"], color="#E5E5E5", edgecolor="#333333")
        for y, s, t in zip(ys, flat["share"], flat["total"]):
            ax.text(1, y, f"{s:.1f}%", va="center", color="white", fontsize=8)
            ax.text(101, y, f"{t / WAN:,.2f} 万元", va="center", fontsize=7.5)
        ax.set_yticks(ys, _row_labels(flat), fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 128)
        handles = _series_handles(flat.assign(base=""), False) + [
            matplotlib.patches.Patch(facecolor="#E5E5E5", edgecolor="#333333", label="项目支出 (the rest)")]
        ax.legend(handles=handles, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_xlabel("基本支出 / (基本支出 + 项目支出), %")
    ax.set_title(title, fontsize=11)
    return _finish(fig, title, documents, used, notes, _series_records(flat.assign(base="")))


def plot_budget_vs_actual(figures: pd.DataFrame, documents: pd.DataFrame, measures: dict[str, str], title: str) -> Figure:
    """Budget (年初预算) beside actual (决算) for each measure, one pair per department-year that states both — the
    final account's own 年初预算 first, else the department's 预算 for that year; in 万元."""
    rows = _money_rows(figures, documents, list(measures))
    rows = rows[rows["basis"].isin(["budget", "actual"]) & rows["fiscal_year"].notna()]
    if rows.empty:
        return no_data_figure(title)
    with_actual = rows.loc[rows["basis"].eq("actual"), ["department_label", "fiscal_year"]].drop_duplicates()
    if len(with_actual) > MAX_ROWS:  # decided before pairing a thousand department-years one by one
        return no_data_figure(title, f"{len(with_actual)} department-years state an actual: too many to draw pair by pair; "
                                     "the execution chart shows their distribution. Scope the notebook to see each.")
    pairs = []
    for (dept, year, measure), g in rows.groupby(["department_label", "fiscal_year", "measure"], sort=True):
        actual = g[g["basis"].eq("actual")]
        if actual.empty:
            continue
        a = actual.iloc[0]
        budget = g[g["basis"].eq("budget") & g["file"].eq(a["file"])]
        budget = budget if not budget.empty else g[g["basis"].eq("budget")]
        if budget.empty:
            continue
        b = budget.iloc[0]
        pairs.append({"department_label": dept, "fiscal_year": int(year), "measure": measure, "budget": b["value"],
                      "actual": a["value"], "file": ";".join(sorted({a["file"], b["file"]})),
                      "linked": a["file"] != b["file"]})
    if not pairs:
        return no_data_figure(title, "no department-year in scope states both a budget (年初预算) and an actual (决算) "
                                     "for these measures: a 预算 states only the budget")
    pairs = pd.DataFrame(pairs)
    present = [m for m in measures if m in set(pairs["measure"])]
    keys = pairs[["department_label", "fiscal_year"]].drop_duplicates().sort_values(["department_label", "fiscal_year"])
    notes = ["Blue = 年初预算 (budget), orange hatched = 决算 (actual), in 万元; an absent pair is not stated."]
    if pairs["linked"].any():
        notes.append("Pairs marked * take the budget from the department's 预算 document of that year, not from the final account.")
    if len(keys) > MAX_ROWS:
        return no_data_figure(title, f"{len(keys)} department-years state both bases: too many to draw pair by pair; the "
                                     "execution chart shows their distribution. Scope the notebook to see each.")
    n_cols = min(3, len(present))
    n_rows = (len(present) + n_cols - 1) // n_cols
    fig = _figure(3.6 * n_cols + 3.5, n_rows * (0.5 * len(keys) + 1.4) + 1.6)
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax in axes[len(present):]:
        ax.set_axis_off()
    labels = [f"{d} {y}" for d, y in zip(keys["department_label"], keys["fiscal_year"])]
    index = {(d, y): i for i, (d, y) in enumerate(zip(keys["department_label"], keys["fiscal_year"]))}
    for i, (ax, measure) in enumerate(zip(axes, present)):
        sub = pairs[pairs["measure"].eq(measure)]
        log = _log_axis(pd.concat([sub["budget"], sub["actual"]]))
        for _, p in sub.iterrows():
            y = index[(p["department_label"], p["fiscal_year"])]
            for offset, basis in ((-0.2, "budget"), (0.2, "actual")):
                v = p[basis] / WAN
                ax.barh(y + offset, v, height=0.38, color=BASIS_COLOURS[basis], hatch="//" if basis == "actual" else "",
                        edgecolor="white")
                ax.annotate(f"{v:,.2f}" + ("*" if p["linked"] and basis == "budget" else ""), (v, y + offset),
                            fontsize=6.5, va="center", xytext=(2, 0), textcoords="offset points")
        if log:
            _set_log(ax)
        else:
            top = float(max(sub["budget"].max(), sub["actual"].max())) / WAN
            ax.set_xlim(0, top * 1.35 if top > 0 else 1)
        ax.set_title(measures[measure], fontsize=10)
        ax.set_xlabel("万元" + (" (log)" if log else ""), fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_yticks(range(len(keys)), labels if i % n_cols == 0 else [""] * len(keys), fontsize=8)
        ax.set_ylim(len(keys) - 0.5, -0.5)
    axes[n_cols - 1].legend(handles=[matplotlib.patches.Patch(facecolor=BASIS_COLOURS["budget"], label="年初预算 budget"),
                                     matplotlib.patches.Patch(facecolor=BASIS_COLOURS["actual"], hatch="//", label="决算 actual")],
                            loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=12)
    used = rows.merge(pairs[["department_label", "fiscal_year", "measure"]], on=["department_label", "fiscal_year", "measure"])
    series = [{"label": "年初预算 budget", "bases": ["budget"]}, {"label": "决算 actual", "bases": ["actual"]}]
    return _finish(fig, title, documents, used, notes, series)


ECONOMIC_FAMILIES = {"3": "部门预算支出经济分类", "5": "政府预算支出经济分类"}


def plot_economic_composition(figures: pd.DataFrame, documents: pd.DataFrame) -> Figure:
    """Shares of the economic classification's 类 per document, year and basis; one bar per classification family.

    Departmental (301 工资福利支出 …) and government (501 机关工资福利支出 …) classifications describe the same
    money twice, so each family gets its own bar and never shares a total with the other.
    """
    title = "Economic classification of expenditure (类, % of the stated 类 sum)"
    if figures.empty or documents.empty:
        return no_data_figure(title)
    rows = figures[figures["measure"].eq("economic_expenditure") & figures["code"].fillna("").str.fullmatch(r"\d{3}")
                   & figures["file"].isin(documents["file"])]
    if rows.empty:
        return no_data_figure(title, "no document in scope states its expenditure by economic classification 类")
    kinds = documents.set_index("file")["doc_kind"].fillna("")
    rows = rows.assign(place=rows["file"].map(_labels(documents)).fillna("(未识别)"), family=rows["code"].str[0],
                       doc_kind=rows["file"].map(kinds).fillna(""))
    rows = rows.sort_values(["file", "code", "fiscal_year", "basis", "start"]).drop_duplicates(["file", "code", "fiscal_year", "basis"])
    names = rows.groupby("code")["label"].first()
    wide = rows.pivot_table(index=["place", "fiscal_year", "doc_kind", "basis", "family", "file"], columns="code",
                            values="value", aggfunc="sum", fill_value=0).sort_index()
    if len(wide) > MAX_ROWS:
        return no_data_figure(title, f"{len(wide)} bars: too many to draw; scope the notebook (departments=…) to see them")
    shares = wide.div(wide.sum(axis=1).replace(0, np.nan), axis=0).mul(100).fillna(0)
    fig = _figure(11, max(3, 0.34 * len(shares) + 2.4))
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
    labels = [f"{p} {y} {series_label(k, b)} · {f}xx" for p, y, k, b, f, _ in shares.index]
    ax.set_yticks(ys, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the stated 类 total of the bar's classification")
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    families = sorted(set(shares.index.get_level_values("family")))
    notes = ["Each bar is one document, year, kind and basis (label)."]
    if len(families) > 1:
        notes.append("3xx = " + ECONOMIC_FAMILIES["3"] + ", 5xx = " + ECONOMIC_FAMILIES["5"] + "; each bar sums one family only.")
    flat = shares.reset_index().assign(series=[series_label(k, b) for k, b in zip(shares.index.get_level_values("doc_kind"),
                                                                                 shares.index.get_level_values("basis"))], base="")
    return _finish(fig, title, documents, rows, notes, _series_records(flat))


# ---------------------------------------------------------------------------------------------------- text


SCOPE_LABELS = {"work_summary": "work-summary, work-plan and performance sections", "duties": "duties sections (主要职责)",
                "document": "whole documents"}
THEME_SET_COLOURS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C", "#CCB974",
                     "#64B5CD"]


def _theme_value_column(themes: pd.DataFrame) -> str:
    for column in ("hits_per_1000_chars", "hits"):
        if column in themes:
            return column
    return ""


def _in_scope(frame: pd.DataFrame, scope: str) -> pd.DataFrame:
    """Rows of one text scope (work_summary, duties or document) where the table distinguishes scopes; never the
    rows that only say a document has no text of the scope."""
    rows = frame[frame["scope"].eq(scope)] if scope and "scope" in frame else frame
    if "note" in rows.columns:
        rows = rows[rows["note"].fillna("").eq("")]
    if "theme" in rows.columns:
        rows = rows[rows["theme"].fillna("").ne("")]
    elif "term" in rows.columns:
        rows = rows[rows["term"].fillna("").ne("")]
    return rows


def _with_department(frame: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Rows of the documents given, each with its department label (column ``department_label``)."""
    if "file" not in frame or documents.empty:
        return frame.assign(department_label="(未识别)")
    rows = frame[frame["file"].isin(documents["file"])]
    return rows.assign(department_label=rows["file"].map(_labels(documents)).fillna("(未识别)"))


def _without_text(frame: pd.DataFrame, documents: pd.DataFrame, scope: str) -> list[str]:
    read = documents[documents["status"].isin(["ok", "partial"])] if "status" in documents else documents
    return sorted(set(read["file"].map(_labels(documents))) - set(frame["department_label"]))


def plot_theme_heatmap(themes: pd.DataFrame, documents: pd.DataFrame, scope: str = "work_summary") -> Figure:
    """Theme × department: theme-term hits per 1,000 characters of the scope's text (mean over its documents).

    Every department is scored against the generic themes; a department kind's themes (信访, 公安, 气象 …) only
    against departments of that kind: a blank cell is "not scored", never a zero.
    """
    title = f"Themes by department: hits per 1,000 characters of {SCOPE_LABELS.get(scope, scope or 'text')}"
    value = _theme_value_column(themes)
    frame = _in_scope(themes, scope) if value and "theme" in themes else themes.iloc[0:0]
    frame = _with_department(frame, documents)
    if frame.empty:
        return no_data_figure(title, f"no document in scope has {SCOPE_LABELS.get(scope, scope)}")
    theme_set = frame["theme_set"].fillna("") if "theme_set" in frame.columns else pd.Series("", index=frame.index)
    frame = frame.assign(theme_set=theme_set,
                         theme_label=[t if ts in ("", "generic") else f"{t} [{ts}]" for t, ts in zip(frame["theme"], theme_set)])
    if "department_kind" in frame.columns:
        kinds = frame.groupby("department_label")["department_kind"].first().fillna("")
        frame = frame.assign(column=[f"{d} ({kinds[d]})" if kinds.get(d) else d for d in frame["department_label"]])
    else:
        frame = frame.assign(column=frame["department_label"])
    n_departments = frame["department_label"].nunique()
    lines = ["Generic themes are scored for every department, a kind's themes ([信访] …) only for departments of that "
             "kind: a blank cell is not scored. Documents differ in kind (预算/决算/绩效自评) and year."]
    missing = _without_text(frame, documents, scope)
    if missing:
        shown = "、".join(missing[:12]) + (f" and {len(missing) - 12} more" if len(missing) > 12 else "")
        lines.append(f"No {SCOPE_LABELS.get(scope, scope)} found for: {shown}.")
    if n_departments > MAX_ROWS:
        per = frame.groupby(["theme_label", "department_label"], as_index=False)[value].mean()
        order = per.groupby("theme_label")[value].mean().sort_values(ascending=False).index
        fig = _figure(10, 0.32 * len(order) + 2.5)
        ax = fig.add_subplot()
        _distribution(ax, per.assign(theme_label=pd.Categorical(per["theme_label"], categories=list(order), ordered=True)),
                      value, by="theme_label")
        ax.set_xlabel(value)
        ax.set_title(title, fontsize=11)
        lines.insert(0, f"{n_departments} departments: one box per theme (each point a department scored against it); "
                        "scope the notebook (departments=…, jurisdictions=…) to see each department's column.")
        return _finish(fig, title, documents, frame[["file"]], lines)
    table = frame.pivot_table(index="theme_label", columns="column", values=value, aggfunc="mean")
    sets = frame.groupby("theme_label")["theme_set"].first()
    order = table.assign(_generic=[sets[t] not in ("", "generic") for t in table.index], _set=[sets[t] for t in table.index],
                         _total=table.fillna(0).sum(axis=1))
    table = table.loc[order.sort_values(["_generic", "_set", "_total"], ascending=[True, True, False], kind="stable").index]
    table = table.sort_index(axis=1)
    fig = _figure(max(6, 0.7 * table.shape[1] + 5), max(3.5, 0.36 * len(table) + 3.2))
    ax = fig.add_subplot()
    # One department far above the rest must not wash out every other cell: the colour stops at the 95th percentile
    # (the printed numbers are exact).
    values = table.to_numpy().ravel()
    values = values[~np.isnan(values)]
    vmax = max(float(np.quantile(values, 0.95)), 1.0) if len(values) else 1.0
    sns.heatmap(table, annot=table.shape[1] <= 25, fmt=".2f", cmap="YlOrRd", linewidths=0.5, ax=ax, vmin=0, vmax=vmax,
                cbar_kws={"label": f"{value} (colour capped at {vmax:.2f})"}, annot_kws={"fontsize": 7})
    ax.tick_params(axis="y", rotation=0, labelsize=8)
    ax.tick_params(axis="x", rotation=60, labelsize=8)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("")
    ax.set_ylabel("")
    return _finish(fig, title, documents, frame[["file"]], lines)


def plot_top_keywords(
    keywords: pd.DataFrame, documents: pd.DataFrame, n: int = 10, scope: str = "work_summary", method: str = "auto"
) -> Figure:
    """The n keywords that most distinguish each department's text of one scope from the rest of the corpus
    (``method="auto"``: log-odds where the keywords table has it, else TF-IDF)."""
    if method == "auto":
        method = "log_odds" if "method" in keywords and keywords["method"].eq("log_odds").any() else "tfidf"
    title = f"Distinctive keywords per department ({method}, {SCOPE_LABELS.get(scope, scope or 'text')})"
    term = "term" if "term" in keywords else ("keyword" if "keyword" in keywords else "")
    frame = _in_scope(keywords, scope) if term and "score" in keywords else keywords.iloc[0:0]
    if method and "method" in frame:
        frame = frame[frame["method"].eq(method)]
    frame = _with_department(frame, documents)
    if frame.empty:
        return no_data_figure(title, f"no keywords for {SCOPE_LABELS.get(scope, scope)} of the documents in scope")
    used = frame[["file"]]
    missing = _without_text(frame, documents, scope)
    frame = frame.groupby(["department_label", term], as_index=False)["score"].max()
    every = sorted(frame["department_label"].unique())
    groups = every[:KEYWORD_PANELS]
    cols = min(len(groups), 3)
    rows_n = (len(groups) + cols - 1) // cols
    fig = _figure(4.4 * cols, 0.28 * n * rows_n + 1.2 * rows_n + 1.2)
    axes = fig.subplots(rows_n, cols, squeeze=False).ravel()
    for ax in axes[len(groups):]:
        ax.set_axis_off()
    for ax, department in zip(axes, groups):
        top = frame[frame["department_label"].eq(department)].sort_values(["score", term], ascending=[False, True]).head(n)
        ax.barh(np.arange(len(top)), top["score"], color="#8172B3")
        ax.set_yticks(np.arange(len(top)), top[term], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(department, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(title, fontsize=11)
    notes = ["log_odds: z-score of the term's weighted log-odds in this department's text against every other document's "
             "(same scope); template words and the document's own place and department names are left out."
             if method == "log_odds" else "tfidf: term frequency × inverse document frequency over this run's documents."]
    if len(every) > len(groups):
        notes.append(f"The first {len(groups)} of {len(every)} departments (by name); each department's profile lists its own.")
    if missing:
        notes.append(f"No {SCOPE_LABELS.get(scope, scope)} found for: " + "、".join(missing[:12])
                     + (f" and {len(missing) - 12} more" if len(missing) > 12 else "") + ".")
    return _finish(fig, title, documents, used[used["file"].map(_labels(documents)).isin(groups)], notes)


def plot_recurring_themes(recurring: pd.DataFrame, scope: str = "work_summary", documents: pd.DataFrame | None = None,
                          themes: pd.DataFrame | None = None, top: int = 25) -> Figure:
    """Themes ranked by the share of departments in scope that mention them (``analysis.recurring.recurring_themes``;
    recurring_themes.csv of today's tables is drawn by its jurisdiction count). Colour = the theme's lexicon."""
    title = f"Recurring themes: share of departments mentioning each\n({SCOPE_LABELS.get(scope, scope or 'text')})"
    documents = documents if documents is not None else pd.DataFrame()
    frame = recurring
    if "scope" in frame.columns:
        frame = frame[frame["scope"].eq(scope)]
    if frame.empty or "theme" not in frame.columns:
        return no_data_figure(title, "no theme is mentioned by two or more departments in scope")
    if "department_share" not in frame.columns:  # today's recurring_themes.csv: jurisdictions, over the whole run
        frame = frame.assign(department_share=frame["n_jurisdictions"] / max(1, int(frame["n_jurisdictions"].max())),
                             n_departments=frame["n_jurisdictions"], departments_scored=int(frame["n_jurisdictions"].max()),
                             theme_set="", rank=range(1, len(frame) + 1))
    frame = frame.sort_values("rank").head(top)
    sets = sorted(set(frame["theme_set"].fillna("")))
    colours = dict(zip(sets, THEME_SET_COLOURS * 5))
    fig = _figure(9, max(2.8, 0.32 * len(frame) + 2.2))
    ax = fig.add_subplot()
    ys = np.arange(len(frame))
    shares = frame["department_share"].astype(float).to_numpy() * 100
    ax.barh(ys, shares, color=[colours[t] for t in frame["theme_set"].fillna("")])
    for y, v, n, d in zip(ys, shares, frame["n_departments"], frame["departments_scored"]):
        ax.text(v, y, f" {int(n)}/{int(d)}", va="center", fontsize=8)
    ax.set_yticks(ys, [f"{r}. {t}" for r, t in zip(frame["rank"], frame["theme"])], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 115)
    ax.set_xlabel("% of the departments scored against the theme that mention it")
    ax.set_title(title, fontsize=11)
    handles = [matplotlib.patches.Patch(facecolor=colours[t], label=t or "themes") for t in sets]
    ax.legend(handles=handles, fontsize=8, loc="lower right", title="lexicon", title_fontsize=8)
    notes = ["n/m: m departments have this text and are scored against the theme (generic themes: all; a kind's themes: "
             "its departments), n of them mention it; a theme recurs when two or more departments mention it."]
    used = _with_department(_in_scope(themes, scope), documents)[["file"]] if themes is not None and not themes.empty \
        and not documents.empty else None
    return _finish(fig, title, documents, used, notes, [{"label": t or "themes", "theme_sets": [t]} for t in sets])


# ---------------------------------------------------------------------------------------------------- profile


def _headline_rows(figures: pd.DataFrame, documents: pd.DataFrame, department: str) -> pd.DataFrame:
    labels = _labels(documents)
    docs = documents[documents["file"].map(labels).eq(department)] if not documents.empty else documents
    rows = _money_rows(figures, docs, list(PROFILE_MEASURES))
    rows = rows[rows["fiscal_year"].notna()]
    return rows.assign(bar=[f"{int(y)} {s}" for y, s in zip(rows["fiscal_year"], rows["series"])])


def _draw_headline(ax, rows: pd.DataFrame) -> list[str]:
    """Bars of the headline measures, one per year · kind · basis; returns the notes."""
    bars = sorted(rows["bar"].unique())
    present = [m for m in PROFILE_MEASURES if m in set(rows["measure"])]
    height = 0.8 / len(bars)
    ys = np.arange(len(present))
    years = sorted(rows["fiscal_year"].astype(int).unique())
    shade = dict(zip(years, np.linspace(1.0, 0.55, len(years))))
    log = _log_axis(rows["value"])
    for i, bar in enumerate(bars):
        sub = rows[rows["bar"].eq(bar)]
        kind, basis, year = sub["doc_kind"].iloc[0], sub["basis"].iloc[0], int(sub["fiscal_year"].iloc[0])
        values = dict(zip(sub["measure"], sub["value"] / WAN))
        heights = [values.get(m, np.nan) for m in present]
        ax.barh(ys + i * height, heights, height=height, color=_colour(kind, basis), alpha=float(shade[year]),
                edgecolor="white", label=bar)
        for y, v in zip(ys + i * height, heights):
            if np.isnan(v):
                continue
            if log and v <= 0:  # a stated zero has no bar on a log axis: say it at the axis
                ax.annotate(" 0.00 (stated)", (0.0, y), xycoords=("axes fraction", "data"), va="center", fontsize=7)
            else:
                ax.text(v, y, f" {v:,.2f}", va="center", fontsize=7)
    ax.set_yticks(ys + height * (len(bars) - 1) / 2, [PROFILE_MEASURES[m] for m in present])
    ax.set_ylim(len(present) - 0.5 + height * (len(bars) - 1), -0.5)
    if log:
        _set_log(ax)
    ax.margins(x=0.25)
    ax.set_xlabel("万元" + (" (log scale: the figures span orders of magnitude)" if log else ""), fontsize=9)
    return ["Headline figures: each bar is one fiscal year, kind of document and basis (legend; earlier years paler); "
            "absent bars are not stated."]


@dataclass(frozen=True)
class ThemeMeans:
    """What a profile's theme panel compares against, computed once for a whole corpus (``theme_means``): the mean
    theme value per department and theme, the mean of those per theme, and each department's rows."""

    per: pd.Series  # (theme, department_label) -> mean value
    overall: pd.Series  # theme -> mean over the departments scored against it
    n_departments: int
    scored: pd.Series  # theme -> departments scored against it (a department-kind theme: those of that kind)
    rows: dict  # department label -> positions of its rows in ``frame``
    frame: pd.DataFrame
    value: str


def theme_means(themes: pd.DataFrame, documents: pd.DataFrame, scope: str = "work_summary") -> ThemeMeans | str:
    """The corpus side of every profile's theme panel, or a message when the corpus has no text of ``scope``."""
    value = _theme_value_column(themes)
    frame = _in_scope(themes, scope) if value and "theme" in themes else themes.iloc[0:0]
    frame = _with_department(frame, documents)
    if frame.empty:
        return f"no {SCOPE_LABELS.get(scope, scope)} in the documents"
    # Mean per department and theme, then over the departments scored against the theme (zero hits included).
    per = frame.groupby(["theme", "department_label"], sort=False)[value].mean()
    frame = frame.reset_index(drop=True)
    by_theme = per.groupby(level="theme")
    return ThemeMeans(per, by_theme.mean(), frame["department_label"].nunique(), by_theme.size(),
                      frame.groupby("department_label", sort=False).indices, frame, value)


def _theme_table(themes: pd.DataFrame, documents: pd.DataFrame, department: str, scope: str, top: int | None,
                 means: ThemeMeans | str | None = None):
    """(table of this department's and the mean theme values, departments counted, the rows used) or a message."""
    means = theme_means(themes, documents, scope) if means is None else means
    if isinstance(means, str):
        return means
    if department not in means.rows:
        return f"this department's documents have no {SCOPE_LABELS.get(scope, scope)}"
    mine = means.per.xs(department, level="department_label")
    scored = means.scored.reindex(mine.index)
    # A theme scored for this department alone (its kind's lexicon, no other department of the kind) has no mean to
    # compare against: its grey bar would be the department's own value.
    table = pd.DataFrame({"this": mine, "all": means.overall.reindex(mine.index).where(scored.ge(2)),
                          "scored": scored}).sort_values(["this", "all"], ascending=False)
    if top:
        table = table.head(top)
    return table, means.n_departments, means.frame.iloc[means.rows[department]][["file"]], means.value


def _draw_themes(ax, table: pd.DataFrame, department: str, n_departments: int, value: str) -> None:
    ys = np.arange(len(table))
    ax.barh(ys - 0.2, table["this"], height=0.4, color="#C44E52", label=department)
    alone = int(table["all"].isna().sum())
    compared = table["scored"][table["all"].notna()]
    if compared.empty:
        label = "no other department is scored on these themes: nothing to compare"
    else:
        lo, hi = int(compared.min()), int(compared.max())
        label = (f"mean of the departments scored on the theme ({lo if lo == hi else f'{lo}–{hi}'} of "
                 f"{n_departments})" + (f";\nnone for the {alone} theme{'s' if alone > 1 else ''} of this "
                                        "department's kind alone" if alone else ""))
    ax.barh(ys + 0.2, table["all"].fillna(0), height=0.4, color="#BBBBBB", label=label)
    ax.set_yticks(ys, table.index, fontsize=8)
    ax.set_ylim(len(table) - 0.5, -0.7)
    ax.set_xlabel(value, fontsize=9)


def plot_profile(figures: pd.DataFrame, themes: pd.DataFrame, documents: pd.DataFrame, department: str,
                 scope: str = "work_summary", top_themes: int = 12, means: ThemeMeans | str | None = None) -> Figure:
    """One department in one figure (drawn a thousand times, so one canvas and fixed margins): its headline money
    figures by year and series (万元, log axis across orders of magnitude) beside its strongest themes against the
    mean of the departments scored on them. ``means``: ``theme_means(themes, documents, scope)`` of the whole corpus,
    computed once when drawing many profiles (``documents`` may then be the department's own)."""
    title = f"{department}: headline figures (万元) and themes"
    rows = _headline_rows(figures, documents, department)
    themed = _theme_table(themes, documents, department, scope, top_themes, means)
    if rows.empty and isinstance(themed, str):
        return no_data_figure(title, "none of this department's documents states a headline figure or has "
                                     f"{SCOPE_LABELS.get(scope, scope)}")
    n_measures = max(1, rows["measure"].nunique()) if not rows.empty else 1
    n_bars = max(1, rows["bar"].nunique()) if not rows.empty else 1
    n_themes = len(themed[0]) if not isinstance(themed, str) else 1
    # Everything in inches from the bottom: the footnote, the legends (a fixed distance under the axes, below the tick
    # labels and the axis label), the axes, 0.6 inch for the titles. The figure's height is set once the footnote's
    # lines are known (a department with several years has a long legend and a long list of sources).
    plot_height = max(2.4, (0.16 * n_bars + 0.16) * n_measures, 0.3 * n_themes)
    legend_height = 0.17 * (max(n_bars, 2) + 1)
    width = 14.0
    fig = _figure(width, plot_height + 3.0, layout=None)
    left = fig.add_axes([1.3 / width, 0.5, 5.6 / width, 0.4])
    right = fig.add_axes([9.0 / width, 0.5, 4.6 / width, 0.4])
    below = (0.0, -0.65 / plot_height)  # the legends' top left corner, in axes fractions
    notes = []
    if rows.empty:
        left.set_axis_off()
        left.text(0.5, 0.5, "no headline figure stated", ha="center", va="center", transform=left.transAxes)
    else:
        notes += _draw_headline(left, rows)
        left.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=below, frameon=False, title="year · kind · basis",
                    title_fontsize=7.5)
    left.set_title("headline figures (万元)", fontsize=10, loc="left")
    used = [rows]
    if isinstance(themed, str):
        right.set_axis_off()
        right.text(0.5, 0.5, themed, ha="center", va="center", transform=right.transAxes, fontsize=9, wrap=True)
    else:
        table, n_departments, mine, value = themed
        _draw_themes(right, table, department, n_departments, value)
        right.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=below, frameon=False)
        used.append(mine)
        notes.append(f"Themes: hits of the theme lexicon per 1,000 non-space characters of {SCOPE_LABELS.get(scope, scope)}; "
                     f"the {len(table)} strongest for this department.")
    right.set_title(f"themes ({SCOPE_LABELS.get(scope, scope)})", fontsize=10, loc="left")
    fig = _finish(fig, title, documents, pd.concat(used, ignore_index=True), notes, _series_records(rows))
    footnote = fig.get_supxlabel()
    bottom = 0.06 + (0.13 * (footnote.count("\n") + 1) + 0.15 if footnote else 0.0) + legend_height + 0.65
    height = bottom + plot_height + 0.6
    fig.set_size_inches(width, min(height, MAX_INCHES[1]))
    height = fig.get_size_inches()[1]
    left.set_position([1.3 / width, bottom / height, 5.6 / width, plot_height / height])
    right.set_position([9.0 / width, bottom / height, 4.6 / width, plot_height / height])
    fig.suptitle(title, fontsize=12, y=1 - 0.12 / height, va="top")
    if footnote:
        fig._supxlabel.set_y(0.06 / height)
        fig._supxlabel.set_verticalalignment("bottom")
    return fig


def plot_profile_figures(figures: pd.DataFrame, documents: pd.DataFrame, department: str) -> Figure:
    """Every headline money figure one department's documents state, by fiscal year and series, in 万元 (a log axis
    when they span orders of magnitude, as 支出合计 and “三公”经费 do)."""
    title = f"{department}: headline figures (万元)"
    rows = _headline_rows(figures, documents, department)
    if rows.empty:
        return no_data_figure(title, "none of this department's documents states a headline figure")
    n_bars, n_measures = rows["bar"].nunique(), rows["measure"].nunique()
    fig = _figure(9.5, max(3.2, (0.16 * n_bars + 0.16) * n_measures + 1.8), layout=None)
    ax = fig.add_subplot()
    notes = _draw_headline(ax, rows)
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="year · kind · basis", title_fontsize=8)
    fig = _finish(fig, title, documents, rows, notes, _series_records(rows))
    _fixed_layout(fig, left=1.3, right=2.3)
    return fig


def plot_profile_themes(themes: pd.DataFrame, documents: pd.DataFrame, department: str, scope: str = "work_summary",
                        top: int | None = None) -> Figure:
    """Theme hits per 1,000 characters in one department's texts, against the mean of the departments scored on each."""
    title = f"{department}: themes vs all departments ({SCOPE_LABELS.get(scope, scope or 'text')})"
    themed = _theme_table(themes, documents, department, scope, top)
    if isinstance(themed, str):
        return no_data_figure(title, themed)
    table, n_departments, mine, value = themed
    fig = _figure(9, max(3, 0.35 * len(table) + 2), layout=None)
    ax = fig.add_subplot()
    _draw_themes(ax, table, department, n_departments, value)
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig = _finish(fig, title, documents, mine, ["Hits of the theme lexicon per 1,000 non-space characters."])
    longest = max((len(str(t)) for t in table.index), default=4)
    _fixed_layout(fig, left=0.3 + 0.12 * longest, right=0.3 + 0.13 * max(len(department), 14))
    return fig


# ---------------------------------------------------------------------------------------------------- saving


def _legend_texts(fig: Figure) -> list[str]:
    texts = []
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if legend is not None:
            texts += [t.get_text() for t in legend.get_texts()]
    return texts


def figure_info(fig: Figure, name: str = "") -> dict:
    """What a saved figure's .json holds: name, title, legend texts, the bars' labels, footnote notes, series (what
    each holds) and sources (documents, pages, tables)."""
    meta = getattr(fig, "countyfiscal", {}) or {}
    ticks = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels() if t.get_text()]
    return {"name": name, "title": meta.get("title", ""), "legend": _legend_texts(fig), "labels": ticks,
            "notes": meta.get("notes", []), "series": meta.get("series", []), "sources": meta.get("sources", [])}


@dataclass(frozen=True)
class SavedFigure:
    """The files of a saved figure; a notebook shows the PNG (half size, crisp) with its sources under it."""

    png: Path
    svg: Path | None
    info: Path

    @property
    def paths(self) -> list[Path]:
        return [p for p in (self.png, self.svg, self.info) if p is not None]

    def _repr_html_(self) -> str:
        import html
        import os

        from PIL import Image

        base = os.environ.get("COUNTYFISCAL_FIGURES_HREF")  # set by `countyfiscal figures`: link, do not embed
        if base is not None:
            from urllib.parse import quote

            info = json.loads(self.info.read_text(encoding="utf-8"))
            names = "; ".join(html.escape(s["document"]) for s in info["sources"][:6])
            more = f" and {len(info['sources']) - 6} more" if len(info["sources"]) > 6 else ""
            return (f'<figure><img src="{base}/{quote(self.png.name)}" alt="{html.escape(self.png.stem)}" '
                    f'style="max-width:100%"><figcaption>{html.escape(self.png.stem)} · sources: {names}{more}'
                    "</figcaption></figure>")

        with Image.open(self.png) as image:
            width, height = image.size
            # Half size (the file keeps full resolution) in 256 colours: a third of the bytes in every notebook.
            small = image.convert("RGB").resize((width // 2, height // 2), Image.LANCZOS).quantize(256)
            buffer = io.BytesIO()
            small.save(buffer, format="PNG", optimize=True)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        info = json.loads(self.info.read_text(encoding="utf-8"))
        rows = "".join(
            f"<tr><td>{html.escape(s['document'])}</td><td>{html.escape(s['file'])}</td><td>{html.escape(s['pages'])}</td>"
            f"<td>{html.escape(s['tables'])}</td></tr>" for s in info["sources"])
        table = ("<details><summary>Sources: " + f"{len(info['sources'])} document(s)</summary><table><tr><th>document</th>"
                 "<th>file</th><th>pages</th><th>tables</th></tr>" + rows + "</table></details>") if rows else ""
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(self.png.stem)}" '
                f'style="max-width:100%"><figcaption>{html.escape(self.png.stem)} ({DPI} dpi PNG{" + SVG" if self.svg else ""})'
                f"{table}</figcaption></figure>")

    def __repr__(self) -> str:
        # The file stem only: notebook outputs must not show where this machine keeps its files.
        return f"{self.png.stem} (.png, {'.svg, ' if self.svg else ''}.json)"


# zlib level of the figures' PNGs (bulk ones: 1). RGB rows filtered "Up" at 3 are as small as matplotlib's RGBA at 6.
PNG_LEVEL = 3


class _Pixels(io.RawIOBase):
    """A file object for ``savefig(format="rgba")`` that keeps the renderer's buffer instead of copying it."""

    data: memoryview | None = None

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.data = memoryview(data)
        return self.data.nbytes


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(rgba: np.ndarray, level: int, dpi: int = DPI) -> bytes | None:
    """An opaque ``(height, width, 4)`` uint8 image as the bytes of an 8-bit RGB PNG (every row "Up"-filtered: its
    difference from the row above, PNG filter type 2; deflated at zlib ``level``; the resolution in pHYs, as Pillow
    writes it, and no other metadata); None when a pixel is not opaque.

    Pillow's encoder tries all five filters on every row and keeps the best, which costs more than the deflate at
    level 1; one filter for every row makes files as small (+0.5 %) for these flat-coloured charts in less than half
    the time (a department's profile: 80 → 33 ms).

    >>> import io; from PIL import Image
    >>> pixels = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4); pixels[..., 3] = 255
    >>> with Image.open(io.BytesIO(png_bytes(pixels, 1))) as image:
    ...     image.mode, image.size, round(image.info["dpi"][0]), np.asarray(image).tolist() == pixels[..., :3].tolist()
    ('RGB', (3, 2), 200, True)
    >>> pixels[1, 2, 3] = 254; png_bytes(pixels, 1) is None
    True
    """
    from PIL import Image

    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    height, width, _ = rgba.shape
    if rgba.size and int(rgba.view("<u4").min()) < 0xFF000000:  # each pixel read little-endian: alpha is the high byte
        return None
    # RGBA to RGB in Pillow's C loop (numpy copies three-byte pixels slowly), then the filter on contiguous rows.
    rgb = np.frombuffer(Image.frombuffer("RGBA", (width, height), rgba, "raw", "RGBA", 0, 1)
                        .convert("RGB").tobytes(), dtype=np.uint8).reshape(height, 3 * width)
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 2  # filter type Up
    if height:
        rows[0, 1:] = rgb[0]
        np.subtract(rgb[1:], rgb[:-1], out=rows[1:, 1:])  # modulo 256, as the filter is defined
    per_metre = int(dpi / 0.0254 + 0.5)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _png_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))
            + _png_chunk(b"IDAT", zlib.compress(rows, level)) + _png_chunk(b"IEND", b""))


def _write_png(fig: Figure, path: Path, level: int) -> None:
    """``fig`` as a PNG at DPI: RGB when every pixel is opaque (as every figure here is: matplotlib's pixels exactly,
    written by ``png_bytes``), else matplotlib's RGBA; no metadata but the resolution, so the same figure gives the
    same bytes."""
    from matplotlib.transforms import Affine2D, TransformedBbox

    pixels = _Pixels()
    fig.savefig(pixels, format="rgba", dpi=DPI)
    # The size Agg drew, as FigureCanvasBase.get_width_height computes it (truncated, but a hair under an integer
    # counts as the integer); a buffer of any other size falls back to matplotlib's own PNG.
    width, height = (int(x + 1e-8) for x in TransformedBbox(fig.bbox_inches, Affine2D().scale(DPI)).max)
    data = None
    if pixels.data is not None and pixels.data.nbytes == width * height * 4:
        data = png_bytes(np.frombuffer(pixels.data, dtype=np.uint8).reshape(height, width, 4), level)
    pixels.data = None
    if data is not None:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"compress_level": level})


def save_figure(fig: Figure, name: str, figures_dir: str | Path = "reports/figures", svg: bool = True,
                bulk: bool = False) -> SavedFigure:
    """Write ``fig`` as ``<name>.png`` (200 dpi), ``<name>.svg`` (unless ``svg=False``) and ``<name>.json`` (title,
    legend, notes, series, sources) into ``figures_dir`` (relative paths against the repository); no timestamps.

    ``bulk=True`` is for figures made by the thousand (one per department): PNG only, at zlib level 1 instead of
    PNG_LEVEL (a little larger, quicker). The PNG is RGB when the figure is opaque (``_write_png``). The result shows
    the figure with its sources when it is a notebook cell's last expression.
    """
    from countyfiscal.analysis.load import resolve

    figures_dir = resolve(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    png, svg_path, info = figures_dir / f"{name}.png", figures_dir / f"{name}.svg", figures_dir / f"{name}.json"
    _write_png(fig, png, level=1 if bulk else PNG_LEVEL)
    svg = svg and not bulk
    if svg:
        # The SVG keeps the layout the PNG's draw just solved: solving it again costs a third of the SVG.
        fig.set_layout_engine("none")
        fig.savefig(svg_path, format="svg", metadata={"Date": None, "Creator": None})
    info.write_text(json.dumps(figure_info(fig, name), ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    return SavedFigure(png, svg_path if svg else None, info)

