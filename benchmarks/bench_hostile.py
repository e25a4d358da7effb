"""Issue #14 item 3's numbers: seconds and peak memory to read each hostile input (tests/_hostile.py), and the
readers' speed on real documents, for this tree and, with --against, another checkout (e.g. main) measured in turn.

Usage: .venv/bin/python benchmarks/bench_hostile.py [--against /work/main] [--timeout 120] [--rounds 3]
Each reading runs in its own process (PYTHONPATH = the tree's src) under a time limit and a 4 GB address-space
limit, so a reader that hangs or balloons is reported as such, not waited for. Prints markdown.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MEMORY_LIMIT = 4 << 30


def _worker_read(path: str) -> None:
    from countyfiscal.ingest import read_document
    from countyfiscal.model import RejectedInput

    t0 = time.perf_counter()
    try:
        doc = read_document(path)
        outcome = f"read: {len(doc.text):,} characters" + (f"; {doc.warnings[0][:60]}…" if doc.warnings else "")
    except RejectedInput as exc:
        outcome = f"rejected: {exc}"
    except MemoryError:
        outcome = "MemoryError"
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "rss": rss, "outcome": outcome}))


def _worker_speed(paths: list[str], repeat: int) -> None:
    from countyfiscal.ingest import read_document

    for p in paths:  # warm-up: imports, compiled patterns
        read_document(p)
    t0 = time.perf_counter()
    for _ in range(repeat):
        for p in paths:
            read_document(p)
    print(json.dumps({"seconds": time.perf_counter() - t0}))


def _run(src: Path, args: list[str], timeout: float) -> dict:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = dict(os.environ, PYTHONPATH=str(src))
    t0 = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True,
                             timeout=timeout, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return {"seconds": time.perf_counter() - t0, "rss": None, "outcome": f"still running after {timeout:.0f} s"}
    if out.returncode:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1][:80]
        return {"seconds": time.perf_counter() - t0, "rss": None, "outcome": f"crashed ({tail})"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _hostile_inputs(folder: Path) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT / "tests"))
    import _hostile

    files = _hostile.build_all(folder)
    files["page_tree_bomb_10000.pdf"] = _hostile.page_tree_bomb_pdf(folder, "page_tree_bomb_10000.pdf", 10_000)
    files["zip_bomb_100mb.docx"] = _hostile.zip_bomb_docx(folder, "zip_bomb_100mb.docx", 100)
    files["zip_bomb_lying.docx"] = _hostile.zip_bomb_docx(folder, "zip_bomb_lying.docx", 100, recorded_size=1 << 20)
    files["html_16mb.html"] = _hostile.huge_html(folder, "html_16mb.html", 15.9)
    return files


def _corpora(folder: Path) -> dict[str, list[str]]:
    """Real documents per format: the seeds (.txt, and as .docx and .html pages), the portal pages, the dev PDFs."""
    import docx

    seeds = sorted((ROOT / "data" / "raw").glob("*.txt"))
    out: dict[str, list[str]] = {"txt": [str(p) for p in seeds], "docx": [], "html": [], "pdf": []}
    for p in seeds:
        text = p.read_text(encoding="utf-8")
        d = docx.Document()
        for line in text.split("\n"):
            d.add_paragraph(line)
        buf = io.BytesIO()
        d.save(buf)
        (folder / f"{p.stem}.docx").write_bytes(buf.getvalue())
        out["docx"].append(str(folder / f"{p.stem}.docx"))
        page = "".join(f"<p>{html.escape(line)}</p>\n" for line in text.split("\n"))
        (folder / f"{p.stem}.html").write_text(f"<html><body><nav><a href='/'>首页</a></nav><article>{page}"
                                               "</article></body></html>", encoding="utf-8")
        out["html"].append(str(folder / f"{p.stem}.html"))
    out["html"] += [str(p) for p in sorted((SHARED / "wide-corpus").glob("*.html"))]
    out["pdf"] = [str(p) for p in sorted((SHARED / "dev-corpus").glob("*.pdf"))]
    return out


def _mb(n: int | None) -> str:
    return "—" if n is None else f"{n / (1 << 20):,.0f} MB"


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker-read":
        return _worker_read(sys.argv[2])
    if len(sys.argv) > 3 and sys.argv[1] == "--worker-speed":
        return _worker_speed(sys.argv[3:], int(sys.argv[2]))
    ap = argparse.ArgumentParser()
    ap.add_argument("--against", type=Path, help="another checkout (its src/ is used), e.g. /work/main")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    trees = {"this tree": ROOT / "src"}
    if args.against:
        trees[str(args.against)] = args.against.resolve() / "src"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = _hostile_inputs(folder)
        print("## Hostile inputs (one process each, 4 GB address-space limit)\n")
        print("| input | size | " + " | ".join(f"{name}: seconds, peak RSS, outcome" for name in trees) + " |")
        print("|---|---|" + "---|" * len(trees))
        for name, path in files.items():
            cells = []
            for src in trees.values():
                r = _run(src, ["--worker-read", str(path)], args.timeout)
                cells.append(f"{r['seconds']:.2f} s, {_mb(r['rss'])}, {r['outcome'][:110]}")
            print(f"| {name} | {path.stat().st_size / (1 << 20):,.2f} MB | " + " | ".join(cells) + " |")
        corpora = _corpora(folder)
        print("\n## Readers on real documents (read_document, best of rounds, trees measured in turn)\n")
        print("| format | files | " + " | ".join(f"{name} ms/file" for name in trees)
              + (" | ratio this/other |" if len(trees) == 2 else " |"))
        print("|---|---|" + "---|" * (len(trees) + (len(trees) == 2)))
        repeat = {"txt": 20, "docx": 20, "html": 20, "pdf": 2}
        for fmt, paths in corpora.items():
            best = {name: float("inf") for name in trees}
            for _ in range(args.rounds):
                for name, src in trees.items():
                    r = _run(src, ["--worker-speed", str(repeat[fmt]), *paths], args.timeout * 5)
                    best[name] = min(best[name], r["seconds"])
            per = {name: 1000 * s / (repeat[fmt] * len(paths)) for name, s in best.items()}
            cells = [f"{v:.1f}" for v in per.values()]
            if len(trees) == 2:
                a, b = per.values()
                cells.append(f"{a / b:.2f}")
            print(f"| {fmt} | {len(paths)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
