"""Which documents a comparison covers: jurisdictions, departments (or a kind of department), years, kinds, basis.

Every comparison notebook takes the same five parameters, each "all" by default::

    jurisdictions = "all"   # e.g. ["红塔区", "曾都区"], "杭州市" (a city also selects the departments below it)
    departments = "all"     # a department as documents.csv names it, its label, or a part of it: "信访" = every 信访局
    fiscal_years = "all"    # e.g. [2023] — the year a document reports on
    doc_kinds = "all"       # budget · final_account · performance_evaluation (or 预算 · 决算 · 绩效自评)
    basis = "all"           # budget · actual (or 预算 · 决算): the basis of the figures and metrics shown

A value that matches nothing is an error in one sentence naming what there is, never an empty chart.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from countyfiscal.analysis.load import READ_STATUSES, DataError

ALL = ("", "all", "*", "全部", "所有")
KIND_ALIASES = {
    "budget": "budget", "预算": "budget", "部门预算": "budget", "单位预算": "budget",
    "final_account": "final_account", "决算": "final_account", "部门决算": "final_account", "单位决算": "final_account",
    "performance_evaluation": "performance_evaluation", "绩效自评": "performance_evaluation", "绩效": "performance_evaluation",
    "自评": "performance_evaluation",
}
BASIS_ALIASES = {"budget": "budget", "预算": "budget", "预算数": "budget",
                 "actual": "actual", "决算": "actual", "决算数": "actual", "执行": "actual", "执行数": "actual"}
KIND_NAMES = {"budget": "预算", "final_account": "决算", "performance_evaluation": "绩效自评"}
BASIS_NAMES = {"budget": "预算数", "actual": "决算数/执行数"}
UNKNOWN_DEPARTMENT = "(部门未识别)"
_SPLIT = re.compile(r"[,，、;；\s]+")


class ScopeError(DataError):
    """A scope parameter that matches nothing in the data."""


def parse_values(value) -> tuple[str, ...]:
    """A parameter as given (a list, a JSON or Python list in a string, a comma/、-separated string, a number) as a
    tuple of strings; () means "all".

    >>> parse_values('["红塔区","曾都区"]'), parse_values("红塔区、曾都区"), parse_values(2023), parse_values("all")
    (('红塔区', '曾都区'), ('红塔区', '曾都区'), ('2023',), ())
    """
    if value is None:
        return ()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [str(v).strip() for v in value]
    else:
        text = str(value).strip()
        if text.startswith(("[", "(")):
            try:
                parsed = json.loads(text)
            except ValueError:
                try:
                    parsed = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    raise ScopeError(f"cannot read {text!r} as a list; write it as [\"a\", \"b\"] or a, b") from None
            return parse_values(list(parsed) if isinstance(parsed, (list, tuple)) else [parsed])
        items = _SPLIT.split(text)
    items = [v for v in items if v]
    if not items or any(v.lower() in ALL for v in items):
        return ()
    return tuple(dict.fromkeys(items))


def _listing(values, limit: int = 12) -> str:
    values = [str(v) for v in values]
    shown = "、".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "") if values else "(none)"


def department_labels(documents: pd.DataFrame) -> pd.Series:
    """A unique display name per department, indexed by file: the department's own name where no other jurisdiction
    has a department of that name, else 'jurisdiction·department'. Every read document of a department gets the same
    label, and two departments never share one (so 杭州市司法局 is never labelled 杭州市, and three 重庆 departments
    stay three).

    >>> docs = pd.DataFrame({"file": ["a", "b", "c"], "jurisdiction": ["甲县", "乙县", "甲县"],
    ...                      "department": ["信访局", "信访局", "甲县财政局"]})
    >>> department_labels(docs).tolist()
    ['甲县·信访局', '乙县·信访局', '甲县财政局']
    """
    if documents.empty:
        return pd.Series(dtype="str")
    places = documents["jurisdiction"].fillna("").astype(str).replace("", "(地区未识别)")
    names = documents["department"].fillna("").astype(str).replace("", UNKNOWN_DEPARTMENT)
    shared = names.map(pd.Series(list(zip(places, names))).groupby(names.to_numpy()).nunique()).gt(1)
    labels = names.where(~shared & names.ne(UNKNOWN_DEPARTMENT), places + "·" + names)
    return pd.Series(labels.to_numpy(), index=documents["file"].to_numpy(), dtype="str")


@dataclass(frozen=True)
class Scope:
    """What a comparison covers, resolved against the data: the parameters as canonical values and the files."""

    jurisdictions: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    fiscal_years: tuple[int, ...] = ()
    doc_kinds: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    files: frozenset[str] = field(default_factory=frozenset)
    labels: dict = field(default_factory=dict, compare=False)  # file -> department label, over every read document

    @property
    def is_all(self) -> bool:
        return not (self.jurisdictions or self.departments or self.fiscal_years or self.doc_kinds or self.bases)

    def describe(self) -> str:
        """One line a reader sees under the notebook title.

        >>> Scope(jurisdictions=("红塔区",), fiscal_years=(2023,), files=frozenset({"a"})).describe()
        'Scope: jurisdictions 红塔区 · every department · fiscal years 2023 · every kind of document · both bases — 1 document, 0 departments'
        """
        parts = [
            f"jurisdictions {_listing(self.jurisdictions)}" if self.jurisdictions else "every jurisdiction",
            f"departments {_listing(self.departments)}" if self.departments else "every department",
            f"fiscal years {_listing(self.fiscal_years)}" if self.fiscal_years else "every fiscal year",
            ("kinds " + _listing([KIND_NAMES.get(k, k) for k in self.doc_kinds])) if self.doc_kinds else "every kind of document",
            ("basis " + _listing([BASIS_NAMES.get(b, b) for b in self.bases])) if self.bases else "both bases",
        ]
        n_departments = len({self.labels[f] for f in self.files if f in self.labels})
        n = len(self.files)
        return ("Scope: " + " · ".join(parts)
                + f" — {n} document{'s' if n != 1 else ''}, {n_departments} department{'s' if n_departments != 1 else ''}")

    def _repr_markdown_(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return self.describe()

    def apply(self, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """The tables restricted to this scope (new frames; the inputs are not changed).

        documents gains ``department_label`` and metrics ``department_label``; with the default scope every input
        (rejected ones too) stays in documents. Figures, flags and statements keep the rows of the scoped files (and,
        with a basis given, of that basis or none); metrics those of the scoped departments, years and basis.
        """
        out = dict(tables)
        documents = tables["documents"]
        labels = self.labels  # file -> label (a dict: Series lookups one by one cost more than the filtering)
        if not documents.empty:
            keep = documents if self.is_all else documents[documents["file"].isin(self.files)]
            out["documents"] = keep.assign(department_label=keep["file"].map(labels).fillna("").astype("str"))
        for name, frame in tables.items():
            if name in ("documents", "metrics", "recurring_themes") or frame.empty or "file" not in frame.columns:
                continue
            if self.is_all:
                continue
            rows = frame[_in_files(frame["file"], self.files)]
            if self.bases and "basis" in rows.columns:
                rows = rows[rows["basis"].fillna("").isin(self.bases + ("",))]
            out[name] = rows
        metrics = tables.get("metrics")
        if metrics is not None and not metrics.empty:
            if not self.is_all:  # filter first: a profile keeps a handful of a corpus's metrics
                metrics = metrics[_in_files(metrics["inputs"].fillna(""), self.files)]
                if self.fiscal_years:
                    metrics = metrics[metrics["fiscal_year"].isin(self.fiscal_years)]
                if self.bases:
                    metrics = metrics[metrics["basis"].fillna("").isin(self.bases)]
            # A lookup per document: Series.isin(labels.keys()) would build an Arrow scalar for every file of the corpus
            # on each call (2 ms of each of a thousand profiles, whose documents are a handful).
            docs = documents[np.fromiter((file in labels for file in documents["file"]), dtype=bool, count=len(documents))]
            key_of_doc = docs["jurisdiction"].fillna("").astype(str) + "\x1f" + docs["department"].fillna("").astype(str)
            label_of_key = dict(zip(key_of_doc, docs["file"].map(labels)))
            key = metrics["jurisdiction"].fillna("").astype(str) + "\x1f" + metrics["department"].fillna("").astype(str)
            out["metrics"] = metrics.assign(department_label=key.map(label_of_key).fillna("").astype("str"))
        return out


def _in_files(cells: pd.Series, files: frozenset[str]) -> pd.Series:
    """Which cells name one of ``files`` (a cell may list several, ';'-separated); vectorised: a thousand profiles
    each filter every table.

    >>> _in_files(pd.Series(["a", "b;c", "d"]), frozenset({"c"})).tolist()
    [False, True, False]
    """
    cells = cells.astype(str)
    hit = cells.isin(files)
    several = cells.str.contains(";", regex=False)
    if several.any():
        hit[several] = cells[several].map(lambda cell: any(f in files for f in cell.split(";")))
    return hit


def _match_jurisdiction(read: pd.DataFrame, value: str) -> pd.Series:
    hit = pd.Series(False, index=read.index)
    for column in ("jurisdiction", "city", "province", "county", "admin_code"):
        if column in read.columns:
            hit |= read[column].fillna("").astype(str).eq(value)
    return hit


def _match_department(read: pd.DataFrame, labels: pd.Series, value: str) -> pd.Series:
    names = read["department"].fillna("").astype(str)
    own = read["file"].map(labels).fillna("")
    exact = names.eq(value) | own.eq(value)
    return exact if exact.any() else names.str.contains(value, regex=False)


def select(
    tables: dict[str, pd.DataFrame],
    jurisdictions="all",
    departments="all",
    fiscal_years="all",
    doc_kinds="all",
    basis="all",
) -> Scope:
    """Resolve the five scope parameters against the read documents; ScopeError (one sentence) for a value that
    matches nothing, or for values that match things but no document at once.

    >>> docs = pd.DataFrame({"file": ["a", "b"], "status": ["ok", "ok"], "jurisdiction": ["甲县", "乙区"],
    ...                      "department": ["甲县信访局", "乙区公安局"], "fiscal_year": [2023, 2023],
    ...                      "doc_kind": ["budget", "final_account"]})
    >>> sorted(select({"documents": docs}, departments="信访").files)
    ['a']
    >>> select({"documents": docs}, jurisdictions="丙县")
    Traceback (most recent call last):
    ...
    countyfiscal.analysis.scope.ScopeError: jurisdictions: 丙县 matches no document read; the documents read are from 乙区、甲县
    """
    documents = tables["documents"]
    read = documents[documents["status"].isin(READ_STATUSES)] if "status" in documents.columns else documents
    if read.empty:
        raise ScopeError("no document was read (documents.csv lists none with status ok or partial): nothing to compare")
    labels = department_labels(read)
    keep = pd.Series(True, index=read.index)

    wanted = parse_values(jurisdictions)
    for value in wanted:
        if not _match_jurisdiction(read, value).any():
            raise ScopeError(f"jurisdictions: {value} matches no document read; the documents read are from "
                             f"{_listing(sorted(set(read['jurisdiction'].fillna('')) - {''}))}")
    if wanted:
        keep &= pd.concat([_match_jurisdiction(read, v) for v in wanted], axis=1).any(axis=1)

    dept_values = parse_values(departments)
    for value in dept_values:
        if not _match_department(read, labels, value).any():
            raise ScopeError(f"departments: {value} matches no department read; the departments read are "
                             f"{_listing(sorted(set(labels)))}")
    if dept_values:
        keep &= pd.concat([_match_department(read, labels, v) for v in dept_values], axis=1).any(axis=1)

    years = []
    for value in parse_values(fiscal_years):
        if not re.fullmatch(r"\d{4}", value):
            raise ScopeError(f"fiscal_years: {value} is not a year; write e.g. [2022, 2023]")
        years.append(int(value))
    present_years = sorted({int(y) for y in read["fiscal_year"].dropna()})
    for year in years:
        if year not in present_years:
            raise ScopeError(f"fiscal_years: no document read reports on {year}; the years read are {_listing(present_years)}")
    if years:
        keep &= read["fiscal_year"].isin(years).fillna(False).astype(bool)

    kinds = []
    for value in parse_values(doc_kinds):
        kind = KIND_ALIASES.get(value, KIND_ALIASES.get(value.lower()))
        if kind is None:
            raise ScopeError(f"doc_kinds: {value} is not a kind of document; use budget (预算), final_account (决算) or "
                             "performance_evaluation (绩效自评)")
        if not read["doc_kind"].eq(kind).any():
            raise ScopeError(f"doc_kinds: no document read is a {KIND_NAMES[kind]} ({kind}); the kinds read are "
                             f"{_listing(sorted(set(read['doc_kind'].fillna('')) - {''}))}")
        kinds.append(kind)
    if kinds:
        keep &= read["doc_kind"].isin(kinds)

    bases = []
    for value in parse_values(basis):
        b = BASIS_ALIASES.get(value, BASIS_ALIASES.get(value.lower()))
        if b is None:
            raise ScopeError(f"basis: {value} is not a basis; use budget (预算数) or actual (决算数/执行数)")
        bases.append(b)

    files = frozenset(read.loc[keep, "file"])
    chosen = [f"jurisdictions {_listing(wanted)}" if wanted else "", f"departments {_listing(dept_values)}" if dept_values else "",
              f"fiscal years {_listing(years)}" if years else "", f"kinds {_listing(kinds)}" if kinds else ""]
    if not files:
        raise ScopeError("no document read is at once in " + " and ".join(c for c in chosen if c)
                         + "; each matches some documents, but not the same ones")
    figures = tables.get("figures")
    if bases and figures is not None and not figures.empty:
        stated = set(figures.loc[figures["file"].isin(files), "basis"].fillna(""))
        missing = [b for b in bases if b not in stated]
        if len(missing) == len(bases):
            raise ScopeError(f"basis: the documents in scope state no {BASIS_NAMES[missing[0]]} ({missing[0]}) figure")
    return Scope(tuple(wanted), tuple(dept_values), tuple(years), tuple(kinds), tuple(bases), files,
                 dict(zip(labels.index, labels.to_numpy())))
