"""Write reports/index.html: every run (with its parameters and outcome), every figure with the sources it rests on."""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

FONT_FILE = "NotoSansCJKsc-Regular.otf"


def font_face(prefix: str) -> str:
    """CSS that gives every page the bundled CJK font (a machine's own copy first): a viewer without Chinese fonts
    would otherwise see boxes. ``prefix``: the path from the page to the report folder."""
    return ('@font-face { font-family: "Noto Sans CJK SC"; src: local("Noto Sans CJK SC"), local("NotoSansCJKsc-Regular"), '
            f'url("{prefix}fonts/{FONT_FILE}") format("opentype"); }}')


def cjk_font_path() -> Path:
    """mplfonts' Noto Sans CJK SC, found without importing matplotlib (the report's parent process draws nothing)."""
    import importlib.util

    spec = importlib.util.find_spec("mplfonts")
    return next(p for folder in spec.submodule_search_locations for p in Path(folder).rglob(FONT_FILE))


def install_font(reports_dir: str | Path) -> Path:
    """Put mplfonts' Noto Sans CJK SC into ``reports_dir/fonts`` (a hard link where possible, else a copy)."""
    import os
    import shutil

    target = Path(reports_dir) / "fonts" / FONT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        try:
            os.link(cjk_font_path(), target)
        except OSError:
            shutil.copyfile(cjk_font_path(), target)
    return target


STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 2em auto; max-width: 1250px; color: #222; line-height: 1.5; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
ul.runs li { margin: 0.2em 0; } .failed { color: #b00020; font-weight: bold; } .params { color: #555; font-size: 0.9em; }
.figures { display: grid; grid-template-columns: 1fr; gap: 1.5em; }
figure { margin: 0; border: 1px solid #eee; padding: 0.5em; background: #fff; }
figure img { max-width: 100%; height: auto; } figcaption { font-size: 0.85em; color: #444; }
figcaption .stem { color: #777; word-break: break-all; }
table.sources { border-collapse: collapse; font-size: 0.85em; margin-top: 0.3em; }
table.sources td, table.sources th { border: 1px solid #ddd; padding: 0.1em 0.4em; text-align: left; vertical-align: top; }
ol.profiles { columns: 3 18em; font-size: 0.95em; }
"""
# Runs of a notebook with more than this many runs (the profiles) are listed as links, their figures on their pages.
MANY_RUNS = 12


def _href(*parts: str) -> str:
    # Names may hold Chinese place names; percent-encode them so every browser follows the relative link.
    return "/".join(quote(p) for p in parts)


def _params(parameters: Mapping) -> str:
    shown = {k: v for k, v in (parameters or {}).items() if k not in ("processed_dir", "figures_dir")}
    if not shown:
        return ""
    return '<span class="params">(' + html.escape(", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in shown.items())) + ")</span>"


def _caption(stem: str, info: dict) -> str:
    parts = [f"<b>{html.escape(info.get('title') or stem)}</b>"]
    sources = info.get("sources") or []
    if sources:
        rows = "".join(
            f"<tr><td>{html.escape(str(s.get('document', '')))}</td><td>{html.escape(str(s.get('file', '')))}</td>"
            f"<td>{html.escape(str(s.get('pages', '')))}</td><td>{html.escape(str(s.get('tables', '')))}</td></tr>"
            for s in sources)
        parts.append(f"<details><summary>Sources: {len(sources)} document{'s' if len(sources) != 1 else ''}</summary>"
                     '<table class="sources"><tr><th>document</th><th>file</th><th>pages</th><th>tables</th></tr>'
                     f"{rows}</table></details>")
    parts.append(f'<span class="stem">{html.escape(stem)} · <a href="{_href("figures", stem + ".png")}">PNG</a>'
                 + (f' · <a href="{_href("figures", stem + ".svg")}">SVG</a>' if info.get("_svg") else "")
                 + f' · <a href="{_href("figures", stem + ".json")}">JSON</a></span>')
    return "<br>".join(parts)


def index_html(records: Sequence[Mapping], figures: Mapping[str, dict], notebooks: Sequence[str],
               profiles: Sequence[str] = ()) -> str:
    """The report page as text. ``records``: runs (name, notebook, parameters, error); ``figures``: PNG stem -> its
    JSON info; ``notebooks``: HTML stems present; ``profiles``: departments with a page in ``profiles/``.

    >>> page = index_html([{"name": "01_a", "notebook": "01_a", "parameters": {}, "error": ""}],
    ...                   {"01_a__x": {"title": "T", "sources": [{"document": "甲 2023 预算", "file": "a.txt", "pages": "", "tables": ""}]}},
    ...                   ["01_a"])
    >>> 'href="notebooks/01_a.html"' in page and 'src="figures/01_a__x.png"' in page and "甲 2023 预算" in page
    True
    """
    failed = {r["name"]: r["error"] for r in records if r.get("error")}
    by_notebook: dict[str, list[Mapping]] = {}
    for r in records:
        by_notebook.setdefault(r["notebook"], []).append(r)
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        "<title>countyfiscal report</title>",
        f"<style>{font_face('')}{STYLE}</style></head><body>",
        "<h1>countyfiscal report</h1>",
        f"<p>{len(records) - len(failed)} of {len(records)} notebooks ran; {len(figures)} figures "
        "(PNG at 200 dpi; each caption lists the documents, pages and tables the figure rests on). "
        "Regenerate with <code>make figures</code>.</p>",
    ]
    if failed:
        out.append('<h2 class="failed">Failed notebooks</h2><ul>')
        out += [f'<li class="failed">{html.escape(n)}: {html.escape(failed[n])}</li>' for n in sorted(failed)]
        out.append("</ul>")
    out.append('<h2>Notebooks</h2><ul class="runs">')
    for notebook in sorted(by_notebook):
        runs = by_notebook[notebook]
        if len(runs) > MANY_RUNS:
            out.append(f'<li>{html.escape(notebook)}: {len(runs)} runs, <a href="#{html.escape(notebook)}">listed below</a>'
                       + (f' <span class="failed">({sum(r["name"] in failed for r in runs)} failed)</span>'
                          if any(r["name"] in failed for r in runs) else "") + "</li>")
            continue
        for r in sorted(runs, key=lambda r: r["name"]):
            out.append(_run_item(r, notebooks, failed))
    out.append("</ul>")
    if profiles:
        from countyfiscal.report.profiles import figure_stem, page_name

        out.append(f'<h2 id="profiles">Department profiles ({len(profiles)})</h2><ol class="profiles">')
        out += [f'<li><a href="{_href("profiles", page_name(d))}">{html.escape(d)}</a> · '
                f'<a href="{_href("figures", figure_stem(d) + ".png")}">PNG</a></li>' for d in profiles]
        out.append("</ol>")
    groups: dict[str, list[str]] = {}
    for stem in sorted(figures):
        groups.setdefault(stem.split("__")[0], []).append(stem)
    for notebook in sorted(set(groups) | {n for n, rs in by_notebook.items() if len(rs) > MANY_RUNS}):
        runs = by_notebook.get(notebook, [])
        out.append(f'<h2 id="{html.escape(notebook)}">{html.escape(notebook)}</h2>')
        if len(runs) > MANY_RUNS:
            out.append('<ol class="profiles">' + "".join(_run_item(r, notebooks, failed, short=True) for r in sorted(runs, key=lambda r: r["name"]))
                       + "</ol>")
            continue
        out.append('<div class="figures">')
        for stem in groups.get(notebook, []):
            size = figures[stem].get("_size")
            width = f' width="{size[0] // 2}"' if size else ""  # 200 dpi shown at the size it was drawn
            out.append(f'<figure><img src="{_href("figures", stem + ".png")}" alt="{html.escape(stem)}"{width} loading="lazy">'
                       f"<figcaption>{_caption(stem, figures[stem])}</figcaption></figure>")
        out.append("</div>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _run_item(r: Mapping, notebooks: Sequence[str], failed: Mapping[str, str], short: bool = False) -> str:
    """A run as a list item: '05_work_themes — duties (text_scope = "duties")'; in a long list, just its value."""
    notebook, _, value = r["name"].partition("__")
    label = html.escape(value if short and value else (f"{notebook} — {value}" if value else notebook))
    shown = {k: v for k, v in (r.get("parameters") or {}).items() if str(v) != value}
    if r["name"] in notebooks:
        status = ' <span class="failed">(failed)</span>' if r["name"] in failed else ""
        return (f'<li><a href="{_href("notebooks", r["name"] + ".html")}">{label}</a>{status} {_params(shown)} '
                f'(<a href="{_href("notebooks", r["name"] + ".ipynb")}">ipynb</a>)</li>')
    return f'<li>{label} <span class="failed">(not run)</span></li>'


def write_index(reports_dir: str | Path, records: Sequence[Mapping]) -> Path:
    """Write ``reports_dir/index.html`` from the run records and what is on disk under ``figures/`` and ``notebooks/``.

    Figures of runs listed as links are shown on their notebooks' pages, not on the index; so are the department
    profiles' figures when there are more than MANY_RUNS of them (each has its page, listed on the index).
    """
    from countyfiscal.report.profiles import PAGES, figure_stem, page_name

    reports_dir = Path(reports_dir)
    many = {n for n in {r["notebook"] for r in records} if sum(r["notebook"] == n for r in records) > MANY_RUNS}
    pages = {p.name for p in (reports_dir / PAGES).glob("*.html")}
    figures = {}
    profile_prefix = figure_stem("x")[:-1]
    profile_pngs = [p for p in (reports_dir / "figures").glob(profile_prefix + "*.png")]
    departments = sorted(p.stem[len(profile_prefix):] for p in profile_pngs if page_name(p.stem[len(profile_prefix):]) in pages)
    for png in sorted((reports_dir / "figures").glob("*.png")):
        if png.stem.split("__")[0] in many or (len(departments) > MANY_RUNS and png.stem.startswith(profile_prefix)):
            continue
        info_path = png.with_suffix(".json")
        info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
        info["_svg"] = png.with_suffix(".svg").is_file()
        with contextlib.suppress(OSError):
            from PIL import Image

            with Image.open(png) as image:  # reads the header only
                info["_size"] = image.size
        figures[png.stem] = info
    notebooks = [p.stem for p in (reports_dir / "notebooks").glob("*.html")]
    path = reports_dir / "index.html"
    path.write_text(index_html(records, figures, notebooks, departments), encoding="utf-8")
    return path
