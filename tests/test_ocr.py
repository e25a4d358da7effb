"""OCR of scanned PDF pages (ingest/ocr.py, ingest/pdf.py, extract/ocr_figures.py): a scanned copy of a real
disclosure gives the text layer's figures; blank pages are not scans; without the [ocr] extra nothing changes."""

import io
import os
import sys
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from countyfiscal.extract import extract_all
from countyfiscal.extract.ocr_figures import MIN_CONFIDENCE, ocr_figures
from countyfiscal.ingest import ocr, pdf as pdf_ingest, read_bytes
from countyfiscal.ingest.ocr import page_from_reading, scanned_copy
from countyfiscal.metadata import describe
from countyfiscal.model import Document, RejectedInput

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "dev-corpus"
# A 22-page city-department budget: narrative on pages 1-5, the standard tables on 6-18.
QIXIANG = DEV / "cq_qixiang_2026_budget.pdf"
# Pages that carry every kind of figure the extractor reads, in about 35 s of OCR on one core: the narrative's
# headline figures (1-3), the 收支总表 (6), the 支出总表 with its continuation page that repeats no title (9-10), the
# 一般公共预算支出表 (12), the 基本支出 table by economic class (14) and the 三公 table (17). The other table pages
# repeat these layouts (收入总表, 财政拨款收支总表, 政府性基金, 采购) with the same fonts and rulings. Pages 12 and 14
# are taken without their second pages (13, 15), as a scan that lacks a page has them: their classes fall short of
# 合计 by rows left unread, which must not cost the rows read (tests/test_table_layouts.py). The whole document, and
# another, are measured by benchmarks/bench_ocr.py --only accuracy.
PAGES = [1, 2, 3, 6, 9, 10, 12, 14, 17]


def _dev_corpus() -> Path:
    if not QIXIANG.exists():
        if os.environ.get("CI"):
            pytest.fail("../shared/dev-corpus is absent: CI must have it beside the clone")
        pytest.skip("../shared/dev-corpus is absent")
    return QIXIANG


def _subset(data: bytes, pages: list[int]) -> bytes:
    src = pdfium.PdfDocument(data)
    out = pdfium.PdfDocument.new()
    out.import_pages(src, [p - 1 for p in pages])
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def _figures(data: bytes, name: str) -> tuple[Document, list[dict]]:
    doc = read_bytes(data, name)
    meta = describe(doc.text, name)
    return doc, extract_all(doc, meta.get("doc_kind") or "", meta.get("fiscal_year"))


def _key(r: dict) -> tuple:
    return r["measure"], r["fiscal_year"], r["basis"], r["code"], round(float(r["value"]), 2)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("COUNTYFISCAL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "ocr"


@pytest.fixture
def no_ocr(monkeypatch):
    """The [ocr] extra not installed: importing rapidocr fails."""
    monkeypatch.setitem(sys.modules, "rapidocr", None)
    assert not ocr.available()


def _blank_pdf(n: int, before: bytes | None = None) -> bytes:
    doc = pdfium.PdfDocument(before) if before else pdfium.PdfDocument.new()
    for _ in range(n):
        doc.new_page(595, 842)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- a scanned copy of a real disclosure

@pytest.mark.slow
def test_scanned_copy_gives_the_text_layers_figures(cache):
    data = _dev_corpus().read_bytes()
    text_pdf = _subset(data, PAGES)
    scan = scanned_copy(data, PAGES)
    assert pdf_ingest.page_texts(scan) == [""] * len(PAGES)  # no text layer at all
    text_doc, text_figs = _figures(text_pdf, QIXIANG.name)
    scan_doc, scan_figs = _figures(scan, QIXIANG.name)

    assert sorted(scan_doc.ocr) == list(range(1, len(PAGES) + 1)) and not text_doc.ocr
    assert len(text_figs) >= 50  # the pages chosen do state many figures
    want, got = Counter(map(_key, text_figs)), Counter(map(_key, scan_figs))
    found = sum((want & got).values())
    assert found >= 0.98 * sum(want.values()), f"missing from the scan: {sorted((want - got).elements())}"
    assert not (got - want), f"figures the text layer does not state: {sorted((got - want).elements())}"
    # every figure says it was read by OCR, and how sure the recogniser was
    assert {r["source"] for r in scan_figs} == {"ocr_text", "ocr_table"}
    assert all(MIN_CONFIDENCE <= r["confidence"] <= 1 for r in scan_figs)
    assert all(r["confidence"] == "" for r in text_figs)
    assert all(scan_doc.text[r["start"]:r["end"]] == r["quote"] for r in scan_figs if r["start"] not in ("", None))
    assert scan_doc.flags == []  # the tables' identities hold
    # the results are cached by page: a second read recognises nothing again and reads the same
    assert len(list(cache.glob("*.json"))) == len(PAGES)
    ocr._engine.cache_clear()

    def refuse():
        raise AssertionError("OCR ran although every page is cached")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ocr, "_engine", refuse)
        again = read_bytes(scan, QIXIANG.name)
    assert again.text == scan_doc.text and again.ocr == scan_doc.ocr


# ---------------------------------------------------------------- without the [ocr] extra

def test_without_the_ocr_extra_a_scan_is_refused_as_before(no_ocr):
    scan = scanned_copy(_text_pdf(["某某县水务局2024年部门预算"] * 2))
    with pytest.raises(RejectedInput, match=r"^no text layer \(scanned PDF; OCR needed\)$"):
        read_bytes(scan, "scan.pdf")


def test_without_the_ocr_extra_a_scanned_page_is_reported(no_ocr):
    lines = ["某某县水务局2024年部门预算", "2024年收入预算总额356.20万元，支出预算总额356.20万元。"]
    text_pdf = _text_pdf(lines, lines, lines)
    mixed = pdfium.PdfDocument(text_pdf)
    mixed.del_page(1)
    mixed.import_pages(pdfium.PdfDocument(scanned_copy(text_pdf, [2])), index=1)
    buf = io.BytesIO()
    mixed.save(buf)
    doc = read_bytes(buf.getvalue(), "halfscan.pdf")
    assert doc.warnings == ["pages 2 of 3 have no text layer (OCR needed)"] and doc.ocr == {}


def _text_pdf(*pages: list[str]) -> bytes:
    """A PDF with a text layer (pypdfium2's standard font cannot draw CJK, so the lines are drawn with the CJK font
    matplotlib ships in mplfonts)."""
    import matplotlib

    matplotlib.use("pdf")
    import matplotlib.pyplot as plt
    import mplfonts
    from matplotlib import font_manager
    from matplotlib.backends.backend_pdf import PdfPages

    font = next(Path(mplfonts.__file__).parent.rglob("NotoSansCJKsc-Regular.otf"))
    font_manager.fontManager.addfont(str(font))
    name = font_manager.FontProperties(fname=str(font)).get_name()
    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": name}), PdfPages(buf) as pp:
        for lines in pages:
            fig = plt.figure(figsize=(8.27, 11.69))
            for i, line in enumerate(lines):
                fig.text(0.08, 0.92 - i * 0.03, line, fontsize=12)
            pp.savefig(fig)
            plt.close(fig)
    return buf.getvalue()


def test_ocr_reads_a_scanned_page_of_a_built_pdf(cache):
    lines = ["某某县水务局2024年部门预算", "2024年收入预算总额356.20万元，支出预算总额356.20万元。"]
    doc = read_bytes(scanned_copy(_text_pdf(lines)), "scan.pdf")
    assert doc.text.splitlines() == lines
    assert list(doc.ocr) == [1] and len(doc.ocr[1]) == len(doc.text)
    assert doc.ocr[1][doc.text.index("356.20")] > 0.9
    assert doc.warnings == []


def test_the_ocr_cap_leaves_further_scanned_pages_unread_and_says_so(cache, monkeypatch):
    monkeypatch.setattr(pdf_ingest, "MAX_OCR_PAGES", 1)
    lines = ["某某县水务局2024年部门预算", "2024年收入预算总额356.20万元。"]
    doc = read_bytes(scanned_copy(_text_pdf(lines, lines)), "scan.pdf")
    assert list(doc.ocr) == [1]
    assert doc.warnings == ["pages 2 of 2 were not OCR'd (at most 1 scanned pages are read per document)"]


# ---------------------------------------------------------------- blank pages are not scans (issue 14.5)

@pytest.mark.slow
def test_a_real_budget_followed_by_5000_blank_pages_is_read(no_ocr):
    data = _dev_corpus().read_bytes()
    padded = _blank_pdf(5000, before=data)
    doc = read_bytes(padded, QIXIANG.name)
    plain = read_bytes(data, QIXIANG.name)
    assert doc.n_pages == 5022 and doc.text == plain.text and doc.warnings == []
    assert doc.page_starts[:22] == plain.page_starts


def test_a_page_with_a_page_number_only_is_blank_not_scanned(no_ocr):
    lines = ["某某县水务局2024年部门预算", "2024年收入预算总额356.20万元，支出预算总额356.20万元。"]
    doc = read_bytes(_text_pdf(lines, ["10"], lines), "budget.pdf")
    assert doc.warnings == [] and doc.n_pages == 3


def test_a_pdf_of_blank_pages_only_is_empty(no_ocr):
    with pytest.raises(RejectedInput, match=r"^empty PDF: no page has text or an image$"):
        read_bytes(_blank_pdf(3), "blank.pdf")


def test_a_pdf_past_the_page_limit_is_refused_in_one_sentence(monkeypatch):
    monkeypatch.setattr(pdf_ingest, "MAX_PAGES", 50)
    with pytest.raises(RejectedInput, match=r"^PDF of 51 pages: more than 50 are not read"):
        read_bytes(_blank_pdf(51), "bomb.pdf")


# ---------------------------------------------------------------- words for the table reader

def test_a_line_spanning_two_cells_is_cut_at_the_gap():
    # one detected box over '合计' and '12.50' printed a cell apart: two words, as a text layer gives them
    chars = [["合", 0.99, 10, 30], ["计", 0.98, 30, 50], ["1", 0.97, 200, 210], ["2", 0.99, 210, 220],
             [".", 0.9, 220, 225], ["5", 0.99, 225, 235], ["0", 0.99, 235, 245]]
    reading = {"width": 300.0, "height": 200.0, "scale": 2.0,
               "lines": [{"text": "合计12.50", "score": 0.97, "box": [10, 100, 245, 130], "chars": chars}]}
    page = page_from_reading(reading)
    assert [w[0] for w in page.words] == ["合计", "12.50"]
    assert page.text == "合计 12.50" and page.scores[3:] == [0.97, 0.99, 0.9, 0.99, 0.99]
    x0, x1, y0, y1 = page.words[1][1:5]
    assert (x0, x1) == (100.0, 122.5) and y0 < y1 < 200 - 100 / 2  # points, y upwards


def test_lines_read_top_to_bottom_then_left_to_right():
    line = lambda t, x, y: {"text": t, "score": 1.0, "box": [x, y, x + 20 * len(t), y + 30], "chars": []}
    reading = {"width": 500.0, "height": 500.0, "scale": 1.0,
               "lines": [line("支出", 300, 102), line("收入", 10, 100), line("合计", 10, 200)]}
    assert page_from_reading(reading).text == "收入 支出\n合计"


# ---------------------------------------------------------------- an OCR'd table whose identities fail

def _ocr_doc() -> Document:
    text = "2026年部门支出总体情况表\n合计 100.00 110.00 60.00 50.00 70.00 40.00 41.00"
    return Document("scan.pdf", "pdf", text, page_starts=[0], n_pages=1, ocr={1: [0.99] * len(text)})


def _row(measure: str, value: float, code: str = "") -> dict:
    return {"measure": measure, "value": value, "code": code, "fiscal_year": 2026, "basis": "budget",
            "source": "table", "table": "2026年部门支出总体情况表", "page": 1, "scale": "元", "decimals": 2,
            "quote": f"{value:.2f}", "start": None, "end": None}


def test_an_ocr_table_whose_identity_fails_gives_no_figures_but_a_flag():
    doc = _ocr_doc()
    rows = [_row("expenditure_total", 100.0), _row("basic_expenditure", 60.0), _row("project_expenditure", 50.0)]
    narrative = dict(_row("income_total", 100.0), source="text", table="", start=16, end=22)
    kept = ocr_figures(doc, rows + [narrative])
    assert [r["measure"] for r in kept] == ["income_total"] and kept[0]["source"] == "ocr_text"
    assert kept[0]["confidence"] == 0.99
    [flag] = doc.flags
    assert flag["check"] == "ocr_table" and flag["file"] == "scan.pdf"
    assert flag["message"].startswith("the OCR'd table 《2026年部门支出总体情况表》 (page 1) fails its own identity "
                                      "expenditure_total = basic + project: 100.00 yuan read against 110.00 yuan")


def test_an_ocr_table_whose_identities_hold_keeps_its_figures():
    doc = _ocr_doc()
    rows = [_row("expenditure_total", 110.0), _row("basic_expenditure", 60.0), _row("project_expenditure", 50.0),
            _row("functional_expenditure", 110.0, "208"), _row("functional_expenditure", 70.0, "20805"),
            _row("functional_expenditure", 40.0, "20899")]
    kept = ocr_figures(doc, rows)
    assert len(kept) == 6 and doc.flags == [] and {r["source"] for r in kept} == {"ocr_table"}
    # subclasses that do not add up to their class fail too
    doc = _ocr_doc()
    rows[-1] = _row("functional_expenditure", 41.0, "20899")
    assert ocr_figures(doc, rows) == [] and "functional_expenditure 208 = its subclasses" in doc.flags[0]["message"]


def test_a_figure_read_with_low_confidence_is_set_aside_with_a_flag():
    doc = _ocr_doc()
    doc.ocr[1] = [0.5] * len(doc.text)
    kept = ocr_figures(doc, [dict(_row("income_total", 100.0), source="text", start=16, end=22)])
    assert kept == [] and doc.flags[0]["check"] == "ocr_confidence"


def test_a_text_layer_document_is_left_alone():
    doc = Document("a.pdf", "pdf", "合计 1.00", page_starts=[0], n_pages=1)
    rows = [_row("expenditure_total", 1.0)]
    assert ocr_figures(doc, rows) is rows


def _page_tree_bomb(kids: int) -> bytes:
    """A small PDF whose page tree lists one page ``kids`` times (600 KB for 100,000 pages)."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b"3 0 R " * kids + b"] /Count " + str(kids).encode() + b" >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_a_page_tree_bomb_is_refused_before_any_page_is_read():
    with pytest.raises(RejectedInput, match=r"^PDF of 100,000 pages: more than 10,000 are not read"):
        read_bytes(_page_tree_bomb(100_000), "bomb.pdf")


def test_a_figure_with_one_doubtful_digit_is_set_aside():
    doc = _ocr_doc()
    at = doc.text.index("100.00")
    doc.ocr[1][at + 2] = 0.6  # the second '0' of '100.00': the mean stays high, the digit is doubtful
    kept = ocr_figures(doc, [dict(_row("income_total", 100.0), source="text", start=at, end=at + 6)])
    assert kept == [] and "a digit read with a score of 60.0%" in doc.flags[0]["message"]


def test_a_speck_in_the_margin_is_not_read_into_a_number():
    # a real scan (wide-corpus w034, page 5): a margin speck read as '2' (score 0.58, low box) beside the line
    # that continues '总投资30.9' would make it '30.92'
    line = lambda t, box, score=1.0: {"text": t, "score": score, "box": box, "chars": []}
    reading = {"width": 600.0, "height": 850.0, "scale": 2.0, "lines": [
        line("签约外商投资项目46个，总投资30.9", [184, 389, 1056, 433]),
        line("2", [42, 456, 64, 481], 0.583),
        line("亿美元，拟利用外资20.9亿美元。", [171, 447, 1056, 489])]}
    assert page_from_reading(reading).text == "签约外商投资项目46个，总投资30.9\n亿美元，拟利用外资20.9亿美元。"


def test_a_doubtful_digit_in_a_table_is_kept_where_an_identity_holding_with_it_vouches_for_it():
    doc = _ocr_doc()
    at, nar = doc.text.index("110.00"), doc.text.index("41.00")
    doc.ocr[1][at + 1] = doc.ocr[1][nar] = 0.6
    rows = [dict(_row("expenditure_total", 110.0), start=at, end=at + 6), _row("basic_expenditure", 60.0),
            _row("project_expenditure", 50.0),
            # a narrative figure: no identity checks its digits
            dict(_row("sangong_total", 41.0), source="text", table="", start=nar, end=nar + 5)]
    kept = ocr_figures(doc, rows)
    assert [r["measure"] for r in kept] == ["expenditure_total", "basic_expenditure", "project_expenditure"]
    assert [f["check"] for f in doc.flags] == ["ocr_confidence"] and "no table identity" in doc.flags[0]["message"]


def test_a_doubtful_digit_confirmed_by_a_sure_reading_elsewhere_is_kept():
    doc = _ocr_doc()
    nar = doc.text.index("41.00")
    doc.ocr[1][nar] = 0.6
    doubtful = dict(_row("sangong_total", 41.0), source="text", table="", start=nar, end=nar + 5)
    sure = dict(_row("sangong_total", 41.0), table="“三公”经费支出表")
    kept = ocr_figures(doc, [doubtful, dict(sure, page=2)])  # page 2 has a text layer: a sure reading
    assert len(kept) == 2 and doc.flags == []


def _symbol_page_pdf(lines: int) -> bytes:
    """One page of text objects whose text is no Chinese, Latin letter or digit ('αβγδ' in the Symbol font): what a
    page set in a font without a usable Unicode map gives a reader."""
    import ctypes

    import pypdfium2.raw as raw

    doc = pdfium.PdfDocument.new()
    page = doc.new_page(595, 842)
    text = ctypes.create_string_buffer("αβγδ".encode("utf-16-le") + b"\x00\x00")
    for i in range(lines):
        obj = raw.FPDFPageObj_NewTextObj(doc.raw, b"Symbol", ctypes.c_float(12))
        raw.FPDFText_SetText(obj, ctypes.cast(text, ctypes.POINTER(raw.FPDF_WCHAR)))
        raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 50, 800 - 20 * i)
        raw.FPDFPage_InsertObject(page.raw, obj)
    page.gen_content()
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_a_page_of_unreadable_text_is_an_ocr_candidate_not_blank(no_ocr):
    lines = ["某某县水务局2024年部门预算", "2024年收入预算总额356.20万元，支出预算总额356.20万元。"]
    mixed = pdfium.PdfDocument(_text_pdf(lines))
    mixed.import_pages(pdfium.PdfDocument(_symbol_page_pdf(12)))
    mixed.import_pages(pdfium.PdfDocument(_symbol_page_pdf(1)))  # a stray symbol or two: blank
    buf = io.BytesIO()
    mixed.save(buf)
    doc = read_bytes(buf.getvalue(), "budget.pdf")
    assert doc.warnings == ["pages 2 of 3 have no text layer (OCR needed)"]
