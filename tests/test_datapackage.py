"""datapackage.json validates with frictionless (Data Package v2) and matches its tables; DuckDB answers a join."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from frictionless import validate

from countyfiscal import fields
from countyfiscal.analysis import load
from countyfiscal.analysis import datapackage
from countyfiscal.pipeline import run_extract

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("package") / "processed"
    run_extract(ROOT / "data" / "raw", out, jobs=1, progress=False)
    datapackage.write_package(out)
    return out


def test_frictionless_validates_the_package_of_the_seeds(processed):
    report = validate(str(processed / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    package = json.loads((processed / "datapackage.json").read_text(encoding="utf-8"))
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    names = [r["name"] for r in package["resources"]]
    assert names[:4] == ["documents", "figures", "flags", "metrics"]
    figures = next(r for r in package["resources"] if r["name"] == "figures")
    value = next(f for f in figures["schema"]["fields"] if f["name"] == "value")
    # Money the Fiscal Data Package way: currency, factor (yuan, not 万元), phase from the row's basis.
    assert (value["type"], value["currency"], value["factor"]) == ("number", "CNY", 1)
    assert value["phase"] == {"field": "basis", "values": {"budget": "approved", "actual": "executed"}}
    assert [f["name"] for f in figures["schema"]["fields"]] == fields.columns("figures")
    assert figures["schema"]["foreignKeys"] == [{"fields": ["file"], "reference": {"resource": "documents", "fields": ["file"]}}]


def test_a_package_that_no_longer_matches_its_tables_fails_validation(processed, tmp_path):
    copy = tmp_path / "processed"
    shutil.copytree(processed, copy)
    path = copy / "figures.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2777536.87", "2777536.88", 1), encoding="utf-8")
    assert not validate(str(copy / "datapackage.json")).valid  # the recorded hash no longer holds
    datapackage.write_package(copy)  # rewritten because the table changed
    assert validate(str(copy / "datapackage.json")).valid


def test_duckdb_answers_a_join_of_figures_and_documents(processed):
    database = datapackage.connect(processed)
    rows = database.sql("""
        SELECT d.department, d.doc_kind, f.value
        FROM figures f JOIN documents d USING (file)
        WHERE f.measure = 'expenditure_total' AND f.fiscal_year = d.fiscal_year AND f.method = 'stated'
        ORDER BY d.department, f.value
    """).fetchall()
    assert ("玉溪市红塔区信访局", "final_account", 2777536.87) in rows
    assert ("紫阳县信访局", "budget", 2267000.0) in rows
    counts = dict(database.sql("SELECT file, count(*) FROM figures GROUP BY file").fetchall())
    docs = load.load_processed(processed)["documents"]
    assert counts == dict(zip(docs["file"], docs["n_figures"]))
    database.close()


def test_the_package_is_written_once_per_version_of_the_tables(processed):
    before = (processed / datapackage.DATABASE).stat().st_mtime_ns
    datapackage.write_package(processed)
    assert (processed / datapackage.DATABASE).stat().st_mtime_ns == before


def test_connect_never_serves_a_database_older_than_its_tables(processed, tmp_path):
    copy = tmp_path / "processed"
    shutil.copytree(processed, copy)  # tables, datapackage.json and countyfiscal.duckdb of the five seeds
    raw = tmp_path / "raw"
    raw.mkdir()
    for seed in sorted((ROOT / "data" / "raw").glob("00[0-3]*.txt")):
        shutil.copy(seed, raw)
    run_extract(raw, copy, jobs=1, progress=False)  # a re-extraction of four: the old database stays beside it
    database = datapackage.connect(copy)
    assert database.sql("SELECT count(DISTINCT file) FROM figures").fetchall() == [(4,)]
    database.close()
