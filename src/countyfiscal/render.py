"""Run every notebook listed in reports.yml through papermill and build the HTML report; collect every failure."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from countyfiscal import load

KERNEL_NAME = "python3"
# Values a reports.yml entry may expand over: one run per value found in documents.csv.
FOR_EACH = {"jurisdiction": load.jurisdictions}


@dataclass(frozen=True)
class Run:
    """One execution of one notebook: its output stem and the parameters papermill injects."""

    notebook: str  # stem in the notebooks folder, e.g. "10_county_profile"
    name: str  # stem of the executed notebook and its HTML, e.g. "10_county_profile__红塔区"
    parameters: dict[str, Any] = field(default_factory=dict)


def read_config(config: str | Path) -> dict[str, Any]:
    """reports.yml as a dict with ``notebooks_dir``, ``kernel`` and ``runs`` (each run: notebook, parameters, for_each)."""
    data = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
    runs = data.get("runs") or []
    for entry in runs:
        if "notebook" not in entry:
            raise ValueError(f"{config}: every run needs a 'notebook' key, got {entry!r}")
        if entry.get("for_each") and entry["for_each"] not in FOR_EACH:
            raise ValueError(f"{config}: for_each must be one of {sorted(FOR_EACH)}, got {entry['for_each']!r}")
    return {"notebooks_dir": data.get("notebooks_dir", "notebooks"), "kernel": data.get("kernel", KERNEL_NAME), "runs": runs}


def expand_runs(runs: Sequence[dict[str, Any]], documents) -> list[Run]:
    """Turn reports.yml entries into runs; a ``for_each: jurisdiction`` entry becomes one run per jurisdiction.

    >>> import pandas as pd
    >>> docs = pd.DataFrame({"jurisdiction": ["乙县", "甲区"], "status": ["ok", "ok"]})
    >>> [r.name for r in expand_runs([{"notebook": "01_x"}, {"notebook": "10_p", "for_each": "jurisdiction"}], docs)]
    ['01_x', '10_p__乙县', '10_p__甲区']
    """
    out = []
    for entry in runs:
        parameters = dict(entry.get("parameters") or {})
        key = entry.get("for_each")
        if not key:
            out.append(Run(entry["notebook"], entry.get("name", entry["notebook"]), parameters))
            continue
        for value in FOR_EACH[key](documents):
            out.append(Run(entry["notebook"], f"{entry['notebook']}__{value}", parameters | {key: value}))
    return out


def _execute(run: Run, notebooks_dir: Path, out_dir: Path, processed_dir: Path, figures_dir: Path, kernel: str) -> tuple[str, str]:
    """Execute one run and export its HTML; returns (run name, '' or the error in one line). Runs in a worker process."""
    import papermill

    # Paths relative to the notebook folder, where the kernel runs: executed notebooks then hold no machine paths.
    parameters = {
        "processed_dir": os.path.relpath(processed_dir, notebooks_dir),
        "figures_dir": os.path.relpath(figures_dir, notebooks_dir),
    } | run.parameters
    output = out_dir / f"{run.name}.ipynb"
    error = ""
    try:
        papermill.execute_notebook(
            str(notebooks_dir / f"{run.notebook}.ipynb"),
            str(output),
            parameters=parameters,
            kernel_name=kernel,
            cwd=str(notebooks_dir),
            progress_bar=False,
            log_output=False,
        )
    except Exception as exc:  # one failing notebook must not stop the others; the caller reports it
        lines = [line for line in str(exc).strip().splitlines() if line.strip()]
        error = f"{type(exc).__name__}: {lines[-1] if lines else ''}"
    if output.exists():
        body, _ = _html_exporter().from_filename(str(output))
        (out_dir / f"{run.name}.html").write_text(body, encoding="utf-8")
    return run.name, error


@functools.cache
def _html_exporter():
    """One exporter per worker process: building its templates costs more than exporting a notebook."""
    from nbconvert import HTMLExporter

    return HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


def _quiet_worker(log_path: str) -> None:
    """Send a worker's stderr (and so its kernels' TCP/shutdown chatter) to a log file, keeping the terminal for progress."""
    log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the worker process
    os.dup2(log.fileno(), 2)


def _clear(folder: Path, suffixes: Sequence[str]) -> None:
    """Remove what an earlier render wrote, so the report never shows a figure the data no longer produces."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if path.is_file() and path.suffix in suffixes:
            path.unlink()


def render_all(
    config: str | Path = "reports.yml",
    reports_dir: str | Path = "reports",
    processed_dir: str | Path = "data/processed",
    jobs: int = 2,
) -> int:
    """Execute every run of ``config``, write executed notebooks, figures and ``index.html`` under ``reports_dir``.

    Returns 0, or 1 after naming every failed notebook on stderr. Progress goes to stderr.
    """
    from tqdm import tqdm

    from countyfiscal.report import write_index

    config = Path(config)
    settings = read_config(config)
    base = config.resolve().parent
    notebooks_dir = (base / settings["notebooks_dir"]).resolve()
    reports_dir = Path(reports_dir).resolve()
    processed_dir = Path(processed_dir).resolve()
    out_dir, figures_dir = reports_dir / "notebooks", reports_dir / "figures"
    _clear(out_dir, (".ipynb", ".html"))
    _clear(figures_dir, (".png", ".svg"))
    # The kernels inherit this; matplotlib warns on stderr (into notebook outputs) when its default folder is not writable.
    os.environ.setdefault("MPLCONFIGDIR", str(base / ".cache" / "matplotlib"))

    documents = load.load_processed(processed_dir)["documents"]
    runs = expand_runs(settings["runs"], documents)
    missing = [r.notebook for r in runs if not (notebooks_dir / f"{r.notebook}.ipynb").exists()]
    failures: dict[str, str] = {r.name: "notebook not found" for r in runs if r.notebook in missing}
    todo = [r for r in runs if r.notebook not in missing]

    log_path = reports_dir / "render.log"
    log_path.write_text("", encoding="utf-8")
    workers = max(1, min(jobs, len(todo) or 1))
    with ProcessPoolExecutor(max_workers=workers, initializer=_quiet_worker, initargs=(str(log_path),)) as pool:
        futures = [
            pool.submit(_execute, run, notebooks_dir, out_dir, processed_dir, figures_dir, settings["kernel"])
            for run in todo
        ]
        with tqdm(total=len(futures), desc="notebooks", unit="nb", file=sys.stderr) as bar:
            for future in as_completed(futures):
                name, error = future.result()
                if error:
                    failures[name] = error
                bar.set_postfix_str(name)
                bar.update()

    write_index(reports_dir, runs, failures)
    n_figures = len(list(figures_dir.glob("*.png")))
    print(f"{len(runs) - len(failures)}/{len(runs)} notebooks ran; {n_figures} figures; report: "
          f"{os.path.relpath(reports_dir / 'index.html')}", file=sys.stderr)
    for name in sorted(failures):
        print(f"FAILED {name}: {failures[name]}", file=sys.stderr)
    if failures:
        print(f"kernel logs: {os.path.relpath(log_path)}", file=sys.stderr)
    return 1 if failures else 0


def execute_in_place(notebooks: Sequence[str | Path], kernel: str = KERNEL_NAME) -> None:
    """Re-run notebooks with their default parameters and save the outputs into the same files (for committing).

    Uses nbclient directly (not papermill) so no run timestamps are written into the committed notebooks.
    """
    import nbformat
    from nbclient import NotebookClient

    for path in notebooks:
        path = Path(path).resolve()
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, kernel_name=kernel, resources={"metadata": {"path": str(path.parent)}}).execute()
        for cell in nb.cells:
            cell.get("metadata", {}).pop("execution", None)
        nb.metadata.pop("papermill", None)
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, path)
