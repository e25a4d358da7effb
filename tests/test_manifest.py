"""data/raw/MANIFEST.csv names every disclosure in data/raw: its bytes, title, publisher, where it came from, when."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

RAW = Path(__file__).resolve().parents[1] / "data" / "raw"
COLUMNS = ["file", "sha256", "title", "publisher", "source", "retrieved"]


def test_every_raw_file_is_in_the_manifest_with_its_hash_and_provenance():
    with open(RAW / "MANIFEST.csv", encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == COLUMNS  # the pipeline knows the manifest by its "file," header
        rows = {r["file"]: r for r in reader}
    files = sorted(p.name for p in RAW.iterdir() if p.name not in ("MANIFEST.csv", ".gitkeep"))
    assert sorted(rows) == files
    for name, row in rows.items():
        assert row["sha256"] == hashlib.sha256((RAW / name).read_bytes()).hexdigest(), name
        assert row["title"] and row["publisher"] and row["source"], name
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["retrieved"]), name
        assert "../shared" not in row["source"]  # nothing points outside the repository
    assert rows["002_94b8458f609bc2e0.txt"]["title"] == "盘龙区信访局2022年部门整体支出绩效自评报告"
