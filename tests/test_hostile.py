"""Hostile inputs (issue #14 item 3): each reader refuses them with one sentence, or reads them whole, in bounded
time and memory. The inputs are built by tests/_hostile.py; the limits are data in countyfiscal.ingest.limits.

Time is asserted only as a guard against hanging (``deadline``: many times what the fixed paths take; the old
paths took minutes to hours on the same inputs); memory as the peak of Python's own allocations (tracemalloc).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tracemalloc
from pathlib import Path

import pytest

from countyfiscal.ingest import limits, read_bytes, read_document
from countyfiscal.ingest.normalise import normalise, normalise_pages
from countyfiscal.model import RejectedInput

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import _hostile  # noqa: E402

MiB = 1 << 20


@contextlib.contextmanager
def deadline(seconds: float):
    """Raise TimeoutError in the test instead of hanging it: a guard with a wide margin, not a timing."""

    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: a quadratic or unbounded path")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def python_peak(fn):
    """(fn's result or RejectedInput, peak bytes Python allocated while it ran)."""
    tracemalloc.start()
    try:
        try:
            result = fn()
        except RejectedInput as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rejection(path: Path, seconds: float = 10) -> str:
    with deadline(seconds), pytest.raises(RejectedInput) as exc:
        read_document(path)
    return str(exc.value)


# ------------------------------------------------------------------------------------- the line joiner (normalise)


def test_a_pdf_listing_one_page_1000_times_is_one_paragraph_with_every_page_start(tmp_path):
    path = _hostile.page_tree_bomb_pdf(tmp_path, copies=1_000)
    with deadline(60):  # ~5 s; the joiner that grew the paragraph by concatenation took ~2 minutes
        doc = read_document(path)
    # each page's first and last two lines recur at the edge of every page: running headers, dropped
    body = " ".join(_hostile.PROSE[2:-2])
    assert doc.n_pages == 1_000
    assert len(doc.text) == 1_000 * (len(body) + 1) - 1
    assert doc.text == " ".join([body] * 1_000)
    assert doc.page_starts == [i * (len(body) + 1) for i in range(1_000)]


def test_seams_rewritten_after_joining_keep_every_page_start():
    # "…1，234" + "，567…": a number cut by the wrap; joined, it is rewritten to "1,234,567" at every seam, and
    # each page's start is found again after the rewrite (rewriting the prefix before each seam was quadratic)
    pages = [f"，567本部门{i:05d}号预算收支说明共计1，234" for i in range(20_000)]
    with deadline(60):  # ~1 s
        text, starts = normalise_pages(pages)
    width = len(pages[0])
    assert text == "，" + "".join(pages).replace("，", ",")[1:]
    assert text.count("1,234,567") == 19_999
    assert starts == [i * width for i in range(20_000)]


def test_a_unit_split_200000_times_joins_in_linear_time():
    # not hard-wrapped (no line is wide enough), so only "…万" + "元…" joins: the other joining path
    raw = "1万\n" + "元1万\n" * 200_000
    with deadline(60):  # ~1 s
        text = normalise(raw)
    assert text == "1万" + "元1万" * 200_000


# ---------------------------------------------------------------------------------------------------------- .pdf


def test_a_page_tree_listing_one_page_100000_times_is_refused_before_any_page_is_read(tmp_path):
    path = _hostile.page_tree_bomb_pdf(tmp_path)
    assert path.stat().st_size == 604_585  # the 603 KB
    assert rejection(path) == "PDF of 100,000 pages: more than 10,000 are not read (no disclosure is that long)"


# ---------------------------------------------------------------------------------------------- any file, .txt


def test_a_file_past_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1 * MiB)
    path = tmp_path / "big.txt"
    path.write_bytes("收入合计 1,234.56 万元\n".encode() * 80_000)  # 2.2 MB
    reason = "file of 2.2 MB: more than the 1.0 MB read (no disclosure is that large)"
    assert rejection(path) == reason
    with pytest.raises(RejectedInput, match="^file of 2.2 MB"):
        read_bytes(path.read_bytes(), path.name)


def test_a_text_file_past_its_limit_is_refused_before_it_is_decoded(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_TEXT_BYTES", 1 * MiB)
    path = tmp_path / "big.txt"
    path.write_bytes("收入合计 1,234.56 万元\n".encode() * 80_000)
    assert rejection(path) == "text file of 2.2 MB: more than the 1.0 MB read (no disclosure is that large)"
    path.write_bytes("收入合计 1,234.56 万元\n".encode() * 30_000)  # 0.8 MB: read
    assert read_document(path).text.count("收入合计 1,234.56 万元") == 30_000


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "budget.txt"
    os.mkfifo(fifo)
    assert rejection(fifo, seconds=5) == "not a regular file (a folder, FIFO, socket or device): not read"


# --------------------------------------------------------------------------------------------------------- .docx


def test_a_gridspan_bomb_is_read_with_each_span_capped_at_word_s_63_columns(tmp_path):
    path = _hostile.gridspan_bomb_docx(tmp_path)
    assert path.stat().st_size == 41_197  # the 42 KB; main built 8.8 billion cells from it
    with deadline(30):  # ~0.4 s
        doc, peak = python_peak(lambda: read_document(path))
    assert peak < 100 * MiB
    assert doc.warnings == ["table cells claiming to span more than 63 columns were read as spanning 63 "
                            "(a Word table has at most that many)"]
    rows = doc.tables[0]["cells"]
    assert len(rows) == 220 and {len(r) for r in rows} == {40 * 63}
    assert rows[0][62:64] == ["0.00", "7.31"] and rows[219][-1] == "64,320.69"
    lines = doc.text.split("\n")
    assert lines[:2] == _hostile.BUDGET_PARAGRAPHS
    assert lines[2].split("\t")[:3] == ["0.00", "7.31", "14.62"]


def test_spans_within_a_word_table_are_read_as_before(tmp_path):
    cell = '<w:tc><w:tcPr><w:gridSpan w:val="{}"/></w:tcPr><w:p><w:r><w:t>{}</w:t></w:r></w:p></w:tc>'
    body = ("<w:tbl><w:tr>" + cell.format(2, "合计") + cell.format(63, "1,234.56") + "</w:tr></w:tbl>").encode()
    path = _hostile.docx_of(tmp_path, "spans.docx", body)
    doc = read_document(path)
    assert doc.warnings == []
    assert doc.tables[0]["cells"] == [["合计"] * 2 + ["1,234.56"] * 63]
    assert doc.text == "合计\t1,234.56"


def test_tables_past_the_cell_limit_refuse_the_docx(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_TABLE_CELLS", 100_000)
    path = _hostile.gridspan_bomb_docx(tmp_path)  # 220 x 40 cells of 63 columns: 554,400
    assert rejection(path) == ".docx whose tables hold more than 100,000 cells (no disclosure is that large)"


def test_a_docx_inflating_to_1_gb_is_refused_from_its_zip_directory(tmp_path):
    path = _hostile.zip_bomb_docx(tmp_path)
    assert 1_000_000 < path.stat().st_size < 1_100_000  # the 1.1 MB
    with deadline(10):  # ~0.01 s; main inflated it (2 GB, 10 s)
        reason, peak = python_peak(lambda: read_document(path))
    assert str(reason) == (".docx part 'word/document.xml' (inflated) of 1,024.0 MB: more than the 128.0 MB read "
                           "(no disclosure is that large)")
    assert peak < 8 * MiB  # the file's own 1.1 MB, and nothing inflated


def test_a_docx_part_inflating_1000_fold_is_refused_below_the_size_limit(tmp_path):
    path = _hostile.zip_bomb_docx(tmp_path, inflated_mb=100)
    assert rejection(path) == ".docx part 'word/document.xml' inflates 1,008-fold to 100.0 MB: a zip bomb, not read"


def test_a_docx_part_lying_about_its_size_is_corrupt_and_inflated_no_further_than_it_says(tmp_path):
    path = _hostile.zip_bomb_docx(tmp_path, inflated_mb=100, recorded_size=1 * MiB)
    with deadline(10):
        reason, peak = python_peak(lambda: read_document(path))
    assert str(reason) == "corrupt or truncated .docx: Bad CRC-32 for file 'word/document.xml'"
    assert peak < 16 * MiB  # zipfile stops at the recorded 1 MB


def test_a_zip_of_10001_members_is_refused_before_its_directory_is_listed(tmp_path, monkeypatch):
    path = _hostile.many_members_docx(tmp_path)
    assert rejection(path) == "zip archive of 10,001 members: more than the 10,000 read (no disclosure has that many parts)"
    path = _hostile.many_members_docx(tmp_path, "ok.docx", members=10_000)
    assert read_document(path).text.split("\n") == _hostile.BUDGET_PARAGRAPHS


# --------------------------------------------------------------------------------------------------------- .html


def test_a_page_nested_100000_deep_is_refused_at_once(tmp_path):
    path = _hostile.deep_html(tmp_path)
    # ~0.002 s; main took ~2 s per 1,000 levels before it gave up
    assert rejection(path, seconds=5) == "HTML page nested more than 255 elements deep (no disclosure is; not read)"


def test_a_page_nested_200_deep_is_read_whole(tmp_path):
    doc = read_document(_hostile.deep_html(tmp_path, levels=200))
    assert doc.text.split("\n") == _hostile.BUDGET_PARAGRAPHS + ["完"]


def test_a_50_mb_page_is_refused_before_it_is_parsed(tmp_path):
    path = _hostile.huge_html(tmp_path)
    assert path.stat().st_size == 52_424_911
    assert rejection(path, seconds=5) == ".html page of 50.0 MB: more than the 16.0 MB read (no disclosure is that large)"


def test_a_4_mb_page_is_read_whole(tmp_path):
    path = _hostile.huge_html(tmp_path, megabytes=4)
    with deadline(60):  # ~2 s (16 MB, the limit: ~9 s)
        doc = read_document(path)
    # 709 boxes of 20 paragraphs and a table of 20 rows: every one read
    assert doc.text.count("主要原因是人员增加和信访事项办理经费增加。") == 709 * 20
    assert len(doc.tables) == 709
    assert doc.tables[0]["cells"][3] == ["2010304", "行政运行", "3.00", "3.50"]
    assert doc.text.count("2010320\t行政运行\t19.00\t19.50") == 709


def test_html_tables_past_the_cell_limit_refuse_the_page(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_TABLE_CELLS", 10_000)
    path = _hostile.huge_html(tmp_path, megabytes=1)  # 177 tables of 20 rows of 4 cells
    assert rejection(path) == "HTML page whose tables hold more than 10,000 cells (no disclosure is that large)"


def test_a_doctype_inside_the_body_is_not_text(tmp_path):
    # a portal page that pastes a second page (doctype and all) into its body, as one wide-corpus page does;
    # the old reader published the doctype as the first line of text
    page = '<!DOCTYPE html><html><body><!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"><p>正文</p>'
    path = tmp_path / "page.html"
    path.write_text(page + "<!-- 注释 -->尾</body></html>", encoding="utf-8")
    assert read_document(path).text == "正文\n尾"
