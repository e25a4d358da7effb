"""reports.yml expansion, the committed notebooks' shape, the index page, and one real render with a planted failure."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest

from countyfiscal import render, report

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = ["01_corpus_overview", "02_budget_compression", "03_personnel_share", "04_sangong_execution",
            "05_work_themes", "10_county_profile"]


def _code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_reports_yml_lists_every_notebook_and_expands_the_profile_per_jurisdiction():
    settings = render.read_config(ROOT / "reports.yml")
    assert [r["notebook"] for r in settings["runs"]] == EXPECTED
    assert settings["kernel"] == "python3"
    docs = pd.DataFrame({"jurisdiction": ["乙县", "甲区", "甲区", "丙县"], "status": ["ok", "partial", "ok", "rejected"]})
    runs = render.expand_runs(settings["runs"], docs)
    assert [r.name for r in runs] == EXPECTED[:-1] + ["10_county_profile__乙县", "10_county_profile__甲区"]
    assert runs[-1].parameters == {"jurisdiction": "甲区"}


def test_read_config_rejects_unknown_for_each(tmp_path):
    config = tmp_path / "r.yml"
    config.write_text("runs:\n  - notebook: x\n    for_each: province\n", encoding="utf-8")
    with pytest.raises(ValueError, match="for_each"):
        render.read_config(config)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_thin_and_parameterised(path):
    cells = _code_cells(path)
    tagged = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    assert 'processed_dir = "../data/processed"' in _source(tagged[0])
    sources = [_source(c) for c in cells]
    assert not any(re.search(r"^\s*(def|class|lambda)\b|\blambda\b", s, re.M) for s in sources), "helpers belong in the package"
    assert any("from countyfiscal import" in s for s in sources)
    assert sum(s.startswith("# NBVAL_CHECK_OUTPUT") for s in sources) >= 1


def test_committed_notebooks_hold_outputs_without_machine_details():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        cells = _code_cells(path)
        checked = [c for c in cells if _source(c).startswith("# NBVAL_CHECK_OUTPUT")]
        assert all(c["outputs"] for c in checked), f"{path.name}: run the notebook before committing"
        assert str(ROOT) not in text and "/home/" not in text and "/tmp/" not in text
        assert not re.search(r"0x[0-9a-f]{8,}", text), f"{path.name}: memory address in outputs"
        assert all(o["output_type"] != "error" for c in cells for o in c["outputs"])


def test_index_links_notebooks_and_figures_and_names_failures():
    runs = [SimpleNamespace(name="01_corpus_overview"), SimpleNamespace(name="10_county_profile__红塔区")]
    page = report.index_html(runs, {"10_county_profile__红塔区": "RuntimeError: boom"},
                             ["01_corpus_overview__coverage", "10_county_profile__headline__红塔区"],
                             ["01_corpus_overview", "10_county_profile__红塔区"])
    assert 'href="notebooks/01_corpus_overview.html"' in page
    assert 'src="figures/10_county_profile__headline__%E7%BA%A2%E5%A1%94%E5%8C%BA.png"' in page
    assert "1 of 2 notebooks ran; 2 figures" in page
    assert '<li class="failed">10_county_profile__红塔区: RuntimeError: boom</li>' in page


def test_render_all_runs_the_rest_and_names_each_failure(tmp_path, monkeypatch, capsys):
    # Real notebooks on an empty processed folder (they must say "no data", not crash) plus one planted failure.
    monkeypatch.setenv("MPLCONFIGDIR", matplotlib.get_configdir())
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for stem in ("01_corpus_overview", "10_county_profile"):
        shutil.copy(ROOT / "notebooks" / f"{stem}.ipynb", notebooks)
    broken = json.loads((ROOT / "notebooks" / "01_corpus_overview.ipynb").read_text(encoding="utf-8"))
    broken["cells"] = broken["cells"][:2] + [{"cell_type": "code", "id": "planted", "metadata": {},
                                              "execution_count": None, "outputs": [],
                                              "source": "raise RuntimeError('planted failure')"}]
    (notebooks / "99_broken.ipynb").write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    config = tmp_path / "reports.yml"
    config.write_text(
        "notebooks_dir: notebooks\nruns:\n  - notebook: 01_corpus_overview\n  - notebook: 99_broken\n"
        "  - notebook: 10_county_profile\n    parameters: {jurisdiction: 甲县}\n  - notebook: 10_county_profile\n"
        "    for_each: jurisdiction\n  - notebook: 42_missing\n",
        encoding="utf-8",
    )
    (tmp_path / "processed").mkdir()
    status = render.render_all(config, tmp_path / "reports", tmp_path / "processed", jobs=2)
    err = capsys.readouterr().err
    assert status == 1
    assert "FAILED 99_broken: PapermillExecutionError" in err and "planted failure" in err
    assert "FAILED 42_missing: notebook not found" in err
    out = tmp_path / "reports"
    assert sorted(p.name for p in (out / "notebooks").glob("*.html")) == [
        "01_corpus_overview.html", "10_county_profile.html", "99_broken.html"]
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert "01_corpus_overview__coverage.png" in figures and "01_corpus_overview__coverage.svg" in figures
    assert "10_county_profile__headline__甲县.svg" in figures
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "99_broken: PapermillExecutionError" in page and 'href="notebooks/01_corpus_overview.html"' in page
    # The executed notebook got relative paths, so its outputs name no folder of this machine.
    executed = (out / "notebooks" / "01_corpus_overview.ipynb").read_text(encoding="utf-8")
    assert 'processed_dir = \\"../processed\\"' in executed
