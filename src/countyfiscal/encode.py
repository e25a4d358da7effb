"""Rows to CSV text and Arrow tables, byte for byte as pandas writes the typed table of them, without building one.

The streamed outputs (figures, statements, text tables) are written a batch at a time; a DataFrame per batch cost
the run's own process a few microseconds per cell — more than a worker spends reading the document. ``Encoder``
does the same conversions in plain Python: ``"frame"`` mode as ``pipeline.frame`` (a missing text becomes "",
numbers are coerced), ``"astype"`` mode as ``DataFrame(rows, columns).astype(dtypes)`` (a missing text stays
missing). The Arrow schema, pandas metadata included, is the one pandas gives the typed table, so Parquet files are
the same bytes too (tests/test_encode.py compares both ways on real rows).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from countyfiscal.fields import TABLES, columns, dtypes
from countyfiscal.raw_folder import FORMULA_START


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _int(v):
    if _missing(v) or v == "":
        return None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            try:
                v = float(v)
            except ValueError:
                return None
    f = float(v)
    if math.isnan(f):
        return None
    if not f.is_integer():
        raise ValueError(f"{v!r} is not an integer")
    return int(f)


def _float(v) -> float:
    if _missing(v) or v == "":
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _bool(v):
    return {True: True, False: False, "True": True, "False": False}.get(v) if not _missing(v) else None


def _text_frame(v) -> str:
    return "" if _missing(v) else v if type(v) is str else str(v)


def _text_astype(v):
    return None if _missing(v) else v if type(v) is str else str(v)


# The Python type a column's values have when they need no conversion (text columns: str).
_EXACT = {"float64": float, "Int64": int}
_NOT_TEXT = ("float64", "Int64", "boolean")


@functools.lru_cache(maxsize=1)
def _csv_parse():
    import pyarrow.csv as pcsv

    # csv.writer's quoting (a field holding a comma, quote or line break is quoted, quotes doubled); an empty line
    # is an error, not a row skipped.
    return pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False)


class Encoder:
    """The columns of one output table (``names``: a subset, in order; default all), typed as pandas would."""

    def __init__(self, table: str, mode: str = "frame", names: Sequence[str] | None = None) -> None:
        specs = {f.name: f.dtype for f in TABLES[table]}
        self.table = table
        self.mode = mode
        self.names = list(names) if names is not None else columns(table)
        text = _text_frame if mode == "frame" else _text_astype
        self.convert = [{"Int64": _int, "float64": _float, "boolean": _bool}.get(specs[n], text) for n in self.names]
        self.kinds = [specs[n] for n in self.names]
        self.schema = _schema(table, mode, tuple(self.names))
        every = columns(table)
        self._index = [every.index(n) for n in self.names]  # where each column sits in a row tuple
        self._all = self.names == every

    def columns_of(self, rows: Iterable) -> list[list]:
        """Rows (dicts, or tuples in the table's full column order) as typed column lists."""
        rows = list(rows)
        if rows and isinstance(rows[0], dict):
            raw = [[r.get(n) for r in rows] for n in self.names]
        elif rows and self._all:
            raw = [list(col) for col in zip(*rows)]  # rows are tuples of every column: transposed in C
        else:
            raw = [[r[i] for r in rows] for i in self._index]
        return [self._typed(col, kind, conv) for col, kind, conv in zip(raw, self.kinds, self.convert)]

    def _typed(self, col: list, kind: str, conv) -> list:
        # Values already of the column's type pass without a call (almost all of them): a float NaN stays NaN
        # (missing in both files), an int stays (a bool is not an int here: it becomes 0/1 through conv). A column
        # whose values are all of its type is kept as it is (one pass in C tells).
        if kind == "boolean":
            return [conv(v) for v in col]
        exact = _EXACT.get(kind, str)
        if set(map(type, col)) <= {exact}:
            return col
        return [v if v.__class__ is exact else conv(v) for v in col]

    def csv(self, cols: list[list], header: bool, cell=None) -> str:
        """CSV text of the columns, as ``DataFrame.to_csv(index=False, lineterminator="\\n")`` writes them;
        ``cell``: name -> function applied to that column's text (file names made safe for spreadsheets)."""
        texts = []
        for name, kind, col in zip(self.names, self.kinds, cols):
            if kind == "float64":
                texts.append(["" if math.isnan(v) else repr(v) for v in col])
            elif kind in ("Int64", "boolean"):
                texts.append(list(map(str, col)) if None not in col else ["" if v is None else str(v) for v in col])
            else:
                t = col if None not in col else ["" if v is None else v for v in col]
                if cell and name in cell:
                    made = {v: cell[name](v) for v in set(t)}  # a document's rows repeat its file name
                    t = [made[v] for v in t]
                texts.append(t)
        rows = [self.names] if header else []
        rows.extend(zip(*texts))
        if len(self.names) > 1:
            # No field holds a comma, quote or line break (almost always): the csv module would write every field
            # as it is, so join them. The counts tell: one comma fewer than fields per row, one newline per row.
            fast = "".join([",".join(r) + "\n" for r in rows])
            if (fast.count(",") == len(rows) * (len(self.names) - 1) and fast.count("\n") == len(rows)
                    and '"' not in fast and "\r" not in fast):
                return fast
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue()

    def arrow(self, cols: list[list]):
        import pyarrow as pa

        # As pa.Table.from_pandas: a float NaN becomes a null.
        arrays = [pa.array(col, type=field.type, from_pandas=kind == "float64")
                  for col, field, kind in zip(cols, self.schema, self.kinds)]
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def reads_back(self, cols: list[list], text: bytes, cell_columns: Iterable[str] = ()) -> bool:
        """Whether ``from_csv`` of these columns' CSV ``text`` gives them back, so that only the text need travel:
        not when a field holds a carriage return (the csv module leaves it unquoted, a CSV reader ends the line
        there), when a text is missing in "astype" mode (it is written "", as an empty text is) or when a column of
        ``cell_columns`` holds a value ``csv``'s ``cell`` function would change (a file name that starts like a
        formula)."""
        if b"\r" in text:
            return False
        for name, kind, col in zip(self.names, self.kinds, cols):
            if kind in _NOT_TEXT:
                continue
            if self.mode != "frame" and None in col:
                return False
            if name in cell_columns and any(v.startswith(FORMULA_START) for v in set(col)):
                return False
        return True

    def from_csv(self, texts: list[bytes], n_rows: int):
        """The Arrow table (``arrow``'s) of rows whose CSV text ``csv`` wrote (UTF-8, without the header) and which
        read back (``reads_back``): parsed in C rather than built from Python objects. ``n_rows``: how many rows the
        texts hold (a different count raises)."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        data = b"".join([self.header, *texts])
        read = pcsv.ReadOptions(use_threads=False, block_size=max(1 << 20, min(len(data) + 1, 2**31 - 1)))
        table = pcsv.read_csv(pa.BufferReader(data), read_options=read, parse_options=_csv_parse(),
                              convert_options=self._csv_convert)
        if table.num_rows != n_rows:
            raise ValueError(f"the {self.table} rows read back from their CSV text are {table.num_rows}, not {n_rows}")
        return pa.Table.from_arrays(table.combine_chunks().columns, schema=self.schema)

    @functools.cached_property
    def header(self) -> bytes:
        """The CSV header line, UTF-8."""
        return self.csv([[] for _ in self.names], True).encode("utf-8")

    @functools.cached_property
    def _csv_convert(self):
        import pyarrow.csv as pcsv

        # Only "" is missing, and only in a column that is not text (a text is never missing here: reads_back);
        # booleans as str(True) and str(False) write them.
        return pcsv.ConvertOptions(column_types={f.name: f.type for f in self.schema}, null_values=[""],
                                   strings_can_be_null=False, quoted_strings_can_be_null=False,
                                   true_values=["True"], false_values=["False"])


# Bump when what the schema cache holds, or how it is keyed, changes.
_SCHEMA_CACHE_VERSION = 1


@functools.lru_cache(maxsize=None)
def _schema(table: str, mode: str, names: tuple[str, ...]):
    """The Arrow schema (with pandas' metadata) pandas gives the typed table of these columns.

    Building it takes pandas ~10 ms a table, paid by every process of a run (the parent's streams, each worker's
    encoders: ~0.1 s of a short run's start); it is kept in the user's cache folder (``cache.cache_dir("schemas")``)
    and read back from there (``_schema_file`` keys it on everything it is made from)."""
    import pyarrow as pa

    path = _schema_file(table, mode, names)
    if path is not None:
        with contextlib.suppress(OSError, ValueError, pa.ArrowException):
            cached = pa.ipc.read_schema(pa.py_buffer(path.read_bytes()))
            if tuple(cached.names) == names and cached.metadata and b"pandas" in cached.metadata:
                return cached
    schema = _schema_from_pandas(table, mode, names)
    if path is not None:
        from countyfiscal.cache import write_atomic

        write_atomic(path, schema.serialize().to_pybytes())
    return schema


@functools.cache
def _schema_sources() -> bytes | None:
    """What a table's pandas schema is made from besides its name, mode and columns: the versions of pandas, pyarrow
    and NumPy, and the code typing the columns (this module, ``pipeline.frame``, the tables' fields); None when that
    code cannot be read (then nothing is cached)."""
    import numpy
    import pyarrow

    from countyfiscal import fields

    h = hashlib.sha256(repr((_SCHEMA_CACHE_VERSION, pd.__version__, pyarrow.__version__, numpy.__version__)).encode())
    try:
        for module in (__file__, fields.__file__, str(Path(__file__).with_name("pipeline.py"))):
            h.update(Path(module).read_bytes())
    except (OSError, TypeError):
        return None
    return h.digest()


def _schema_file(table: str, mode: str, names: tuple[str, ...]) -> Path | None:
    """Where the schema of these columns is cached, or None when it cannot be (no readable sources, no usable cache
    folder)."""
    from countyfiscal.cache import CacheError, cache_dir

    sources = _schema_sources()
    if sources is None:
        return None
    h = hashlib.sha256(sources)
    h.update(repr((table, mode, names, [(f.name, f.dtype) for f in TABLES[table]])).encode("utf-8"))
    try:
        return cache_dir("schemas") / f"{table}-{h.hexdigest()[:32]}.arrow"
    except (OSError, CacheError):
        return None


def _schema_from_pandas(table: str, mode: str, names: tuple[str, ...]):
    import pyarrow as pa

    if mode == "frame":
        from countyfiscal.pipeline import frame

        df = frame(table, [])
    else:
        df = pd.DataFrame([], columns=columns(table)).astype(dtypes(table))
    return pa.Table.from_pandas(df[list(names)], preserve_index=False).schema
