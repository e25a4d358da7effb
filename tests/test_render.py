"""reports.yml and the committed notebooks' shape; `countyfiscal figures`: validate first, render into a fresh folder,
swap at the end; one sentence and the previous report intact when the data is missing or damaged; --only with
parameters; the index."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote

import matplotlib
import pandas as pd
import pytest

from countyfiscal.report import index as report, render
from countyfiscal.pipeline import run_extract

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = ["01_corpus_overview", "02_budget_compression", "03_personnel_share", "04_sangong_execution",
            "05_work_themes", "10_department_profile"]
COMPARISONS = EXPECTED[:5]
SCOPE = {"jurisdictions": "all", "departments": "all", "fiscal_years": "all", "doc_kinds": "all", "basis": "all"}
SEED_DEPARTMENTS = ["曾都区信访局", "玉溪市红塔区信访局", "盘龙区信访局", "米易县信访局", "紫阳县信访局"]
CLI = [str(Path(sys.executable).parent / "countyfiscal")]


def _code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------------------------------- configuration


def test_reports_yml_lists_every_notebook_and_draws_every_profile_in_one_run():
    settings = render.read_config(ROOT / "reports.yml")
    assert [r["notebook"] for r in settings["runs"]] == EXPECTED[:5] + ["05_work_themes"] + EXPECTED[5:]
    assert settings["runs"][5] == {"notebook": "05_work_themes", "name": "05_work_themes__duties",
                                   "parameters": {"text_scope": "duties"}}
    assert settings["kernel"] == "python3"
    docs = pd.DataFrame({"file": list("abcde"), "jurisdiction": ["乙县", "甲区", "甲区", "丙县", "重庆市"],
                         "department": ["乙县信访局", "甲区信访局", "甲区公安局", "丙县信访局", "重庆市气象局"],
                         "status": ["ok", "partial", "ok", "rejected", "ok"]})
    runs = render.expand_runs(settings["runs"], docs)
    # One run draws every department's profile (its `department` left empty); -p department=… still runs one.
    assert [r.name for r in runs] == EXPECTED[:-1] + ["05_work_themes__duties", "10_department_profile"]
    assert runs[-1].parameters == {}
    one = render.select_runs(runs, settings["runs"], docs, ROOT / "notebooks", ["10_department_profile"],
                             {"department": "重庆市气象局"})
    assert [(r.name, r.parameters) for r in one] == [("10_department_profile__重庆市气象局", {"department": "重庆市气象局"})]
    per_value = render.expand_runs([{"notebook": "10_department_profile", "for_each": "department"}], docs)
    assert [r.name for r in per_value] == [f"10_department_profile__{d}" for d in ["乙县信访局", "甲区信访局", "甲区公安局", "重庆市气象局"]]


def test_read_config_errors_are_one_sentence(tmp_path):
    config = tmp_path / "r.yml"
    config.write_text("runs:\n  - notebook: x\n    for_each: province\n", encoding="utf-8")
    with pytest.raises(render.RenderError, match="for_each must be one of department, jurisdiction"):
        render.read_config(config)
    with pytest.raises(render.RenderError, match=r"the report list .*nope.yml does not exist"):
        render.read_config(tmp_path / "nope.yml")
    config.write_text("runs: [\n", encoding="utf-8")
    with pytest.raises(render.RenderError, match="is not valid YAML"):
        render.read_config(config)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_thin_and_parameterised(path):
    cells = _code_cells(path)
    tagged = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    parameters = render.notebook_parameters(path)
    assert parameters["processed_dir"] == '"data/processed"' and parameters["figures_dir"] == '"reports/figures"'
    if path.stem in COMPARISONS:
        assert {k: parameters[k] for k in SCOPE} == {k: f'"{v}"' for k, v in SCOPE.items()}
        assert path.stem != "05_work_themes" or parameters["text_scope"] == '"work_summary"'
    else:
        assert parameters["department"] == '""'
    sources = [_source(c) for c in cells]
    assert not any(re.search(r"^\s*(def|class|lambda)\b|\blambda\b|^\s*(for|while)\b", s, re.M) for s in sources), \
        "helpers and loops belong in the package"
    assert any(re.search(r"^from countyfiscal(\.\w+)* import", s, re.M) for s in sources)
    assert sum(s.startswith("# NBVAL_CHECK_OUTPUT") for s in sources) >= 2


def test_committed_notebooks_hold_outputs_without_machine_details():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED
    for path in NOTEBOOKS:
        text = path.read_text(encoding="utf-8")
        cells = _code_cells(path)
        checked = [c for c in cells if _source(c).startswith("# NBVAL_CHECK_OUTPUT")]
        assert all(c["outputs"] for c in checked), f"{path.name}: run the notebook before committing (make notebooks)"
        assert str(ROOT) not in text and "/home/" not in text and "/tmp/" not in text
        assert not re.search(r"0x[0-9a-f]{8,}", text), f"{path.name}: memory address in outputs"
        assert all(o["output_type"] != "error" for c in cells for o in c["outputs"])


def test_index_links_runs_with_their_parameters_figures_with_their_sources_and_names_failures():
    records = [{"name": "01_corpus_overview", "notebook": "01_corpus_overview", "parameters": {}, "error": ""},
               {"name": "02_budget_compression", "notebook": "02_budget_compression",
                "parameters": {"jurisdictions": ["红塔区", "曾都区"]}, "error": ""},
               {"name": "10_department_profile__红塔区信访局", "notebook": "10_department_profile",
                "parameters": {"department": "红塔区信访局"}, "error": "DataError: boom"}]
    figures = {"01_corpus_overview__coverage": {"title": "Documents", "sources": [
        {"document": "红塔区信访局 2023 决算", "file": "000.txt", "pages": "3–4", "tables": "表1"}], "_svg": True}}
    page = report.index_html(records, figures, ["01_corpus_overview", "02_budget_compression", "10_department_profile__红塔区信访局"])
    assert 'href="notebooks/01_corpus_overview.html"' in page
    assert 'src="figures/01_corpus_overview__coverage.png"' in page
    assert "<td>红塔区信访局 2023 决算</td><td>000.txt</td><td>3–4</td><td>表1</td>" in page
    assert "jurisdictions = [&quot;红塔区&quot;, &quot;曾都区&quot;]" in page
    assert "2 of 3 notebooks ran; 1 figures" in page
    assert '<li class="failed">10_department_profile__红塔区信访局: DataError: boom</li>' in page
    many = [{"name": f"10_department_profile__{i}县", "notebook": "10_department_profile", "parameters": {}, "error": ""}
            for i in range(report.MANY_RUNS + 1)]
    listed = report.index_html(many, {}, [r["name"] for r in many])
    assert f"10_department_profile: {report.MANY_RUNS + 1} runs" in listed and 'class="profiles"' in listed


# ---------------------------------------------------------------------------------------------------- real renders


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("render") / "processed"
    run_extract(ROOT / "data" / "raw", out, jobs=1, progress=False)
    return out


@pytest.fixture(scope="module")
def rendered(processed, tmp_path_factory) -> tuple[Path, int, str]:
    """The repository's reports.yml rendered once over the seeds: (reports folder, status, stderr)."""
    import contextlib
    import io

    matplotlib.get_configdir()
    reports = tmp_path_factory.mktemp("render") / "reports"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = render.render_all(ROOT / "reports.yml", reports, processed, jobs=2)
    return reports, status, err.getvalue()


def test_a_render_of_the_seeds_gives_one_profile_per_department_and_a_data_package(rendered, processed):
    reports, status, err = rendered
    assert status == 0, err
    assert "7/7 notebooks ran" in err
    html = sorted(p.stem for p in (reports / "notebooks").glob("*.html"))
    assert html == EXPECTED[:-1] + ["05_work_themes__duties", "10_department_profile"]
    figures = {p.stem for p in (reports / "figures").glob("*.png")}
    assert {f"10_department_profile__profile__{d}" for d in SEED_DEPARTMENTS} <= figures
    # Each department's page: its figure, then the tables the profile shows, its documents named.
    pages = sorted(p.stem for p in (reports / "profiles").glob("*.html"))
    assert pages == sorted(SEED_DEPARTMENTS)
    page = (reports / "profiles" / "紫阳县信访局.html").read_text(encoding="utf-8")
    assert f'<img src="../figures/{quote("10_department_profile__profile__紫阳县信访局")}.png"' in page
    assert "001_397323f2860f1b51.txt" in page and not any(f in page for f in ("000_d2df", "002_94b8", "003_0f5f", "004_70de"))
    assert [h for h in ("Documents", "Figures stated", "Metrics, stated and recomputed", "Flags") if f"<h2>{h}</h2>" in page] == [
        "Documents", "Figures stated", "Metrics, stated and recomputed", "Flags"]
    for png in (reports / "figures").glob("*.png"):
        info = json.loads(png.with_suffix(".json").read_text(encoding="utf-8"))
        assert info["title"], png.name
    records = json.loads((reports / "runs.json").read_text(encoding="utf-8"))
    assert [r["error"] for r in records] == [""] * 7
    assert all(r["seconds"] > 0 for r in records)
    page = (reports / "index.html").read_text(encoding="utf-8")
    assert "7 of 7 notebooks ran" in page and "Sources: 5 documents" in page
    assert all(f'<a href="profiles/{quote(d)}.html">{d}</a>' in page for d in SEED_DEPARTMENTS)
    assert (reports / "fonts" / report.FONT_FILE).is_file()  # viewers without a Chinese font see Chinese too
    assert (processed / "datapackage.json").is_file() and (processed / "countyfiscal.duckdb").is_file()
    assert not list(reports.parent.glob(".reports.*")), "no temporary folder is left beside the report"
    # The executed profile names every department; the kernel resolved the processed folder it was given.
    executed = (reports / "notebooks" / "10_department_profile.ipynb").read_text(encoding="utf-8")
    assert all(d in executed for d in SEED_DEPARTMENTS) and "DataError" not in executed


def test_missing_or_damaged_data_is_one_sentence_exit_2_and_the_previous_report_stays(rendered, processed, tmp_path):
    reports, _, _ = rendered
    before = _tree(reports)
    cases = {}
    cases["missing"] = tmp_path / "nope"
    truncated = tmp_path / "truncated"
    shutil.copytree(processed, truncated)
    data = (truncated / "figures.csv").read_bytes()
    (truncated / "figures.csv").write_bytes(data[: len(data) // 3])
    cases["truncated"] = truncated
    mixed = tmp_path / "mixed"
    shutil.copytree(processed, mixed)
    docs = pd.read_csv(mixed / "documents.csv", dtype=str, keep_default_na=False)
    docs.assign(n_figures=docs["n_figures"].replace("58", "57")).to_csv(mixed / "documents.csv", index=False, lineterminator="\n")
    cases["mixed"] = mixed
    for name, folder in cases.items():
        done = subprocess.run(CLI + ["figures", "--reports", str(reports), "--processed", str(folder)],
                              capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 2, (name, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("countyfiscal figures: "), (name, done.stderr)
        assert _tree(reports) == before, name
    assert "does not exist" in subprocess.run(CLI + ["figures", "--processed", str(tmp_path / "nope"), "--reports",
                                                     str(reports)], capture_output=True, text=True).stderr


def test_only_one_notebook_scoped_to_two_jurisdictions_keeps_the_rest_of_the_report(rendered, processed, tmp_path):
    reports, _, _ = rendered
    copy = tmp_path / "reports"
    shutil.copytree(reports, copy)
    done = subprocess.run(CLI + ["figures", "--reports", str(copy), "--processed", str(processed), "--only",
                                 "02_budget_compression", "-p", 'jurisdictions=["红塔区","曾都区"]'],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    plotted = set()
    for info_path in (copy / "figures").glob("02_budget_compression__*.json"):
        info = json.loads(info_path.read_text(encoding="utf-8"))
        plotted |= {s["file"] for s in info["sources"]}
    assert plotted == {"000_d2df3ef129941176.txt", "004_70dee09d8603147c.txt"}  # 红塔区 and 曾都区, nothing else
    records = {r["name"]: r for r in json.loads((copy / "runs.json").read_text(encoding="utf-8"))}
    assert records["02_budget_compression"]["parameters"] == {"jurisdictions": ["红塔区", "曾都区"]}
    assert len(records) == 7  # the other runs are still in the report
    assert (copy / "figures" / "01_corpus_overview__coverage.png").read_bytes() == (
        reports / "figures" / "01_corpus_overview__coverage.png").read_bytes()
    bad = subprocess.run(CLI + ["figures", "--reports", str(copy), "--processed", str(processed), "--only", "02",
                                "-p", "jurisdiction=红塔区"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "countyfiscal figures: 02_budget_compression has no parameter jurisdiction; its parameters are processed_dir, "
        "figures_dir, jurisdictions, departments, fiscal_years, doc_kinds, basis")
    wrong = subprocess.run(CLI + ["figures", "--reports", str(copy), "--processed", str(processed), "--only",
                                  "02", "-p", "jurisdictions=不存在县"], capture_output=True, text=True, cwd=ROOT)
    assert wrong.returncode == 1
    assert "FAILED 02_budget_compression: ScopeError: jurisdictions: 不存在县 matches no document read" in wrong.stderr


def test_a_failing_notebook_is_named_and_the_others_still_run(processed, tmp_path, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / "01_corpus_overview.ipynb", notebooks)
    broken = json.loads((ROOT / "notebooks" / "01_corpus_overview.ipynb").read_text(encoding="utf-8"))
    broken["cells"] = broken["cells"][:2] + [{"cell_type": "code", "id": "planted", "metadata": {},
                                              "execution_count": None, "outputs": [],
                                              "source": "raise RuntimeError('planted failure')"}]
    (notebooks / "99_broken.ipynb").write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    config = tmp_path / "reports.yml"
    config.write_text("notebooks_dir: notebooks\nruns:\n  - notebook: 01_corpus_overview\n  - notebook: 99_broken\n"
                      "  - notebook: 42_missing\n", encoding="utf-8")
    status = render.render_all(config, tmp_path / "reports", processed, jobs=2)
    err = capsys.readouterr().err
    assert status == 1
    assert "FAILED 99_broken: RuntimeError: planted failure" in err and "FAILED 42_missing: notebook not found" in err
    out = tmp_path / "reports"
    assert sorted(p.name for p in (out / "notebooks").glob("*.html")) == ["01_corpus_overview.html", "99_broken.html"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "99_broken: RuntimeError: planted failure" in page and "1 of 3 notebooks ran" in page


def test_a_second_render_into_the_same_report_says_so(processed, tmp_path, capsys):
    with render._locked(tmp_path / "reports"):
        status = render.render_all(ROOT / "reports.yml", tmp_path / "reports", processed)
    assert status == 2
    assert capsys.readouterr().err.strip() == (f"countyfiscal figures: another `countyfiscal figures` is writing "
                                               f"{tmp_path / 'reports'}; wait for it to finish")


# ---------------------------------------------------------------------------------------------------- papermill, the obvious way


@pytest.fixture
def project(processed, tmp_path) -> Path:
    """A researcher's project: reports.yml at its root, the tables in data/processed."""
    (tmp_path / "reports.yml").write_text("runs: []\n", encoding="utf-8")
    shutil.copytree(processed, tmp_path / "data" / "processed")
    (tmp_path / "sub").mkdir()
    return tmp_path


@pytest.mark.parametrize("where", ["root", "sub"])
def test_papermill_from_any_folder_reads_and_writes_inside_the_project(project, where):
    cwd = project if where == "root" else project / "sub"
    done = subprocess.run([str(Path(sys.executable).parent / "papermill"), str(ROOT / "notebooks" / "10_department_profile.ipynb"),
                           "out.ipynb", "-p", "department", "紫阳县信访局", "-k", "python3", "--no-progress-bar"],
                          capture_output=True, text=True, cwd=cwd, env=_env())
    assert done.returncode == 0, done.stderr[-2000:]
    assert (project / "reports" / "figures" / "10_department_profile__profile__紫阳县信访局.png").is_file()
    out = json.loads((cwd / "out.ipynb").read_text(encoding="utf-8"))
    shown = "".join("".join(o.get("data", {}).get("text/plain", "")) for c in out["cells"] for o in c.get("outputs", []))
    assert "紫阳县信访局" in shown and "2,267,000.00" in shown


def test_papermill_without_data_exits_non_zero_with_one_sentence(tmp_path):
    (tmp_path / "reports.yml").write_text("runs: []\n", encoding="utf-8")
    done = subprocess.run([str(Path(sys.executable).parent / "papermill"), str(ROOT / "notebooks" / "02_budget_compression.ipynb"),
                           "out.ipynb", "-k", "python3", "--no-progress-bar"], capture_output=True, text=True, cwd=tmp_path,
                          env=_env())
    assert done.returncode != 0
    assert f"DataError: the processed folder {tmp_path / 'data' / 'processed'} does not exist" in done.stderr
    assert not (tmp_path / "reports").exists()  # stopped before drawing anything


def _env() -> dict:
    import os

    env = dict(os.environ)
    env.pop("COUNTYFISCAL_ROOT", None)
    env["MPLCONFIGDIR"] = matplotlib.get_configdir()
    return env


def test_the_profile_of_an_unknown_department_stops_with_one_sentence(processed, tmp_path):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError) as info:
        papermill.execute_notebook(
            str(ROOT / "notebooks" / "10_department_profile.ipynb"), str(tmp_path / "profile.ipynb"),
            parameters={"processed_dir": str(processed), "figures_dir": str(tmp_path / "figures"), "department": "不存在局"},
            kernel_name="python3", cwd=str(ROOT / "notebooks"), progress_bar=False)
    assert info.value.ename == "DataError"
    assert info.value.evalue.startswith("department '不存在局' is not in the data; the departments read are: 曾都区信访局、")
    assert not (tmp_path / "figures").exists()  # it stopped before drawing anything


def test_a_ctrl_c_while_the_workers_are_forked_stops_the_render(rendered, processed, tmp_path):
    # os.fork runs Python callbacks; a KeyboardInterrupt raised inside one was printed as "Exception ignored" and
    # dropped, and the render went on to the end. Held back while the pool forks, it stops the render: one sentence,
    # exit 2, the previous report as it was and no new folder beside it.
    reports = tmp_path / "reports"
    shutil.copytree(rendered[0], reports)
    before = sorted(str(p.relative_to(reports)) for p in reports.rglob("*"))
    code = textwrap.dedent(f"""
        import os, signal
        from countyfiscal.report import render

        def hook():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10000):  # Python would run the handler here, inside the fork's callback
                pass

        os.register_at_fork(after_in_parent=hook)
        print(render.render_all({str(ROOT / "reports.yml")!r}, {str(reports)!r}, {str(processed)!r}, jobs=2))
    """)
    # As a command in the foreground of a terminal: a test run from a background job (`&`, nohup) has SIGINT ignored
    # (this test failed so in a fresh clone's `.ci/run` started with `&`).
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert done.stdout == "2\n"
    assert done.stderr.strip() == f"countyfiscal figures: interrupted; the previous report in {reports} is unchanged"
    assert sorted(str(p.relative_to(reports)) for p in reports.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


def test_a_kernel_that_dies_fails_its_run_only_and_the_next_run_gets_a_new_kernel(processed, tmp_path, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    source = json.loads((ROOT / "notebooks" / "01_corpus_overview.ipynb").read_text(encoding="utf-8"))
    dying = dict(source, cells=source["cells"][:2] + [{"cell_type": "code", "id": "die", "metadata": {},
                                                       "execution_count": None, "outputs": [],
                                                       "source": "import os\nos._exit(1)"}])
    (notebooks / "00_dies.ipynb").write_text(json.dumps(dying, ensure_ascii=False), encoding="utf-8")
    shutil.copy(ROOT / "notebooks" / "01_corpus_overview.ipynb", notebooks)
    config = tmp_path / "reports.yml"
    config.write_text("notebooks_dir: notebooks\nruns:\n  - notebook: 00_dies\n  - notebook: 01_corpus_overview\n",
                      encoding="utf-8")
    status = render.render_all(config, tmp_path / "reports", processed, jobs=1)  # one worker: the same kernel manager
    err = capsys.readouterr().err
    assert status == 1
    assert "FAILED 00_dies: DeadKernelError" in err and "01_corpus_overview" not in err.split("FAILED", 1)[1]
    assert (tmp_path / "reports" / "figures" / "01_corpus_overview__coverage.png").is_file()


def test_a_worker_keeps_one_kernel_client_however_many_runs(processed, tmp_path, monkeypatch):
    """400 profiles in one worker once failed: each run opened a kernel client (a heartbeat thread, a dozen sockets)."""
    import os
    import threading

    monkeypatch.setenv("COUNTYFISCAL_FIGURES_HREF", "../figures")
    (tmp_path / "nb").mkdir()
    paths = {"processed_dir": str(processed), "figures_dir": str(tmp_path / "figures"), "pages_dir": str(tmp_path / "pages")}
    counts = []
    try:
        for i, department in enumerate(SEED_DEPARTMENTS * 2):
            run = render.Run("10_department_profile", f"p{i}", {"department": department})
            name, error, seconds = render._execute(run, ROOT / "notebooks", tmp_path / "nb", paths, "python3")
            assert error == "" and seconds > 0, error
            counts.append((threading.active_count(), len(os.listdir("/proc/self/fd"))))
        assert counts[-1] == counts[1], counts  # flat after the first run started the kernel
        assert render._KERNEL["kc"] is not None
    finally:
        from jupyter_core.utils import run_sync

        render._KERNEL["kc"].stop_channels()
        run_sync(render._KERNEL["km"].shutdown_kernel)(now=True)
        render._KERNEL.clear()


def test_a_missing_report_list_is_one_sentence(tmp_path, processed):
    done = subprocess.run(CLI + ["figures", "--config", str(tmp_path / "nope.yml"), "--processed", str(processed),
                                 "--reports", str(tmp_path / "reports")], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == f"countyfiscal figures: the report list {tmp_path / 'nope.yml'} does not exist (see reports.yml in the repository for the format)"
    assert not (tmp_path / "reports").exists()


def test_one_departments_profile_again_keeps_the_others(rendered, processed, tmp_path):
    reports, _, _ = rendered
    copy = tmp_path / "reports"
    shutil.copytree(reports, copy)
    (copy / "profiles" / "紫阳县信访局.html").write_text("stale", encoding="utf-8")
    done = subprocess.run(CLI + ["figures", "--reports", str(copy), "--processed", str(processed), "--only",
                                 "10_department_profile", "-p", "department=紫阳"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert sorted(p.stem for p in (copy / "profiles").glob("*.html")) == sorted(SEED_DEPARTMENTS)
    assert "stale" not in (copy / "profiles" / "紫阳县信访局.html").read_text(encoding="utf-8")
    assert (copy / "profiles" / "米易县信访局.html").read_bytes() == (reports / "profiles" / "米易县信访局.html").read_bytes()
    assert len(list((copy / "figures").glob("10_department_profile__profile__*.png"))) == len(SEED_DEPARTMENTS)
    records = {r["name"] for r in json.loads((copy / "runs.json").read_text(encoding="utf-8"))}
    assert "10_department_profile__紫阳" in records and "10_department_profile" in records


def test_the_reports_parent_writes_the_index_without_the_plotting_stack(rendered, tmp_path):
    # The parent process of a render draws nothing: naming the figures and pages for the index must not import
    # matplotlib (0.8 s of a seeds render was that import, after every notebook had run).
    reports = tmp_path / "reports"
    shutil.copytree(rendered[0], reports)
    before = (reports / "index.html").read_text(encoding="utf-8")
    (reports / "index.html").unlink()
    code = ("import json, sys; from countyfiscal.report import index, render; "
            f"p = sys.argv[1]; index.write_index(p, json.load(open(p + '/' + render.RUNS_FILE, encoding='utf-8'))); "
            "print(sorted(m for m in ('matplotlib', 'seaborn', 'countyfiscal.analysis.plots') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(reports)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    assert (reports / "index.html").read_text(encoding="utf-8") == before
