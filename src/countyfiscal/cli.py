"""The command line: extract, check, figures, tokens."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _cmd_extract(args: argparse.Namespace) -> int:
    from countyfiscal.pipeline import RunError, run_extract
    from countyfiscal.workers import Limits

    limits = Limits(seconds=args.time_limit, seconds_per_page=args.time_per_page, memory_mb=args.memory_limit)
    try:
        s = run_extract(args.raw_dir, args.out, jobs=args.jobs, progress=None if not args.quiet else False,
                        text_mining=args.text_mining, checks=args.checks, dask=args.dask, limits=limits)
    except RunError as exc:
        print(f"countyfiscal extract: {exc}", file=sys.stderr)
        return 2
    print(
        f"{s['files']} files: {s['ok']} ok, {s['partial']} partial, {s['rejected']} rejected, "
        f"{s['duplicate']} duplicate; {s['figures']} figures, {s['flags']} flags -> {args.out}"
    )
    _print_manifest_notes(args.raw_dir, Path(args.out))
    return 0


def _print_manifest_notes(raw_dir: str, out: Path, shown: int = 20) -> None:
    """Where the raw folder's MANIFEST.csv and the files just read disagree, one line each on stderr."""
    import pandas as pd

    from countyfiscal.manifest import manifest_notes

    docs = pd.read_parquet(out / "documents.parquet", columns=["file", "sha256"])
    files = dict(zip(docs["file"], docs["sha256"].fillna("")))
    notes = manifest_notes(raw_dir, {name: sha for name, sha in files.items() if sha})
    for note in notes[:shown]:
        print(f"note: {note}", file=sys.stderr)
    if len(notes) > shown:
        print(f"note: … and {len(notes) - shown} more files not matching {raw_dir}/MANIFEST.csv", file=sys.stderr)


def _cmd_check(args: argparse.Namespace) -> int:
    from countyfiscal.pipeline import RunError, run_check

    try:
        n = run_check(args.processed, args.raw_dir)
    except RunError as exc:
        print(f"countyfiscal check: {exc}", file=sys.stderr)
        return 2
    print(f"{n} flags -> {Path(args.processed) / 'flags.csv'}")
    return 0


def _parameter(text: str) -> tuple[str, object]:
    """'name=value' from the command line; the value read as JSON when it is JSON (["红塔区","曾都区"], 2023),
    else kept as text (信访)."""
    import json

    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    return name.strip(), parsed


def _cmd_figures(args: argparse.Namespace) -> int:
    from countyfiscal.report.render import render_all

    # Paths typed on the command line are the caller's; the defaults are the repository's (render_all resolves them).
    here = Path.cwd()
    config = here / args.config if args.config else "reports.yml"
    reports = here / args.reports if args.reports else "reports"
    processed = here / args.processed if args.processed else "data/processed"
    return render_all(config=config, reports_dir=reports, processed_dir=processed, jobs=args.jobs,
                      only=args.only or (), parameters=dict(args.parameter or []))


def _cmd_tokens(args: argparse.Namespace) -> int:
    from countyfiscal.text.tokenizer import tokens_line

    print(tokens_line(" ".join(args.text)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from countyfiscal.workers import Limits

    p = argparse.ArgumentParser(prog="countyfiscal", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("extract", help="read every disclosure in RAW_DIR; write documents/figures/flags/metrics/…")
    e.add_argument("raw_dir", nargs="?", default="data/raw")
    e.add_argument("--out", default="data/processed")
    e.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="worker processes (default: all cores; 0: read in this process, without the limits below)")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    e.add_argument("--no-text-mining", dest="text_mining", action="store_false",
                   help="no text mining (sections, themes, keywords, recurring themes)")
    e.add_argument("--no-checks", dest="checks", action="store_false",
                   help="no checks: no flags, statements or metrics tables (run `countyfiscal check` later)")
    e.add_argument("--time-limit", type=float, default=Limits.seconds, metavar="SECONDS",
                   help="per document: give up on one that takes longer than this plus --time-per-page for each "
                        f"page (default {Limits.seconds:g}; 0: no limit)")
    e.add_argument("--time-per-page", type=float, default=Limits.seconds_per_page, metavar="SECONDS",
                   help=f"added to --time-limit per page of a PDF, for at most {Limits.max_pages} pages (default "
                        f"{Limits.seconds_per_page:g}: OCR reads a scanned page in ~4 s)")
    e.add_argument("--memory-limit", type=int, default=Limits.memory_mb, metavar="MB",
                   help=f"per document: give up on one whose worker grows past this (default {Limits.memory_mb}; "
                        "0: no limit)")
    e.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run the documents on the dask.distributed scheduler at ADDRESS (tcp://host:8786) "
                        "instead of local processes; needs countyfiscal[dask]")
    e.set_defaults(func=_cmd_extract)

    c = sub.add_parser("check", help="re-run the checks and metrics on an extraction")
    c.add_argument("processed", nargs="?", default="data/processed")
    c.add_argument("--raw-dir", default="data/raw")
    c.set_defaults(func=_cmd_check)

    f = sub.add_parser(
        "figures", help="run every notebook of reports.yml (or one, scoped); write reports/",
        description="Validate the processed tables, run the notebooks of reports.yml into a fresh report folder and "
                    "swap it in when done (the previous report stays until then). A missing or damaged table is one "
                    "sentence and exit 2. Relative paths you type are taken from the current folder; the defaults "
                    "are the repository's.",
        epilog="examples:\n"
               "  countyfiscal figures\n"
               "  countyfiscal figures --only 02_budget_compression -p 'jurisdictions=[\"红塔区\",\"曾都区\"]'\n"
               "  countyfiscal figures --only 02 -p departments=信访 -p fiscal_years=2023\n"
               "  countyfiscal figures --only 10_department_profile -p department=杭州市司法局",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    f.add_argument("--config", default=None, metavar="YAML",
                   help="the list of notebook runs (default: reports.yml in the repository)")
    f.add_argument("--reports", default=None, metavar="DIR",
                   help="where the report goes: index.html, notebooks/, figures/ (default: reports/ in the repository)")
    f.add_argument("--processed", default=None, metavar="DIR",
                   help="the tables `countyfiscal extract` wrote (default: data/processed/ in the repository)")
    f.add_argument("--jobs", type=int, default=2, metavar="N",
                   help="notebooks run at once, each worker keeping one kernel (default: 2)")
    f.add_argument("--only", action="append", metavar="NOTEBOOK",
                   help="run only this notebook (its file stem, or its number such as 02); repeatable; the rest of "
                        "the previous report is kept")
    f.add_argument("-p", "--parameter", action="append", type=_parameter, metavar="NAME=VALUE",
                   help="a notebook parameter for the --only notebook(s), e.g. jurisdictions='[\"红塔区\",\"曾都区\"]', "
                        "departments=信访, fiscal_years=2023, doc_kinds=budget, basis=actual; the value is read as "
                        "JSON when it is JSON, else as text; repeatable")
    f.set_defaults(func=_cmd_figures)

    t = sub.add_parser("tokens", help='print the tokens of TEXT separated by spaces')
    t.add_argument("text", nargs="+")
    t.set_defaults(func=_cmd_tokens)
    return p


_exit_freeze: list[bool] = []  # whether main registered gc.freeze to run at exit


def main(argv: list[str] | None = None) -> int:
    # At exit the interpreter's last collection walks every object still alive (pandas, Arrow, the tokenizer's
    # dictionary; ~0.1 s of each command's end) only to free memory the ending process gives back anyway: frozen,
    # they are skipped. (Our files are closed and published before main returns; registered once per process.)
    if not _exit_freeze:
        import atexit
        import gc

        atexit.register(gc.freeze)
        _exit_freeze.append(True)
    args = build_parser().parse_args(argv)
    if args.command not in ("extract", "check"):
        return int(args.func(args) or 0)
    import signal

    from countyfiscal.outputs import Stopped, forget_stop_signals, on_stop_signal

    forget_stop_signals()
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, on_stop_signal)}
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # (not where it is ignored: a background job)
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, on_stop_signal)
    try:
        return int(args.func(args) or 0)
    except (KeyboardInterrupt, Stopped):
        print(f"countyfiscal {args.command}: stopped before the end; the previous outputs are unchanged",
              file=sys.stderr)
        return 130
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        forget_stop_signals()


if __name__ == "__main__":
    sys.exit(main())
