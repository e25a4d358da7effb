"""datapackage.json (Frictionless Data Package v2) and countyfiscal.duckdb, written beside the processed tables.

Both are generated from ``fields.py`` and the tables themselves: one resource per CSV table fields.py declares, with
its schema (types, units, meanings), its size and SHA-256 (so a package that no longer matches its tables fails
validation), ``file`` as the key of documents and the foreign key of figures; money columns carry Fiscal Data
Package-style ``currency`` (CNY), ``factor`` (1: values are yuan, not 万元) and ``phase`` (approved for a budget
figure, executed for an actual one, from the row's ``basis``). The DuckDB file holds the same tables for SQL.

`countyfiscal figures` writes them after validating the tables (never during `countyfiscal extract`, whose output
set is published whole), and only when the tables changed since the last package.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from countyfiscal import __version__, fields

PACKAGE = "datapackage.json"
DATABASE = "countyfiscal.duckdb"
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
TYPES = {"string": "string", "Int64": "integer", "float64": "number", "boolean": "boolean"}
TITLES = {
    "documents": "Every input file: what it is, whether it was read and why not",
    "figures": "Every figure a document states, with the quote and position it came from",
    "flags": "Checks that did not pass: reported vs recomputed",
    "metrics": "Compression, personnel share and 三公 execution per department-year, with formula and inputs",
    "statements": "Changes, shares, execution rates and wordings a document states",
    "sections": "Sections of each document's text",
    "keywords": "Keywords per document",
    "themes": "Theme-lexicon hits per document",
    "recurring_themes": "Themes across jurisdictions",
}
# Phase of a money value (Fiscal Data Package vocabulary) from the basis of its row.
PHASES = {"budget": "approved", "actual": "executed"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _field(table: str, f: fields.Field, columns: set[str]) -> dict:
    out = {"name": f.name, "type": TYPES.get(f.dtype, "string"), "description": f.description}
    if f.unit:
        out["unit"] = f.unit
    if f.unit.startswith("yuan"):
        out["currency"] = "CNY"
        out["factor"] = 1
        if "basis" in columns:
            out["phase"] = {"field": "basis", "values": PHASES}
    if f.dtype == "boolean":
        out["trueValues"], out["falseValues"] = ["True", "true"], ["False", "false"]
    return out


def _header(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return pd.read_csv(fh, nrows=0).columns.tolist()


def descriptor(processed_dir: str | Path) -> dict:
    """The package descriptor for the CSV tables present in ``processed_dir`` that fields.py declares.

    A column a table has beyond fields.py (a newer writer) is described as a string without a meaning; a declared
    column the table lacks is left out, so the schema always matches the file.
    """
    folder = Path(processed_dir)
    resources = []
    for table, declared in fields.TABLES.items():
        path = folder / f"{table}.csv"
        if not path.is_file():
            continue
        header = _header(path)
        by_name = {f.name: f for f in declared}
        schema_fields = [
            _field(table, by_name[c], set(header)) if c in by_name else {"name": c, "type": "string"} for c in header]
        schema: dict = {"fields": schema_fields, "missingValues": [""]}
        if table == "documents" and "file" in header:
            schema["primaryKey"] = ["file"]
        elif "file" in header and table in ("figures", "sections", "keywords", "themes", "statements"):
            schema["foreignKeys"] = [{"fields": ["file"], "reference": {"resource": "documents", "fields": ["file"]}}]
        resources.append({
            "name": table,
            "type": "table",
            "title": TITLES.get(table, table),
            "path": path.name,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "bytes": path.stat().st_size,
            "hash": f"sha256:{_sha256(path)}",
            "schema": schema,
        })
    return {
        "$schema": PROFILE,
        "name": "countyfiscal-processed",
        "title": "Figures stated in Chinese government departments' fiscal disclosures (部门预算/决算/绩效自评)",
        "description": "Written by `countyfiscal extract` (tables) and `countyfiscal figures` (this descriptor and "
                       f"{DATABASE}). Money is yuan (元) in columns whose unit is yuan; every figure keeps the quote and "
                       "offsets it came from. Each CSV has a Parquet twin of the same rows; figures/ is the same figures "
                       "as a Parquet dataset partitioned by fiscal_year. Column meanings: docs/data_dictionary.md.",
        "version": __version__,
        "keywords": ["fiscal transparency", "部门预算", "部门决算", "China", "local government"],
        "resources": resources,
    }


def _atomic_write(target: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_database(processed_dir: str | Path, tables: dict[str, pd.DataFrame]) -> Path:
    """countyfiscal.duckdb: one table per processed table given (typed as the loader types them)."""
    import duckdb

    target = Path(processed_dir) / DATABASE

    def write(tmp: Path) -> None:
        tmp.unlink()  # duckdb creates its own file
        with duckdb.connect(str(tmp)) as con:
            for name, frame in tables.items():
                if frame is None or frame.empty and not len(frame.columns):
                    continue
                con.register("frame", frame)
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
                con.unregister("frame")

    _atomic_write(target, write)
    return target


def write_package(processed_dir: str | Path, tables: dict[str, pd.DataFrame] | None = None) -> tuple[Path, Path]:
    """Write datapackage.json and countyfiscal.duckdb into ``processed_dir`` unless both already describe the
    tables as they are (same hashes). ``tables``: the validated tables (``load.validate_processed``)."""
    from countyfiscal.analysis import load

    folder = Path(processed_dir)
    package, database = folder / PACKAGE, folder / DATABASE
    wanted = descriptor(folder)
    if package.is_file() and database.is_file():
        try:
            if json.loads(package.read_text(encoding="utf-8")) == wanted:
                return package, database
        except ValueError:
            pass
    tables = tables if tables is not None else load.validate_processed(folder)
    write_database(folder, {name: frame for name, frame in tables.items() if (folder / f"{name}.csv").is_file()})
    _atomic_write(package, lambda p: p.write_text(json.dumps(wanted, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"))
    return package, database


def connect(processed_dir: str | Path = "data/processed"):
    """A read-only DuckDB connection to the processed tables (relative paths against the repository), rebuilt first
    when the tables changed since it was written (a re-extraction leaves the old database behind; it is never
    served stale).

    >>> # con = connect(); con.sql("SELECT d.department, count(*) FROM figures f JOIN documents d USING (file) GROUP BY 1")
    """
    import duckdb

    from countyfiscal.analysis import load

    folder = load.resolve(processed_dir)
    if not (folder / "documents.csv").is_file():
        raise load.DataError(f"{folder / 'documents.csv'} is missing; run `countyfiscal extract` first")
    write_package(folder)  # no-op when datapackage.json still describes the tables as they are
    return duckdb.connect(str(folder / DATABASE), read_only=True)
