"""A researcher's own corpus (issue #13, must show): four real city-department budgets from ../shared/dev-corpus added
to a copy of the seeds, then the figures job (extract + `countyfiscal figures`), as a researcher would run it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "dev-corpus"
CLI = str(Path(sys.executable).parent / "countyfiscal")
# Three cities' departments: one with a jurisdiction that is a city (杭州市司法局), two of one city (重庆), and budgets
# three orders of magnitude above the county petition bureaus (重庆市水利局: 186,549.30 万元).
ADDED = {"hz_sifa_2026_budget.pdf": "杭州市司法局", "cq_shuili_2026_budget.pdf": "重庆市水利局",
         "cq_qixiang_2026_budget.pdf": "重庆市气象局", "sz_shenji_2026_budget.pdf": "苏州市审计局"}
SEEDS = ["曾都区信访局", "玉溪市红塔区信访局", "盘龙区信访局", "米易县信访局", "紫阳县信访局"]

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not DEV.is_dir(), reason=f"../shared/dev-corpus is absent ({DEV})")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("corpus")
    raw = base / "raw"
    shutil.copytree(ROOT / "data" / "raw", raw)
    for name in ADDED:
        shutil.copy(DEV / name, raw / name)
    paths = {"raw": raw, "processed": base / "processed", "reports": base / "reports"}
    done = subprocess.run([CLI, "extract", str(raw), "--out", str(paths["processed"]), "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([CLI, "figures", "--processed", str(paths["processed"]), "--reports", str(paths["reports"])],
                          capture_output=True, text=True, cwd=base)
    paths["status"], paths["stderr"] = done.returncode, done.stderr
    return paths


def _infos(reports: Path, prefix: str = "") -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted((reports / "figures").glob(f"{prefix}*.json"))}


def test_the_figures_job_runs_every_notebook(corpus):
    assert corpus["status"] == 0, corpus["stderr"]
    assert "7/7 notebooks ran" in corpus["stderr"]  # every department's profile in one run


def test_each_added_department_has_its_own_profile(corpus):
    profiles = sorted(p.stem for p in (corpus["reports"] / "profiles").glob("*.html"))
    assert profiles == sorted(SEEDS + list(ADDED.values()))  # 杭州市司法局 is not "杭州市"; 重庆 keeps two departments
    for department in ADDED.values():
        info = json.loads((corpus["reports"] / "figures" / f"10_department_profile__profile__{department}.json").read_text(encoding="utf-8"))
        assert info["title"].startswith(department)
        assert [s["document"] for s in info["sources"]] == [f"{department} 2026 预算"]
        assert all(s["pages"] for s in info["sources"])  # a PDF's figures name their pages


def test_no_series_mixes_kinds_bases_or_bases_of_change_without_saying_so(corpus):
    infos = _infos(corpus["reports"])
    checked = 0
    for name, info in infos.items():
        for series in info["series"]:
            mixed = [k for k in ("doc_kinds", "bases", "change_bases") if len(series.get(k, [])) > 1]
            if mixed:  # allowed only when the legend says the series is mixed
                assert any("mix" in text for text in info["legend"]), (name, series)
            else:
                checked += 1
            # Every series says what it is, in the legend or in its bars' labels.
            assert any(series["label"] in text for text in info["legend"] + info["labels"]), (name, series)
    assert checked >= 20
    # The budgets of 2026 and the county documents of 2022–2023 are different series, and the legend names each kind.
    change = infos["02_budget_compression__change"]
    assert any(label.startswith("预算 · 预算数") for label in change["legend"])
    assert any(label.startswith("决算 · 决算数") for label in change["legend"])


def test_magnitudes_orders_apart_get_a_log_axis_and_every_figure_names_its_sources(corpus):
    infos = _infos(corpus["reports"])
    by_year = infos["02_budget_compression__expenditure_by_year"]
    assert any("logarithmic axis" in note for note in by_year["notes"])
    documents = {s["document"] for s in by_year["sources"]}
    assert {"重庆市水利局 2026 预算", "紫阳县信访局 2023 预算", "盘龙区信访局 2022 绩效自评"} <= documents
    for name, info in infos.items():
        if info["sources"] == [] and not name.startswith("05_work_themes__recurring"):
            assert "no data" in " ".join(info["notes"]) or info["notes"], name


def test_one_notebook_scoped_to_two_jurisdictions_plots_exactly_those(corpus):
    done = subprocess.run([CLI, "figures", "--processed", str(corpus["processed"]), "--reports", str(corpus["reports"]),
                           "--only", "02_budget_compression", "-p", 'jurisdictions=["红塔区","曾都区"]'],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    docs = pd.read_csv(corpus["processed"] / "documents.csv", dtype=str, keep_default_na=False)
    wanted = set(docs.loc[docs["jurisdiction"].isin(["红塔区", "曾都区"]), "file"])
    assert len(wanted) == 2
    for name, info in _infos(corpus["reports"], "02_budget_compression__").items():
        assert {s["file"] for s in info["sources"]} == wanted, name
    # The rest of the report is still there, unscoped.
    assert len(list((corpus["reports"] / "profiles").glob("*.html"))) == len(SEEDS) + len(ADDED)


def test_a_missing_processed_folder_exits_non_zero_with_one_sentence(corpus, tmp_path):
    done = subprocess.run([CLI, "figures", "--processed", str(tmp_path / "no" / "such"), "--reports", str(corpus["reports"])],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"countyfiscal figures: the processed folder {tmp_path / 'no' / 'such'} does not exist; "
                                   "run `countyfiscal extract` (or `make figures`) first")
