"""Run the extraction over a raw folder: a row per entry in documents.csv, every figure in figures.csv, each document's
checks, statements and text mining computed where it is read, and only what needs the corpus done here, at the end.

A run is one output set (``countyfiscal.outputs``): written into a fresh folder beside ``--out`` and swapped in
whole, under a lock. Documents are read by worker processes (``countyfiscal.workers``: a crash, a time or memory
limit costs only that document) and their rows streamed to disk in input order, so memory does not grow with the
corpus and the outputs are the same for any ``--jobs``.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import heapq
import logging
import math
import os
import pickle
import re
import stat
import sys
import traceback
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from countyfiscal.fields import TABLES, columns, dtypes
from countyfiscal.outputs import OutputError, OutputSet
from countyfiscal.raw_folder import FORMULA_START, Entry, NotAFile, csv_cell, is_within, open_inside, scan
from countyfiscal.workers import Limits, report_pages

log = logging.getLogger("countyfiscal")

READABLE = ("ok", "partial")


class RunError(Exception):
    """The run could not start or finish at all (missing folder, unwritable output); str() is the sentence shown."""


@dataclass
class FileResult:
    document: dict
    figures: list[dict] = field(default_factory=list)
    text: str | None = None
    error: str = ""  # traceback of an unexpected failure, for the log file only
    text_key: str = ""  # fingerprint of the text when the text itself is not carried (in a worker's result)
    flags: list[tuple] | None = None  # this document's flags when checked in the worker (``checks.flag_records``)
    doc_flags: list[dict] = field(default_factory=list)  # flags raised while reading/extracting it (Document.flags)
    statements: list[dict] | None = None  # its statement rows (columns of the statements table), from the worker
    # its text mining (document_stats), from the worker; the parent gets it pickled (``encode_in_worker``): the
    # bytes go to the keyword pass's spill as they are, after it has counted what they hold
    text_stats: Any = None
    page_starts: list[int] = field(default_factory=list)  # of the Document (PDF), while in the worker
    # table -> (CSV bytes, typed columns) of this document's rows, encoded in the worker (``encode_in_worker``)
    encoded: dict[str, tuple[bytes, list[list]]] | None = None


def list_inputs(raw_dir: Path) -> list[Path]:
    """The files of raw_dir a run reads (see ``raw_folder.scan`` for what it lists without reading)."""
    return [Path(raw_dir) / os.fsdecode(e.rel) for e in scan(raw_dir) if e.is_input]


def _empty_document(name: str, data: bytes | None) -> dict:
    row = {c: "" for c in columns("documents")}
    row.update(file=name, sha256=hashlib.sha256(data).hexdigest() if data is not None else "")
    row.update(fiscal_year=None, pages=None, chars=None, n_figures=0)
    return row


def rejected(name: str, reason: str, sha256: str = "") -> FileResult:
    """A rejected row for an entry that was not (or could not be) read."""
    row = _empty_document(name, None)
    row.update(status="rejected", reason=reason, sha256=sha256)
    return FileResult(row)


def process_file(path: str | Path, name: str | None = None) -> FileResult:
    """Read, describe and extract one input (``name``: the ``file`` to record, default the file's name).
    Never raises: a failure becomes a rejected row with a reason. A symbolic link is not followed."""
    path = Path(path)
    name = name if name is not None else path.name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return rejected(name, f"could not be read ({exc.strerror or exc})")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return rejected(name, "not read: not a regular file")
        return _process_fd(fd, name, path)
    finally:
        os.close(fd)


def _read_fd(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _fd_path(fd: int, fallback: Path | None) -> Path | None:
    """A path naming the very file open as ``fd`` (Linux), for readers that open a PDF by path again."""
    p = Path(f"/proc/self/fd/{fd}")
    return p if p.exists() else fallback


def _report_pages(data: bytes) -> None:
    """Tell the pool how many pages a PDF has (its time limit grows with them) before reading it for long."""
    if not data.startswith(b"%PDF"):
        return
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            report_pages(len(pdf))
        finally:
            pdf.close()
    except Exception:  # noqa: BLE001 - the reader will say what is wrong with it
        pass


def _process_fd(fd: int, name: str, path: Path | None = None) -> FileResult:
    from countyfiscal.extract import extract_all
    from countyfiscal.ingest import limits, read_bytes
    from countyfiscal.metadata import describe
    from countyfiscal.model import RejectedInput

    try:
        size = os.fstat(fd).st_size
        if size > limits.MAX_FILE_BYTES:  # refused before it is read into memory
            return rejected(name, limits.too_large("file", size, limits.MAX_FILE_BYTES))
        data = _read_fd(fd)
    except OSError as exc:
        return rejected(name, f"could not be read ({exc.strerror or exc})")
    row = _empty_document(name, data)
    _report_pages(data)
    try:
        doc = read_bytes(data, name)  # the bytes just read (hashed above), not a second read of the file
    except RejectedInput as exc:
        row.update(status="rejected", reason=str(exc))
        return FileResult(row)
    except Exception:
        row.update(status="rejected", reason="could not be read: an unexpected error (see extract.log)")
        return FileResult(row, error=traceback.format_exc())
    del data
    row.update(format=doc.format, encoding=doc.encoding, pages=doc.n_pages, chars=len(doc.text))
    row["ocr_pages"] = _page_ranges(sorted(doc.ocr))  # pages read by OCR (ingest.ocr)
    try:
        meta = describe(doc.text, name)
        for key in ("doc_kind", "department", "jurisdiction", "province", "city", "county", "admin_code", "scope"):
            row[key] = meta.get(key) or ""
        row["fiscal_year"] = meta.get("fiscal_year")
        if not meta.get("is_disclosure", True):
            # A kind or year read off a page that is not a disclosure would only mislead: keep the names, drop those.
            row.update(status="rejected", reason=meta.get("not_disclosure_reason") or "not a fiscal disclosure",
                       doc_kind="", fiscal_year=None, scope="")
            return FileResult(row, text=doc.text)
        pdf_path = _fd_path(fd, path) if doc.format == "pdf" else None
        figures = extract_all(doc, row["doc_kind"], row["fiscal_year"], pdf_path=pdf_path)
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
    return FileResult(row, figures, doc.text, doc_flags=doc.flags, page_starts=doc.page_starts)


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


# ---------------------------------------------------------------------------------------------------------------
# The per-document work, in a worker


@dataclass(frozen=True)
class Job:
    """What a worker needs to read one entry of the raw folder (picklable, for process pools and dask)."""

    raw_dir: str
    rel: bytes
    name: str


def work(job: Job, checks: bool = True, text_mining: bool = True) -> FileResult:
    """Read one entry and do all of its own work: extraction; with ``checks`` its statements and flags; with
    ``text_mining`` its sections, themes and term counts. The text does not travel back, only its fingerprint."""
    try:
        fd = open_inside(job.raw_dir, job.rel)
    except NotAFile as exc:
        return rejected(job.name, f"not read: {exc.strerror}")
    except OSError as exc:
        return rejected(job.name, f"could not be read ({exc.strerror or exc})")
    try:
        res = _process_fd(fd, job.name)
    finally:
        os.close(fd)
    return encode_in_worker(finish_in_worker(res, checks, text_mining))


# The tables a worker encodes for its document (typing mode of each); figures sorted as the table is.
ENCODED = {"figures": "frame", "statements": "frame", "sections": "astype", "themes": "astype"}


@functools.lru_cache(maxsize=None)
def _encoder(table: str, mode: str):
    from countyfiscal.encode import Encoder

    return Encoder(table, mode)


def encode(table: str, rows: list, mode: str = "frame") -> tuple[bytes, list[list]]:
    """One document's rows of ``table`` as (CSV text without the header, UTF-8; typed columns): what the streams
    write (bytes travel from a worker without being decoded and encoded again in the parent).
    Figures are sorted by FIGURE_SORT (the table sorts by file first, so a document's sorted rows are in place)."""
    enc = _encoder(table, mode)
    cols = enc.columns_of(rows)
    if table == "figures" and len(cols[0]) > 1:
        keys = [cols[enc.names.index(c)] for c in FIGURE_SORT]
        # As sort_values(FIGURE_SORT, kind="stable", na_position="last"): a missing number after every number.
        order = sorted(range(len(cols[0])),
                       key=lambda i: tuple((k[i] is None, 0 if k[i] is None else k[i]) for k in keys))
        cols = [[col[i] for i in order] for col in cols]
    return enc.csv(cols, False, {c: csv_cell for c in NAME_COLUMNS if c in enc.names}).encode("utf-8"), cols


def _compact(table: str, csv_bytes: bytes, cols: list[list], mode: str | None = None) -> tuple[bytes, list[list] | int]:
    """What travels to the parent of a document's encoded rows: the CSV text, and the typed columns only when the
    text does not give them back (``Encoder.reads_back``); else their number of rows. The parent then builds the
    Parquet batch from the text, in C (``Encoder.from_csv``), instead of unpickling Python lists and converting them.
    ``mode``: the table's typing mode (default: ``ENCODED``'s)."""
    enc = _encoder(table, mode or ENCODED[table])
    return (csv_bytes, len(cols[0])) if enc.reads_back(cols, csv_bytes, NAME_COLUMNS) else (csv_bytes, cols)


def encode_in_worker(res: FileResult) -> FileResult:
    """Replace the rows a run streams (figures, statements, sections, themes) by their encoding, so the parent
    only appends: the work of typing and formatting them is spread over the workers. The text mining is pickled
    here, without its rows: the parent unpickles it to count it and spills these bytes for the keyword pass."""
    stats = res.text_stats
    rows = {"figures": res.figures, "statements": res.statements or [],
            "sections": list(stats.sections) if stats is not None else [],
            "themes": list(stats.themes) if stats is not None else []}
    res.encoded = {t: _compact(t, *encode(t, rows[t], ENCODED[t])) for t in ENCODED if rows[t]}
    res.figures, res.statements = [], None
    if stats is not None:  # what CorpusCounts.add counts of its theme rows stays
        res.text_stats = pickle.dumps(stats.without_theme_rows(), protocol=pickle.HIGHEST_PROTOCOL)
    return res


def finish_in_worker(res: FileResult, checks: bool = True, text_mining: bool = True) -> FileResult:
    """The per-document work after extraction; drops the text (keeps its fingerprint for duplicates)."""
    text, res.text = res.text, None
    if text is None:
        return res
    res.text_key = text_key(text)
    if res.document["status"] not in READABLE:
        return res
    if checks:
        from countyfiscal.audit.checks import check_document, document_statements, flag_records

        page_at = _page_at(res.page_starts)
        statements = document_statements(res.figures, text, res.document, page_at)
        # The "三公" zero-budget check runs over the corpus (a budget may be another document's), as run_checks does.
        # As records, sorted: the run's own process only merges them (documents come in file order).
        res.flags = flag_records(check_document(res.figures, res.document, text, page_at, statements=statements,
                                                execution_inputs=False) + res.doc_flags)
        res.statements = _statement_rows(res.document["file"], statements, res.page_starts)
    if text_mining:
        res.text_stats = _text().document_stats(text, res.document)
    res.page_starts = []
    return res


def _page_at(page_starts: list[int]):
    """offset -> 1-based page, as ``Document.page_at`` (None: a document without pages)."""
    if not page_starts:
        return None
    import bisect

    return lambda offset: None if offset is None else bisect.bisect_right(page_starts, offset)


def _statement_rows(file: str, statements: list[dict], page_starts: list[int]) -> list[dict]:
    """Rows of the statements table (``document_statements`` has set each one's page)."""
    return [{"file": file, **r} for r in statements]


def _text():
    """The text-mining module with the per-document interface (document_stats, CorpusCounts)."""
    from countyfiscal import text

    return text


def _init_worker(text_mining: bool) -> None:
    if text_mining:
        _text().init_worker()


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


# ---------------------------------------------------------------------------------------------------------------
# The run


# Rows are written in batches of at least this many (always whole documents), so memory stays flat.
BATCH_ROWS = 20_000
# The write buffer of the streamed CSV files and spills, in bytes.
WRITE_BUFFER = 1 << 20
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
    limits: Limits | None = None,
) -> dict:
    """Extract every entry of raw_dir into out_dir; returns counts. Raises RunError when it cannot run at all.

    Documents are read by ``jobs`` worker processes (0: in this process, without limits; or on the
    dask.distributed scheduler at address ``dask``) and everything they give is streamed to disk in input order:
    ``documents``, ``figures`` (+ the dataset ``figures/fiscal_year=YYYY/``), with ``checks`` ``flags``,
    ``statements`` and ``metrics``, with ``text_mining`` ``sections``, ``themes``, ``keywords`` and
    ``recurring_themes``, and ``extract.log``. Outputs do not depend on ``jobs`` or on the engine. ``limits``: per
    document, in the workers (default ``Limits()``).
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise RunError(f"the raw folder {raw_dir} does not exist")
    if is_within(out_dir, raw_dir):
        raise RunError(f"the output folder {out_dir} is inside the raw folder {raw_dir}: the next run would read "
                       "its outputs as disclosures; choose a folder outside it")
    if is_within(raw_dir, out_dir):
        raise RunError(f"the raw folder {raw_dir} is inside the output folder {out_dir}, which every run replaces; "
                       "choose another output folder")
    try:
        entries = scan(raw_dir)
    except OSError as exc:
        raise RunError(f"the raw folder {raw_dir} cannot be read: {exc.strerror or exc}") from None
    if not entries:
        raise RunError(f"the raw folder {raw_dir} holds nothing to read (no disclosures, only its own MANIFEST.csv "
                       "or .gitkeep, if any); the previous outputs are unchanged")
    if progress is None:
        progress = sys.stderr.isatty()
    try:
        with OutputSet(out_dir) as output:
            try:
                counts = _run(raw_dir, entries, output.path, jobs, progress, text_mining, checks, dask, batch_rows,
                              limits if limits is not None else Limits())
                output.publish()
            except OSError as exc:
                raise RunError(f"could not write the outputs into {out_dir} ({exc.strerror or exc}); "
                               "the previous outputs are unchanged") from None
    except OutputError as exc:
        raise RunError(str(exc)) from None
    return counts


def _results(raw_dir: Path, entries: list[Entry], jobs: int, text_mining: bool, checks: bool, dask: str | None,
             limits: Limits, freeze: bool = False) -> Iterator[FileResult]:
    """Each entry's FileResult in order: what is not read straight away, the files from the workers. The workers
    start now, before the first result is asked for (``close()`` stops them). ``freeze``: ``gc.freeze()`` what this
    process holds just before they fork, so that their collections do not walk it (each worker's first full
    collection took ≈ 40 ms of its first documents on 1,000 synthetic ones) nor copy the pages it sits on."""
    jobs_ = [Job(str(raw_dir), e.rel, e.name) for e in entries if e.is_input]
    worker = functools.partial(work, checks=checks, text_mining=text_mining)
    if dask:
        from countyfiscal.distributed import map_ordered

        done = map_ordered(worker, jobs_, dask, on_failure=functools.partial(_failed, raw_dir))
    elif jobs <= 0:
        _init_worker(text_mining)
        done = map(worker, jobs_)
    else:
        from countyfiscal.workers import imap

        # Built here once, before the workers are forked: each of them (and each replacement of a crashed one)
        # starts with the tokenizer's dictionary in place instead of building it again.
        _init_worker(text_mining)
        if freeze:
            gc.freeze()
        done = imap(worker, jobs_, jobs, limits=limits, on_failure=functools.partial(_failed, raw_dir))
    return _InEntryOrder(entries, done)


class _InEntryOrder:
    """The results of the files read, with the entries not read put in their places; ``close()`` stops the reading."""

    def __init__(self, entries: list[Entry], done: Iterator[FileResult]) -> None:
        self.entries, self.done = entries, done

    def __iter__(self) -> Iterator[FileResult]:
        for e in self.entries:
            yield next(self.done) if e.is_input else rejected(e.name, e.reason)

    def close(self) -> None:
        if hasattr(self.done, "close"):
            self.done.close()


def _failed(raw_dir: Path, job: Job, reason: str, tb: str) -> FileResult:
    """The row of a document whose worker crashed, ran out of time or memory, or raised."""
    sha = ""
    with contextlib.suppress(OSError):
        fd = open_inside(raw_dir, job.rel)
        try:
            h = hashlib.sha256()
            while chunk := os.read(fd, 1 << 20):
                h.update(chunk)
            sha = h.hexdigest()
        finally:
            os.close(fd)
    if tb:
        res = rejected(job.name, "could not be processed: an unexpected error (see extract.log)", sha)
        res.error = tb
        return res
    return rejected(job.name, reason, sha)


def _run(raw_dir: Path, entries: list[Entry], out: Path, jobs: int, progress: bool, text_mining: bool, checks: bool,
         dask: str | None, batch_rows: int, limits: Limits) -> dict:
    from tqdm import tqdm

    work_dir = out / ".work"  # spills of the corpus steps; deleted before the set is published
    work_dir.mkdir()
    counts: dict[str, int] = {}
    errors: list[tuple[str, str]] = []
    dupes = _DuplicateMarker()
    with contextlib.ExitStack() as stack:
        # What is alive from the workers' fork on lives to the end of the run (modules, the tokenizer, the lexicon,
        # the streams): frozen, the collector stops walking it at every full collection, in this process and in the
        # workers. (A caller that froze objects of its own keeps its collector as it is.)
        freeze = gc.get_freeze_count() == 0
        if freeze:
            stack.callback(gc.unfreeze)
        # The workers start first: they read while this process opens its streams.
        results = _results(raw_dir, entries, jobs, text_mining, checks, dask, limits, freeze)
        stack.callback(results.close)
        text = _text() if text_mining else None
        corpus = text.CorpusCounts() if text else None
        # Rows arrive in file order (the documents table's order) and each is final once its duplicates are known.
        documents = stack.enter_context(_RowStream(out, "documents", batch_rows))
        figures = stack.enter_context(_FigureWriter(out, batch_rows))
        flags = stack.enter_context(_FlagSpill(work_dir, batch_rows)) if checks else None
        statements = stack.enter_context(_RowStream(out, "statements", batch_rows)) if checks else None
        if text:
            sections = stack.enter_context(_RowStream(out, "sections", batch_rows, mode="astype"))
            themes = stack.enter_context(_RowStream(out, "themes", batch_rows, mode="astype"))
            keyword_spill = stack.enter_context(_Spill(work_dir / "keywords.spill"))
        bar = stack.enter_context(tqdm(total=len(entries), disable=not progress, unit="file", desc="extract"))
        # (The streams too; the results that stream through are freed by their reference counts.)
        if freeze:
            gc.freeze()
        for res in results:
            bar.update()
            dupes.mark(res)
            documents.add([res.document])
            counts[res.document["status"]] = counts.get(res.document["status"], 0) + 1
            if res.error:
                errors.append((res.document["file"], res.error))
            encoded = res.encoded or {}
            if "figures" in encoded:
                figures.add_encoded(*encoded["figures"])
            if res.document["status"] not in READABLE:
                continue
            if flags is not None and res.flags:
                flags.add(res.flags)
            if statements is not None and "statements" in encoded:
                statements.add_encoded(*encoded["statements"])
            if text and res.text_stats is not None:
                corpus.add(pickle.loads(res.text_stats))
                for table, stream in (("sections", sections), ("themes", themes)):
                    if table in encoded:
                        stream.add_encoded(*encoded[table])
                keyword_spill.add_pickled(res.text_stats)
        results.close()  # the reading workers go before the steps after reading fork theirs
        bar.close()
        documents.finish()
        figures.finish()
        n_flags = 0
        if freeze:  # the corpus counts too, from here (the steps after reading run in this process at --jobs 1)
            gc.freeze()
        # The corpus step (cross-document checks and metrics, by groups of departments) and the keyword pass (by
        # chunks of documents) do not need each other: their tasks go to one pool, so neither waits for the
        # other's last task.
        tasks: list[tuple[int, Any]] = []
        fns: list[Callable] = [None, None, None]
        if checks:
            statements.finish()
            table = pd.read_parquet(out / "documents.parquet")
            fns[0], groups = _corpus_plan(out, work_dir, table)
            tasks += [(0, i) for i in range(groups)]
        if text:
            sections.finish()
            themes.finish()
            keyword_spill.finish()
            # Pass 2 on forked processes that inherit the corpus counts: runs of documents, in order.
            fns[1] = functools.partial(_keyword_chunk, keyword_spill, corpus)
            tasks += [(1, chunk) for chunk in keyword_spill.chunks(math.gcd(KEYWORD_TASK, KEYWORD_CHUNK))]
            # The recurring themes need only the corpus counts: written by a task of the pool too (the last one).
            fns[2] = functools.partial(_recurring_themes, out, corpus)
            tasks.append((2, None))
        metrics = stack.enter_context(_MetricsWriter(out, batch_rows)) if checks else None
        keywords = stack.enter_context(_RowStream(out, "keywords", batch_rows, mode="astype")) if text else None
        # Keyword tasks are smaller than the chunks the keywords file is written in (the pool balances better);
        # their results reach the file a whole chunk at a time, so its row groups do not depend on KEYWORD_TASK.
        pending: list[tuple[str, list[list]]] = []
        done_docs = 0
        readable = sum(counts.get(status, 0) for status in READABLE)
        pool_jobs = jobs if readable >= POOL_MIN_DOCUMENTS else 1  # a small run's steps stay in this process
        # Closed as the loop ends, not when the generator is collected: a Ctrl-C or SIGTERM while its workers stop
        # would then be raised inside a finaliser, where Python drops the exception (the run went on and published).
        with contextlib.closing(_on_pool(functools.partial(_post_task, fns), tasks, pool_jobs)) as post:
            for (kind, item), result in zip(tasks, post):
                if kind == 0:
                    metrics.add(*result)
                    continue
                if kind == 2:
                    continue
                pending.append(result)
                done_docs += item[1]
                if done_docs % KEYWORD_CHUNK == 0 or done_docs == len(keyword_spill.offsets):
                    keywords.add_all(pending)
                    pending = []
        if checks:
            n_flags = flags.finish(out, metrics.finish())
            del table
        if text:
            keywords.finish()
    _write_log(out, errors)
    _remove_tree(work_dir)
    return {
        "files": documents.n_rows,
        "ok": counts.get("ok", 0),
        "partial": counts.get("partial", 0),
        "rejected": counts.get("rejected", 0),
        "duplicate": counts.get("duplicate", 0),
        "figures": figures.n_rows,
        "flags": n_flags,
    }


# Documents whose keyword rows reach the keywords files together (the files' batches end at chunk ends: changing it
# changes the Parquet file's row groups, not its rows).
KEYWORD_CHUNK = 500
# Readable documents from which the steps after reading go to a pool of `--jobs` forked processes; below it they run
# in the run's own process, since forking the pool costs more than sharing them saves. Measured at `--jobs 2` on
# synthetic corpora (benchmarks/synth.py), from the steps' start to the log: 120 documents 0.20 s in process, 0.26 s
# on the pool; 250 documents 0.42 s and 0.34 s. Which processes run them does not change the outputs.
POOL_MIN_DOCUMENTS = 200
# Documents per task of the keyword pass (its greatest common divisor with KEYWORD_CHUNK, so chunks end at task
# ends): tasks this size keep both processes of the pool busy to the end of the step.
KEYWORD_TASK = 125


def _post_task(fns: list[Callable], task: tuple[int, Any]):
    """A task of the steps after reading: ``fns[kind](item)`` (0: a group of the corpus step, 1: a keyword chunk,
    2: the recurring themes)."""
    kind, item = task
    return fns[kind](item)


def _recurring_themes(out: Path, corpus, _) -> None:
    """recurring_themes.csv/.parquet, from the corpus counts."""
    write_table(corpus.recurring_themes(), out, "recurring_themes")


def _keyword_chunk(spill: _Spill, corpus, chunk: tuple[int, int]) -> tuple[bytes, list[list] | int]:
    """The keyword rows of a chunk of spilled documents, encoded; the columns travel only when the text does not
    give them back (``_compact``: ≈ 80 rows a document, so the parent parses text instead of unpickling lists)."""
    rows = [r for stats in spill.read(*chunk) for r in corpus.keyword_rows(stats)]
    return _compact("keywords", *encode("keywords", rows, "astype"), mode="astype")


def _remove_tree(p: Path) -> None:
    import shutil

    shutil.rmtree(p, ignore_errors=True)


def run_check(processed: str | Path, raw_dir: str | Path) -> int:
    """Re-run the checks on an extraction: flags, statements and metrics of ``processed`` rewritten from its
    documents and figures and the texts of ``raw_dir`` (read as ``extract`` reads them: never outside the folder);
    the other tables are kept. Published as one set, like ``run_extract``. Returns the number of flags.

    Flags raised while a document was read or extracted (``Document.flags``) are kept from the current flags table
    where it says which they are (column ``origin``); otherwise those raised while reading are raised again."""
    processed, raw_dir = Path(processed), Path(raw_dir)
    for need in ("documents", "figures"):
        if not (processed / f"{need}.parquet").is_file() and not (processed / f"{need}.csv").is_file():
            raise RunError(f"{processed / (need + '.csv')} is missing; run `countyfiscal extract` first")
    if not raw_dir.is_dir():
        raise RunError(f"the raw folder {raw_dir} does not exist")
    try:
        with OutputSet(processed, start_from_current=True) as output:
            try:
                n = _check(raw_dir, output.path)
                output.publish()
            except OSError as exc:
                raise RunError(f"could not write the outputs into {processed} ({exc.strerror or exc}); "
                               "the previous outputs are unchanged") from None
    except OutputError as exc:
        raise RunError(str(exc)) from None
    return n


def _read_table(folder: Path, name: str) -> pd.DataFrame:
    """A table of an output folder, typed: from Parquet (true file names), else from the CSV."""
    if (folder / f"{name}.parquet").is_file():
        return pd.read_parquet(folder / f"{name}.parquet")
    raw = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
    return frame(name, raw.to_dict("records"))


def _int_or_none(value) -> int | None:
    return None if value is None or value is pd.NA or pd.isna(value) else int(value)


def _check(raw_dir: Path, out: Path) -> int:
    from countyfiscal.audit.checks import check_document, document_statements, flag_records
    from countyfiscal.extract import extract_all
    from countyfiscal.ingest import read_bytes
    from countyfiscal.model import RejectedInput
    from countyfiscal.raw_folder import read_inside

    documents = _read_table(out, "documents")
    figures = _read_table(out, "figures")
    # Flags raised while a document was read or extracted (origin "reading", where the table says) are kept: only
    # extract raises the extractor's; without that column, those raised while reading are raised again below.
    kept: dict[str, list[dict]] | None = None
    if (out / "flags.parquet").is_file():
        previous = pd.read_parquet(out / "flags.parquet")
        if "origin" in previous.columns:
            kept = {}
            for r in previous[previous["origin"] == "reading"].to_dict("records"):
                kept.setdefault(r["file"], []).append({k: (None if v is pd.NA else v) for k, v in r.items()})
    for name in ("flags", "statements", "metrics"):
        for suffix in (".csv", ".parquet"):
            (out / f"{name}{suffix}").unlink(missing_ok=True)  # hard links of the current set: replaced, not rewritten
    entries = {e.name: e for e in scan(raw_dir) if e.is_input}
    by_file = {f: g for f, g in figures.groupby("file", sort=True)}
    work_dir = out / ".work"
    work_dir.mkdir()
    with _FlagSpill(work_dir, BATCH_ROWS) as flags, _RowStream(out, "statements") as statements:
        for doc in documents.to_dict("records"):
            if doc["status"] not in READABLE:
                continue
            file = doc["file"]
            figs = by_file.get(file, figures.iloc[0:0])
            text, page_starts, read_flags = None, [], []
            entry = entries.get(file)
            if entry is not None:
                try:
                    read = read_bytes(read_inside(raw_dir, entry.rel), file)
                    if kept is None:
                        # No record of what extraction raised (an extract run with --no-checks): the flags raised
                        # while the figures were extracted (readings set aside, an OCR'd table that fails) are
                        # raised again by extracting once more; the figures themselves come from figures.csv.
                        extract_all(read, doc.get("doc_kind") or "", _int_or_none(doc.get("fiscal_year")))
                    text, page_starts, read_flags = read.text, read.page_starts, read.flags
                except (OSError, RejectedInput):
                    pass
            page_at = _page_at(page_starts)
            st = document_statements(figs, text, doc, page_at) if text is not None else None
            extra = kept.get(file, []) if kept is not None else read_flags
            flags.add(flag_records(check_document(figs, doc, text, page_at, statements=st, execution_inputs=False)
                                   + extra))
            if st:
                statements.add(_statement_rows(file, st, page_starts))
        statements.finish()
        n = flags.finish(out, _corpus_step(out, work_dir, documents, BATCH_ROWS))
    _remove_tree(work_dir)
    return n


# ---------------------------------------------------------------------------------------------------------------
# The corpus step: cross-document checks and metrics, one group of departments at a time


def _corpus_step(out: Path, work_dir: Path, documents: pd.DataFrame, batch_rows: int, jobs: int = 1) -> list[Path]:
    """Cross-document flags and the "三公" zero-budget check (spilled, one sorted Parquet file per group of
    departments: the paths are returned), and metrics.csv/.parquet (written); see ``_corpus_plan``."""
    task, groups = _corpus_plan(out, work_dir, documents)
    with _MetricsWriter(out, batch_rows) as metrics:
        for result in _on_pool(task, range(groups), jobs):
            metrics.add(*result)
        return metrics.finish()


def _corpus_plan(out: Path, work_dir: Path, documents: pd.DataFrame) -> tuple[Callable, int]:
    """The corpus step as (task, number of groups): ``task(i)`` gives group i's (flag spill or None, metrics).

    Both only ever compare a department's documents with each other, so the departments are taken in sorted
    groups, on ``jobs`` forked processes: the figures and statements of a group are routed to a file of their own
    in one pass over each table, never held whole. A group weighs at most DEPARTMENT_BATCH_ROWS figure rows counted
    once per document of their department (the cross-document check compares documents pairwise), so memory stays
    bounded however the corpus is made; the groups do not depend on ``jobs``, so neither do the outputs."""
    readable = documents[documents["status"].isin(READABLE) & (documents["department"].fillna("") != "")]
    departments: dict[tuple[str, str], list[str]] = {}
    n_rows: dict[tuple[str, str], int] = {}
    for file, jurisdiction, department, n in zip(readable["file"], readable["jurisdiction"].fillna(""),
                                                readable["department"], readable["n_figures"].fillna(0)):
        key = (str(jurisdiction), str(department))
        departments.setdefault(key, []).append(file)
        n_rows[key] = n_rows.get(key, 0) + int(n)
    groups: list[list[tuple[str, str]]] = [[]]
    size = 0
    for key in sorted(departments):
        weight = n_rows[key] * len(departments[key])
        if groups[-1] and size + weight > DEPARTMENT_BATCH_ROWS:
            groups.append([])
            size = 0
        groups[-1].append(key)
        size += weight
    group_of = {f: i for i, g in enumerate(groups) for key in g for f in departments[key]}
    for name in ("figures", "statements"):
        _route(out / f"{name}.parquet", group_of, work_dir, name)
    files = [sorted(f for key in g for f in departments[key]) for g in groups]
    return functools.partial(_corpus_group, out, work_dir, documents, files), len(groups) if group_of else 0


class _MetricsWriter:
    """The corpus step's results in group order: metrics to metrics.csv/.parquet, flag spills collected."""

    def __init__(self, out: Path, batch_rows: int) -> None:
        self.metrics = _FrameStream(out, "metrics", batch_rows)
        self.spills: list[Path] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.metrics._close()

    def add(self, spill: Path | None, m: pd.DataFrame, text: str) -> None:
        """A group's flag spill, metrics and the metrics' ``csv_text``."""
        if spill is not None:
            self.spills.append(spill)
        if len(m):
            self.metrics.add(m, text)

    def finish(self) -> list[Path]:
        """Write the rest; the flag spills, in group order."""
        from countyfiscal.analysis.metrics import empty_metrics

        if self.metrics.n_rows == 0:
            self.metrics.add(empty_metrics())
        self.metrics.finish()
        return self.spills


# Departments' figure rows per group of the corpus step (times the documents of each department).
DEPARTMENT_BATCH_ROWS = 20_000


def _on_pool(fn, items, jobs: int) -> Iterator:
    """``fn`` over items in order: in this process, or on ``jobs`` freshly forked processes (which see everything
    this process holds now). A task that fails there fails the run, as it would here."""
    items = list(items)
    if jobs <= 1 or len(items) < 2:
        yield from map(fn, items)
        return
    from countyfiscal.workers import NO_LIMITS, imap

    def failed(item, reason, tb):
        raise RuntimeError(f"a task of the corpus step failed: {reason}\n{tb}")

    with contextlib.closing(imap(fn, items, jobs, limits=NO_LIMITS, on_failure=failed)) as done:
        yield from done


def _corpus_group(out: Path, work_dir: Path, documents: pd.DataFrame, files: list[list[str]],
                  i: int) -> tuple[Path | None, pd.DataFrame, str]:
    """One group's corpus flags (a sorted Parquet spill, or None), metrics and their ``csv_text``."""
    import pyarrow.parquet as pq

    from countyfiscal.audit.checks import check_cross_document, check_execution_inputs, flag_records
    from countyfiscal.analysis.metrics import compute_metrics

    figures, statements = (_group_rows(out / f"{name}.parquet", work_dir, name, i) for name in ("figures", "statements"))
    docs = documents[documents["file"].isin(files[i])]
    flags = check_cross_document(figures, docs) + check_execution_inputs(figures, docs)
    spill = None
    if flags:
        spill = work_dir / f"corpus-flags-{i:05d}.parquet"
        pq.write_table(_flags_arrow(flag_records(flags)), spill)
    metrics = compute_metrics(figures, docs, statements=statements)
    return spill, metrics, csv_text(metrics)


def _route(path: Path, group_of: dict[str, int], work_dir: Path, name: str) -> None:
    """The rows of the table at ``path`` (sorted by file) split into one Arrow file per group, in one pass."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    writers: dict[int, Any] = {}
    pf = pq.ParquetFile(path)
    files = pa.array(list(group_of), type=pf.schema_arrow.field("file").type)
    group_ids = pa.array(list(group_of.values()), type=pa.int32())
    try:
        for batch in pf.iter_batches(batch_size=65_536):
            # Each row's group (null: a file in none), its rows put together by a stable sort: a group's rows
            # keep their order, and the batch is sorted once rather than scanned once per group.
            ids = pc.take(group_ids, pc.index_in(batch.column(batch.schema.get_field_index("file")), value_set=files))
            order = pc.sort_indices(ids)  # stable; the nulls last
            runs = pc.run_end_encode(pc.take(ids, order))
            start = 0
            for g, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist()):
                if g is not None:
                    if g not in writers:
                        writers[g] = pa.ipc.new_stream(str(work_dir / f"{name}-{g:05d}.arrow"), batch.schema)
                    writers[g].write_batch(batch.take(order[start:end]))
                start = end
    finally:
        for w in writers.values():
            w.close()


def _group_rows(path: Path, work_dir: Path, name: str, g: int) -> pd.DataFrame:
    """A group's rows of a table (as pd.read_parquet gives them; the typed empty table when it has none)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = work_dir / f"{name}-{g:05d}.arrow"
    if not p.exists():
        return pq.read_schema(path).empty_table().to_pandas()
    with pa.ipc.open_stream(str(p)) as reader:
        table = reader.read_all()
    p.unlink()
    return table.to_pandas()


# ---------------------------------------------------------------------------------------------------------------
# Duplicates


def _as_duplicate(res: FileResult, original: str, how: str) -> None:
    res.document.update(status="duplicate", reason=f"duplicate of {original} ({how})", duplicate_of=original,
                        n_figures=0)
    res.figures = []
    res.flags = None
    res.doc_flags = []
    res.statements = None
    res.text_stats = None
    res.encoded = None


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
        if key and doc["status"] in READABLE:
            if key in self.seen_text:
                _as_duplicate(res, self.seen_text[key], "same text")
                return
            self.seen_text[key] = doc["file"]


# ---------------------------------------------------------------------------------------------------------------
# Tables and their files


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


# Columns holding file names: neutralised in the CSV outputs where a spreadsheet would run them as a formula.
NAME_COLUMNS = ("file", "duplicate_of", "inputs")


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every file-name cell that starts with =, +, - or @ prefixed by ' (``raw_folder.csv_cell``)."""
    out = df
    for c in NAME_COLUMNS:
        if c in df.columns and len(df):
            col = df[c]
            hit = col.astype(str).str.startswith(FORMULA_START)
            if hit.any():
                if out is df:
                    out = df.copy()
                out[c] = col.where(~hit, col[hit].map(csv_cell))
    return out


def _to_csv(df: pd.DataFrame, target, header: bool = True) -> None:
    csv_safe(df).to_csv(target, index=False, header=header, encoding="utf-8", lineterminator="\n")


def csv_text(df: pd.DataFrame) -> str:
    """The CSV lines ``_to_csv`` writes for the rows of ``df``, without the header (each row's text depends on that
    row only: a table's text is its frames' texts one after another)."""
    return csv_safe(df).to_csv(index=False, header=False, lineterminator="\n")


def write_table(df: pd.DataFrame, out_dir: Path, name: str, parquet: bool = True) -> None:
    """Write name.csv (file names made safe for spreadsheets) and name.parquet (names as they are) into out_dir."""
    _to_csv(df, out_dir / f"{name}.csv")
    if parquet:
        df.to_parquet(out_dir / f"{name}.parquet", index=False)


class _TableStream:
    """Rows streamed in batches, whole documents at a time and in input order, to NAME.csv and NAME.parquet of the
    (unpublished) output folder. ``_table`` makes a batch a table sorted by file first, so batch after batch is
    the whole table in order."""

    def __init__(self, out_dir: Path, name: str, batch_rows: int = BATCH_ROWS) -> None:
        self.out_dir = out_dir
        self.name = name
        self.batch_rows = batch_rows
        self.rows: list[dict] = []
        self.n_batches = 0
        self.n_rows = 0
        self.csv_path = out_dir / f"{name}.csv"
        self.parquet_path = out_dir / f"{name}.parquet"
        self._csv = open(self.csv_path, "w", encoding="utf-8", newline="")
        self._parquet = None
        self._schema = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._close()

    def add(self, rows: list[dict]) -> None:
        """Rows of one file (files must come in sorted order, so batch-wise sorting sorts the whole table)."""
        self.rows.extend(rows)
        if len(self.rows) >= self.batch_rows:
            self._flush()

    def _table(self, rows: list[dict]) -> pd.DataFrame:
        return frame(self.name, rows)

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
        _to_csv(df, self._csv, header=first)
        self._write_parquet(df)

    def _write_parquet(self, df: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

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

    def finish(self) -> None:
        self._flush()
        self._close()


class _RowStream:
    """Rows of one table (dicts, or tuples in its column order), whole documents at a time and in input order,
    written in batches of ``batch_rows`` to NAME.csv and NAME.parquet without DataFrames (``encode.Encoder``:
    the bytes pandas would write). ``mode``: "frame" as ``frame`` types rows, "astype" as the text tables do."""

    def __init__(self, out_dir: Path, name: str, batch_rows: int = BATCH_ROWS, mode: str = "frame") -> None:
        from countyfiscal.encode import Encoder

        self.out_dir = out_dir
        self.name = name
        self.batch_rows = batch_rows
        self.encoder = Encoder(name, mode)
        self.started = False  # the header written
        # The batch being gathered: each document's (CSV text, its columns or its number of rows), and its rows.
        self.pieces: list[tuple[bytes, list[list] | int]] = []
        self.pending = 0
        self.n_batches = 0
        self.n_rows = 0
        # UTF-8, as ``encode`` gives it. A document's text (5-20 KB a table) is larger than the default buffer; with
        # 1 MB the writes cost half the CPU (four tables of 1,000 synthetic documents' sizes: 36 -> 17 ms).
        self._csv = open(out_dir / f"{name}.csv", "wb", buffering=WRITE_BUFFER)
        self._parquet = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def add(self, rows) -> None:
        """Rows of whole documents, in file order."""
        self.add_encoded(*encode(self.name, list(rows), self.encoder.mode))

    def add_encoded(self, csv_bytes: bytes, cols: list[list] | int) -> None:
        """One document's rows as ``encode`` made them (in a worker): the CSV text goes to the file now, the rows
        to the Parquet file with the batch. ``cols``: their typed columns (which the stream then owns), or
        (``_compact``) their number of rows when the text gives the columns back."""
        self._add(csv_bytes, cols)
        if self.pending >= self.batch_rows:
            self._flush()

    def add_all(self, encoded: list[tuple[bytes, list[list] | int]]) -> None:
        """Several ``add_encoded`` pieces in order, the batch ending (when full) after the last of them only: a
        keyword chunk's tasks reach the files together, so their row groups do not depend on the task size."""
        for csv_bytes, cols in encoded:
            self._add(csv_bytes, cols)
        if self.pending >= self.batch_rows:
            self._flush()

    def _add(self, csv_bytes: bytes, cols: list[list] | int) -> None:
        self._start()
        self._csv.write(csv_bytes)
        if isinstance(cols, int):
            self.pieces.append((csv_bytes, cols))
            self.pending += cols
        else:
            # Columns join the previous document's when it sent columns too (these lists are the stream's now):
            # one conversion for the run, not one small table per document (the documents table's one row each).
            last = self.pieces[-1][1] if self.pieces else None
            if isinstance(last, list):
                for mine, theirs in zip(last, cols):
                    mine.extend(theirs)
            else:
                self.pieces.append((b"", cols))  # (its text is not needed again)
            self.pending += len(cols[0])

    def _start(self) -> None:
        if not self.started:
            self._csv.write(self.encoder.header)
            self.started = True

    def _flush(self) -> None:
        self._start()
        if not self.pending and self.n_batches:
            return
        pieces, n, self.pieces, self.pending = self.pieces, self.pending, [], 0
        self._write(self._table(pieces))  # no rows at all: the typed empty table, so the files appear
        self.n_batches += 1
        self.n_rows += n

    def _table(self, pieces: list[tuple[bytes, list[list] | int]]):
        """The batch's Arrow table, as ``Encoder.arrow`` would make it of all its columns: each run of documents
        sent as text read in one go, the others' columns converted."""
        import pyarrow as pa

        enc = self.encoder
        tables, texts, n = [], [], 0
        for csv_bytes, cols in pieces:
            if isinstance(cols, int):
                texts.append(csv_bytes)
                n += cols
                continue
            if texts:
                tables.append(enc.from_csv(texts, n))
                texts, n = [], 0
            tables.append(enc.arrow(cols))
        if texts:
            tables.append(enc.from_csv(texts, n))
        if len(tables) == 1:
            return tables[0]
        return pa.concat_tables(tables).combine_chunks() if tables else enc.arrow([[] for _ in enc.names])

    def _write(self, table):
        """Write a batch's Arrow table to the Parquet file."""
        import pyarrow.parquet as pq

        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.out_dir / f"{self.name}.parquet", self.encoder.schema)
        self._parquet.write_table(table)

    def _close(self) -> None:
        if not self._csv.closed:
            self._csv.close()
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None

    def finish(self) -> None:
        self._flush()
        self._close()


class _FrameStream(_TableStream):
    """Frames already typed and sorted (department groups'), each with its ``csv_text`` (made where the frame was:
    on the pool's processes). The text goes to NAME.csv as it comes; the rows go to NAME.parquet in batches of
    ``batch_rows`` rows, so the files do not depend on how the rows were split into frames."""

    def __init__(self, out_dir: Path, name: str, batch_rows: int = BATCH_ROWS) -> None:
        super().__init__(out_dir, name, batch_rows)
        self.frames: list[pd.DataFrame] = []
        self.pending = 0
        self.started = False  # the header written

    def add(self, df: pd.DataFrame, text: str | None = None) -> None:  # type: ignore[override]
        """A frame and its ``csv_text`` (None: made here)."""
        if not self.started:
            _to_csv(df.iloc[:0], self._csv)
            self.started = True
        self._csv.write(csv_text(df) if text is None else text)
        self.frames.append(df)
        self.pending += len(df)
        self.n_rows += len(df)
        if self.pending >= self.batch_rows:
            self._flush()

    def _flush(self, last: bool = False) -> None:
        """Whole batches of ``batch_rows`` rows (and, ``last``, the rest): the files do not depend on the frames."""
        if not self.frames:
            return
        df = self.frames[0] if len(self.frames) == 1 else pd.concat(self.frames, ignore_index=True)
        while len(df) >= self.batch_rows or (last and len(df)):
            self._write(df.iloc[:self.batch_rows].reset_index(drop=True), self.n_batches == 0)
            self.n_batches += 1
            df = df.iloc[self.batch_rows:]
        self.frames, self.pending = ([df] if len(df) else []), len(df)

    def _write(self, df: pd.DataFrame, first: bool) -> None:
        self._write_parquet(df)  # (its text is in the file already)

    def finish(self) -> None:
        if not self.started:
            self.add(frame(self.name, []))
        if self.n_batches == 0 and self.pending == 0:
            self._write(self.frames[0], True)  # an empty table: its schema
            self.n_batches = 1
            self.frames = []
        self._flush(last=True)
        self._close()


class _FigureWriter(_RowStream):
    """Figure rows to figures.csv, figures.parquet and the dataset figures/fiscal_year=YYYY/part-NNNNN.parquet
    (each document's rows sorted by ``encode``; the table sorts by file first, so they are the table in order)."""

    def __init__(self, out_dir: Path, batch_rows: int) -> None:
        from countyfiscal.encode import Encoder

        super().__init__(out_dir, "figures", batch_rows)
        self.dataset_dir = out_dir / "figures"
        self.dataset_dir.mkdir()
        self.partition = Encoder("figures", names=[c for c in columns("figures") if c != "fiscal_year"])

    def _write(self, table) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        super()._write(table)
        # Each year's rows of the batch, in order, without the year (the partition's schema, pandas' metadata too).
        rest = table.drop_columns(["fiscal_year"])
        year_col = table.column("fiscal_year")
        years = sorted(pc.unique(year_col).drop_null().to_pylist())
        for year in years + ([None] if year_col.null_count else []):
            name = NA_PARTITION if year is None else str(year)
            folder = self.dataset_dir / f"fiscal_year={name}"
            folder.mkdir(exist_ok=True)
            part = rest.filter(pc.is_null(year_col) if year is None else pc.equal(year_col, year))
            pq.write_table(pa.Table.from_arrays(part.columns, schema=self.partition.schema),
                           folder / f"part-{self.n_batches:05d}.parquet")
        return table


class _FlagSpill:
    """Per-document flags (``checks.flag_records`` of each document, documents in file order: the records in
    ``flags_table``'s order), spilled in batches to a Parquet file of the work folder; ``finish`` merges them with
    the corpus step's flags into flags.csv/.parquet, as ``checks.run_checks`` would sort and de-duplicate the lot,
    without holding them all."""

    def __init__(self, work_dir: Path, batch_rows: int) -> None:
        self.path = work_dir / "flags.spill.parquet"
        self.batch_rows = batch_rows
        self.rows: list[tuple] = []
        self._writer = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def add(self, records: list[tuple]) -> None:
        """One document's ``flag_records``."""
        self.rows.extend(records)
        if len(self.rows) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        import pyarrow.parquet as pq

        if not self.rows:
            return
        table = _flags_arrow(self.rows)
        self.rows = []
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)

    def finish(self, out: Path, corpus_spills: list[Path]) -> int:
        """Write flags.csv/.parquet: the spilled rows and those of ``corpus_spills`` (sorted Parquet files of the
        corpus step), merged in flags_table's order and de-duplicated as it does; the row count."""
        from countyfiscal.audit.checks import FLAG_ORDER

        last, self.rows = self.rows, []  # not spilled: they join the merge as they are
        self.__exit__()
        specs = TABLES["flags"]
        names = [f.name for f in specs]
        order = [names.index(c) for c in FLAG_ORDER]
        ints = {i for i, f in enumerate(specs) if f.dtype == "Int64"}

        def key(rec: tuple) -> tuple:
            # A missing year sorts last, as pandas' na_position="last" (checks.flags_table's order).
            return tuple((rec[i] is None, rec[i] or 0) if i in ints else rec[i] for i in order)

        # Written as the streams of the reading are (``encode``: the bytes pandas writes, at a fraction of the cost
        # of a DataFrame); its "frame" typing is flags_table's, whose texts are never missing. No flags at all: the
        # typed empty table of ``checks.empty_flags``, as before.
        writer: _RowStream | _RecordStream | None = None
        last_key, seen, batch = None, set(), []
        # Ties keep run_checks' order: a document's own flags first, then the corpus step's.
        sources = [_records_of(self.path, names), last] + [_records_of(p, names) for p in corpus_spills]
        for rec in heapq.merge(*sources, key=key):
            k = key(rec)
            if k != last_key:
                last_key, seen = k, set()
            if rec in seen:
                continue
            seen.add(rec)
            batch.append(rec)
            if len(batch) == self.batch_rows:  # (one row group a batch, as batch_rows makes them)
                writer = _add_flags(writer, out, batch, self.batch_rows)
                batch = []
        if batch:
            writer = _add_flags(writer, out, batch, self.batch_rows)
        writer = writer or _RecordStream(out, "flags", self.batch_rows)
        writer.finish()
        for p in [self.path, *corpus_spills]:
            p.unlink(missing_ok=True)
        return writer.n_rows


def _flags_arrow(records: list[tuple]):
    """Flag records (``checks.flag_records``, at least one) as an Arrow table of a spill (read back by
    ``_records_of``)."""
    import pyarrow as pa

    specs = TABLES["flags"]
    return pa.Table.from_arrays([pa.array(col, type=pa.int64() if f.dtype == "Int64" else pa.string())
                                 for f, col in zip(specs, zip(*records))], names=[f.name for f in specs])


def _add_flags(writer: _RowStream | None, out: Path, batch: list[tuple], batch_rows: int) -> _RowStream:
    """A batch of flag records (``batch_rows``, or the last ones) added to the flags' stream, opened by the first."""
    writer = writer or _RowStream(out, "flags", batch_rows)
    writer.add(batch)
    return writer


def _records_of(path: Path, names: list[str]) -> Iterator[tuple]:
    """The rows of a Parquet file as tuples of ``names`` (None for a missing value), batch by batch."""
    import pyarrow.parquet as pq

    if not path.exists():
        return
    for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536, columns=names):
        yield from zip(*(batch.column(i).to_pylist() for i in range(len(names))))


class _RecordStream(_TableStream):
    """Records (tuples in the table's column order, already typed) written in batches."""

    def add(self, rec: tuple) -> None:  # type: ignore[override]
        self.rows.append(rec)
        if len(self.rows) >= self.batch_rows:
            self._flush()

    def _table(self, rows: list[tuple]) -> pd.DataFrame:
        if not rows and self.name == "flags":
            from countyfiscal.audit.checks import empty_flags

            return empty_flags()
        specs = TABLES[self.name]
        cols = list(zip(*rows)) if rows else [[] for _ in specs]
        return pd.DataFrame({f.name: pd.array(list(col), dtype="Int64" if f.dtype == "Int64" else str)
                             for f, col in zip(specs, cols)})


class _Spill:
    """Objects pickled one after another to a file of the work folder, read back in order (not compressed: zlib
    cost the parent more than the disk it saved, a few KB a document that the run deletes at its end)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = open(path, "wb", buffering=WRITE_BUFFER)
        self.offsets: list[int] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.finish()

    def add_pickled(self, data: bytes) -> None:
        """An object, pickled already (``pickle.loads`` reads it back)."""
        self.offsets.append(self._fh.tell())
        self._fh.write(len(data).to_bytes(8, "little"))
        self._fh.write(data)

    def chunks(self, size: int) -> list[tuple[int, int]]:
        """(offset, count) of consecutive runs of ``size`` objects."""
        return [(self.offsets[i], min(size, len(self.offsets) - i)) for i in range(0, len(self.offsets), size)]

    def read(self, offset: int, count: int) -> Iterator:
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            for _ in range(count):
                head = fh.read(8)
                yield pickle.loads(fh.read(int.from_bytes(head, "little")))

    def finish(self) -> None:
        if not self._fh.closed:
            self._fh.close()


def _write_log(out_dir: Path, errors: list[tuple[str, str]]) -> None:
    text = "".join(f"=== {name}\n{tb}\n" for name, tb in errors)
    (out_dir / "extract.log").write_text(text, encoding="utf-8")
