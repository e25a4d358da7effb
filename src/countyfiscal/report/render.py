"""Run every notebook listed in reports.yml and build the HTML report; collect every failure, keep the old report
until the new one is complete.

Order of work: read reports.yml; validate the processed tables (a missing folder, a truncated or damaged table, tables
of two runs: one sentence, exit 2, the previous report untouched); render every run into a fresh folder beside the
report; swap it in at the end. Each worker process keeps ONE kernel and executes its share of the runs in it (the
namespace is reset between runs; the tables, read once, stay cached in the kernel). The department profiles are one
run (``one_run`` in reports.yml): the notebook draws every department in one pass (countyfiscal.report.profiles), so a
thousand departments cost neither a thousand kernel starts nor a thousand notebook executions.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from countyfiscal.analysis import load
from countyfiscal.analysis.scope import department_labels

KERNEL_NAME = "python3"
RUNS_FILE = "runs.json"
CELL_TIMEOUT = 1800  # seconds one cell may take before the run is reported as failed
KERNEL_MEMORY_MB = 8192  # address space a worker and its kernel may use ($COUNTYFISCAL_KERNEL_MEMORY_MB)


def _departments(documents) -> list[str]:
    read = documents[documents["status"].isin(load.READ_STATUSES)] if not documents.empty else documents
    return sorted(set(department_labels(read))) if not read.empty else []


# Values a reports.yml entry may expand over: one run per value found in documents.csv.
FOR_EACH = {"jurisdiction": load.jurisdictions, "department": _departments}


class RenderError(Exception):
    """A problem with the command's own inputs (config, options), in one sentence."""


@dataclass(frozen=True)
class Run:
    """One execution of one notebook: its output stem and the parameters injected into it."""

    notebook: str  # stem in the notebooks folder, e.g. "10_department_profile"
    name: str  # stem of the executed notebook and its HTML, e.g. "10_department_profile__紫阳县信访局"
    parameters: dict[str, Any] = field(default_factory=dict)


def read_config(config: str | Path) -> dict[str, Any]:
    """reports.yml as a dict with ``notebooks_dir``, ``kernel`` and ``runs`` (each run: notebook, parameters, for_each).

    A missing or unreadable file, or a run without a notebook, is RenderError in one sentence.
    """
    config = Path(config)
    if not config.is_file():
        raise RenderError(f"the report list {config} does not exist (see reports.yml in the repository for the format)")
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RenderError(f"{config} is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise RenderError(f"{config} must be a mapping with a 'runs' list")
    runs = data.get("runs") or []
    for entry in runs:
        if not isinstance(entry, dict) or "notebook" not in entry:
            raise RenderError(f"{config}: every run needs a 'notebook' key, got {entry!r}")
        if entry.get("one_run") and not entry.get("for_each"):
            raise RenderError(f"{config}: one_run needs for_each (the parameter a single run covers every value of)")
        if entry.get("for_each") and entry["for_each"] not in FOR_EACH:
            raise RenderError(f"{config}: for_each must be one of {', '.join(sorted(FOR_EACH))}, got {entry['for_each']!r}")
    return {"notebooks_dir": data.get("notebooks_dir", "notebooks"), "kernel": data.get("kernel", KERNEL_NAME), "runs": runs}


def _safe(value: Any) -> str:
    """A parameter value as part of a file name: path separators replaced."""
    return str(value).replace("/", "／").replace("\\", "＼").replace("\0", "")


def expand_runs(runs: Sequence[dict[str, Any]], documents) -> list[Run]:
    """Turn reports.yml entries into runs; a ``for_each`` entry becomes one run per value found in the documents,
    or, with ``one_run: true``, one run that covers every value itself (the parameter left at its default).

    >>> import pandas as pd
    >>> docs = pd.DataFrame({"file": ["a", "b"], "jurisdiction": ["乙县", "甲区"], "department": ["乙县信访局", "甲区信访局"],
    ...                      "status": ["ok", "ok"]})
    >>> [r.name for r in expand_runs([{"notebook": "01_x"}, {"notebook": "10_p", "for_each": "department"}], docs)]
    ['01_x', '10_p__乙县信访局', '10_p__甲区信访局']
    >>> [r.name for r in expand_runs([{"notebook": "10_p", "for_each": "department", "one_run": True}], docs)]
    ['10_p']
    """
    out = []
    for entry in runs:
        parameters = dict(entry.get("parameters") or {})
        key = entry.get("for_each")
        if not key or entry.get("one_run"):
            out.append(Run(entry["notebook"], entry.get("name", entry["notebook"]), parameters))
            continue
        for value in FOR_EACH[key](documents):
            out.append(Run(entry["notebook"], f"{entry['notebook']}__{_safe(value)}", parameters | {key: value}))
    return out


def notebook_parameters(path: Path) -> dict[str, Any]:
    """The names and default values of a notebook's ``parameters`` cell."""
    import papermill

    return {name: spec.get("default") for name, spec in papermill.inspect_notebook(str(path)).items()}


def select_runs(runs: list[Run], config_runs: Sequence[dict], documents, notebooks_dir: Path, only: Sequence[str] = (),
                parameters: dict[str, Any] | None = None) -> list[Run]:
    """The runs of ``only`` (notebook stems, or their number prefix) with ``parameters`` applied, or all runs.

    A for_each notebook given the parameter it expands over runs once, for that value. An unknown notebook or a
    parameter the notebook does not declare is RenderError naming what exists.
    """
    parameters = dict(parameters or {})
    if not only:
        if parameters:
            raise RenderError("-p/--parameter needs --only NOTEBOOK (which notebook the parameters are for)")
        return runs
    stems = sorted(p.stem for p in notebooks_dir.glob("*.ipynb"))
    chosen = []
    for name in only:
        name = Path(name).stem
        matches = [s for s in stems if s == name] or [s for s in stems if s.split("_")[0] == name]
        if len(matches) != 1:
            raise RenderError(f"--only {name}: no such notebook in {notebooks_dir}; the notebooks are {', '.join(stems)}")
        chosen.append(matches[0])
    out = []
    for notebook in chosen:
        declared = notebook_parameters(notebooks_dir / f"{notebook}.ipynb")
        unknown = sorted(set(parameters) - set(declared))
        if unknown:
            raise RenderError(f"{notebook} has no parameter {unknown[0]}; its parameters are {', '.join(declared)}")
        entries = [e for e in config_runs if e["notebook"] == notebook] or [{"notebook": notebook}]
        for entry in entries:
            key = entry.get("for_each")
            if key and key in parameters:
                value = parameters[key]
                out.append(Run(notebook, f"{notebook}__{_safe(value)}", dict(entry.get("parameters") or {}) | parameters))
            elif key:
                out += [Run(r.notebook, r.name, r.parameters | parameters) for r in expand_runs([entry], documents)]
            else:
                out.append(Run(notebook, entry.get("name", notebook), dict(entry.get("parameters") or {}) | parameters))
    return out


# ---------------------------------------------------------------------------------------------------- workers

_KERNEL: dict[str, Any] = {}


def _die_with_parent() -> None:
    """Linux: this process is killed when the process that started it dies (however it dies), so a killed
    `countyfiscal figures` leaves no worker rendering on; the worker's kernel then exits by itself (ipykernel polls
    its parent)."""
    import ctypes
    import signal

    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _worker_init(log_path: str, env: dict[str, str], mask: set | None = None) -> None:
    """Send the worker's stderr (kernel chatter) to the render log; give its kernels the report's environment; die
    with the parent; leave Ctrl-C to the parent (which stops everything and says so). ``mask``: the parent's signal
    mask, restored (it held SIGINT and SIGTERM back while forking, ``workers.signals_held``)."""
    import signal

    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Not the handler the parent had while it forked (``signals_held`` notes signals there): a worker terminated
    # just ends.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if mask is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    # The kernels inherit this limit: a notebook that runs away with memory fails alone (MemoryError, named in the
    # report) instead of waking the machine's OOM killer.
    import resource

    limit = int(os.environ.get("COUNTYFISCAL_KERNEL_MEMORY_MB", KERNEL_MEMORY_MB)) * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (min(limit, hard) if hard != resource.RLIM_INFINITY else limit, hard))
    log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the worker process
    os.dup2(log.fileno(), 2)
    os.environ.update(env)


def _kernel(kernel_name: str, cwd: str):
    """This worker's kernel manager and client, started on first use and shut down when the worker exits."""
    if "km" not in _KERNEL:
        import multiprocessing.util

        from jupyter_client.manager import AsyncKernelManager

        km = AsyncKernelManager(kernel_name=kernel_name)
        _KERNEL.update(km=km, kc=None, cwd=cwd)

        def shutdown() -> None:
            with contextlib.suppress(Exception):
                from jupyter_core.utils import run_sync

                if _KERNEL.get("kc") is not None:
                    _KERNEL["kc"].stop_channels()
                run_sync(km.shutdown_kernel)(now=True)

        multiprocessing.util.Finalize(km, shutdown, exitpriority=10)
    return _KERNEL


# After the reset (which collects the previous run's garbage), what survives (modules, cached tables) is frozen out of
# the garbage collector's sight: every later collection, the next reset's included, then walks only the new run's
# objects instead of pandas, matplotlib and IPython again (a third of a second per run, a third of a profile's run).
RESET = "get_ipython().run_line_magic('reset', '-f'); __import__('gc').freeze()"


def _execute(run: Run, notebooks_dir: Path, out_dir: Path, paths: dict[str, str], kernel: str) -> tuple[str, str, float]:
    """Execute one run in this worker's kernel and export its HTML; returns (run name, '' or the error in one line,
    seconds). Never raises: whatever goes wrong is this run's failure, and the next run gets a working kernel."""
    import time

    started = time.perf_counter()
    try:
        error = _execute_in_kernel(run, notebooks_dir, out_dir, paths, kernel)
    except Exception as exc:  # noqa: BLE001 - one run's failure must not end the render
        _KERNEL.clear()  # a fresh kernel manager (and zmq context) for the next run
        text = str(exc).strip().splitlines()
        error = f"{type(exc).__name__}: {text[0] if text else ''}"
    return run.name, error, time.perf_counter() - started


def _execute_in_kernel(run: Run, notebooks_dir: Path, out_dir: Path, paths: dict[str, str], kernel: str) -> str:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from papermill.parameterize import parameterize_notebook

    state = _kernel(kernel, str(notebooks_dir))
    nb = nbformat.read(notebooks_dir / f"{run.notebook}.ipynb", as_version=4)
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])  # papermill's injection reads every cell's tags
    nb.metadata["papermill"] = {}
    nb = parameterize_notebook(nb, paths | run.parameters, kernel_name=kernel, language="python")
    # A fresh namespace for every run: nothing one notebook defines leaks into the next (modules and their caches stay).
    reset = nbformat.v4.new_code_cell(RESET)
    nb.cells.insert(0, reset)
    client = NotebookClient(nb, km=state["km"], kernel_name=kernel, timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(notebooks_dir)}})
    # After construction (__init__ sets kc to None): one kernel client for all the worker's runs. A client per run
    # left a heartbeat thread and a dozen sockets behind each time, until the worker could not start a thread.
    client.kc = state["kc"]
    error = ""
    try:
        client.execute(cwd=str(notebooks_dir))
        state["kc"] = client.kc
    except CellExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}".splitlines()[0] if getattr(exc, "ename", "") else str(exc).strip().splitlines()[-1]
        state["kc"] = client.kc
    except (CellTimeoutError, DeadKernelError) as exc:
        text = str(exc).strip().splitlines()
        error = f"{type(exc).__name__}: {text[0] if text else ''} (the kernel died or hung; the next run starts a new one)"
        with contextlib.suppress(Exception):
            from jupyter_core.utils import run_sync

            run_sync(state["km"].shutdown_kernel)(now=True)
        _KERNEL.clear()
    nb.cells.remove(reset)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    nb.metadata["countyfiscal"] = {"run": run.name, "parameters": run.parameters}
    nbformat.write(nb, out_dir / f"{run.name}.ipynb")
    from countyfiscal.report.index import font_face

    body, _ = _html_exporter().from_notebook_node(nb)
    # The bundled CJK font for viewers without one, on every element: nbconvert's CSS gives tables, prompts and
    # outputs font families of their own, all Latin (a viewer without a Chinese font saw boxes in every table).
    style = (f'<style>{font_face("../")} :root {{ --jp-content-font-family: "Noto Sans CJK SC", sans-serif; '
             '--jp-ui-font-family: "Noto Sans CJK SC", sans-serif; } '
             '* { font-family: "Noto Sans CJK SC", sans-serif !important; }</style>')
    (out_dir / f"{run.name}.html").write_text(body.replace("</head>", style + "</head>", 1), encoding="utf-8")
    return error


@functools.cache
def _html_exporter():
    """One exporter per worker process: building its templates costs more than exporting a notebook."""
    from nbconvert import HTMLExporter

    return HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


# ---------------------------------------------------------------------------------------------------- the report folder


@contextlib.contextmanager
def _locked(reports_dir: Path):
    """One `countyfiscal figures` at a time per report folder; a second says so in one sentence."""
    import hashlib

    from countyfiscal.cache import cache_dir

    # The lock lives in the user's cache folder (the report folder itself is swapped, and nothing is left beside it).
    key = hashlib.sha256(str(reports_dir).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    lock_path = cache_dir("locks") / f"figures-{key}.lock"
    reports_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RenderError(f"another `countyfiscal figures` is writing {reports_dir}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fresh_folder(reports_dir: Path) -> Path:
    """An empty sibling of the report folder to render into; leftovers of killed runs are removed first."""
    for stale in reports_dir.parent.glob(f".{reports_dir.name}.new-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in reports_dir.parent.glob(f".{reports_dir.name}.old-*"):
        shutil.rmtree(stale, ignore_errors=True)
    fresh = reports_dir.parent / f".{reports_dir.name}.new-{os.getpid()}"
    (fresh / "notebooks").mkdir(parents=True)
    (fresh / "figures").mkdir()
    return fresh


def _carry_over(old: Path, fresh: Path, replaced: set[str], notebooks: set[str]) -> list[dict]:
    """For --only: link the previous report's files into the fresh folder, except those of the runs being replaced
    (their notebook, HTML and figures); returns the previous run records that stay."""
    if not old.is_dir():
        return []
    records = []
    manifest = old / RUNS_FILE
    if manifest.is_file():
        with contextlib.suppress(ValueError):
            records = [r for r in json.loads(manifest.read_text(encoding="utf-8")) if r["name"] not in replaced]
    from countyfiscal.report import profiles

    for sub in ("notebooks", "figures", profiles.PAGES):
        if sub == profiles.PAGES and (old / sub).is_dir():
            (fresh / sub).mkdir(exist_ok=True)
        for path in (old / sub).glob("*"):
            stem = path.name.split(".")[0]
            if sub == "notebooks" and stem in replaced:
                continue
            if sub == profiles.PAGES and (profiles.NOTEBOOK in replaced or f"{profiles.NOTEBOOK}__{path.stem}" in replaced):
                continue
            if sub == "figures" and (stem.split("__")[0] in notebooks and (
                    any(stem.endswith("__" + r.split("__", 1)[1]) for r in replaced if "__" in r)
                    or any("__" not in r and stem.startswith(r + "__") for r in replaced))):
                continue
            with contextlib.suppress(OSError):
                os.link(path, fresh / sub / path.name)
    return records


def _swap(fresh: Path, reports_dir: Path) -> None:
    """Put the fresh report in place of the old one; the old one is removed only after the new one is in place."""
    (fresh / ".gitkeep").touch()
    if reports_dir.exists():
        old = reports_dir.parent / f".{reports_dir.name}.old-{os.getpid()}"
        os.replace(reports_dir, old)
        os.replace(fresh, reports_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(fresh, reports_dir)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def render_all(
    config: str | Path = "reports.yml",
    reports_dir: str | Path = "reports",
    processed_dir: str | Path = "data/processed",
    jobs: int = 2,
    only: Sequence[str] = (),
    parameters: dict[str, Any] | None = None,
) -> int:
    """Execute the runs of ``config`` (or only those of ``only``, with ``parameters``), write executed notebooks,
    figures and ``index.html`` under ``reports_dir``.

    Returns 0; 1 after naming every failed notebook on stderr (the new report, naming them, is in place); or 2 with
    one sentence when the inputs are unusable (the previous report is left as it was). Relative paths are taken
    against the repository (``load.resolve``). Progress goes to stderr.
    """
    from tqdm import tqdm

    from countyfiscal.report import profiles
    from countyfiscal.report.index import write_index

    try:
        config = load.resolve(config)
        settings = read_config(config)
        root = config.parent
        notebooks_dir = (root / settings["notebooks_dir"]).resolve()
        reports_dir, processed_dir = load.resolve(reports_dir), load.resolve(processed_dir)
        tables = load.validate_processed(processed_dir)
        documents = tables["documents"]
        everything = expand_runs(settings["runs"], documents)
        runs = select_runs(everything, settings["runs"], documents, notebooks_dir, only, parameters)
    except (load.DataError, RenderError) as exc:
        print(f"countyfiscal figures: {exc}", file=sys.stderr)
        return 2

    env = {"COUNTYFISCAL_ROOT": str(root), "MPLCONFIGDIR": os.environ.get("MPLCONFIGDIR", str(root / ".cache" / "matplotlib")),
           "PYTHONHASHSEED": "0", "COUNTYFISCAL_JOBS": str(max(1, jobs)),
           # The report's notebook pages show each figure from reports/figures instead of a copy in the page.
           "COUNTYFISCAL_FIGURES_HREF": "../figures"}
    Path(env["MPLCONFIGDIR"]).mkdir(parents=True, exist_ok=True)
    try:
        with _locked(reports_dir):
            from countyfiscal.analysis.datapackage import write_package

            write_package(processed_dir, tables)
            fresh = _fresh_folder(reports_dir)
            from countyfiscal.report.index import install_font

            install_font(fresh)
            kept = _carry_over(reports_dir, fresh, {r.name for r in runs} | (
                {r.name for r in everything if r.notebook in {x.notebook for x in runs}} if only and not parameters else set()),
                {r.notebook for r in runs}) if only else []
            out_dir, figures_dir = fresh / "notebooks", fresh / "figures"
            paths = {"processed_dir": _relative(processed_dir, root), "figures_dir": str(figures_dir),
                     "pages_dir": str(fresh / profiles.PAGES)}
            missing = [r for r in runs if not (notebooks_dir / f"{r.notebook}.ipynb").exists()]
            failures: dict[str, str] = {r.name: "notebook not found" for r in missing}
            timings: dict[str, float] = {}
            todo = [r for r in runs if r not in missing]
            log_path = fresh / "render.log"
            log_path.write_text("", encoding="utf-8")
            workers = max(1, min(jobs, len(todo) or 1))
            # Longest first: a run covering every department, then the comparison notebooks, then single profiles.
            at_once = {e["notebook"] for e in settings["runs"] if e.get("one_run")}
            todo.sort(key=lambda r: (r.notebook not in at_once, r.name != r.notebook, r.name))
            from countyfiscal.workers import signals_held

            pool = None
            try:
                declared = {n: set(notebook_parameters(notebooks_dir / f"{n}.ipynb")) for n in {r.notebook for r in todo}}
                # The pool forks its workers at the first submit: a Ctrl-C then is held back until the forks are over
                # (inside os.fork's callbacks it would be dropped), and the workers restore the signal mask.
                with signals_held() as mask:
                    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init,
                                               initargs=(str(log_path), env, mask))
                    futures = {pool.submit(_execute, run, notebooks_dir, out_dir, {k: v for k, v in paths.items() if k in declared[run.notebook]},
                                           settings["kernel"]): run for run in todo}
                with tqdm(total=len(futures), desc="notebooks", unit="nb", file=sys.stderr, mininterval=1.0) as bar:
                    for future in as_completed(futures):
                        try:
                            name, error, seconds = future.result()
                        except Exception as exc:  # the worker process itself died (killed, out of memory)
                            name, error, seconds = futures[future].name, f"{type(exc).__name__}: the worker running it died", 0.0
                        timings[name] = round(seconds, 2)
                        if error:
                            failures[name] = error
                        bar.set_postfix_str(name, refresh=False)
                        bar.update()
            except KeyboardInterrupt:
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    with contextlib.suppress(Exception):
                        process.kill()
                if pool is not None:
                    pool.shutdown(wait=False, cancel_futures=True)
                shutil.rmtree(fresh, ignore_errors=True)
                raise RenderError(f"interrupted; the previous report in {reports_dir} is unchanged") from None
            pool.shutdown()
            records = kept + [{"name": r.name, "notebook": r.notebook, "parameters": r.parameters,
                               "error": failures.get(r.name, ""), "seconds": timings.get(r.name)} for r in runs]
            records.sort(key=lambda r: r["name"])
            (fresh / RUNS_FILE).write_text(json.dumps(records, ensure_ascii=False, indent=1, default=str) + "\n",
                                           encoding="utf-8")
            write_index(fresh, records)
            _swap(fresh, reports_dir)
    except RenderError as exc:
        print(f"countyfiscal figures: {exc}", file=sys.stderr)
        return 2
    n_figures = len(list((reports_dir / "figures").glob("*.png")))
    print(f"{len(runs) - len(failures)}/{len(runs)} notebooks ran; {n_figures} figures; report: "
          f"{os.path.relpath(reports_dir / 'index.html')}", file=sys.stderr)
    for name in sorted(failures):
        print(f"FAILED {name}: {failures[name]}", file=sys.stderr)
    if failures:
        print(f"kernel logs: {os.path.relpath(reports_dir / 'render.log')}", file=sys.stderr)
    return 1 if failures else 0


def _execute_one_in_place(path: Path, kernel: str) -> str:
    """Run one notebook with its defaults and write its outputs into it; '' or the error in one line (not written)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    try:
        NotebookClient(nb, kernel_name=kernel, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(path.parent)}}).execute()
    except CellExecutionError as exc:
        return f"{exc.ename}: {exc.evalue}".splitlines()[0]
    except Exception as exc:  # a dead kernel, a timeout: named, and the file is left as it was
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return ""


def execute_in_place(notebooks: Sequence[str | Path], kernel: str = KERNEL_NAME, jobs: int = 2) -> dict[str, str]:
    """Re-run notebooks with their default parameters and save the outputs into the same files (for committing, so
    nbval compares today's numbers). Returns {notebook: error} for those that failed, which are left unchanged.

    Uses nbclient directly (not papermill), so no run timestamps are written into the committed notebooks.
    """
    paths = [Path(p).resolve() for p in notebooks]
    failures: dict[str, str] = {}
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(paths) or 1))) as pool:
        for path, error in zip(paths, pool.map(_execute_one_in_place, paths, [kernel] * len(paths))):
            if error:
                failures[path.name] = error
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m countyfiscal.report.render NOTEBOOK…``: what `make notebooks` runs. One line per failure, exit 1."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m countyfiscal.report.render",
                                     description="Re-run notebooks with their defaults and save their outputs in place.")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    missing = [p for p in args.notebooks if not p.is_file()]
    if missing:
        print(f"no such notebook: {missing[0]}", file=sys.stderr)
        return 2
    failures = execute_in_place(args.notebooks, jobs=args.jobs)
    for name, error in sorted(failures.items()):
        print(f"FAILED {name}: {error} (left unchanged)", file=sys.stderr)
    print(f"{len(args.notebooks) - len(failures)}/{len(args.notebooks)} notebooks re-run in place", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
