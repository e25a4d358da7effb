"""Read the tables `countyfiscal extract` wrote into typed DataFrames, after checking they are whole and of one run."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from countyfiscal import fields

# Every table the notebooks may read. documents and figures are always needed; a notebook names the others it needs.
TABLE_NAMES = (
    "documents",
    "figures",
    "flags",
    "metrics",
    "statements",
    "sections",
    "keywords",
    "themes",
    "recurring_themes",
)
REQUIRED = ("documents", "figures")

# Columns that look numeric but are identifiers (classification codes, admin codes, file names); never converted.
_IDENTIFIER_COLUMNS = {"file", "code", "admin_code", "sha256", "path", "label", "quote", "quotes"}


class DataError(Exception):
    """A missing, truncated or inconsistent input, said in one sentence a researcher can act on.

    In a notebook the sentence is all that shows (no traceback): IPython asks ``_render_traceback_``.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


# ---------------------------------------------------------------------------------------------------- paths


def project_root() -> Path:
    """The repository the notebooks belong to, so a relative path never depends on where a command was started.

    In order: ``$COUNTYFISCAL_ROOT``; the nearest folder at or above the working directory holding ``reports.yml``;
    the repository this package is installed from (an editable install); else the working directory.
    """
    env = os.environ.get("COUNTYFISCAL_ROOT")
    if env:
        return Path(env).resolve()
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):
        if (folder / "reports.yml").is_file():
            return folder
    installed = Path(__file__).resolve().parents[3]
    if (installed / "reports.yml").is_file():
        return installed
    return cwd


def resolve(path: str | Path) -> Path:
    """An absolute path: a relative one is taken against ``project_root()``, never against the working directory.

    >>> resolve("/tmp/x") == Path("/tmp/x")
    True
    """
    path = Path(path).expanduser()
    return path if path.is_absolute() else (project_root() / path).resolve()


# ---------------------------------------------------------------------------------------------------- reading


def _typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Apply the dtypes of fields.py; for tables fields.py does not know yet, make all-numeric columns numeric.

    A declared numeric column holding text means the file is damaged: DataError names the column and a value.
    """
    out = frame.copy()
    declared = fields.dtypes(table) if table in fields.TABLES else {}
    for column in out.columns:
        dtype = declared.get(column)
        if dtype in ("Int64", "float64"):
            raw = out[column].replace("", None)
            numbers = pd.to_numeric(raw, errors="coerce")
            bad = raw.notna() & numbers.isna()
            if bad.any():
                raise DataError(f"{table}.csv: column {column} holds {raw[bad].iloc[0]!r} where a number belongs "
                                f"(row {int(bad.to_numpy().argmax()) + 2}); the file is damaged: re-run `countyfiscal extract`")
            out[column] = numbers.astype("Int64") if dtype == "Int64" else numbers.astype("float64")
        elif dtype == "boolean":
            out[column] = out[column].map({"True": True, "False": False, "true": True, "false": False}).astype("boolean")
        elif dtype is None and column not in _IDENTIFIER_COLUMNS:
            raw = out[column].replace("", None)
            numbers = pd.to_numeric(raw, errors="coerce")
            # Convert only when every non-empty cell is a number; otherwise the column is text.
            if len(raw.dropna()) and numbers.notna().sum() == raw.notna().sum():
                whole = numbers.dropna().mod(1).eq(0).all() and not raw.dropna().str.contains(r"\.").any()
                out[column] = numbers.astype("Int64") if whole else numbers.astype("float64")
    return out


def empty_table(table: str) -> pd.DataFrame:
    """An empty frame with the table's declared columns (none if fields.py does not declare it).

    >>> list(empty_table("flags").columns)[:3]
    ['file', 'check', 'status']
    """
    if table not in fields.TABLES:
        return pd.DataFrame()
    return pd.DataFrame({f.name: pd.Series(dtype=f.dtype if f.dtype != "string" else "str") for f in fields.TABLES[table]})


def _missing_columns(frame: pd.DataFrame, table: str, path: Path) -> None:
    if table not in fields.TABLES:
        return
    missing = [c for c in fields.columns(table) if c not in frame.columns]
    if missing:
        raise DataError(f"{path} lacks the column(s) {', '.join(missing)}: it was written by another version of "
                        "countyfiscal; re-run `countyfiscal extract`")


def read_table(path: str | Path, table: str) -> pd.DataFrame:
    """One CSV as written by the pipeline: text kept as text ('301' stays '301'), empty cells as '' in text columns.

    The file must be whole: a missing final line break (a truncated write), a row with too many cells, bytes that
    are not UTF-8, a declared column missing or a number column holding text each raise DataError in one sentence.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} is missing; run `countyfiscal extract` first")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path} is empty (not even a header line): it was not written completely; re-run `countyfiscal extract`")
    with open(path, "rb") as fh:
        fh.seek(size - 1)
        if fh.read(1) != b"\n":
            raise DataError(f"{path} ends in the middle of a line: it is truncated; re-run `countyfiscal extract`")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", on_bad_lines="error")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path} cannot be read as CSV ({detail}); re-run `countyfiscal extract`") from None
    _missing_columns(frame, table, path)
    return _typed(frame, table)


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise DataError(f"{path} is not a readable Parquet file ({type(exc).__name__}); re-run `countyfiscal extract`") from None


def read_parquet(path: str | Path, table: str) -> pd.DataFrame:
    """The Parquet twin of a table, with the same dtypes and empty-text convention as ``read_table``."""
    path = Path(path)
    _parquet_rows(path)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise DataError(f"{path} is not a readable Parquet file ({type(exc).__name__}); re-run `countyfiscal extract`") from None
    _missing_columns(frame, table, path)
    declared = fields.dtypes(table) if table in fields.TABLES else {}
    for column in frame.columns:
        dtype = declared.get(column)
        if dtype == "string" or (dtype is None and frame[column].dtype == object) or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].fillna("").astype("str")
        elif dtype in ("Int64", "float64", "boolean"):
            frame[column] = frame[column].astype(dtype)
    return frame


def _check_one_run(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """The tables agree with documents.csv: every file they name is listed there, and each document's n_figures
    equals its rows in figures.csv. Otherwise a table is truncated or the tables come from different runs."""
    documents, figures = tables["documents"], tables["figures"]
    if documents["file"].duplicated().any():
        twice = documents.loc[documents["file"].duplicated(), "file"].iloc[0]
        raise DataError(f"{folder / 'documents.csv'} lists {twice} twice: the file is damaged; re-run `countyfiscal extract`")
    listed = set(documents["file"])
    for name, frame in tables.items():
        if name == "documents" or frame.empty or "file" not in frame.columns:
            continue
        named = {f for cell in frame["file"].unique() for f in str(cell).split(";") if f}
        stray = sorted(named - listed)
        if stray:
            raise DataError(f"{folder / (name + '.csv')} names {len(stray)} file(s) documents.csv does not list "
                            f"(first: {stray[0]}): the tables come from different runs; re-run `countyfiscal extract`")
    if "n_figures" in documents.columns:
        stated = documents.set_index("file")["n_figures"].fillna(0).astype(int)
        found = figures["file"].value_counts().reindex(stated.index, fill_value=0)
        wrong = stated.index[stated.to_numpy() != found.to_numpy()]
        if len(wrong):
            f = wrong[0]
            raise DataError(f"documents.csv gives {f} {stated[f]} figures but figures.csv holds {found[f]}: a table in "
                            f"{folder} is truncated or from another run; re-run `countyfiscal extract`")


def _folder(processed_dir: str | Path) -> Path:
    folder = resolve(processed_dir)
    if not folder.is_dir():
        raise DataError(f"the processed folder {folder} does not exist; run `countyfiscal extract` (or `make figures`) first")
    return folder


def validate_processed(processed_dir: str | Path, need: Iterable[str] = REQUIRED) -> dict[str, pd.DataFrame]:
    """Read every CSV table of ``processed_dir`` strictly and check they are whole and of one run; DataError if not.

    Stricter and slower than ``load_processed``: each CSV is parsed (not its Parquet twin), and each CSV's row count
    must equal its Parquet twin's. ``countyfiscal figures`` calls it once before rendering anything. Tables not in
    ``need`` may be absent (an empty frame is returned for them).
    """
    folder = _folder(processed_dir)
    need = set(REQUIRED) | set(need)
    tables = {}
    for name in TABLE_NAMES:
        path = folder / f"{name}.csv"
        if not path.is_file() and name not in need:
            tables[name] = empty_table(name)
            continue
        tables[name] = read_table(path, name)
        twin = path.with_suffix(".parquet")
        if twin.is_file() and _parquet_rows(twin) != len(tables[name]):
            raise DataError(f"{path} has {len(tables[name])} rows but {twin.name} has {_parquet_rows(twin)}: one of them is "
                            "truncated or from another run; re-run `countyfiscal extract`")
    _check_one_run(tables, folder)
    return tables


_CACHE: dict[tuple, pd.DataFrame] = {}
_CHECKED: set[tuple] = set()


def _read_cached(folder: Path, name: str) -> pd.DataFrame:
    """The table from its Parquet twin when there is one (fast), else the CSV; read once per process and file version."""
    parquet, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
    path = parquet if parquet.is_file() else csv
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        for old in [k for k in _CACHE if k[0] == key[0]]:
            del _CACHE[old]
        _CACHE[key] = read_parquet(path, name) if path is parquet else read_table(path, name)
    # pandas copy-on-write: a shallow copy is free, and a caller changing it never changes the cached frame.
    return _CACHE[key].copy(deep=False)


def load_processed(processed_dir: str | Path = "data/processed", need: Iterable[str] = REQUIRED,
                   optional: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Every table in ``processed_dir`` by name (``documents``, ``figures``, ``flags``, ``metrics``, text tables).

    A relative ``processed_dir`` is taken against the repository (``resolve``). The folder, and each table named in
    ``need`` (documents and figures always), must exist and be whole, or DataError says which in one sentence. The
    tables of ``optional`` (default: all the others) are read when present; absent ones, and tables not asked for,
    are empty frames. Parquet twins are read when present, each file once per process.

    >>> load_processed("/nonexistent")
    Traceback (most recent call last):
    ...
    countyfiscal.analysis.load.DataError: the processed folder /nonexistent does not exist; run `countyfiscal extract` (or `make figures`) first
    """
    folder = _folder(processed_dir)
    need = set(REQUIRED) | set(need)
    unknown = sorted(need - set(TABLE_NAMES))
    if unknown:
        raise ValueError(f"unknown table(s) {', '.join(unknown)}; the tables are: {', '.join(TABLE_NAMES)}")
    wanted = set(TABLE_NAMES) if optional is None else need | set(optional)
    tables = {}
    for name in TABLE_NAMES:
        present = (folder / f"{name}.parquet").is_file() or (folder / f"{name}.csv").is_file()
        if name not in wanted:
            tables[name] = empty_table(name)
            continue
        if not present:
            if name in need:
                raise DataError(f"{folder / (name + '.csv')} is missing; run `countyfiscal extract` first"
                                + (" (without --no-text-mining)" if name in TEXT_TABLES + ("metrics",) else ""))
            tables[name] = empty_table(name)
            continue
        tables[name] = _read_cached(folder, name)
    versions = tuple(sorted(k for k in _CACHE if Path(k[0]).parent == folder and Path(k[0]).stem in wanted))
    if (folder, versions) not in _CHECKED:  # checked once per version of the tables read, not once per notebook run
        _check_one_run(tables, folder)
        _CHECKED.add((folder, versions))
    return tables


TEXT_TABLES = ("sections", "keywords", "themes", "recurring_themes")


# ------------------------------------------------------------------------------------------ views for the notebooks
# Small, sorted, fixed-decimal tables the notebooks display: outputs must be identical on every run and machine.

# Contract vocabulary order (CONTRACT.md), so grids and tables list measures as a reader expects.
MEASURE_ORDER = (
    "income_total",
    "expenditure_total",
    "fiscal_appropriation_income",
    "basic_expenditure",
    "project_expenditure",
    "personnel_expenditure",
    "public_expenditure",
    "sangong_total",
    "sangong_overseas",
    "sangong_vehicle_purchase",
    "sangong_vehicle_operation",
    "sangong_vehicle_total",
    "sangong_reception",
    "agency_operating_expenses",
    "government_procurement",
    "assets_total",
    "functional_expenditure",
    "economic_expenditure",
    "staff_authorised",
    "staff_actual",
    "income_grand_total",
    "expenditure_grand_total",
)
# The Chinese name a chart or table shows for each measure (CONTRACT.md's vocabulary), never the internal name.
MEASURE_LABELS = {
    "income_total": "收入合计",
    "expenditure_total": "支出合计",
    "fiscal_appropriation_income": "财政拨款收入",
    "basic_expenditure": "基本支出",
    "project_expenditure": "项目支出",
    "personnel_expenditure": "人员经费",
    "public_expenditure": "公用经费",
    "sangong_total": "“三公”经费",
    "sangong_overseas": "因公出国（境）费",
    "sangong_vehicle_purchase": "公务用车购置费",
    "sangong_vehicle_operation": "公务用车运行维护费",
    "sangong_vehicle_total": "公务用车购置及运行费",
    "sangong_reception": "公务接待费",
    "agency_operating_expenses": "机关运行经费",
    "government_procurement": "政府采购",
    "assets_total": "资产总额",
    "functional_expenditure": "功能分类支出",
    "economic_expenditure": "经济分类支出",
    "staff_authorised": "编制人数",
    "staff_actual": "实有人数",
    "income_grand_total": "收入总计",
    "expenditure_grand_total": "支出总计",
}


def measure_label(measure: str) -> str:
    """The Chinese name of a measure, or the measure itself when it is not in the vocabulary.

    >>> measure_label("income_total"), measure_label("new_measure")
    ('收入合计', 'new_measure')
    """
    return MEASURE_LABELS.get(measure, measure)

KIND_LABELS = {"budget": "预算", "final_account": "决算", "performance_evaluation": "绩效自评", "": "?"}
READ_STATUSES = ("ok", "partial")
MONEY_DISPLAY_LIMIT = 200  # rows a notebook table shows before it says how many more there are


def _department_labels(documents: pd.DataFrame) -> pd.Series:
    """file -> department label (the documents' own column when scope.apply added it)."""
    if "department_label" in documents.columns:
        return pd.Series(documents["department_label"].to_numpy(), index=documents["file"].to_numpy(), dtype="str")
    from countyfiscal.analysis.scope import department_labels

    return department_labels(documents)


def document_labels(documents: pd.DataFrame, with_place: bool = True) -> pd.Series:
    """A short label per document, indexed by file: '红塔区 2023 决算' (or '2023 决算' without the place).

    >>> docs = pd.DataFrame({"file": ["a.txt"], "jurisdiction": ["某县"], "fiscal_year": [2023], "doc_kind": ["budget"]})
    >>> document_labels(docs)["a.txt"]
    '某县 2023 预算'
    """
    if documents.empty:
        return pd.Series(dtype="str")
    years = documents["fiscal_year"].astype("Int64").astype("str").replace("<NA>", "?")
    kinds = documents["doc_kind"].fillna("").map(lambda k: KIND_LABELS.get(k, k))
    labels = years + " " + kinds
    if with_place:
        labels = documents["jurisdiction"].fillna("").replace("", "(unknown)") + " " + labels
    return pd.Series(labels.to_numpy(), index=documents["file"].to_numpy())


def _fixed(frame: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """Floats as fixed-decimal text, integers as integers, so the displayed table is the same on every machine."""
    out = frame.reset_index(drop=True).copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].map(lambda v: "" if pd.isna(v) else f"{v:,.{decimals}f}")
        elif pd.api.types.is_integer_dtype(out[column]):
            out[column] = out[column].astype("Int64").astype("str").replace("<NA>", "")
        elif pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].astype(str)
    return out


def _limited(frame: pd.DataFrame, limit: int = MONEY_DISPLAY_LIMIT) -> pd.DataFrame:
    """At most ``limit`` rows, with a last row saying how many were left out (the CSVs have them all)."""
    if len(frame) <= limit:
        return frame
    note = pd.DataFrame([{frame.columns[0]: f"… and {len(frame) - limit} more rows (see the processed tables)"}])
    return pd.concat([frame.head(limit), note], ignore_index=True).fillna("")


def jurisdictions(documents: pd.DataFrame) -> list[str]:
    """Sorted jurisdictions of the documents that were read (status ok or partial).

    >>> jurisdictions(pd.DataFrame({"jurisdiction": ["乙县", "甲区", ""], "status": ["ok", "partial", "ok"]}))
    ['乙县', '甲区']
    """
    if documents.empty:
        return []
    read = documents[documents["status"].isin(READ_STATUSES)]
    return sorted({j for j in read["jurisdiction"].dropna() if j})


def pick_department(documents: pd.DataFrame, department: str = "") -> str:
    """The department label asked for (a label, a department's name, or a part of one that names exactly one
    department), or the first department in the data when none is given; DataError in one sentence otherwise.

    >>> docs = pd.DataFrame({"file": ["a", "b"], "jurisdiction": ["甲区", "乙县"], "department": ["甲区信访局", "乙县公安局"],
    ...                      "status": ["ok", "ok"]})
    >>> pick_department(docs), pick_department(docs, "公安")
    ('乙县公安局', '乙县公安局')
    >>> pick_department(docs, "局")
    Traceback (most recent call last):
    ...
    countyfiscal.analysis.load.DataError: department '局' names 2 departments (乙县公安局、甲区信访局); give one of them
    """
    read = documents[documents["status"].isin(READ_STATUSES)] if not documents.empty else documents
    if read.empty:
        raise DataError("no document was read (documents.csv lists none with status ok or partial): no department to profile")
    labels = _department_labels(read)
    names = dict(zip(read["file"], read["department"].fillna("")))
    found = sorted(set(labels))
    if not department:
        return found[0]
    exact = sorted({lab for f, lab in labels.items() if department in (lab, names[f])})
    if len(exact) == 1:
        return exact[0]
    partial = sorted({lab for lab in found if department in lab})
    if len(partial) == 1:
        return partial[0]
    if partial or exact:
        many = exact or partial
        raise DataError(f"department {department!r} names {len(many)} departments ({'、'.join(many[:10])}); give one of them")
    listed = "、".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
    raise DataError(f"department {department!r} is not in the data; the departments read are: {listed}")


def pick_jurisdiction(documents: pd.DataFrame, jurisdiction: str = "") -> str:
    """The jurisdiction asked for, or the first one in the data when none is given ('' when there is no data).

    A jurisdiction that no read document belongs to is an error (a typo would otherwise give an empty profile).

    >>> pick_jurisdiction(pd.DataFrame({"jurisdiction": ["甲区"], "status": ["ok"]}), "乙县")
    Traceback (most recent call last):
    ...
    countyfiscal.analysis.load.DataError: jurisdiction '乙县' is not in the data; the documents read are from: 甲区
    """
    found = jurisdictions(documents)
    if jurisdiction:
        if found and jurisdiction not in found:
            listed = ", ".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
            raise DataError(f"jurisdiction {jurisdiction!r} is not in the data; the documents read are from: {listed}")
        return jurisdiction
    return found[0] if found else ""


def corpus_table(documents: pd.DataFrame) -> pd.DataFrame:
    """One row per input file: what it is, whose it is, whether it was read and why not."""
    columns = ["file", "status", "doc_kind", "fiscal_year", "jurisdiction", "department", "reason"]
    if documents.empty:
        return pd.DataFrame(columns=columns)
    return _limited(_fixed(documents[[c for c in columns if c in documents]].sort_values("file")))


def stated_measures(figures: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Per document, the measures it states (Chinese names, contract order) and how many stated figures it gives."""
    columns = ["department_label", "fiscal_year", "doc_kind", "file", "n_stated", "measures"]
    if figures.empty or documents.empty:
        return pd.DataFrame(columns=columns)
    stated = figures[figures["method"].eq("stated")] if "method" in figures else figures
    order = {m: i for i, m in enumerate(MEASURE_ORDER)}
    per_file = stated.groupby("file").agg(
        n_stated=("measure", "size"),
        measures=("measure", lambda s: "、".join(measure_label(m) for m in sorted(set(s), key=lambda m: (order.get(m, len(order)), m)))),
    )
    docs = documents.assign(department_label=documents["file"].map(_department_labels(documents)))
    out = docs[["department_label", "fiscal_year", "doc_kind", "file"]].merge(per_file, on="file", how="inner")
    return _limited(_fixed(out.sort_values(["department_label", "fiscal_year", "file"])[columns]))


def flag_counts(flags: pd.DataFrame) -> pd.DataFrame:
    """Number of flags per check and status."""
    if flags.empty:
        return pd.DataFrame(columns=["check", "status", "flags"])
    out = flags.groupby(["check", "status"], as_index=False).size().rename(columns={"size": "flags"})
    return _fixed(out.sort_values(["check", "status"]))


def flag_table(flags: pd.DataFrame, documents: pd.DataFrame | None = None, department: str = "") -> pd.DataFrame:
    """The flags themselves (optionally only those on one department's files), sorted, without the long quotes."""
    columns = ["file", "check", "status", "measure", "code", "fiscal_year", "basis", "reported", "expected", "message"]
    if flags.empty:
        return pd.DataFrame(columns=columns)
    rows = flags
    if department and documents is not None and not documents.empty:
        labels = _department_labels(documents)
        files = {f for f, lab in labels.items() if lab == department}
        rows = rows[rows["file"].map(lambda f: bool(files & set(str(f).split(";"))))]
    rows = rows[[c for c in columns if c in rows]]
    return _limited(_fixed(rows.sort_values([c for c in ["file", "check", "measure", "code", "fiscal_year", "basis", "status"] if c in rows])))


def metric_table(metrics: pd.DataFrame, metric_names: tuple[str, ...] | list[str] = (), department: str = "") -> pd.DataFrame:
    """Metrics (all, or the ones named; optionally one department) with their inputs, two decimals."""
    columns = ["department_label", "fiscal_year", "basis", "metric", "base", "value", "numerator", "denominator", "comparability"]
    if metrics.empty:
        return pd.DataFrame(columns=columns)
    rows = metrics[metrics["metric"].isin(metric_names)] if metric_names else metrics
    if "department_label" not in rows.columns:
        rows = rows.assign(department_label=rows["department"])
    if department:
        rows = rows[rows["department_label"].eq(department)]
    rows = rows[[c for c in columns if c in rows]]
    return _limited(_fixed(rows.sort_values(["department_label", "fiscal_year", "basis", "metric"])))


def figure_table(
    figures: pd.DataFrame,
    documents: pd.DataFrame,
    measures: tuple[str, ...] | list[str] = (),
    department: str = "",
) -> pd.DataFrame:
    """Stated and derived figures with the document's department, in yuan with two decimals, sorted; the page and
    table each came from, so a reader can check it."""
    columns = ["department_label", "file", "measure", "名称", "code", "label", "fiscal_year", "basis", "value", "unit",
               "method", "page", "table"]
    if figures.empty or documents.empty:
        return pd.DataFrame(columns=columns)
    rows = figures.assign(department_label=figures["file"].map(_department_labels(documents)))
    rows = rows[rows["department_label"].notna()]
    if measures:
        rows = rows[rows["measure"].isin(measures)]
    if department:
        rows = rows[rows["department_label"].eq(department)]
    order = {m: i for i, m in enumerate(MEASURE_ORDER)}
    rows = rows.assign(_order=rows["measure"].map(lambda m: order.get(m, len(order))), 名称=rows["measure"].map(measure_label))
    rows = rows.sort_values(["department_label", "file", "_order", "measure", "code", "fiscal_year", "basis", "value"])
    rows = rows.drop_duplicates(["file", "measure", "code", "fiscal_year", "basis", "value"])
    return _limited(_fixed(rows[[c for c in columns if c in rows]]))


def sorted_table(frame: pd.DataFrame, by: list[str], decimals: int = 2, columns: list[str] | None = None) -> pd.DataFrame:
    """Any table sorted by ``by`` (columns that exist), floats fixed to ``decimals`` — for the text-mining tables."""
    if frame.empty:
        return pd.DataFrame(columns=columns or list(frame.columns))
    rows = frame[[c for c in columns if c in frame]] if columns else frame
    keys = [c for c in by if c in rows]
    return _limited(_fixed(rows.sort_values(keys) if keys else rows, decimals))


def sangong_execution_metrics(metrics: pd.DataFrame) -> list[str]:
    """The 三公 execution metrics present: the total first, then each part's, sorted.

    >>> sangong_execution_metrics(pd.DataFrame({"metric": ["sangong_reception_execution_pct", "sangong_execution_pct", "x"]}))
    ['sangong_execution_pct', 'sangong_reception_execution_pct']
    """
    if metrics.empty:
        return []
    names = {m for m in metrics["metric"].dropna() if m.startswith("sangong_") and m.endswith("_execution_pct")}
    return sorted(names, key=lambda m: (m != "sangong_execution_pct", m))


def theme_table(themes: pd.DataFrame, scope: str = "work_summary", department: str = "", examples: bool = False,
                documents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Themes a scope's text mentions (hits > 0) per document, sorted; with the example sentence and its offsets if asked."""
    columns = ["department_label", "file", "theme", "hits", "hits_per_1000_chars", "sentence_share"]
    columns += ["example", "example_start", "example_end"] if examples else []
    if themes.empty or "theme" not in themes:
        return pd.DataFrame(columns=columns)
    rows = themes[themes["scope"].eq(scope)] if "scope" in themes else themes
    rows = rows[rows["hits"].gt(0)] if "hits" in rows else rows
    if documents is not None and not documents.empty:
        rows = rows.assign(department_label=rows["file"].map(_department_labels(documents)))
        rows = rows[rows["department_label"].notna()]
    else:
        rows = rows.assign(department_label=rows.get("jurisdiction", ""))
    if department:
        rows = rows[rows["department_label"].eq(department)]
    rows = rows[[c for c in columns if c in rows]]
    return _limited(_fixed(rows.sort_values([c for c in ["department_label", "file", "theme"] if c in rows]), 3))


def keyword_table(keywords: pd.DataFrame, scope: str = "work_summary", method: str = "auto", n: int = 10,
                  documents: pd.DataFrame | None = None) -> pd.DataFrame:
    """The n best keywords per document for one scope and method (``auto``: log_odds where present, else tfidf), by
    rank, with the document's department when ``documents`` is given."""
    columns = ["department_label", "file", "rank", "term", "score", "count", "rest_count", "df"]
    if keywords.empty or "rank" not in keywords:
        return pd.DataFrame(columns=columns)
    if method == "auto":
        method = "log_odds" if "method" in keywords and keywords["method"].eq("log_odds").any() else "tfidf"
    rows = keywords[keywords["scope"].eq(scope)] if "scope" in keywords else keywords
    rows = rows[rows["method"].eq(method)] if "method" in rows else rows
    rows = rows[rows["rank"].le(n)]
    if documents is not None and not documents.empty:
        rows = rows.assign(department_label=rows["file"].map(_department_labels(documents)))
        rows = rows[rows["department_label"].notna()]
    rows = rows[[c for c in columns if c in rows]]
    return _limited(_fixed(rows.sort_values([c for c in ["department_label", "file", "rank"] if c in rows]), 4))


def recurring_table(recurring_themes: pd.DataFrame, scope: str = "work_summary") -> pd.DataFrame:
    """Themes recurring across jurisdictions for one scope, most widespread first."""
    if recurring_themes.empty or "theme" not in recurring_themes:
        return pd.DataFrame(columns=["theme", "n_jurisdictions", "jurisdictions"])
    rows = recurring_themes[recurring_themes["scope"].eq(scope)] if "scope" in recurring_themes else recurring_themes
    rows = rows.drop(columns=["scope"], errors="ignore")
    keys = [c for c in ["n_jurisdictions", "theme"] if c in rows]
    return _limited(_fixed(rows.sort_values(keys, ascending=[k != "n_jurisdictions" for k in keys]), 3))
