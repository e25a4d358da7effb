"""Department profiles in one pass: the same tables and figure as one department's scope, one page each, spread over
processes with the same files as drawn in one."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from countyfiscal.analysis import load, panel, scope
from countyfiscal.pipeline import run_extract
from countyfiscal.report import profiles

ROOT = Path(__file__).resolve().parents[1]
SEED_DEPARTMENTS = ["曾都区信访局", "玉溪市红塔区信访局", "盘龙区信访局", "米易县信访局", "紫阳县信访局"]


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("profiles") / "processed"
    run_extract(ROOT / "data" / "raw", out, jobs=1, progress=False)
    return load.load_processed(out, need=["metrics", "flags"], optional=["statements", "themes"])


def test_every_department_or_the_one_named(tables):
    documents = tables["documents"]
    assert profiles.departments_of(documents) == SEED_DEPARTMENTS
    assert profiles.departments_of(documents, "紫阳") == ["紫阳县信访局"]
    with pytest.raises(load.DataError, match="department '不存在局' is not in the data"):
        profiles.departments_of(documents, "不存在局")


def test_a_departments_tables_are_those_of_its_scope(tables):
    # A flag naming two documents belongs to both departments, as scope.apply reads it.
    flags = tables["flags"]
    two = flags.iloc[[0]].assign(file="001_397323f2860f1b51.txt;004_70dee09d8603147c.txt")
    with_shared = tables | {"flags": pd.concat([flags, two], ignore_index=True)}
    corpus = profiles._corpus(with_shared)
    for department in SEED_DEPARTMENTS:
        expected = scope.select(with_shared, departments=[department]).apply(with_shared)
        got = profiles.department_tables(corpus, department)
        assert sorted(got) == sorted(expected)
        for name in expected:
            pd.testing.assert_frame_equal(got[name].reset_index(drop=True), expected[name].reset_index(drop=True),
                                          obj=f"{department} {name}")
        pd.testing.assert_frame_equal(profiles.department_panel(corpus, department), panel.build_panel(expected))
        drawn = profiles.department_tables(corpus, department, profiles.DRAWN_FROM)  # what a profile is drawn from
        assert sorted(drawn) == sorted(set(profiles.DRAWN_FROM) & set(expected)) and "statements" in expected
        for name in drawn:
            pd.testing.assert_frame_equal(drawn[name], got[name], obj=f"{department} {name}")
    assert len(profiles.department_tables(corpus, "紫阳县信访局")["flags"]) == 2  # its own flag and the shared one


def test_each_department_gets_its_figure_and_page_and_processes_draw_the_same_files(tables, tmp_path, monkeypatch):
    one = profiles.write_profiles(tables, SEED_DEPARTMENTS, tmp_path / "a" / "figures", tmp_path / "a" / "pages", jobs=1)
    assert one.rows["department"].tolist() == SEED_DEPARTMENTS
    assert one.rows.set_index("department").loc["玉溪市红塔区信访局", ["documents", "figures"]].tolist() == [1, 58]
    monkeypatch.setattr(profiles, "MIN_PER_PROCESS", 2)
    monkeypatch.setattr(profiles, "CHUNK", 2)
    two = profiles.write_profiles(tables, SEED_DEPARTMENTS, tmp_path / "b" / "figures", tmp_path / "b" / "pages", jobs=2)
    pd.testing.assert_frame_equal(one.rows, two.rows)
    for sub in ("figures", "pages"):
        a = {p.name: p.read_bytes() for p in (tmp_path / "a" / sub).iterdir()}
        b = {p.name: p.read_bytes() for p in (tmp_path / "b" / sub).iterdir()}
        assert a == b and len(a) == (10 if sub == "figures" else 5)
    info = json.loads((tmp_path / "a" / "figures" / "10_department_profile__profile__紫阳县信访局.json").read_text(encoding="utf-8"))
    assert info["title"] == "紫阳县信访局: headline figures (万元) and themes"
    assert [s["file"] for s in info["sources"]] == ["001_397323f2860f1b51.txt"]
    page = (tmp_path / "a" / "pages" / "紫阳县信访局.html").read_text(encoding="utf-8")
    assert "2,267,000.00" in page and "<h2>Flags</h2>" in page and "000_d2df3ef129941176.txt" not in page


def test_one_department_shows_its_tables_and_a_failure_names_the_department(tables, tmp_path, monkeypatch):
    single = profiles.write_profiles(tables, ["紫阳县信访局"], tmp_path / "figures", None)
    text = repr(single)
    assert text.startswith("department  documents  figures  flags") and "2,267,000.00" in text
    assert not (tmp_path / "pages").exists()

    def broken(*args, **kwargs):
        raise RuntimeError("planted")

    monkeypatch.setattr("countyfiscal.analysis.plots.plot_profile", broken)
    with pytest.raises(profiles.ProfileError, match=r"^5 of 5 profiles failed \(曾都区信访局、.*\); the first: RuntimeError: planted$"):
        profiles.write_profiles(tables, SEED_DEPARTMENTS, tmp_path / "figures", None)
