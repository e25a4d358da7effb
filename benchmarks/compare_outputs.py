"""Compare two `countyfiscal extract` output folders: the same files, each byte for byte, Parquet files also as
DataFrames (values and dtypes), so a difference in bytes alone (row groups) is told apart from one in content.

Usage:
    .venv/bin/python benchmarks/compare_outputs.py /tmp/base/dev /tmp/new/dev     # exit 1 on any difference
"""

from __future__ import annotations

import filecmp
import sys
from pathlib import Path

import pandas as pd


def compare(a: Path, b: Path) -> list[str]:
    """One line per difference between the output folders a and b ([] when every file is the same bytes)."""
    fa = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    fb = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    out = [f"only in {a}: {p}" for p in sorted(set(fa) - set(fb))]
    out += [f"only in {b}: {p}" for p in sorted(set(fb) - set(fa))]
    for rel in sorted(set(fa) & set(fb)):
        if filecmp.cmp(a / rel, b / rel, shallow=False):
            continue
        if rel.suffix == ".parquet":
            da, db = pd.read_parquet(a / rel), pd.read_parquet(b / rel)
            same = da.equals(db) and list(da.dtypes) == list(db.dtypes)
            out.append(f"{rel}: bytes differ ({'content equal' if same else 'content differs'})")
        else:
            out.append(f"{rel}: bytes differ")
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    a, b = Path(args[0]), Path(args[1])
    diffs = compare(a, b)
    n = sum(1 for p in a.rglob("*") if p.is_file())
    for d in diffs:
        print(d)
    print(f"{n} files in {a}: {len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
