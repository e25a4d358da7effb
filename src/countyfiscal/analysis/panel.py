"""The tidy panel the comparison notebooks draw: one row per department, year, basis, metric and base of change.

A value a document states (a change "下降15%", a share "占基本支出的89.69%", an execution rate "完成预算100%", and
"与上年持平" as a change of 0) beats the one recomputed from its figures (metrics.csv); where both exist and differ by
more than the stated value's printed precision, the row is marked ``mismatch`` and keeps both. Every row carries the
kind of document it rests on (预算 / 决算 / 绩效自评), its basis (预算数 / 决算数) and, for a change, what the change
is measured against (``base``: prior_budget · prior_execution · prior_final_account · empty when not said), so a chart
can keep each of those in its own series.
"""

from __future__ import annotations

import math

import pandas as pd

from countyfiscal.analysis.scope import KIND_NAMES, department_labels
from countyfiscal.analysis.load import READ_STATUSES
from countyfiscal.analysis.metrics import BASES, COMPRESSION, SANGONG

COLUMNS = [
    "department_label", "jurisdiction", "department", "doc_kind", "fiscal_year", "basis", "metric", "measure", "base",
    "value", "stated", "recomputed", "source", "mismatch", "decimals", "files", "pages", "quote", "formula",
    "comparability", "series",
]
CHANGE_METRICS = {measure: metric for measure, (metric, _) in COMPRESSION.items()}
EXECUTION_METRICS = dict(SANGONG)
SHARE_METRICS = {"personnel_share_of_basic": ("基本支出",), "personnel_share_of_total": ("本年支出合计", "支出合计", "总支出", "支出总额")}
# The metrics each comparison notebook draws, in the order of their panels.
CHANGES = [metric for metric in CHANGE_METRICS.values()]
SHARES = ["personnel_share_of_basic", "personnel_share_of_total"]
EXECUTIONS = [EXECUTION_METRICS["sangong_total"]] + sorted(m for k, m in EXECUTION_METRICS.items() if k != "sangong_total")
NO_STATEMENTS = ("statements.csv is absent from the processed folder, so no value the documents state is shown: every "
                 "bar is recomputed from the figures (re-run `countyfiscal extract` with this version to add them).")
METRIC_MEASURE = {**{m: k for k, m in CHANGE_METRICS.items()}, **{m: k for k, m in EXECUTION_METRICS.items()},
                  "personnel_share_of_basic": "personnel_expenditure", "personnel_share_of_total": "personnel_expenditure",
                  "personnel_per_staff": "personnel_expenditure"}
BASIS_NAMES = {"budget": "预算数", "actual": "决算数", "": "无口径"}


def series_label(doc_kind: str, basis: str, base: str | None = None) -> str:
    """What a bar is, in the words a legend shows: the kind of document, the basis, and for a change its base.

    >>> series_label("performance_evaluation", "actual"), series_label("budget", "budget", "prior_execution")
    ('绩效自评 · 决算数', '预算 · 预算数 · 比上年执行数')
    """
    parts = [KIND_NAMES.get(doc_kind, doc_kind or "类型未识别"), BASIS_NAMES.get(basis, basis)]
    if base is not None:
        parts.append(BASES.get(base, base))
    return " · ".join(parts)


def allowance(decimals) -> float:
    """Half a unit of the last printed decimal of a stated percentage: −15 % covers −15.5 … −14.5.

    >>> allowance(0), allowance(2)
    (0.5, 0.005)
    """
    if decimals is None or (isinstance(decimals, float) and math.isnan(decimals)) or decimals is pd.NA:
        return 0.0
    return 0.5 * 10 ** -int(decimals)


def _read_documents(documents: pd.DataFrame) -> pd.DataFrame:
    read = documents[documents["status"].isin(READ_STATUSES)] if "status" in documents.columns else documents
    labels = read["department_label"] if "department_label" in read.columns else department_labels(read)
    return read.assign(department_label=labels.to_numpy() if hasattr(labels, "to_numpy") else labels)


def _signed_change(row) -> float | None:
    value, direction = row["value"], row["direction"]
    if pd.isna(value):
        return None
    if pd.isna(direction) or direction == 0:
        return 0.0 if value == 0 else None  # "增长/下降0%" is 0; a change of unknown sign is no value
    return float(direction) * float(value)


def _page(x) -> str:
    """A page number as text; '' for none (a .txt has no pages, a CSV cell may be empty).

    >>> _page(3.0), _page(""), _page(None)
    ('3', '', '')
    """
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) or str(x).strip() == "":
        return ""
    return str(int(float(x)))


def _relevant(statements: pd.DataFrame) -> pd.DataFrame:
    """The statements a panel can use (before any row-by-row work: a corpus states tens of thousands)."""
    kind, measure = statements["kind"].fillna(""), statements["measure"].fillna("")
    words = statements["words"].fillna("") if "words" in statements.columns else pd.Series("", index=statements.index)
    keep = ((kind.eq("change_pct") & measure.isin(CHANGE_METRICS))
            | (kind.eq("wording") & words.eq("unchanged") & measure.isin(CHANGE_METRICS))
            | (kind.eq("execution_pct") & measure.isin(EXECUTION_METRICS))
            | (kind.eq("share_pct") & measure.eq("personnel_expenditure")))
    return statements[keep]


def stated_rows(statements: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """The changes, shares and execution rates a document states about its own year, one per (file, metric, basis,
    base): the first in text order."""
    if statements is None or statements.empty:
        return pd.DataFrame(columns=COLUMNS)
    statements = _relevant(statements)
    if statements.empty:
        return pd.DataFrame(columns=COLUMNS)
    docs = _read_documents(documents)
    st = statements.merge(
        docs[["file", "department_label", "jurisdiction", "department", "doc_kind", "fiscal_year"]].rename(
            columns={"fiscal_year": "doc_year"}), on="file", how="inner")
    if st.empty:
        return pd.DataFrame(columns=COLUMNS)
    st = st[st["fiscal_year"].eq(st["doc_year"]).fillna(False).astype(bool)]
    st = st.assign(measure=st["measure"].fillna("").astype(str), words=st["words"].fillna("").astype(str),
                   base=st["base"].fillna("").astype(str) if "base" in st.columns else "")
    rows = []
    for r in st.sort_values(["file", "start"], kind="stable").to_dict("records"):
        metric, value, decimals = None, None, r.get("decimals")
        if r["kind"] == "change_pct" and r["measure"] in CHANGE_METRICS:
            metric, value = CHANGE_METRICS[r["measure"]], _signed_change(r)
        elif r["kind"] == "wording" and r["words"] == "unchanged" and r["measure"] in CHANGE_METRICS:
            metric, value, decimals = CHANGE_METRICS[r["measure"]], 0.0, None  # "与上年持平": exactly 0 %
        elif r["kind"] == "execution_pct" and r["measure"] in EXECUTION_METRICS:
            metric, value = EXECUTION_METRICS[r["measure"]], float(r["value"]) if pd.notna(r["value"]) else None
        elif r["kind"] == "share_pct" and r["measure"] == "personnel_expenditure":
            for name, of in SHARE_METRICS.items():
                if r["words"] in of or any(r["words"].endswith(w) for w in of):
                    metric, value = name, float(r["value"]) if pd.notna(r["value"]) else None
                    break
        if metric is None or value is None:
            continue
        base = r["base"] if metric.endswith("_change_pct") else ""
        page = r.get("page")
        rows.append({
            "department_label": r["department_label"], "jurisdiction": r["jurisdiction"], "department": r["department"],
            "doc_kind": r["doc_kind"], "fiscal_year": int(r["fiscal_year"]), "basis": r["basis"] or "", "metric": metric,
            "measure": METRIC_MEASURE[metric], "base": base, "stated": value,
            "decimals": None if decimals is None or pd.isna(decimals) else int(decimals), "files": r["file"],
            "pages": _page(page), "quote": r["quote"],
        })
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    return out.drop_duplicates(["files", "metric", "fiscal_year", "basis", "base"], keep="first")


def recomputed_rows(metrics: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """metrics.csv as panel rows, each with the kind of the document its first input is (a 绩效自评 stays 绩效自评)."""
    if metrics is None or metrics.empty:
        return pd.DataFrame(columns=COLUMNS)
    docs = _read_documents(documents)
    kind_of = dict(zip(docs["file"], docs["doc_kind"].fillna("")))
    label_of = {(j, d): lab for j, d, lab in zip(docs["jurisdiction"].fillna(""), docs["department"].fillna(""),
                                                docs["department_label"])}
    m = metrics.copy()
    first = m["inputs"].fillna("").str.split(";").str[0]
    m["doc_kind"] = first.map(kind_of).fillna("")
    m["department_label"] = [label_of.get((j, d), d) for j, d in zip(m["jurisdiction"].fillna(""), m["department"].fillna(""))]
    m["base"] = m["base"].fillna("") if "base" in m.columns else ""
    m.loc[~m["metric"].str.endswith("_change_pct"), "base"] = ""
    return pd.DataFrame({
        "department_label": m["department_label"], "jurisdiction": m["jurisdiction"], "department": m["department"],
        "doc_kind": m["doc_kind"], "fiscal_year": m["fiscal_year"].astype(int), "basis": m["basis"].fillna(""),
        "metric": m["metric"], "measure": m["metric"].map(METRIC_MEASURE).fillna(""), "base": m["base"],
        "recomputed": m["value"].astype(float), "files": m["inputs"].fillna(""), "formula": m["formula"].fillna(""),
        "comparability": m["comparability"].fillna(""),
    })


def build_panel(tables: dict[str, pd.DataFrame], metrics: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """The panel of ``metrics`` (all when empty) from the tables: stated values first, recomputed where none is stated.

    A stated and a recomputed row are one value when they share department, year, basis and metric, and their bases
    of change agree (or one of them does not say). ``value`` is then the stated one; ``mismatch`` is true when the
    recomputed value lies outside the stated value's printed precision (−15 % stated, −13.04 % recomputed).
    """
    documents = tables["documents"]
    statements = tables.get("statements")
    stated = stated_rows(statements, documents)
    recomputed = recomputed_rows(tables.get("metrics"), documents)
    if metrics:
        stated = stated[stated["metric"].isin(metrics)]
        recomputed = recomputed[recomputed["metric"].isin(metrics)]
    rows: list[dict] = []
    used: set[int] = set()
    rec_records = recomputed.to_dict("records")
    by_key: dict[tuple, list[int]] = {}
    for i, r in enumerate(rec_records):
        by_key.setdefault((r["department_label"], r["fiscal_year"], r["basis"], r["metric"]), []).append(i)
    for s in stated.to_dict("records"):
        match = None
        for i in by_key.get((s["department_label"], s["fiscal_year"], s["basis"], s["metric"]), []):
            r = rec_records[i]
            if i not in used and (s["base"] == r["base"] or not s["base"] or not r["base"]):
                match = i
                break
        row = {**s, "value": s["stated"], "source": "stated", "recomputed": float("nan"), "mismatch": False,
               "formula": "", "comparability": ""}
        if match is not None:
            used.add(match)
            r = rec_records[match]
            diff = abs(s["stated"] - r["recomputed"])
            row.update(recomputed=r["recomputed"], formula=r["formula"], comparability=r["comparability"],
                       base=s["base"] or r["base"], doc_kind=s["doc_kind"] or r["doc_kind"],
                       files=";".join(sorted(set(s["files"].split(";")) | set(r["files"].split(";")) - {""})),
                       mismatch=bool(diff > allowance(s["decimals"]) + 1e-9))
        rows.append(row)
    for i, r in enumerate(rec_records):
        if i not in used:
            rows.append({**r, "value": r["recomputed"], "stated": float("nan"), "source": "recomputed", "mismatch": False,
                         "decimals": None, "pages": "", "quote": ""})
    have_statements = statements is not None and len(statements.columns) > 0
    if not rows:
        out = pd.DataFrame(columns=COLUMNS)
        out.attrs["statements"] = have_statements
        return out
    out = pd.DataFrame(rows)
    out["series"] = [series_label(k, b, base if m.endswith("_change_pct") else None)
                     for k, b, base, m in zip(out["doc_kind"], out["basis"], out["base"], out["metric"])]
    out["decimals"] = out["decimals"].astype("Int64")
    out["fiscal_year"] = out["fiscal_year"].astype("Int64")
    for column in ("stated", "recomputed", "value"):
        out[column] = out[column].astype(float)
    out["mismatch"] = out["mismatch"].astype(bool)
    out = out[COLUMNS].sort_values(["metric", "department_label", "fiscal_year", "basis", "base"], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["statements"] = have_statements  # plot_panel says so when the documents' own values could not be read
    return out


def panel_table(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel as a notebook shows it: fixed decimals, the quote of a stated value, no internal columns."""
    from countyfiscal.analysis.load import _fixed

    columns = ["department_label", "fiscal_year", "doc_kind", "basis", "metric", "base", "value", "source", "stated",
               "recomputed", "mismatch", "quote"]
    if panel.empty:
        return pd.DataFrame(columns=columns)
    shown = panel.assign(doc_kind=panel["doc_kind"].map(lambda k: KIND_NAMES.get(k, k)),
                         base=panel["base"].map(lambda b: BASES.get(b, b) if b else ""),
                         mismatch=panel["mismatch"].map({True: "≠", False: ""}))
    return _fixed(shown[columns])
