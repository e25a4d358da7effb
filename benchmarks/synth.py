"""Make a synthetic corpus of N disclosures from the seeds, with consistent perturbations, as .txt (and some as PDF).

Each synthetic document is one seed with, all changed together so the checks still pass:
- its jurisdiction moved to another real county of ``resources/divisions.csv`` (county, city and province names);
- its years shifted by the same number of years (2023年 → 2021年, 2022-2023年 → 2020-2021年);
- every money amount multiplied by one whole factor (2–9), printed with the same decimals and separators, so sums
  of parts stay exact and shares and percentage changes are unchanged;
- from the second pass over the counties on (document 13,350 and later), the department renamed (信访局 → 司法局,
  审计局, …, one per pass): a county's second budget of a year is another department's, as in a real corpus, not
  the same department restating every figure at another scale (which made the cross-document checks flag every
  pair of the ~35 copies a 100,000-document corpus held of each department).
Variant i is fully determined by i (seed i mod 5, county, factor, shift), so no two documents are the same text.

Usage:
    .venv/bin/python benchmarks/synth.py OUT_DIR --n 10000            # N .txt disclosures
    .venv/bin/python benchmarks/synth.py OUT_DIR --n 200 --pdf        # the same as PDFs (matplotlib, Noto Sans CJK SC)
Write under /tmp or benchmarks/.corpus/ (git-ignored); never commit a corpus.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from countyfiscal.amounts import AMOUNT_RE

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "data" / "raw"
DIVISIONS = ROOT / "src" / "countyfiscal" / "resources" / "divisions.csv"
FACTORS = (2, 3, 4, 5, 6, 7, 8, 9)
# The department of each pass over the counties (the seeds are all 信访局); as many as FACTORS.
BUREAUS = ("信访局", "司法局", "审计局", "统计局", "档案局", "民政局", "商务局", "水利局")
SHIFTS = (0, -1, -2, -3, 1)
# A year: four digits starting 20, followed by 年 (2023年, 2023年度) or by a range ending in 年 (2022-2023年).
YEAR_RE = re.compile(r"(?<![\d.,])(20[0-3]\d)(?=\s*(?:年|[-—–~至]\s*20[0-3]\d\s*年))")


@lru_cache(maxsize=1)
def seeds() -> list[tuple[str, str, dict]]:
    """(name, text, facts) of every seed: facts are the names the generator replaces."""
    from countyfiscal.metadata import describe

    out = []
    for path in sorted(SEED_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        meta = describe(text, path.name)
        out.append((path.stem, text, {k: meta.get(k) or "" for k in ("province", "city", "county")}))
    return out


@lru_cache(maxsize=1)
def counties() -> list[dict]:
    """Real counties whose name is unique in the country (so the place resolves without context)."""
    with open(DIVISIONS, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["level"] == "county"]
    count: dict[str, int] = {}
    for r in rows:
        count[r["name"]] = count.get(r["name"], 0) + 1
    keep = [r for r in rows if count[r["name"]] == 1 and r["city"] and r["province"] and r["city"] != r["province"] and r["name"].endswith(("县", "区", "市", "旗"))]
    return sorted(keep, key=lambda r: r["code"])


def _scale_amount(m: re.Match, factor: int) -> str:
    num, unit = m.group("num"), m.group("unit")
    value = Decimal(num.replace(",", "")) * factor
    decimals = len(num.split(".", 1)[1]) if "." in num else 0
    printed = f"{value:,.{decimals}f}" if "," in num else f"{value:.{decimals}f}"
    return m.group(0).replace(num, printed, 1)


def perturb(text: str, facts: dict, county: dict, factor: int, shift: int, bureau: str = BUREAUS[0]) -> str:
    """The seed text with place, years and money (and the department, for ``bureau``) changed together."""
    if bureau != BUREAUS[0]:
        text = text.replace(BUREAUS[0], bureau)
    # Money first (years are never followed by a money unit), then years, then names.
    text = AMOUNT_RE.sub(lambda m: _scale_amount(m, factor), text)
    if shift:
        text = YEAR_RE.sub(lambda m: str(int(m.group(1)) + shift), text)
    pairs = [(facts["county"], county["name"]), (facts["city"], county["city"]), (facts["province"], county["province"])]
    # Placeholders first, so a new name that contains an old one is not replaced twice.
    for i, (old, _) in enumerate(pairs):
        if old:
            text = text.replace(old, f"\ue000{i}\ue001")
    for i, (_, new) in enumerate(pairs):
        text = text.replace(f"\ue000{i}\ue001", new)
    return text


def variant(i: int) -> tuple[str, str, dict]:
    """Synthetic document i: (file stem, text, what was chosen)."""
    base = seeds()
    places = counties()
    stem, text, facts = base[i % len(base)]
    j = i // len(base)
    county = places[(j * 7919) % len(places)]  # a stride coprime with the list length visits every county
    factor = FACTORS[(j // len(places)) % len(FACTORS)]
    bureau = BUREAUS[(j // len(places)) % len(BUREAUS)]
    shift = SHIFTS[(i // 3) % len(SHIFTS)]
    chosen = {"seed": stem, "county": county["name"], "code": county["code"], "factor": factor, "shift": shift,
              "bureau": bureau}
    return f"synth_{i:06d}", perturb(text, facts, county, factor, shift, bureau), chosen


def write_txt(out_dir: Path, n: int, start: int = 0) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        stem, text, _ = variant(i)
        path = out_dir / f"{stem}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def write_pdf(out_dir: Path, n: int, start: int = 0, lines_per_page: int = 42, width: int = 38) -> list[Path]:
    """Each variant typeset on A4 pages with matplotlib's PDF backend (TrueType-embedded Noto Sans CJK SC)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.font_manager as fm
    import matplotlib.pyplot as plt
    import mplfonts
    from matplotlib.backends.backend_pdf import PdfPages

    font_path = next(Path(mplfonts.__file__).parent.rglob("NotoSansCJKsc-Regular.otf"))
    fm.fontManager.addfont(str(font_path))
    prop = fm.FontProperties(fname=str(font_path))
    matplotlib.rcParams["pdf.fonttype"] = 42
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n):
        stem, text, _ = variant(i)
        lines = []
        for para in text.splitlines():
            para = para.strip()
            lines.extend([para[k:k + width] for k in range(0, len(para), width)] or [""])
        path = out_dir / f"{stem}.pdf"
        with PdfPages(path, metadata={"CreationDate": None, "ModDate": None, "Producer": "countyfiscal synth"}) as pdf:
            for p in range(0, len(lines), lines_per_page):
                fig = plt.figure(figsize=(8.27, 11.69))
                for k, line in enumerate(lines[p:p + lines_per_page]):
                    fig.text(0.08, 0.95 - k * 0.0215, line, fontproperties=prop, fontsize=10.5, va="top")
                pdf.savefig(fig)
                plt.close(fig)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--n", type=int, required=True, help="number of documents")
    ap.add_argument("--start", type=int, default=0, help="index of the first variant")
    ap.add_argument("--pdf", action="store_true", help="write PDFs instead of .txt")
    args = ap.parse_args(argv)
    out = Path(args.out_dir)
    paths = (write_pdf if args.pdf else write_txt)(out, args.n, args.start)
    print(f"{len(paths)} {'PDF' if args.pdf else 'text'} disclosures -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
