"""Run the extraction over a raw folder: one row per input in documents.csv, every figure in figures.csv."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import shutil
import sys
import tempfile
import traceback
import unicodedata
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
    text_key: str = ""  # fingerprint of the text when the text itself is not carried (process_file_compact)
    flags: list[dict] | None = None  # this document's flag rows, when checked in the worker
    doc_flags: list[dict] = field(default_factory=list)  # flags raised while reading/extracting it (Document.flags)


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
    from countyfiscal.extract import extract_all
    from countyfiscal.ingest import read_bytes
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
        doc = read_bytes(data, path.name)  # the bytes just read (hashed above), not a second read of the file
    except RejectedInput as exc:
        row.update(status="rejected", reason=str(exc))
        return FileResult(row)
    except Exception:
        row.update(status="rejected", reason="could not be read: an unexpected error (see extract.log)")
        return FileResult(row, error=traceback.format_exc())
    row.update(format=doc.format, encoding=doc.encoding, pages=doc.n_pages, chars=len(doc.text))
    row["ocr_pages"] = _page_ranges(sorted(doc.ocr))  # pages read by OCR (ingest.ocr)
    try:
        meta = describe(doc.text, path.name)
        for key in ("doc_kind", "department", "jurisdiction", "province", "city", "county", "admin_code", "scope"):
            row[key] = meta.get(key) or ""
        row["fiscal_year"] = meta.get("fiscal_year")
        if not meta.get("is_disclosure", True):
            # A kind or year read off a page that is not a disclosure would only mislead: keep the names, drop those.
            row.update(status="rejected", reason=meta.get("not_disclosure_reason") or "not a fiscal disclosure",
                       doc_kind="", fiscal_year=None, scope="")
            return FileResult(row, text=doc.text)
        figures = extract_all(doc, row["doc_kind"], row["fiscal_year"], pdf_path=path if doc.format == "pdf" else None)
        if not figures and not _AMOUNT.search(doc.text):
            # The title and vocabulary of a disclosure without a single sum of money: a guide or a form's notes.
            row.update(status="rejected", reason="not a fiscal disclosure (it states no amount of money)",
                       doc_kind="", fiscal_year=None, scope="")
            return FileResult(row, text=doc.text)
    except Exception:
        row.update(status="rejected", reason="could not be processed: an unexpected error (see extract.log)")
        return FileResult(row, text=doc.text, error=traceback.format_exc())
    gaps = _gaps(row, figures, doc.warnings)
    row.update(status="partial" if gaps else "ok", reason=f"read, but {'; '.join(gaps)}" if gaps else "")
    row["n_figures"] = len(figures)
    return FileResult(row, figures, doc.text, doc_flags=doc.flags)


def _page_ranges(pages: list[int]) -> str:
    from countyfiscal.ingest.pdf import page_ranges

    return page_ranges(pages) if pages else ""


# A sum of money as any disclosure states many: digits, then a yuan unit (the normalised text has ASCII digits).
_AMOUNT = re.compile(r"\d[\d,]*(?:\.\d+)?[ \t]*(?:亿元|万元|千元|元)")

# What every complete disclosure of a kind states (all 21 seed and dev-corpus budgets and final accounts do): a read
# document without one of them was most likely cut off, or has a part the extractor could not read. Self-evaluations
# vary too much in what they state to expect any one figure.
_TOTALS = {"income_total": "income total", "expenditure_total": "expenditure total", "sangong_total": "三公 total"}
EXPECTED_PARTS = {"budget": _TOTALS, "final_account": _TOTALS}


def _gaps(row: dict, figures: list[dict], warnings: list[str]) -> list[str]:
    """Why a read document is only ``partial``, as clauses of one sentence ([] when it is complete)."""
    gaps = []
    missing = [k for k in ("doc_kind", "fiscal_year") if not row[k]]
    if missing:
        gaps.append(f"its {' and '.join(missing)} could not be determined")
    if not figures:
        gaps.append("no figure could be extracted")
    else:
        stated = {f["measure"] for f in figures}
        absent = [label for measure, label in EXPECTED_PARTS.get(row["doc_kind"], {}).items() if measure not in stated]
        if absent:
            listed = absent[0] if len(absent) == 1 else f"{', '.join(absent[:-1])} or {absent[-1]}"
            gaps.append(f"it states no {listed} (truncated?)")
    gaps.extend(warnings)  # ingest's: parts of the file it could not read (PDF pages without a text layer)
    return gaps


def _mark_duplicates(results: list[FileResult]) -> None:
    marker = _DuplicateMarker()
    for res in results:
        marker.mark(res)


def _as_duplicate(res: FileResult, original: str, how: str) -> None:
    res.document.update(status="duplicate", reason=f"duplicate of {original} ({how})", duplicate_of=original,
                        n_figures=0)
    res.figures = []
    res.flags = None
    res.doc_flags = []


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows -> a DataFrame with the table's columns, dtypes and nothing else."""
    df = pd.DataFrame(rows, columns=columns(table))
    for f in TABLES[table]:
        if f.dtype == "Int64":
            df[f.name] = pd.to_numeric(df[f.name], errors="coerce").astype("Int64")
        elif f.dtype == "float64":
            df[f.name] = pd.to_numeric(df[f.name], errors="coerce").astype("float64")
        elif f.dtype == "boolean":
            df[f.name] = df[f.name].map({True: True, False: False, "True": True, "False": False}).astype("boolean")
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


def _remove_leftovers(out_dir: Path) -> None:
    """Delete the temporary files and folders a killed run left in out_dir (all hidden, named by _atomic,
    _FigureWriter and _check_out_dir). A run killed between moving the previous figures dataset aside and moving
    the new one in left no ``figures`` folder: the previous one is put back first."""
    target = out_dir / "figures"
    if not target.exists():
        for old in sorted(out_dir.glob(".figures.old.*/figures"))[:1]:
            os.replace(old, target)
    for p in out_dir.glob(".*"):
        if p.name.endswith(".tmp") or p.name.startswith((".figures.old.", ".probe.")):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def _check_out_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out_dir, prefix=".probe.", delete=True)
        probe.close()
    except OSError as exc:
        raise RunError(f"cannot write to the output folder {out_dir}: {exc.strerror or exc}") from None


# Figure rows are written in batches of at least this many rows (always whole files), so memory stays flat.
BATCH_ROWS = 20_000
FIGURE_SORT = ["file", "start", "end", "measure", "code", "fiscal_year", "basis", "source"]
NA_PARTITION = "__HIVE_DEFAULT_PARTITION__"


def run_extract(
    raw_dir: str | Path,
    out_dir: str | Path,
    jobs: int = 1,
    progress: bool | None = None,
    *,
    text_mining: bool = True,
    checks: bool = True,
    dask: str | None = None,
    batch_rows: int = BATCH_ROWS,
) -> dict:
    """Extract every input of raw_dir into out_dir; returns counts. Raises RunError when it cannot run at all.

    Documents are read by ``jobs`` worker processes (or on the dask.distributed scheduler at address ``dask``)
    and their figures streamed to disk in input order: ``figures.csv``, ``figures.parquet`` and the dataset
    ``figures/fiscal_year=YYYY/part-NNNNN.parquet``. Outputs do not depend on ``jobs`` or on the engine.

    ``text_mining=False`` is the mode for corpora too large to hold: texts never reach this process; checks run per
    document in the workers; metrics, cross-document checks and text mining are skipped (``countyfiscal check``
    computes metrics and checks afterwards from figures.csv). ``checks=False`` skips the checks and writes no flags
    table (with ``text_mining=False``: documents and figures only).
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise RunError(f"the raw folder {raw_dir} does not exist")
    _check_out_dir(out_dir)
    _remove_leftovers(out_dir)
    paths = list_inputs(raw_dir)
    if progress is None:
        progress = sys.stderr.isatty()
    if text_mining:
        worker = process_file
    elif checks:
        worker = process_file_compact
    else:
        worker = functools.partial(process_file_compact, check=False)
    if dask:
        from countyfiscal.distributed import map_ordered

        results = map_ordered(worker, paths, dask)
    else:
        results = _map(worker, paths, jobs)
    from tqdm import tqdm

    bar = tqdm(total=len(paths), disable=not progress, unit="file", desc="extract")
    documents_rows: list[dict] = []
    errors: list[tuple[str, str]] = []
    texts: dict[str, str] = {}
    doc_flags: list[dict] = []
    dupes = _DuplicateMarker()
    n_figures = 0
    # Per-document flags (large-corpus mode) are streamed like figures, so memory does not grow with them.
    flag_writer = _FlagWriter(out_dir, batch_rows) if checks and not text_mining else None
    with _FigureWriter(out_dir, batch_rows) as writer, flag_writer or contextlib.nullcontext():
        for res in results:
            bar.update()
            dupes.mark(res)
            documents_rows.append(res.document)
            if res.error:
                errors.append((res.document["file"], res.error))
            if res.text is not None and res.document["status"] in ("ok", "partial"):
                texts[res.document["file"]] = res.text
                if text_mining and checks:
                    doc_flags.extend(res.doc_flags)
            if flag_writer is not None and res.flags is not None and res.document["status"] in ("ok", "partial"):
                flag_writer.add(res.flags)
            n_figures += len(res.figures)
            writer.add(res.figures)
        bar.close()
        _write_log(out_dir, errors)
        documents = frame("documents", documents_rows).sort_values("file", kind="stable").reset_index(drop=True)
        del documents_rows
        tables = {"documents": documents}
        if text_mining:
            figures = writer.finish_and_read()
            tables.update(_downstream(figures, documents, texts, checks, doc_flags))
        else:
            writer.finish()
            if flag_writer is not None:
                flag_writer.finish()
    for name, df in tables.items():
        write_table(df, out_dir, name)
    streamed = {"figures"} | ({"flags"} if flag_writer is not None else set())
    for name in TABLES:
        # A table this run did not compute would otherwise be left describing an earlier run.
        if name not in tables and name not in streamed:
            for suffix in (".csv", ".parquet"):
                (out_dir / f"{name}{suffix}").unlink(missing_ok=True)
    status = documents["status"].value_counts()
    return {
        "files": len(documents),
        "ok": int(status.get("ok", 0)),
        "partial": int(status.get("partial", 0)),
        "rejected": int(status.get("rejected", 0)),
        "duplicate": int(status.get("duplicate", 0)),
        "figures": n_figures,
        "flags": flag_writer.n_rows if flag_writer is not None else len(tables.get("flags", [])),
    }


def process_file_compact(path: str | Path, check: bool = True) -> FileResult:
    """``process_file`` for a large run: the text is checked here (``check``; its flags kept) and then dropped.

    Only a fingerprint of the text travels back, for spotting duplicates; figures and document row as usual.
    """
    res = process_file(path)
    text, res.text = res.text, None
    if text is not None:
        res.text_key = text_key(text)
        if check and res.document["status"] in ("ok", "partial"):
            res.flags = res.doc_flags + _document_flags(res, text)
    return res


def _document_flags(res: FileResult, text: str) -> list[dict]:
    from countyfiscal.checks import check_document

    return check_document(res.figures, res.document, text)


def text_key(text: str) -> str:
    """Fingerprint of a text ignoring whitespace and character width: two inputs with the same key are duplicates
    ("same text"). Width is folded (NFKC) because a copy typed with full-width digits and stops (１．) is the same
    document, while the normalised text keeps a full-width stop that is not between digits.

    >>> text_key("1．预算 2,777.5 元") == text_key("１．预算\\n２，７７７．５元")
    True
    """
    return hashlib.sha256("".join(nfkc(text).split()).encode("utf-8")).hexdigest()


# Full-width forms of ASCII characters and the ideographic space: each one's NFKC form is one ASCII character.
_WIDE = re.compile("[\uff01-\uff5e\u3000]")


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, 3x faster on a disclosure (normalising runs at ~150 ns a character).

    Full-width ASCII forms are swapped for their NFKC form (an ASCII character: it neither composes nor reorders, so
    NFKC of the result equals NFKC of the text); when what is left is already in NFKC, as almost always, that is the
    answer, else the whole text is normalised.

    >>> nfkc("１．预算（２，７７７．５元）㎡") == unicodedata.normalize("NFKC", "１．预算（２，７７７．５元）㎡")
    True
    """
    for ch in set(_WIDE.findall(text)):
        text = text.replace(ch, unicodedata.normalize("NFKC", ch))
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


class _DuplicateMarker:
    """Marks results as duplicates in input order: the first of equal bytes (or equal text) is the original."""

    def __init__(self) -> None:
        self.seen_bytes: dict[str, str] = {}
        self.seen_text: dict[str, str] = {}

    def mark(self, res: FileResult) -> None:
        doc = res.document
        sha = doc["sha256"]
        if sha and sha in self.seen_bytes:
            _as_duplicate(res, self.seen_bytes[sha], "same bytes")
            return
        if sha:
            self.seen_bytes[sha] = doc["file"]
        key = res.text_key or (text_key(res.text) if res.text else "")
        if key and doc["status"] in ("ok", "partial"):
            if key in self.seen_text:
                _as_duplicate(res, self.seen_text[key], "same text")
                return
            self.seen_text[key] = doc["file"]


class _TableStream:
    """Rows streamed in batches, whole documents at a time and in input order, to NAME.csv and NAME.parquet in a hidden
    folder of out_dir; ``finish`` moves them into place (each atomically replaced). ``_table`` makes a batch a table
    sorted by file first, so batch after batch is the whole table in order."""

    name = ""

    def __init__(self, out_dir: Path, batch_rows: int) -> None:
        self.out_dir = out_dir
        self.batch_rows = batch_rows
        self.rows: list[dict] = []
        self.n_batches = 0
        self.n_rows = 0
        self.tmp_dir = Path(tempfile.mkdtemp(prefix=f".{self.name}.", suffix=".tmp", dir=out_dir))
        self.csv_path = self.tmp_dir / f"{self.name}.csv"
        self.parquet_path = self.tmp_dir / f"{self.name}.parquet"
        self._csv = open(self.csv_path, "w", encoding="utf-8", newline="")
        self._parquet = None
        self._schema = None
        self._done = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._close()
        if not self._done or exc_type is not None:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def add(self, rows: list[dict]) -> None:
        """Rows of one file (files must come in sorted order, so batch-wise sorting sorts the whole table)."""
        self.rows.extend(rows)
        if len(self.rows) >= self.batch_rows:
            self._flush()

    def _table(self, rows: list[dict]) -> pd.DataFrame:
        raise NotImplementedError

    def _flush(self) -> None:
        first = self.n_batches == 0
        if not self.rows and not first:
            return
        df = self._table(self.rows)  # no rows at all: the typed empty table, so the files still appear
        self.rows = []
        self._write(df, first)
        self.n_batches += 1
        self.n_rows += len(df)

    def _write(self, df: pd.DataFrame, first: bool) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        df.to_csv(self._csv, index=False, header=first, lineterminator="\n")
        table = pa.Table.from_pandas(df, preserve_index=False)
        if self._schema is None:
            self._schema = table.schema
            self._parquet = pq.ParquetWriter(self.parquet_path, self._schema)
        self._parquet.write_table(table.cast(self._schema))

    def _close(self) -> None:
        if self._csv and not self._csv.closed:
            self._csv.close()
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None

    def _finish_files(self) -> None:
        """Write what is left and move NAME.csv and NAME.parquet into place."""
        self._flush()
        self._close()
        os.replace(self.csv_path, self.out_dir / f"{self.name}.csv")
        os.replace(self.parquet_path, self.out_dir / f"{self.name}.parquet")

    def finish(self) -> None:
        self._finish_files()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        self._done = True


class _FlagWriter(_TableStream):
    """Per-document flag rows (large-corpus mode) to flags.csv and flags.parquet.

    ``checks.flags_table`` sorts by file first and drops only exact duplicates (which share their file), so its
    table of each batch, one after the other, is its table of all the rows.
    """

    name = "flags"

    def _table(self, rows: list[dict]) -> pd.DataFrame:
        from countyfiscal.checks import flags_table

        return flags_table(rows)


class _FigureWriter(_TableStream):
    """Figure rows to figures.csv, figures.parquet and the dataset figures/fiscal_year=YYYY/part-NNNNN.parquet."""

    name = "figures"

    def __init__(self, out_dir: Path, batch_rows: int) -> None:
        super().__init__(out_dir, batch_rows)
        self.dataset_dir = self.tmp_dir / "figures"
        self.dataset_dir.mkdir()

    def _table(self, rows: list[dict]) -> pd.DataFrame:
        return frame("figures", rows).sort_values(FIGURE_SORT, kind="stable", na_position="last").reset_index(drop=True)

    def _write(self, df: pd.DataFrame, first: bool) -> None:
        super()._write(df, first)
        years = df["fiscal_year"]
        for year in sorted(years.dropna().unique()) + ([None] if years.isna().any() else []):
            part = df[years.isna()] if year is None else df[years == year]
            name = NA_PARTITION if year is None else str(int(year))
            folder = self.dataset_dir / f"fiscal_year={name}"
            folder.mkdir(exist_ok=True)
            part.drop(columns="fiscal_year").to_parquet(folder / f"part-{self.n_batches:05d}.parquet", index=False)

    def finish(self) -> None:
        """Write what is left and move the three outputs into place."""
        self._finish_files()
        target = self.out_dir / "figures"
        old = Path(tempfile.mkdtemp(prefix=".figures.old.", dir=self.out_dir)) if target.exists() else None
        try:
            if old is not None:
                os.replace(target, old / "figures")
            os.replace(self.dataset_dir, target)
        except BaseException:
            if old is not None:  # interrupted: the previous dataset goes back in place
                if (old / "figures").exists() and not target.exists():
                    os.replace(old / "figures", target)
                shutil.rmtree(old, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        self._done = True

    def finish_and_read(self) -> pd.DataFrame:
        """``finish``, then the whole figures table (for the in-memory checks, metrics and text mining)."""
        self.finish()
        return pd.read_parquet(self.out_dir / "figures.parquet")


def _downstream(figures: pd.DataFrame, documents: pd.DataFrame, texts: dict[str, str],
                checks: bool = True, doc_flags: list[dict] | None = None) -> dict[str, pd.DataFrame]:
    """Checks (unless ``checks`` is False), metrics and text mining over what was extracted; ``doc_flags`` are the
    flags raised while the documents were read (``Document.flags``), added to the checks' own."""
    from countyfiscal.checks import run_checks
    from countyfiscal.metrics import compute_metrics
    from countyfiscal.text import mine

    out = {"flags": run_checks(figures, documents, texts, extra=doc_flags)} if checks else {}
    out["metrics"] = compute_metrics(figures, documents, texts)
    out.update(mine(texts, documents))
    return out


def _map(fn, paths: list[Path], jobs: int):
    """fn over paths in order, lazily: in this process, or on ``jobs`` worker processes."""
    if jobs <= 1 or len(paths) < 2:
        for p in paths:
            yield fn(p)
        return
    # Small chunks keep both workers busy to the end; results come back in input order.
    chunksize = max(1, min(32, len(paths) // (jobs * 16) or 1))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(fn, paths, chunksize=chunksize)


def _write_log(out_dir: Path, errors: list[tuple[str, str]]) -> None:
    text = "".join(f"=== {name}\n{tb}\n" for name, tb in errors)
    _atomic(out_dir / "extract.log", lambda p: Path(p).write_text(text, encoding="utf-8"))
