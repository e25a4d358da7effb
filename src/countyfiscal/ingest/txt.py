"""Plain-text bytes -> str: BOM, strict UTF-8, UTF-16 without BOM, GB18030, then charset-normalizer; junk refused."""

from __future__ import annotations

import codecs
import re

from countyfiscal.model import RejectedInput

BINARY = "binary data, not a readable document"

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# characters a disclosure is made of: printable ASCII, CJK, CJK/full-width punctuation, general punctuation, spaces
_READABLE = re.compile(
    r"[\t\n\r\f\x20-\x7e\u00a0-\u024f\u2000-\u206f\u2100-\u27ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff"
    r"\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\ufeff\u0391-\u03c9\u0401-\u0451]"
)
# ...and the characters it is not made of: counting these (rare) is ~20x faster than counting the readable ones.
_UNREADABLE = re.compile("[^" + _READABLE.pattern[1:])


def _utf16_guess(data: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII/CJK text leaves NUL in every other byte (high byte of ASCII code units)."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    n = len(even)
    nul_even, nul_odd = even.count(0) / n, odd.count(0) / n
    if nul_odd > 0.2 and nul_even < 0.05:
        return "utf-16-le"
    if nul_even > 0.2 and nul_odd < 0.05:
        return "utf-16-be"
    # pure CJK UTF-16 has no NULs; try both byte orders strictly and keep the one that reads as CJK
    best = None
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            s = data.decode(enc)
        except UnicodeDecodeError:
            continue
        cjk = sum(1 for c in s[:2000] if "\u4e00" <= c <= "\u9fff") / max(1, min(len(s), 2000))
        if cjk > 0.5 and (best is None or cjk > best[0]):
            best = (cjk, enc)
    return best[1] if best else None


def readable_ratio(s: str) -> float:
    sample = s[:20000]
    if not sample:
        return 1.0
    return (len(sample) - len(_UNREADABLE.findall(sample))) / len(sample)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes known to be meant as text; returns (text, encoding name). Raises RejectedInput on junk."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return _checked(data.decode(enc)), enc
            except UnicodeDecodeError:
                break
    if b"\x00" not in data:
        try:
            return _checked(data.decode("utf-8")), "utf-8"
        except UnicodeDecodeError:
            pass
    enc16 = _utf16_guess(data)
    if enc16:
        try:
            return _checked(data.decode(enc16)), enc16
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise RejectedInput(BINARY)
    try:
        return _checked(data.decode("gb18030")), "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise RejectedInput(BINARY)
    return _checked(str(best)), best.encoding


def _checked(s: str) -> str:
    if readable_ratio(s) < 0.97:
        raise RejectedInput(BINARY)
    return s
