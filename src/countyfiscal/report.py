"""Write reports/index.html: a link to every executed notebook (rendered without code) and every figure."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 2em auto; max-width: 1200px; color: #222; line-height: 1.5; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
ul.runs li { margin: 0.2em 0; } .failed { color: #b00020; font-weight: bold; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 1.2em; }
figure { margin: 0; border: 1px solid #eee; padding: 0.5em; background: #fff; }
figure img { width: 100%; height: auto; } figcaption { font-size: 0.85em; color: #555; word-break: break-all; }
"""


def _href(*parts: str) -> str:
    # Names may hold Chinese place names; percent-encode them so every browser follows the relative link.
    return "/".join(quote(p) for p in parts)


def index_html(runs: Sequence, failures: Mapping[str, str], figures: Sequence[str], notebooks: Sequence[str]) -> str:
    """The report page as text. ``runs`` have ``.name``; ``figures`` are PNG stems; ``notebooks`` are HTML stems present.

    >>> from types import SimpleNamespace as R
    >>> page = index_html([R(name="01_a")], {}, ["01_a__x"], ["01_a"])
    >>> 'href="notebooks/01_a.html"' in page and 'src="figures/01_a__x.png"' in page
    True
    """
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        "<title>countyfiscal report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>countyfiscal report</h1>",
        f"<p>{len(runs) - len(failures)} of {len(runs)} notebooks ran; {len(figures)} figures "
        "(PNG shown; SVG linked). Regenerate with <code>make figures</code>.</p>",
    ]
    if failures:
        out.append('<h2 class="failed">Failed notebooks</h2><ul>')
        out += [f'<li class="failed">{html.escape(n)}: {html.escape(failures[n])}</li>' for n in sorted(failures)]
        out.append("</ul>")
    out.append('<h2>Notebooks</h2><ul class="runs">')
    for run in sorted(runs, key=lambda r: r.name):
        name = html.escape(run.name)
        if run.name in notebooks:
            status = ' <span class="failed">(failed)</span>' if run.name in failures else ""
            out.append(
                f'<li><a href="{_href("notebooks", run.name + ".html")}">{name}</a>{status} '
                f'(<a href="{_href("notebooks", run.name + ".ipynb")}">ipynb</a>)</li>'
            )
        else:
            out.append(f'<li>{name} <span class="failed">(not run)</span></li>')
    out.append("</ul>")
    groups: dict[str, list[str]] = {}
    for stem in sorted(figures):
        groups.setdefault(stem.split("__")[0], []).append(stem)
    for notebook, stems in groups.items():
        out.append(f'<h2 id="{html.escape(notebook)}">{html.escape(notebook)}</h2><div class="figures">')
        for stem in stems:
            out.append(
                f'<figure><img src="{_href("figures", stem + ".png")}" alt="{html.escape(stem)}" loading="lazy">'
                f'<figcaption>{html.escape(stem)} · <a href="{_href("figures", stem + ".svg")}">SVG</a></figcaption></figure>'
            )
        out.append("</div>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_index(reports_dir: str | Path, runs: Sequence, failures: Mapping[str, str]) -> Path:
    """Write ``reports_dir/index.html`` from what is on disk under ``figures/`` and ``notebooks/``; returns its path."""
    reports_dir = Path(reports_dir)
    figures = [p.stem for p in (reports_dir / "figures").glob("*.png")]
    notebooks = [p.stem for p in (reports_dir / "notebooks").glob("*.html")]
    path = reports_dir / "index.html"
    path.write_text(index_html(runs, failures, figures, notebooks), encoding="utf-8")
    return path
