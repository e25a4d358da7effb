"""Run the extraction over a raw folder: one row per input in documents.csv, every figure in figures.csv."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from countyfiscal.fields import TABLES, columns

log = logging.getLogger("countyfiscal")

# Files in the raw folder that describe the inputs rather than being inputs.
NOT_INPUTS = {"MANIFEST.csv", "README.md", "README.txt", ".gitkeep"}


class RunError(Exception):
    """The run could not start or finish at all (missing folder, unwritable output); str() is the sentence shown."""


@dataclass
class FileResult:
    document: dict
    figures: list[dict] = field(default_factory=list)
    text: str | None = None
    error: str = ""  # traceback of an unexpected failure, for the log file only


def list_inputs(raw_dir: Path) -> list[Path]:
    return sorted(
        p for p in raw_dir.iterdir() if p.is_file() and p.name not in NOT_INPUTS and not p.name.startswith(".")
    )


def _empty_document(path: Path, data: bytes | None) -> dict:
    row = {c: "" for c in columns("documents")}
    row.update(file=path.name, sha256=hashlib.sha256(data).hexdigest() if data is not None else "")
    row.update(fiscal_year=None, pages=None, chars=None, n_figures=0)
    return row


def process_file(path: str | Path) -> FileResult:
    """Read, describe and extract one input. Never raises: a failure becomes a rejected row with a reason."""
    from countyfiscal.extract import extract_figures
    from countyfiscal.ingest import read_document
    from countyfiscal.metadata import describe
    from countyfiscal.model import RejectedInput

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        row = _empty_document(path, None)
        row.update(status="rejected", reason=f"could not be read ({exc.strerror or exc})")
        return FileResult(row)
    row = _empty_document(path, data)
    try:
        doc = read_document(path)
    except RejectedInput as exc:
        row.update(status="rejected", reason=str(exc))
        return FileResult(row)
    except Exception:
        row.update(status="rejected", reason="could not be read: an unexpected error (see extract.log)")
        return FileResult(row, error=traceback.format_exc())
    row.update(format=doc.format, encoding=doc.encoding, pages=doc.n_pages, chars=len(doc.text))
    try:
        meta = describe(doc.text, path.name)
        for key in ("doc_kind", "department", "jurisdiction", "province", "city", "county", "admin_code"):
            row[key] = meta.get(key) or ""
        row["fiscal_year"] = meta.get("fiscal_year")
        if not meta.get("is_disclosure", True):
            row.update(status="rejected", reason=meta.get("not_disclosure_reason") or "not a fiscal disclosure")
            return FileResult(row, text=doc.text)
        figures = extract_figures(doc, row["doc_kind"], row["fiscal_year"])
        figures.extend(_table_figures(doc, path, row))
    except Exception:
        row.update(status="rejected", reason="could not be processed: an unexpected error (see extract.log)")
        return FileResult(row, text=doc.text, error=traceback.format_exc())
    missing = [k for k in ("doc_kind", "fiscal_year") if not row[k]]
    if missing:
        row.update(status="partial", reason=f"read, but its {' and '.join(missing)} could not be determined")
    elif not figures:
        row.update(status="partial", reason="read, but no figure could be extracted")
    else:
        row.update(status="ok", reason="")
    row["n_figures"] = len(figures)
    return FileResult(row, figures, doc.text)


def _table_figures(doc, path: Path, row: dict) -> list[dict]:
    try:
        from countyfiscal.extract.tables import table_figures
    except ImportError:
        return []
    pdf_path = path if doc.format == "pdf" else None
    return table_figures(doc, row["fiscal_year"], row["doc_kind"], pdf_path=pdf_path)


def _mark_duplicates(results: list[FileResult]) -> None:
    seen_bytes: dict[str, str] = {}
    seen_text: dict[str, str] = {}
    for res in results:
        doc = res.document
        sha = doc["sha256"]
        if sha and sha in seen_bytes:
            _as_duplicate(res, seen_bytes[sha], "same bytes")
            continue
        if sha:
            seen_bytes[sha] = doc["file"]
        if res.text and doc["status"] in ("ok", "partial"):
            key = hashlib.sha256("".join(res.text.split()).encode("utf-8")).hexdigest()
            if key in seen_text:
                _as_duplicate(res, seen_text[key], "same text")
                continue
            seen_text[key] = doc["file"]


def _as_duplicate(res: FileResult, original: str, how: str) -> None:
    res.document.update(status="duplicate", reason=f"duplicate of {original} ({how})", duplicate_of=original,
                        n_figures=0)
    res.figures = []


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows -> a DataFrame with the table's columns, dtypes and nothing else."""
    df = pd.DataFrame(rows, columns=columns(table))
    for f in TABLES[table]:
        if f.dtype == "Int64":
            df[f.name] = pd.to_numeric(df[f.name], errors="coerce").astype("Int64")
        elif f.dtype == "float64":
            df[f.name] = pd.to_numeric(df[f.name], errors="coerce").astype("float64")
        else:
            df[f.name] = df[f.name].fillna("").astype(str)
    return df


def write_table(df: pd.DataFrame, out_dir: Path, name: str, parquet: bool = True) -> None:
    """Write name.csv (and name.parquet) atomically: a temp file in the same folder, then os.replace."""
    _atomic(out_dir / f"{name}.csv", lambda p: df.to_csv(p, index=False, encoding="utf-8", lineterminator="\n"))
    if parquet:
        _atomic(out_dir / f"{name}.parquet", lambda p: df.to_parquet(p, index=False))


def _atomic(target: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_out_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out_dir, prefix=".probe.", delete=True)
        probe.close()
    except OSError as exc:
        raise RunError(f"cannot write to the output folder {out_dir}: {exc.strerror or exc}") from None


def run_extract(raw_dir: str | Path, out_dir: str | Path, jobs: int = 1, progress: bool | None = None) -> dict:
    """Extract every input of raw_dir into out_dir; returns counts. Raises RunError when it cannot run at all."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise RunError(f"the raw folder {raw_dir} does not exist")
    _check_out_dir(out_dir)
    paths = list_inputs(raw_dir)
    if progress is None:
        progress = sys.stderr.isatty()
    results = _map(process_file, paths, jobs, progress)
    _mark_duplicates(results)
    errors = [(r.document["file"], r.error) for r in results if r.error]
    _write_log(out_dir, errors)
    documents = frame("documents", [r.document for r in results]).sort_values("file", kind="stable")
    figure_rows = [f for r in results for f in r.figures]
    figures = frame("figures", figure_rows)
    figures = figures.sort_values(["file", "start", "end", "measure", "code", "fiscal_year", "basis", "source"],
                                  kind="stable", na_position="last").reset_index(drop=True)
    texts = {r.document["file"]: r.text for r in results if r.text is not None and r.document["status"] in ("ok", "partial")}
    tables = {"documents": documents.reset_index(drop=True), "figures": figures}
    tables.update(_downstream(figures, tables["documents"], texts))
    for name, df in tables.items():
        write_table(df, out_dir, name)
    status = documents["status"].value_counts()
    return {
        "files": len(documents),
        "ok": int(status.get("ok", 0)),
        "partial": int(status.get("partial", 0)),
        "rejected": int(status.get("rejected", 0)),
        "duplicate": int(status.get("duplicate", 0)),
        "figures": len(figures),
        "flags": len(tables.get("flags", [])),
    }


def _downstream(figures: pd.DataFrame, documents: pd.DataFrame, texts: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Checks, metrics and text mining over what was extracted."""
    from countyfiscal.checks import run_checks
    from countyfiscal.metrics import compute_metrics
    from countyfiscal.text import mine

    out = {"flags": run_checks(figures, documents, texts), "metrics": compute_metrics(figures, documents)}
    out.update(mine(texts, documents))
    return out


def _map(fn, paths: list[Path], jobs: int, progress: bool) -> list[FileResult]:
    from tqdm import tqdm

    bar = tqdm(total=len(paths), disable=not progress, unit="file", desc="extract")
    try:
        if jobs <= 1 or len(paths) < 2:
            out = []
            for p in paths:
                out.append(fn(p))
                bar.update()
            return out
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            out = []
            for res in pool.map(fn, paths, chunksize=max(1, min(64, len(paths) // (jobs * 8) or 1))):
                out.append(res)
                bar.update()
            return out
    finally:
        bar.close()


def _write_log(out_dir: Path, errors: list[tuple[str, str]]) -> None:
    text = "".join(f"=== {name}\n{tb}\n" for name, tb in errors)
    _atomic(out_dir / "extract.log", lambda p: Path(p).write_text(text, encoding="utf-8"))
