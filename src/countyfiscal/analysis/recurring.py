"""Which themes recur across the departments in scope, ranked by the share of departments that mention them.

Computed from themes.csv for the documents in scope (recurring_themes.csv is over the whole run): a department
counts once (however many documents it has); it is "scored" against a theme when it has text of the scope and the
theme is in its lexicons (the generic set for every department, a kind's set — 信访, 公安, 气象 … — only for
departments of that kind); it "mentions" the theme when any of its documents has a hit. The share is mentions /
scored, so a 信访 theme mentioned by 4 of 5 信访局 ranks above a generic theme mentioned by 4 of 40 departments.
"""

from __future__ import annotations

import pandas as pd

from countyfiscal.analysis.scope import department_labels
from countyfiscal.analysis.load import READ_STATUSES

COLUMNS = ["rank", "theme", "theme_set", "n_departments", "departments_scored", "department_share", "departments", "hits"]


def _labelled(themes: pd.DataFrame, documents: pd.DataFrame, scope: str) -> pd.DataFrame:
    read = documents[documents["status"].isin(READ_STATUSES)] if "status" in documents.columns else documents
    labels = read["department_label"] if "department_label" in read.columns else department_labels(read)
    by_file = dict(zip(read["file"], labels))
    rows = themes[themes["file"].isin(by_file)]
    if "scope" in rows.columns:
        rows = rows[rows["scope"].eq(scope)]
    return rows.assign(department_label=rows["file"].map(by_file))


def text_coverage(themes: pd.DataFrame, documents: pd.DataFrame, scope: str = "work_summary") -> pd.DataFrame:
    """One row per document in scope: whether it has text of ``scope`` (and the themes table's sentence when not)."""
    columns = ["department_label", "file", "has_text", "note"]
    if themes.empty or documents.empty or "theme" not in themes.columns:
        return pd.DataFrame(columns=columns)
    rows = _labelled(themes, documents, scope)
    read = documents[documents["status"].isin(READ_STATUSES)] if "status" in documents.columns else documents
    labels = read["department_label"] if "department_label" in read.columns else department_labels(read)
    notes = rows.groupby("file")["note"].agg(lambda s: next((n for n in s if n), "")) if "note" in rows.columns else pd.Series(dtype=str)
    present = set(rows.loc[rows["theme"].fillna("").ne(""), "file"])
    out = pd.DataFrame({"department_label": list(labels), "file": list(read["file"])})
    out["has_text"] = out["file"].isin(present).map({True: "yes", False: "no"})
    out["note"] = out["file"].map(notes).fillna("")
    out.loc[out["has_text"].eq("no") & out["note"].eq(""), "note"] = f"no {scope} text in the themes table"
    return out.sort_values(["has_text", "department_label", "file"]).reset_index(drop=True)[columns]


def recurring_themes(themes: pd.DataFrame, documents: pd.DataFrame, scope: str = "work_summary",
                     min_departments: int = 2) -> pd.DataFrame:
    """Themes of ``scope`` mentioned by at least ``min_departments`` departments in scope (a theme one department
    mentions does not recur), ranked: 1 = the largest share of the departments scored against it; ties: more
    departments, more hits, the theme's name.

    >>> themes = pd.DataFrame({"file": ["a", "a", "b", "b"], "scope": "work_summary", "theme": ["源头治理", "党建", "源头治理", "党建"],
    ...                        "hits": [3, 0, 1, 2], "theme_set": ["信访", "generic", "信访", "generic"], "note": ""})
    >>> docs = pd.DataFrame({"file": ["a", "b"], "status": "ok", "jurisdiction": ["甲县", "乙县"], "department": ["甲县信访局", "乙县信访局"]})
    >>> recurring_themes(themes, docs, min_departments=1)[["rank", "theme", "n_departments", "departments_scored",
    ...                                                    "department_share"]].values.tolist()
    [[1, '源头治理', 2, 2, 1.0], [2, '党建', 1, 2, 0.5]]
    """
    if themes.empty or documents.empty or "theme" not in themes.columns:
        return pd.DataFrame(columns=COLUMNS)
    rows = _labelled(themes, documents, scope)
    rows = rows[rows["theme"].fillna("").ne("")]
    if "note" in rows.columns:
        rows = rows[rows["note"].fillna("").eq("")]
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    theme_set = rows["theme_set"].fillna("") if "theme_set" in rows.columns else pd.Series("", index=rows.index)
    rows = rows.assign(theme_set=theme_set, hits=rows["hits"].fillna(0).astype(int))
    per = rows.groupby(["theme", "theme_set", "department_label"], as_index=False)["hits"].sum()
    scored = per.groupby(["theme", "theme_set"])["department_label"].nunique().rename("departments_scored")
    mentioned = per[per["hits"].gt(0)]
    out = mentioned.groupby(["theme", "theme_set"]).agg(
        n_departments=("department_label", "nunique"),
        departments=("department_label", lambda s: "、".join(sorted(set(s)))),
        hits=("hits", "sum")).join(scored).reset_index()
    out = out[out["n_departments"].ge(min_departments)]
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    out["department_share"] = (out["n_departments"] / out["departments_scored"]).round(4)
    out = out.sort_values(["department_share", "n_departments", "hits", "theme"], ascending=[False, False, False, True])
    out["rank"] = range(1, len(out) + 1)
    return out[COLUMNS].reset_index(drop=True)
