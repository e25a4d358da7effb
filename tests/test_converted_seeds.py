"""Converted copies of the seeds (other encodings, line ends, full-width digits, .docx, .html) give the originals' figures.

Each seed in data/raw is converted here seven ways; every copy must yield exactly the original's figures (measure,
fiscal_year, basis, code, value) and document metadata, and in one run together every copy is a duplicate of its seed.
"""

from __future__ import annotations

import html
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from countyfiscal.pipeline import process_file, run_extract

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "data" / "raw").glob("*.txt"))
FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")
FIGURE_KEY = ["measure", "fiscal_year", "basis", "code", "value"]
META = ["doc_kind", "fiscal_year", "department", "jurisdiction", "province", "city", "county", "admin_code", "status"]


def docx_bytes(text: str) -> bytes:
    import docx

    d = docx.Document()
    for line in text.split("\n"):  # one paragraph per line, as a clerk pasting the text into Word would
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def html_bytes(text: str) -> bytes:
    """The text as a portal article: each line a <p>, a script stating a rival total and a navigation bar."""
    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in text.split("\n"))
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>部门预决算公开</title>"
            "<script>var total = '收入合计 999.99 万元';</script></head><body>\n"
            "<nav><a href=\"/\">首页</a> <a href=\"/zwgk\">政务公开</a> <a href=\"/czyjs\">财政预决算</a></nav>\n"
            f"<article>{body}</article></body></html>").encode("utf-8")


CONVERSIONS = {
    "gb18030.txt": lambda t: t.encode("gb18030"),
    "utf16.txt": lambda t: t.encode("utf-16"),
    "bom.txt": lambda t: t.encode("utf-8-sig"),
    "crlf.txt": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "fullwidth.txt": lambda t: t.translate(FULL_WIDTH).encode("utf-8"),
    "docx": docx_bytes,
    "html": html_bytes,
}


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    """The seeds and, named zz_<seed stem>.<conversion> so they sort after them, their converted copies."""
    raw = tmp_path_factory.mktemp("raw")
    for seed in SEEDS:
        shutil.copy(seed, raw / seed.name)
        text = seed.read_text(encoding="utf-8")
        for suffix, convert in CONVERSIONS.items():
            (raw / f"zz_{seed.stem}.{suffix}").write_bytes(convert(text))
    return raw


def _figures(result) -> list[tuple]:
    return sorted(tuple(str(f[k]) for k in FIGURE_KEY) for f in result.figures)


@pytest.fixture(scope="module")
def originals() -> dict[str, object]:
    return {seed.stem: process_file(seed) for seed in SEEDS}


@pytest.mark.parametrize("suffix", sorted(CONVERSIONS))
def test_each_conversion_gives_the_originals_figures_and_metadata(raw, originals, suffix):
    for stem, original in originals.items():
        copy = process_file(raw / f"zz_{stem}.{suffix}")
        assert len(original.figures) >= 5
        assert _figures(copy) == _figures(original), stem
        assert {k: copy.document[k] for k in META} == {k: original.document[k] for k in META}, stem
        # offsets point into the copy's own normalised text
        assert all(copy.text[f["start"]:f["end"]] == f["quote"] for f in copy.figures), stem


def test_conversions_keep_the_normalised_text_up_to_line_breaks(raw, originals):
    """Why the figures agree: every copy normalises to the seed's text (docx/html may rejoin lines differently)."""
    for stem, original in originals.items():
        for suffix in CONVERSIONS:
            copy = process_file(raw / f"zz_{stem}.{suffix}")
            if suffix in ("docx", "html"):
                assert "".join(copy.text.split()) == "".join(original.text.split()), (stem, suffix)
            elif suffix == "fullwidth.txt":
                # full-width digits and stops between digits fold; a stop after a list number (１．) stays full-width
                assert copy.text.replace("．", ".") == original.text, stem
                assert "．" in copy.text
            else:
                assert copy.text == original.text, (stem, suffix)
    # the html copy's script total never becomes a figure
    assert not any(f["value"] == 9999900.0 for r in originals.values() for f in r.figures)


def test_one_run_marks_every_copy_a_duplicate_of_its_seed(raw, tmp_path):
    """Same text, whatever the encoding, line ends, character width or format: the seed is the original."""
    run_extract(raw, tmp_path, jobs=2, progress=False, text_mining=False, checks=False)
    docs = pd.read_csv(tmp_path / "documents.csv", dtype=str, keep_default_na=False).set_index("file")
    assert len(docs) == len(SEEDS) * (1 + len(CONVERSIONS))
    for seed in SEEDS:
        assert docs.loc[seed.name, "status"] == "ok"
        for suffix in CONVERSIONS:
            row = docs.loc[f"zz_{seed.stem}.{suffix}"]
            assert (row["status"], row["duplicate_of"]) == ("duplicate", seed.name), suffix
            assert row["reason"] == f"duplicate of {seed.name} (same text)"
    figures = pd.read_csv(tmp_path / "figures.csv", dtype=str, keep_default_na=False)
    assert set(figures["file"]) == {seed.name for seed in SEEDS}
