"""The loader: paths against the repository, and every damaged or missing table as one sentence (DataError)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from countyfiscal.analysis import load
from countyfiscal.pipeline import run_extract

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "data" / "raw"


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    """The seeds extracted once for this module; tests copy it before damaging anything."""
    out = tmp_path_factory.mktemp("processed") / "processed"
    run_extract(SEEDS, out, jobs=1, progress=False)
    return out


@pytest.fixture
def copy(processed, tmp_path) -> Path:
    target = tmp_path / "processed"
    shutil.copytree(processed, target)
    return target


def _one_sentence(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text.count(". ") == 0, text
    return text


def test_relative_paths_resolve_against_the_repository_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("COUNTYFISCAL_ROOT", raising=False)
    monkeypatch.chdir(tmp_path)  # no reports.yml here or above: the installed repository is the root
    assert load.project_root() == ROOT
    assert load.resolve("data/processed") == ROOT / "data" / "processed"
    monkeypatch.chdir(ROOT / "notebooks")  # where nbval's kernels run
    assert load.resolve("data/processed") == ROOT / "data" / "processed"
    (tmp_path / "reports.yml").write_text("runs: []\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # a researcher's own project folder
    assert load.resolve("data/processed") == tmp_path / "data" / "processed"
    monkeypatch.setenv("COUNTYFISCAL_ROOT", str(ROOT))
    assert load.resolve("x") == ROOT / "x"


def test_the_seeds_load_the_same_from_parquet_and_from_csv(processed):
    strict = load.validate_processed(processed)
    fast = load.load_processed(processed)
    assert len(fast["documents"]) == 5 and len(fast["figures"]) == int(fast["documents"]["n_figures"].sum())
    for name in load.TABLE_NAMES:
        pd.testing.assert_frame_equal(strict[name].reset_index(drop=True), fast[name].reset_index(drop=True))
    assert fast["figures"]["code"].dtype == "str" and fast["figures"]["value"].dtype == "float64"


def test_a_missing_folder_is_one_sentence(tmp_path):
    with pytest.raises(load.DataError) as info:
        load.load_processed(tmp_path / "nope")
    assert _one_sentence(info.value) == (f"the processed folder {tmp_path / 'nope'} does not exist; run `countyfiscal "
                                         "extract` (or `make figures`) first")


def test_a_needed_table_that_is_absent_says_how_to_make_it(copy):
    (copy / "metrics.csv").unlink()
    (copy / "metrics.parquet").unlink()
    assert load.load_processed(copy)["metrics"].empty  # not needed: an empty frame with the declared columns
    with pytest.raises(load.DataError, match=r"metrics.csv is missing; run `countyfiscal extract` first \(without --no-text-mining\)"):
        load.load_processed(copy, need=["metrics"])


def test_a_truncated_csv_is_caught_by_the_strict_reader(copy):
    path = copy / "figures.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut mid-row
    with pytest.raises(load.DataError) as info:
        load.validate_processed(copy)
    assert _one_sentence(info.value).endswith("figures.csv ends in the middle of a line: it is truncated; re-run `countyfiscal extract`")


def test_a_csv_cut_at_a_row_boundary_disagrees_with_its_parquet_twin(copy):
    path = copy / "figures.csv"
    docs = pd.read_csv(copy / "documents.csv", dtype=str, keep_default_na=False)
    total, first = int(docs["n_figures"].astype(int).sum()), docs.iloc[0]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:50]), encoding="utf-8")  # whole rows (49), so only the counts can tell
    with pytest.raises(load.DataError, match=rf"figures.csv has 49 rows but figures.parquet has {total}"):
        load.validate_processed(copy)
    (copy / "figures.parquet").unlink()
    with pytest.raises(load.DataError, match=rf"documents.csv gives {first['file']} {first['n_figures']} figures but figures.csv holds 49"):
        load.validate_processed(copy)


def test_tables_of_two_runs_are_refused(copy):
    docs = pd.read_csv(copy / "documents.csv", dtype=str, keep_default_na=False)
    docs.iloc[:-1].to_csv(copy / "documents.csv", index=False, lineterminator="\n")
    (copy / "documents.parquet").unlink()
    with pytest.raises(load.DataError, match=r"figures.csv names 1 file\(s\) documents.csv does not list \(first: 004_70dee09d8603147c.txt\)"):
        load.validate_processed(copy)


def test_a_damaged_cell_or_parquet_is_one_sentence(copy):
    path = copy / "metrics.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",-0.2887,", ",abc,", 1), encoding="utf-8")
    with pytest.raises(load.DataError, match=r"metrics.csv: column value holds 'abc' where a number belongs \(row 2\)"):
        load.validate_processed(copy)
    (copy / "flags.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(load.DataError, match=r"flags.parquet is not a readable Parquet file"):
        load.load_processed(copy)
    (copy / "documents.csv").write_bytes("file,status\n\xff\xfe,ok\n".encode("latin-1"))
    with pytest.raises(load.DataError, match=r"documents.csv cannot be read as CSV"):
        load.validate_processed(copy)


def test_the_cache_reads_a_file_once_and_sees_a_new_version(copy, monkeypatch):
    calls = []
    real = load.read_parquet
    monkeypatch.setattr(load, "read_parquet", lambda path, name: (calls.append(name), real(path, name))[1])
    load._CACHE.clear()
    first = load.load_processed(copy)
    again = load.load_processed(copy)
    assert calls.count("figures") == 1 and len(first["figures"]) == len(again["figures"])
    again["figures"].loc[0, "value"] = -1.0  # a caller changing its copy never changes the cache
    assert load.load_processed(copy)["figures"].loc[0, "value"] != -1.0
    shutil.copy(copy / "flags.parquet", copy / "x")
    (copy / "x").replace(copy / "flags.parquet")  # a new file version (new mtime): read again
    load.load_processed(copy)
    assert calls.count("flags") == 2
