"""Scanned PDF pages -> page text and positioned words with RapidOCR (the optional ``[ocr]`` extra), cached by page.

RapidOCR (``rapidocr`` on ``onnxruntime``, Apache-2.0) ships its Chinese PP-OCR detection and recognition models
inside the wheel, so it runs with no network. A page is rendered with pypdfium2, recognised line by line, and turned
into the same positioned words the PDF table reader gets from a text layer (``extract.pdf_tables.Word``: text, x0,
x1, y0, y1 in PDF points with y upwards, and whether a new line starts before it) and into page text in reading
order (lines top to bottom, words left to right). Each character keeps its recognition score, so every figure read
from an OCR'd page can say how sure the recogniser was (figures ``confidence``).

Results are cached in ``countyfiscal.cache.cache_dir("ocr")`` under a hash of the rendered bitmap, the settings and
the rapidocr version: a rerun reads them back instead of recognising the page again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from statistics import median
from typing import Any

from countyfiscal.cache import write_atomic

# Rendering: 2x (144 dpi) keeps 9-10 pt table digits ~25 px high for the recogniser; detection runs on the page
# scaled down to 960 px on its long side (rapidocr's speed/accuracy trade-off: ~4 s per dense page on one core).
SCALE = 2.0
LIMIT_SIDE_LEN = 960
# One onnxruntime thread: OCR runs inside the pipeline's worker processes, one per core.
THREADS = 1
CACHE_FORMAT = 1
# A detected box's height includes the detector's padding around the glyphs (unclip ratio 1.6): words are given the
# glyphs' height, as a text layer gives them, so the table reader's gaps and row tolerances mean the same.
GLYPH_SHARE = 0.6
# Characters of one recognised line further apart than this share of the line's height stand in two table cells.
CELL_GAP = 1.0
# What is not read as text: a line the recogniser is unsure of, and a speck (a mark in a scan's margin read as '2')
# -- one or two characters in a box much lower than the page's lines. Joined to the line beside it, a speck would
# change a number ('30.9' + '2' -> '30.92').
MIN_LINE_SCORE = 0.75
SPECK_HEIGHT = 0.65


class OcrUnavailable(ImportError):
    """rapidocr or onnxruntime is not installed (pip install 'countyfiscal[ocr]')."""


def available() -> bool:
    """Whether OCR can run here: rapidocr and onnxruntime import."""
    try:
        _modules()
    except OcrUnavailable:
        return False
    return True


def _modules():
    try:
        import onnxruntime  # noqa: F401
        import rapidocr
    except Exception as exc:  # noqa: BLE001 - a broken install is as unavailable as a missing one
        raise OcrUnavailable(f"OCR is not installed ({type(exc).__name__}: {exc})") from None
    return rapidocr


@functools.lru_cache(maxsize=1)
def _engine():
    """One RapidOCR engine per process (building it loads three ONNX models, ~0.5 s)."""
    rapidocr = _modules()
    return rapidocr.RapidOCR(params={
        "Global.log_level": "error",
        "Global.use_cls": False,  # pages are rendered upright; the 180-degree classifier only costs time
        "Global.return_word_box": True,
        "Global.return_single_char_box": True,
        "Det.limit_side_len": LIMIT_SIDE_LEN,
        "Det.limit_type": "max",
        "EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
        "EngineConfig.onnxruntime.inter_op_num_threads": THREADS,
    })


def _version() -> str:
    rapidocr = _modules()
    return str(getattr(rapidocr, "__version__", "") or _dist_version("rapidocr"))


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


@dataclass
class OcrPage:
    """What OCR read on one page: its text in reading order, one score per character of ``text`` (None for the
    spaces and line breaks put between words), and the positioned words for the table reader."""

    text: str
    scores: list[float | None]
    words: list[tuple] = field(default_factory=list)

    @property
    def mean_score(self) -> float | None:
        vals = [s for s in self.scores if s is not None]
        return sum(vals) / len(vals) if vals else None


# ---------------------------------------------------------------- recognising a page (cached)

def _settings_key() -> str:
    return json.dumps({"format": CACHE_FORMAT, "scale": SCALE, "limit": LIMIT_SIDE_LEN, "rapidocr": _version(),
                       "cls": False}, sort_keys=True)


def recognise(page, cache: Path | None = None) -> dict[str, Any]:
    """RapidOCR's reading of a pypdfium2 page as plain data (cached): page size in points, the render scale, and one
    entry per recognised line with its box in pixels and its characters (text, score, x0, x1 in pixels)."""
    width, height = page.get_size()
    bitmap = page.render(scale=SCALE, grayscale=True)
    img = bitmap.to_numpy()
    digest = hashlib.sha256()
    digest.update(_settings_key().encode())
    digest.update(repr(img.shape).encode())
    digest.update(img.tobytes())
    key = digest.hexdigest()
    path = (cache / f"{key}.json") if cache is not None else None
    if path is not None:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # not cached yet, or a damaged entry: recognise again
    import numpy as np

    rgb = np.repeat(img[:, :, None], 3, axis=2) if img.ndim == 2 else img[:, :, :3]
    out = _engine()(rgb)
    lines = []
    boxes = out.boxes if out.boxes is not None else []
    words = out.word_results or [()] * len(boxes)
    for box, txt, score, chars in zip(boxes, out.txts or (), out.scores or (), words):
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        entry = {"text": txt, "score": float(score), "box": [min(xs), min(ys), max(xs), max(ys)], "chars": []}
        for ch, ch_score, ch_box in chars or ():
            if ch_box is None:
                continue
            cx = [float(p[0]) for p in ch_box]
            entry["chars"].append([ch, float(ch_score), min(cx), max(cx)])
        lines.append(entry)
    result = {"width": float(width), "height": float(height), "scale": SCALE, "lines": lines}
    if path is not None:
        write_atomic(path, json.dumps(result, ensure_ascii=False).encode("utf-8"))
    return result


def cache_folder() -> Path | None:
    """The OCR cache folder, or None when the per-user cache cannot be used (then every run recognises again)."""
    from countyfiscal.cache import cache_dir

    try:
        return cache_dir("ocr")
    except OSError:
        return None


# ---------------------------------------------------------------- a reading -> words and text

def _tokens(line: dict) -> list[tuple[str, list[float], float, float]]:
    """A recognised line cut into tokens at spaces and at gaps wide enough to separate two table cells:
    (text, per-character scores, x0, x1) in pixels. Characters without boxes fall back to the line's box."""
    x0, y0, x1, y1 = line["box"]
    h = max(y1 - y0, 1.0)
    chars = line["chars"]
    text = line["text"]
    if not chars or "".join(c[0] for c in chars).replace(" ", "") != text.replace(" ", ""):
        # no usable character boxes: split at spaces only, spreading the line's width over its characters
        out = []
        step = (x1 - x0) / max(len(text), 1)
        pos = 0
        for part in text.split(" "):
            if part:
                out.append((part, [line["score"]] * len(part), x0 + pos * step, x0 + (pos + len(part)) * step))
            pos += len(part) + 1
        return out
    out: list[tuple[str, list[float], float, float]] = []
    cur: list[list] = []
    gap_limit = CELL_GAP * h
    for ch in chars:
        if ch[0].isspace():
            if cur:
                out.append(_token(cur))
                cur = []
            continue
        if cur and ch[2] - cur[-1][3] > gap_limit:
            out.append(_token(cur))
            cur = []
        cur.append(ch)
    if cur:
        out.append(_token(cur))
    return out


def _token(chars: list[list]) -> tuple[str, list[float], float, float]:
    return "".join(c[0] for c in chars), [c[1] for c in chars], min(c[2] for c in chars), max(c[3] for c in chars)


def page_from_reading(reading: dict[str, Any]) -> OcrPage:
    """Words (PDF points, y upwards) and text (reading order) of one page from its cached reading.

    >>> r = {"width": 100.0, "height": 100.0, "scale": 2.0, "lines": [
    ...     {"text": "合计", "score": 0.99, "box": [10, 20, 50, 40], "chars": []},
    ...     {"text": "12.50", "score": 0.98, "box": [120, 21, 170, 41], "chars": []}]}
    >>> p = page_from_reading(r)
    >>> p.text, [w[0] for w in p.words], p.words[0][5], p.words[1][5]
    ('合计 12.50', ['合计', '12.50'], True, True)
    """
    scale = reading["scale"] or 1.0
    page_h = reading["height"]
    items = []  # (yc_px, h_px, x0_px, text, scores, x1_px, first token of its detected box)
    heights = [ln["box"][3] - ln["box"][1] for ln in reading["lines"]]
    typical = median(heights) if heights else 0.0
    for line in reading["lines"]:
        if line["score"] < MIN_LINE_SCORE:
            continue
        if len(line["text"].strip()) <= 2 and line["box"][3] - line["box"][1] < SPECK_HEIGHT * typical:
            continue
        bx0, by0, bx1, by1 = line["box"]
        h = by1 - by0
        yc = (by0 + by1) / 2
        for k, (text, scores, x0, x1) in enumerate(_tokens(line)):
            items.append((yc, h, x0, text, scores, x1, k == 0))
    if not items:
        return OcrPage("", [], [])
    # one printed line: centres closer than half a glyph's height (two table rows are a line pitch apart)
    tol = 0.5 * GLYPH_SHARE * median(i[1] for i in items)
    rows: list[list[tuple]] = []
    for it in sorted(items, key=lambda i: (i[0], i[2])):
        if rows and abs(it[0] - sum(r[0] for r in rows[-1]) / len(rows[-1])) < tol:
            rows[-1].append(it)
        else:
            rows.append([it])
    text_parts: list[str] = []
    scores: list[float | None] = []
    words: list[tuple] = []
    for r, row in enumerate(rows):
        if r:
            text_parts.append("\n")
            scores.append(None)
        for k, (yc, h, x0, text, sc, x1, first) in enumerate(sorted(row, key=lambda i: i[2])):
            if k:
                text_parts.append(" ")
                scores.append(None)
            text_parts.append(text)
            scores.extend(sc)
            half = GLYPH_SHARE * h / 2
            # a new detected box is a new run for the table reader (the tables interface: new_line), so two cells
            # the detector told apart are never merged because they stand close
            words.append((text, x0 / scale, x1 / scale, page_h - (yc + half) / scale, page_h - (yc - half) / scale,
                          first))
    return OcrPage("".join(text_parts), scores, words)


def read_page(page, cache: Path | None = None) -> OcrPage:
    """OCR one pypdfium2 page (cached in ``cache``); raises OcrUnavailable without the ``[ocr]`` extra."""
    return page_from_reading(recognise(page, cache))


# ---------------------------------------------------------------- scores of the normalised text

def align_scores(normalised: str, page: OcrPage) -> list[float | None]:
    """One recognition score per character of ``normalised`` (the page's slice of the document text, after
    normalisation joined lines, dropped page furniture and mapped full-width characters), None where a character
    has no counterpart in what OCR read."""
    out: list[float | None] = [None] * len(normalised)
    a = [(i, c) for i, c in enumerate(normalised) if not c.isspace()]
    b = [(i, c) for i, c in enumerate(page.text) if not c.isspace()]
    sa = "".join(_fold(c) for _, c in a)
    sb = "".join(_fold(c) for _, c in b)
    for blk in SequenceMatcher(None, sa, sb, autojunk=False).get_matching_blocks():
        for k in range(blk.size):
            out[a[blk.a + k][0]] = page.scores[b[blk.b + k][0]]
    return out


def _fold(c: str) -> str:
    o = ord(c)
    return chr(o - 0xFEE0) if 0xFF01 <= o <= 0xFF5E else c


# ---------------------------------------------------------------- measuring OCR

def scanned_copy(data: bytes, pages: list[int] | None = None, dpi: int = 200, quality: int = 80) -> bytes:
    """A scan of a text-layer PDF, for measuring OCR against the text layer: each page (1-based ``pages``, all by
    default) rendered in grey at ``dpi``, JPEG-compressed as scanners do, and placed as the only object of a page of
    the same size. The copy has no text layer at all.
    """
    import io

    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(data)
    out = pdfium.PdfDocument.new()
    try:
        for p in pages or range(1, len(src) + 1):
            page = src[p - 1]
            width, height = page.get_size()
            pil = page.render(scale=dpi / 72, grayscale=True).to_pil()
            buf = io.BytesIO()
            pil.save(buf, format="JPEG", quality=quality)
            buf.seek(0)
            image = pdfium.PdfImage.new(out)
            image.load_jpeg(buf, inline=True)
            image.set_matrix(pdfium.PdfMatrix().scale(width, height))
            new = out.new_page(width, height)
            new.insert_obj(image)
            new.gen_content()
            page.close()
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue()
    finally:
        out.close()
        src.close()
