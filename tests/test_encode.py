"""encode.Encoder writes the bytes pandas writes (CSV and Parquet) for real rows of every streamed table."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from countyfiscal.encode import Encoder
from countyfiscal.fields import columns, dtypes
from countyfiscal.pipeline import NAME_COLUMNS, _to_csv, frame, process_file
from countyfiscal.raw_folder import csv_cell

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "dev-corpus"


@pytest.fixture(scope="module")
def rows() -> dict[str, list]:
    """Rows of the seeds and four dev-corpus PDFs, as the workers make them (statement rows as the pipeline does)."""
    from countyfiscal import text
    from countyfiscal.audit.checks import document_statements
    from countyfiscal.pipeline import _statement_rows

    paths = sorted((ROOT / "data" / "raw").glob("*.txt")) + sorted(DEV.glob("*_budget.pdf"))[:4]
    assert len(paths) == 9, "../shared/dev-corpus is needed"
    out: dict[str, list] = {"figures": [], "statements": [], "sections": [], "themes": [], "keywords": []}
    stats = []
    for p in paths:
        res = process_file(p)
        out["figures"] += res.figures
        out["statements"] += _statement_rows(res.document["file"], document_statements(res.figures, res.text),
                                             res.page_starts)
        stats.append(text.document_stats(res.text, res.document))
    corpus = text.CorpusCounts()
    for s in stats:
        corpus.add(s)
        out["sections"] += list(s.sections)
        out["themes"] += list(s.themes)
    for s in stats:
        out["keywords"] += corpus.keyword_rows(s)
    # a name a spreadsheet would run, and missing values of every kind
    out["figures"][0] = {**out["figures"][0], "file": "=HYPERLINK(1).pdf", "page": None, "value": float("nan")}
    return out


def _parquet(table: pa.Table, path: Path) -> bytes:
    with pq.ParquetWriter(path, table.schema) as w:
        w.write_table(table)
    return path.read_bytes()


@pytest.mark.parametrize("name,mode", [("figures", "frame"), ("statements", "frame"), ("sections", "astype"),
                                       ("themes", "astype"), ("keywords", "astype")])
def test_csv_and_parquet_bytes_equal_the_pandas_path(rows, name, mode, tmp_path):
    data = rows[name]
    assert len(data) > 100, name
    if mode == "frame":
        df = frame(name, data)
    else:
        df = pd.DataFrame(data, columns=columns(name)).astype(dtypes(name))
    enc = Encoder(name, mode)
    cols = enc.columns_of(data)
    import io

    expected = io.StringIO()
    _to_csv(df, expected)
    cell = {c: csv_cell for c in NAME_COLUMNS}
    assert enc.csv(cols, header=True, cell=cell) == expected.getvalue()
    assert _parquet(enc.arrow(cols), tmp_path / "a.parquet") == \
        _parquet(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "b.parquet")
    # and without the header, a second batch continues the first
    half = len(data) // 2
    a, b = enc.columns_of(data[:half]), enc.columns_of(data[half:])
    assert enc.csv(a, True, cell) + enc.csv(b, False, cell) == expected.getvalue()


def test_a_subset_of_columns_as_a_dataset_partition_writes_it(rows, tmp_path):
    df = frame("figures", rows["figures"])
    part = df[df["fiscal_year"] == 2023].drop(columns="fiscal_year")
    part.to_parquet(tmp_path / "pandas.parquet", index=False)
    names = [c for c in columns("figures") if c != "fiscal_year"]
    enc = Encoder("figures", names=names)
    kept = [r for r in rows["figures"] if r.get("fiscal_year") == 2023]
    table = enc.arrow(enc.columns_of(kept))
    pq.write_table(table, tmp_path / "encoded.parquet")
    assert (tmp_path / "encoded.parquet").read_bytes() == (tmp_path / "pandas.parquet").read_bytes()


def test_conversions_follow_pandas():
    enc = Encoder("figures")
    r = {"file": 5, "fiscal_year": "2023", "value": "1,0", "start": 3.0, "more_precise": "True", "decimals": ""}
    cols = dict(zip(enc.names, enc.columns_of([r])))
    assert cols["file"] == ["5"] and cols["fiscal_year"] == [2023] and math.isnan(cols["value"][0])
    assert cols["start"] == [3] and cols["more_precise"] == [True] and cols["decimals"] == [None]
    assert cols["quote"] == [""]  # frame mode: a missing text is ""
    assert Encoder("sections", "astype").columns_of([(None,) * len(columns("sections"))])[0] == [None]


@pytest.mark.parametrize("fields", [
    ["a.txt", "plain", "1"],
    ["a,b.txt", "x", "2"],  # a comma: the field is quoted
    ['say "hi"', "x", ""],  # a quote: quoted, doubled
    ["line\nbreak", "x", "3"],
    ["carriage\rreturn", "x", "4"],
    ["", "", ""],
    [" lead and trail ", "全角，逗号", "5"],
])
def test_the_joined_csv_is_the_csv_modules_whatever_the_fields_hold(fields):
    """Encoder.csv joins the fields itself when none needs quoting and lets the csv module write the rest: the text
    is the module's either way, header or not, one row or many (a plain row next to one that needs quoting too)."""
    import csv
    import io

    enc = Encoder("sections", "astype", names=["file", "heading", "marker"])
    plain = ["b.txt", "标题", "一、"]
    for batch in ([fields], [plain, fields], [fields, plain, plain]):
        cols = [list(c) for c in zip(*batch)]
        for header in (False, True):
            expected = io.StringIO()
            writer = csv.writer(expected, lineterminator="\n")
            if header:
                writer.writerow(enc.names)
            writer.writerows(batch)
            assert enc.csv(cols, header) == expected.getvalue()


@pytest.mark.parametrize("name,mode", [("figures", "frame"), ("statements", "frame"), ("sections", "astype"),
                                       ("themes", "astype")])
def test_rows_whose_csv_reads_back_give_the_same_arrow_table_from_their_text(rows, name, mode):
    enc = Encoder(name, mode)
    data = rows[name][1:] if name == "figures" else rows[name]  # (figures' first row: a formula-like file name)
    cols = enc.columns_of(data)
    half = len(data) // 2
    texts = [enc.csv(enc.columns_of(part), False).encode("utf-8") for part in (data[:half], data[half:])]
    assert enc.reads_back(cols, b"".join(texts), NAME_COLUMNS)
    table = enc.from_csv(texts, len(data))
    assert table.equals(enc.arrow(cols)) and table.schema.equals(enc.schema, check_metadata=True)
    assert table.column(0).num_chunks == 1
    with pytest.raises(ValueError, match="not 3"):
        enc.from_csv(texts[:1], 3)


def test_the_text_reads_back_whatever_a_field_holds():
    enc = Encoder("figures")
    fields = ['say "hi", then', "line\nbreak", "tab\there", " lead and trail ", "nan", "NA", "null", "", "全角，逗号"]
    values = [float("inf"), -0.0, 1e16, 0.1 + 0.2, float("nan"), -float("inf"), 12345678.9, None, 3.0]
    r0 = dict(zip(enc.names, enc.columns_of([{"file": "a.txt"}])))
    rows = [{**{k: v[0] for k, v in r0.items()}, "file": "a.txt", "quote": q, "value": v, "page": i or None,
             "more_precise": (True, False, None)[i % 3]} for i, (q, v) in enumerate(zip(fields, values))]
    cols = enc.columns_of(rows)
    text = enc.csv(cols, False).encode("utf-8")
    assert enc.reads_back(cols, text, NAME_COLUMNS)
    table = enc.from_csv([text], len(rows))
    assert table.equals(enc.arrow(cols))
    assert table.column("quote").to_pylist() == fields
    assert table.column("more_precise").to_pylist() == [True, False, None] * 3


def test_what_the_text_cannot_give_back_travels_as_columns():
    figures = Encoder("figures")
    formula = figures.columns_of([{"file": "=HYPERLINK(1).pdf"}])
    text = figures.csv(formula, False).encode("utf-8")
    assert not figures.reads_back(formula, text, NAME_COLUMNS)
    assert figures.reads_back(formula, text, ())  # (the name is changed only in the columns csv_cell is given)
    cr = figures.columns_of([{"file": "a.txt", "quote": "carriage\rreturn"}])
    assert not figures.reads_back(cr, figures.csv(cr, False).encode("utf-8"))  # the csv module leaves \r unquoted
    sections = Encoder("sections", "astype")
    missing = sections.columns_of([(None,) * len(columns("sections"))])
    assert not sections.reads_back(missing, sections.csv(missing, False).encode("utf-8"))  # written "", as "" is
    framed = Encoder("sections", "frame")
    assert framed.reads_back(framed.columns_of([{}]), framed.csv(framed.columns_of([{}]), False).encode("utf-8"))


# ------------------------------------------------------------------------------------------- the schema cache

SCHEMAS = [(t, m) for t in ("documents", "figures", "statements", "metrics", "flags") for m in ("frame", "astype")] + [
    (t, "astype") for t in ("sections", "themes", "keywords", "recurring_themes")]


@pytest.fixture
def cold_schemas(monkeypatch, tmp_path):
    """A private, empty cache folder and no schema remembered in this process."""
    from countyfiscal import encode

    monkeypatch.setenv("COUNTYFISCAL_CACHE", str(tmp_path / "cache"))
    encode._schema.cache_clear()
    yield tmp_path / "cache" / "schemas"
    encode._schema.cache_clear()


def test_a_cached_schema_is_the_one_pandas_gives(cold_schemas, monkeypatch):
    from countyfiscal import encode

    partition = tuple(c for c in columns("figures") if c != "fiscal_year")
    cases = [(t, m, tuple(columns(t))) for t, m in SCHEMAS] + [("figures", "frame", partition)]
    built = {case: encode._schema(*case) for case in cases}
    assert len(list(cold_schemas.glob("*.arrow"))) == len(cases)  # one file each, all different keys
    encode._schema.cache_clear()

    def refuse(*args):
        raise AssertionError("the schema was built again instead of read from the cache")

    monkeypatch.setattr(encode, "_schema_from_pandas", refuse)
    for case, schema in built.items():
        cached = encode._schema(*case)
        assert cached.equals(schema, check_metadata=True)
        assert cached.metadata == schema.metadata and b"pandas" in cached.metadata
        assert cached.names == list(case[2])
    assert encode._schema("figures", "frame", partition).names == list(partition)


def test_a_damaged_cached_schema_is_built_again_and_replaced(cold_schemas):
    from countyfiscal import encode

    case = ("figures", "frame", tuple(columns("figures")))
    good = encode._schema(*case)
    [path] = cold_schemas.glob("figures-*.arrow")
    for damage in (b"", path.read_bytes()[:40], b"not arrow at all"):
        path.write_bytes(damage)
        encode._schema.cache_clear()
        again = encode._schema(*case)
        assert again.equals(good, check_metadata=True)
        assert path.read_bytes() == good.serialize().to_pybytes()
    # a schema of other columns under the file's name (as if two keys had met) is not taken either
    path.write_bytes(encode._schema_from_pandas("documents", "frame", tuple(columns("documents"))).serialize().to_pybytes())
    encode._schema.cache_clear()
    assert encode._schema(*case).equals(good, check_metadata=True)


def test_the_schema_cache_is_keyed_on_the_library_versions_and_the_columns(cold_schemas, monkeypatch):
    from countyfiscal import encode

    case = ("figures", "frame", tuple(columns("figures")))
    first = encode._schema_file(*case)
    assert first != encode._schema_file("figures", "astype", case[2])
    assert first != encode._schema_file("figures", "frame", case[2][:-1])
    with monkeypatch.context() as m:
        m.setattr(pd, "__version__", pd.__version__ + ".other")
        encode._schema_sources.cache_clear()
        try:
            assert encode._schema_file(*case) != first
        finally:
            encode._schema_sources.cache_clear()
    assert encode._schema_file(*case) == first


def test_without_a_usable_cache_folder_the_schema_is_still_built(monkeypatch, tmp_path):
    from countyfiscal import encode

    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("COUNTYFISCAL_CACHE", str(blocker))
    encode._schema.cache_clear()
    try:
        case = ("themes", "astype", tuple(columns("themes")))
        assert encode._schema_file(*case) is None
        assert encode._schema(*case).equals(encode._schema_from_pandas(*case), check_metadata=True)
    finally:
        encode._schema.cache_clear()
