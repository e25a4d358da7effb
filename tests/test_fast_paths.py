"""The fast paths taken for speed (issue 8) give exactly what the plain computations they replace give."""

from __future__ import annotations

import importlib
import re
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from countyfiscal.ingest.txt import _READABLE, readable_ratio
from countyfiscal.pipeline import nfkc, text_key

N = importlib.import_module("countyfiscal.ingest.normalise")
ROOT = Path(__file__).resolve().parents[1]

# Characters where the shortcuts could go wrong: full-width forms, half-width kana and Hangul (which compose after
# NFKC), combining marks, compatibility jamo, dots and leaders, digits, commas, spaces of every kind, CJK.
_TRICKY = (
    "０１２３４５６７８９，．：；（）％　 \t\u00a0\u2003\u3000.,，．·•・…⋯-—万亿元年度增减"
    "ｶﾞﾟｱ\uff9e\uff9fㄱㅏ\u1100\u1161가\u0301\u0308e\u3099\u309aか㎡①℃⼀\uf900"
)
tricky_text = st.text(alphabet=st.sampled_from(list(_TRICKY)), max_size=40)


def _seeds() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "raw").glob("*.txt"))]


@settings(max_examples=400, deadline=None)
@given(tricky_text)
def test_nfkc_is_unicodedata_nfkc(s):
    assert nfkc(s) == unicodedata.normalize("NFKC", s)


def test_nfkc_on_the_seeds_and_full_width_copies():
    for text in _seeds():
        wide = text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})  # every ASCII character full width
        assert nfkc(text) == unicodedata.normalize("NFKC", text)
        assert nfkc(wide) == unicodedata.normalize("NFKC", wide)
        assert text_key(wide) == text_key(text.replace(" ", "\u3000"))


def test_nfkc_composes_half_width_kana_and_jamo():
    # the cases a per-character shortcut would get wrong: NFKC composes what it decomposes
    assert nfkc("ｶﾞ") == "ガ"
    assert nfkc("ᄀ\u1161") == "가"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_readable_ratio_counts_what_the_readable_class_matches(s):
    sample = s[:20000]
    expected = 1.0 if not sample else len(_READABLE.findall(sample)) / len(sample)
    assert readable_ratio(s) == expected


def _table_like_plain(s: str) -> bool:
    return "\t" in s or bool(N._RE_TWO_NUMBERS.search(s)) or bool(N._RE_ONLY_NUMBERS.fullmatch(s))


def _rewrite_line_plain(line: str) -> str:
    # _rewrite_line as it was before its hints: the table-of-contents and thousands steps tried on every line
    # holding a dot-like character or a full-width comma.
    line = line.strip(" \t\f\n")
    if not line:
        return ""
    if "\t" in line:
        line = N._RE_LIST_TAB.sub(r"\1 ", line)
        line = N._RE_SPACE_TAB.sub("\t", line)
    if any(c in line for c in ".…·⋯•・．"):
        line = N._strip_toc(line)
        line = N._RE_SPACE_TAB.sub("\t", line)
    line = N._RE_SPACES.sub(" ", line)
    if "．" in line:
        line = N._RE_FW_DOT.sub(".", line)
    if "，" in line:
        line = N._RE_THOUSANDS.sub(lambda m: m.group(0).replace("，", ","), line)
    if " " in line:
        line = N._RE_SPACED_NUMBER.sub(lambda m: m.group().replace(" ", ""), line)
        line = N._collapse_letterspacing(line)
        line = N._RE_UNIT_SPLIT.sub(r"\1\2", line)
    return line


line_text = st.text(alphabet=st.sampled_from(list("0123456789 .．，,·…⋯•・\t-预算年合计（）一、(1)")), max_size=40)


@settings(max_examples=600, deadline=None)
@given(line_text)
def test_line_hints_change_nothing(s):
    assert N._table_like(s) == _table_like_plain(s)
    assert N._rewrite_line(s) == _rewrite_line_plain(s)


def test_line_hints_on_real_lines():
    lines = [ln for text in _seeds() for ln in N._clean_chars(text).split("\n")]
    lines += ["一、部门职责........3", "1，234，567.00 2，000.00", "（一）收入 . . . . 12", "目录……5", "12 34",
              " 0, 0", "合计 1,234, 5,678"]  # a number ending in its comma (found by hypothesis)
    assert [N._rewrite_line(x) for x in lines] == [_rewrite_line_plain(x) for x in lines]
    assert [N._table_like(x) for x in lines] == [_table_like_plain(x) for x in lines]


def test_numbers_spaced_is_decided_on_the_first_lines_only_when_asked():
    lines = [N.Line("比 2022 年度增加 5 万元，较 2021 年度", 0), N.Line("减少", 0)]
    lazy = N._Spaced(lines)
    lines[0].text = "比2022年度"  # joins mutate lines; the lazy answer is about the lines as first given
    assert bool(lazy) is True and N.numbers_spaced([N.Line("比2022年度增加5万元", 0)]) is False


def test_not_hard_wrapped_text_still_joins_split_units():
    text = "基本支出1,234.56万\n元，比上年增加。\n项目支出\n50万元"
    assert N.normalise(text) == "基本支出1,234.56万元，比上年增加。\n项目支出\n50万元"


def test_leader_hint_holds_every_leader():
    hint = N._RE_LEADER_HINT
    for leader in ("....", "．．．．", "····", "•••••", "・・・・", "……", "⋯⋯", ". . . . ", ".·.·", "…⋯"):
        assert N._RE_LEADER.search(leader) and hint.search(leader), leader
    assert re.search(N._RE_THOUSANDS_HINT, "3，456") and not re.search(N._RE_THOUSANDS_HINT, "3,456，元")


_OLD_NUMBER = r"(?=\d)(?<![\d.,])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,， 万亿元千人余年\t-")), max_size=30))
def test_amount_pattern_led_by_a_digit_finds_what_the_plain_one_found(s):
    from countyfiscal.amounts import AMOUNT_RE, NUMBER

    plain = re.compile(_OLD_NUMBER + AMOUNT_RE.pattern[len(NUMBER):])
    assert [(m.span(), m.group("num", "unit")) for m in AMOUNT_RE.finditer(s)] == \
        [(m.span(), m.group("num", "unit")) for m in plain.finditer(s)]
