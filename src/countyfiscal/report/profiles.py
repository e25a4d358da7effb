"""Department profiles by the thousand: one PNG (with its sources .json) and one HTML page per department, drawn in
one pass over the corpus (spread over processes) instead of one notebook run per department.

What is computed once for the corpus: the department labels, each table's rows per department, the theme means a
profile compares against. What is drawn per department: ``plots.plot_profile`` (the same figure the notebook drew) and
a page with the tables the notebook showed (documents, figures stated, metrics stated and recomputed, flags, themes),
written from a template.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from countyfiscal.analysis import load, scope
from countyfiscal.analysis.names import figure_name

# plots and panel (matplotlib) are imported where a profile is drawn: the report's parent process only needs the names.

NOTEBOOK = "10_department_profile"
FIGURE = "profile"
PAGES = "profiles"  # the pages' folder in the report, beside figures/ and notebooks/
TEXT_SCOPE = "work_summary"
# Fewer departments than this per worker process are drawn in the kernel itself (starting processes costs more).
MIN_PER_PROCESS = 40
CHUNK = 25  # departments per task handed to a process


class ProfileError(load.DataError):
    """Some departments' profiles could not be drawn: their names and the first reason, in one sentence."""


def figure_stem(department: str) -> str:
    """``10_department_profile__profile__<department>``: the stem of a department's PNG and .json."""
    return figure_name(NOTEBOOK, FIGURE, department)


def page_name(department: str) -> str:
    """The file name of a department's page in ``profiles/``.

    >>> page_name("a/b局")
    'a／b局.html'
    """
    return figure_stem(department).split("__", 2)[2] + ".html"


def departments_of(documents: pd.DataFrame, department: str = "") -> list[str]:
    """Every department read (sorted labels) when ``department`` is empty, else the one it names (DataError in one
    sentence when it names none or several)."""
    if department:
        return [load.pick_department(documents, department)]
    read = documents[documents["status"].isin(load.READ_STATUSES)] if not documents.empty else documents
    if read.empty:
        raise load.DataError("no document was read (documents.csv lists none with status ok or partial): no department to profile")
    return sorted(set(scope.department_labels(read)))


# ---------------------------------------------------------------------------------------------------- per department


@dataclass
class _Corpus:
    """What every profile needs, computed once."""

    tables: dict[str, pd.DataFrame]
    labels: dict  # file -> department label, over every read document
    files: dict  # department label -> its files
    positions: dict  # table name -> {department label -> row positions}
    means: object  # plots.ThemeMeans, or the message saying the corpus has no text of the scope
    panel: pd.DataFrame  # the metrics panel of the whole corpus (a department's rows are its panel)
    panel_rows: dict  # department label -> positions of its rows in ``panel``


def _corpus(tables: dict[str, pd.DataFrame]) -> _Corpus:
    from countyfiscal.analysis import panel, plots

    documents = tables["documents"]
    read = documents[documents["status"].isin(load.READ_STATUSES)]
    labels = dict(scope.department_labels(read).items())
    files: dict[str, list[str]] = {}
    for file, label in labels.items():
        files.setdefault(label, []).append(file)
    positions = {}
    out = {}
    for name, frame in tables.items():
        frame = frame.reset_index(drop=True)
        out[name] = frame
        if frame.empty or name == "recurring_themes":
            continue
        # A metric lists its input files, a flag may name several documents: ';'-separated, as scope.apply reads them.
        key = "inputs" if name == "metrics" else "file"
        if key not in frame.columns:
            continue
        column = frame[key].fillna("").astype(str)
        if column.str.contains(";", regex=False).any():
            column = column.str.split(";").explode()
        owner = column.map(labels)
        owner = owner[owner.notna()]
        groups = pd.Series(owner.index.to_numpy()).groupby(owner.to_numpy(), sort=False)
        positions[name] = {label: np.unique(rows.to_numpy()) for label, rows in groups}
    documents = out["documents"]
    means = plots.theme_means(out.get("themes", pd.DataFrame()), documents.assign(
        department_label=documents["file"].map(labels)), TEXT_SCOPE)
    # The panel pairs stated and recomputed values within a department: built once, it is each department's own.
    whole = panel.build_panel(scope.select(out).apply(out))
    return _Corpus(out, labels, files, positions, means, whole, whole.groupby("department_label", sort=False).indices)


def department_panel(corpus: _Corpus, department: str) -> pd.DataFrame:
    """``panel.build_panel(department_tables(corpus, department))``, from the corpus's panel."""
    rows = corpus.panel.iloc[corpus.panel_rows.get(department, np.array([], dtype=int))].reset_index(drop=True)
    rows.attrs = dict(corpus.panel.attrs)
    return rows


# The tables a profile's figure and page are drawn from (its metrics come from the corpus's panel, built once).
DRAWN_FROM = ("documents", "figures", "flags", "metrics", "themes")


def department_tables(corpus: _Corpus, department: str, names: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """The tables restricted to one department, as ``scope.select(tables, departments=[department]).apply(tables)``
    gives them, from the rows grouped once; only those of ``names`` (and documents) when given."""
    empty = np.array([], dtype=int)
    chosen_tables = {name: frame for name, frame in corpus.tables.items()
                     if names is None or name in names or name == "documents"}
    own = {name: (frame.iloc[corpus.positions.get(name, {}).get(department, empty)] if name in corpus.positions
                  else frame) for name, frame in chosen_tables.items()}
    own["documents"] = corpus.tables["documents"].iloc[corpus.positions["documents"].get(department, empty)]
    chosen = scope.Scope(departments=(department,), files=frozenset(corpus.files.get(department, ())), labels=corpus.labels)
    return chosen.apply(own)


def _table_html(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>(none)</p>"
    return frame.to_html(index=False, border=0, classes="data", na_rep="", escape=True)


def page_sections(department: str, tables: dict[str, pd.DataFrame], metrics_panel: pd.DataFrame | None = None
                  ) -> list[tuple[str, pd.DataFrame]]:
    """The tables of a department's profile, titled: documents, figures stated, metrics stated and recomputed (its
    ``panel.build_panel``, unless given), flags, themes with an example sentence each."""
    from countyfiscal.analysis import panel

    documents = tables["documents"]
    metrics_panel = panel.build_panel(tables) if metrics_panel is None else metrics_panel
    return [
        ("Documents", load.corpus_table(documents)),
        ("Figures stated", load.figure_table(tables["figures"], documents)),
        ("Metrics, stated and recomputed", panel.panel_table(metrics_panel)),
        ("Flags", load.flag_table(tables["flags"], documents, department)),
        ("Themes (work summary, work plan, performance: hits and an example sentence with its offsets)",
         load.theme_table(tables.get("themes", pd.DataFrame()), scope=TEXT_SCOPE, department=department, examples=True,
                          documents=documents)),
    ]


def page_html(department: str, tables: dict[str, pd.DataFrame], figures_href: str = "../figures",
              metrics_panel: pd.DataFrame | None = None) -> str:
    """A department's page: its profile figure (the documents it rests on are in its .json), then its tables."""
    from countyfiscal.report.index import STYLE, font_face

    stem = figure_stem(department)
    png = f"{figures_href}/{quote(stem)}.png"
    out = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
           f"<title>{html.escape(department)} — department profile</title>",
           f"<style>{font_face('../')}{STYLE} table.data {{ border-collapse: collapse; font-size: 0.8em; }} "
           "table.data td, table.data th { border: 1px solid #ddd; padding: 0.1em 0.4em; }</style></head><body>",
           f'<p><a href="../index.html">report</a></p><h1>{html.escape(department)}</h1>',
           f'<figure><img src="{png}" alt="{html.escape(stem)}" style="max-width:100%"><figcaption>'
           f'{html.escape(stem)} · <a href="{png}">PNG</a> · <a href="{figures_href}/{quote(stem)}.json">JSON</a> (sources)'
           "</figcaption></figure>"]
    for title, frame in page_sections(department, tables, metrics_panel):
        out += [f"<h2>{html.escape(title)}</h2>", _table_html(frame)]
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _draw(corpus: _Corpus, department: str, figures_dir: Path, pages_dir: Path | None) -> dict:
    """Draw one department's profile and write its page; a summary row (with the error, if any)."""
    from countyfiscal.analysis import plots

    row = {"department": department, "documents": 0, "figures": 0, "flags": 0, "error": ""}
    try:
        tables = department_tables(corpus, department, DRAWN_FROM)
        row.update(documents=len(tables["documents"]), figures=len(tables["figures"]), flags=len(tables["flags"]))
        fig = plots.plot_profile(tables["figures"], corpus.tables.get("themes", pd.DataFrame()), tables["documents"],
                                 department, scope=TEXT_SCOPE, means=corpus.means)
        plots.save_figure(fig, figure_stem(department), figures_dir, bulk=True)
        if pages_dir is not None:
            _write(pages_dir / page_name(department), page_html(department, tables,
                                                                metrics_panel=department_panel(corpus, department)))
    except Exception as exc:  # noqa: BLE001 - one department's failure is named; the others are still drawn
        text = str(exc).strip().splitlines()
        row["error"] = f"{type(exc).__name__}: {text[0] if text else ''}"
    return row


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


_FORKED: dict = {}  # what a forked process draws from (inherited, never pickled)


def _die_with_parent() -> None:
    """Linux: a drawing process ends when the kernel that forked it ends (a stopped `countyfiscal figures`)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _draw_chunk(departments: Sequence[str]) -> list[dict]:
    return [_draw(_FORKED["corpus"], d, _FORKED["figures_dir"], _FORKED["pages_dir"]) for d in departments]


def _jobs(jobs: int | None) -> int:
    if jobs is None:
        jobs = int(os.environ.get("COUNTYFISCAL_JOBS", "1") or 1)
    return max(1, jobs)


# ---------------------------------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class Profiles:
    """The profiles drawn: one row per department (documents, figures, flags it rests on, error if any). A single
    department's profile also shows its figure and tables where it is displayed (a notebook in JupyterLab)."""

    rows: pd.DataFrame
    figure: object = None  # plots.SavedFigure of a single department
    sections: tuple = ()  # (title, table) of a single department

    def table(self) -> pd.DataFrame:
        return self.rows.drop(columns=["error"]) if not self.rows["error"].astype(bool).any() else self.rows

    def _repr_html_(self) -> str:
        base = os.environ.get("COUNTYFISCAL_FIGURES_HREF")  # set by `countyfiscal figures`: link the pages and PNGs
        shown = self.table()
        if base is not None:
            pages = base.rsplit("/", 1)[0] + "/" + PAGES
            shown = shown.assign(department=[
                f'<a href="{pages}/{quote(page_name(d))}">{html.escape(d)}</a> · '
                f'<a href="{base}/{quote(figure_stem(d))}.png">PNG</a>' for d in shown["department"]])
            return shown.to_html(index=False, escape=False, border=0) + self._single_html()
        return shown.to_html(index=False, border=0) + self._single_html()

    def _single_html(self) -> str:
        parts = [self.figure._repr_html_()] if self.figure is not None else []
        for title, frame in self.sections:
            parts += [f"<h3>{html.escape(title)}</h3>", _table_html(frame)]
        return "\n".join(parts)

    def __repr__(self) -> str:
        text = [self.table().to_string(index=False)]
        for title, frame in self.sections:
            text += ["", f"{title}:", frame.to_string(index=False) if not frame.empty else "(none)"]
        return "\n".join(text)


def write_profiles(tables: dict[str, pd.DataFrame], departments: Sequence[str], figures_dir: str | Path = "reports/figures",
                   pages_dir: str | Path | None = "reports/profiles", jobs: int | None = None) -> Profiles:
    """Draw every department's profile (``figures_dir/10_department_profile__profile__<department>.png`` and .json) and
    write its page (``pages_dir/<department>.html``; none when ``pages_dir`` is None). ``tables``: the processed
    tables (documents, figures, flags, metrics; themes and statements when present), not scoped. ``jobs``: processes
    to spread a large corpus over (default ``$COUNTYFISCAL_JOBS``, else 1).

    Returns the summary (one row per department). ProfileError names the departments that failed after every other
    profile is written.
    """
    figures_dir = load.resolve(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    if pages_dir is not None:
        pages_dir = load.resolve(pages_dir)
        pages_dir.mkdir(parents=True, exist_ok=True)
    corpus = _corpus(tables)
    departments = list(departments)
    workers = min(_jobs(jobs), len(departments) // MIN_PER_PROCESS)
    if workers > 1:
        import multiprocessing

        _FORKED.update(corpus=corpus, figures_dir=figures_dir, pages_dir=pages_dir)
        chunks = [departments[i:i + CHUNK] for i in range(0, len(departments), CHUNK)]
        try:
            # fork: the processes inherit the corpus instead of receiving a pickled copy of every table.
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                                     initializer=_die_with_parent) as pool:
                rows = [row for chunk in pool.map(_draw_chunk, chunks) for row in chunk]
        finally:
            _FORKED.clear()
    else:
        rows = [_draw(corpus, d, figures_dir, pages_dir) for d in departments]
    failed = [r for r in rows if r["error"]]
    single = {}
    if len(departments) == 1 and not failed:
        from countyfiscal.analysis import plots

        stem = figure_stem(departments[0])
        single = {"figure": plots.SavedFigure(figures_dir / f"{stem}.png", None, figures_dir / f"{stem}.json"),
                  "sections": tuple(page_sections(departments[0], department_tables(corpus, departments[0]),
                                                  department_panel(corpus, departments[0])))}
    result = Profiles(pd.DataFrame(rows, columns=["department", "documents", "figures", "flags", "error"]), **single)
    if failed:
        names = "、".join(r["department"] for r in failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
        raise ProfileError(f"{len(failed)} of {len(rows)} profiles failed ({names}); the first: {failed[0]['error']}")
    return result
