"""Tokenizer.cut's memo of whitespace-separated pieces: the same tokens as the unmemoised path, bounded, clearable."""

from __future__ import annotations

import random
import sys
import threading
from pathlib import Path

import pytest

from countyfiscal.text.tokenizer import Tokenizer, get_tokenizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth  # noqa: E402

# Where the memo could go wrong: protected phrases (placeholders) in every quote form, also split by whitespace
# ('"三公" 经费' is one phrase across a space), full-width digits and spaces, \r\n and other whitespace, characters
# jieba-rs and jieba class differently (CJK extension A, U+9FD6–U+9FFF, compatibility and plane-2 ideographs),
# stray private-use characters, ASCII runs that jieba merges, and pieces that repeat within one text.
TRICKY = [
    "严控“三公”经费，严控\"三公\" 经费，严控 ‘三公’经费；“三公” 经费和三公经费",
    "拨打１２３４５热线　１２３４５热线\r\n拨打12345热线\r\n\r\n",
    "因公出国（境）费0元，因公出国(境)费 12.50 万元，因公出国 （ 境 ） 费",
    "㐀䶵部门\u9fd6预算\u9fef支出\uf900经费\U00020001信访\U0002a700局 㐀䶵部门",
    "严控\ue000\ue001经费 \ue000 信访局\ue005",
    "abc.def-12% C++ 3.5%增长 2026-2027年 1,234.56 万元\t\x0b\x0c\x1c\x1d\u2028\u00a0\u3000完",
    "",
    "   \r\n\t ",
    "无空白的一整段文字，信访局联席会议经费支出预算国有资产满意率。",
    "信访 信访 信访\n信访信访\n信访",
]


def _shared(cache_size: int) -> Tokenizer:
    """A Tokenizer with its own memo but the default tokenizer's backend (building one takes about a second)."""
    t = Tokenizer(cache_size=cache_size)
    t._jieba_tokenizer = get_tokenizer()._backend()
    return t


def _uncached(tok: Tokenizer, text: str) -> list[str]:
    return tok._cut_uncached(*tok._prepare(text))


def _texts() -> list[str]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "raw").glob("*.txt"))]
    return TRICKY + seeds + [synth.variant(i)[1] for i in range(5, 10)]


@pytest.fixture(scope="module", params=["auto", "jieba-hmm"])
def tok(request) -> Tokenizer:
    # "auto" is rjieba when installed (the default tokenizer). jieba with HMM on cuts each block on its own too, so
    # the memo holds there as well (jieba without HMM against the memo: tests/test_rjieba.py).
    return get_tokenizer() if request.param == "auto" else Tokenizer(backend="jieba", hmm=True)


def test_memo_gives_the_unmemoised_tokens_cold_and_warm(tok):
    texts = _texts() if not tok.hmm else _texts()[:len(TRICKY) + 2]
    tok.clear_cache()
    for text in texts:
        expected = _uncached(tok, text)
        assert tok.cut(text) == expected, repr(text[:80])  # pieces new to the memo
        assert tok.cut(text) == expected, repr(text[:80])  # every piece from the memo
    assert tok.cache_info()["entries"] > 0


def test_memo_on_random_strings_and_random_slices(tok):
    alphabet = list("信访局联席会议经费三公支出预算国有资产满意率abcXY12 .-_%+#&\r\n\t\u3000，。（）“”\"１２") + [
        "㐀", "䶵", "\u9fd6", "\u9fef", "\uf900", "\U00020001", "\ue000"]
    rng = random.Random(11)
    tok.clear_cache()
    strings = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(1500)]
    text = "\n".join(_texts()[len(TRICKY):len(TRICKY) + 2])
    for _ in range(300):
        i = rng.randrange(len(text))
        strings.append(text[i:i + rng.randint(1, 120)])
    for s in strings:
        assert tok.cut(s) == _uncached(tok, s), repr(s)


def test_protected_phrase_and_full_width_examples():
    t = _shared(1000)
    assert t.cut("严控\"三公\" 经费　拨打１２３４５热线\r\n严控“三公”经费") == [
        "严控", "“三公”经费", "拨打", "12345热线", "严控", "“三公”经费"]
    assert t.cut("严控“三公”经费") == ["严控", "“三公”经费"]  # from the memo this time
    assert t.cut("㐀䶵部门 \U00020001") == ["㐀", "䶵", "部门", "\U00020001"]  # jieba yields those characters alone


def test_cache_size_zero_turns_the_memo_off():
    t = _shared(0)
    assert t.cut("信访 信访") == ["信访", "信访"]
    assert t.cache_info() == {"entries": 0, "pieces": 0, "piece_hit_rate": 0.0, "char_hit_rate": 0.0}


def test_hit_rates_count_pieces_and_characters():
    t = _shared(1000)
    t.cut("信访局 信访局 预算")  # 3 pieces, 2 distinct: one served by the memo
    t.cut("预算 支出")  # 2 pieces, 预算 from the memo
    info = t.cache_info()
    assert info["entries"] == 3 and info["pieces"] == 5
    assert info["piece_hit_rate"] == pytest.approx(1 - 3 / 5)
    assert info["char_hit_rate"] == pytest.approx(1 - (3 + 2 + 2) / (3 + 3 + 2 + 2 + 2))


def test_memo_stays_bounded_over_many_distinct_documents():
    t = _shared(50)
    rng = random.Random(3)
    words = ["信访", "预算", "经费", "支出", "联席会议", "满意率", "国有资产", "办结"]
    peak = 0
    for i in range(400):
        # Each text: 5 pieces, most new (a number makes them unique), some shared across texts.
        text = " ".join(f"{rng.choice(words)}{rng.randrange(10_000)}" if k % 2 else rng.choice(words) for k in range(5))
        assert t.cut(text) == _uncached(t, text)
        peak = max(peak, len(t._cut_cache))
    # At most the bound plus one text's distinct pieces (the memo starts afresh once past the bound).
    assert 50 < peak <= 50 + 5
    assert t.cache_info()["pieces"] == 400 * 5


def test_a_text_with_more_new_pieces_than_the_memo_holds_is_cut_whole():
    t = _shared(8)
    t.cut("信访 预算")
    text = " ".join(f"支出{i}" for i in range(20)) + " 信访 “三公”经费"
    assert t.cut(text) == _uncached(t, text)
    assert t.cut(text)[-2:] == ["信访", "“三公”经费"]
    assert set(t._cut_cache) == {"信访", "预算"}  # untouched: never more than twice the bound


def test_after_clear_cache_the_same_tokens_and_fresh_counts():
    t = _shared(1000)
    text = TRICKY[0] + "\n" + TRICKY[1]
    first = t.cut(text)
    assert t.cache_info()["entries"] > 0
    t.clear_cache()
    assert t.cache_info() == {"entries": 0, "pieces": 0, "piece_hit_rate": 0.0, "char_hit_rate": 0.0}
    assert t.cut(text) == first == _uncached(t, text)
    assert t.cache_info()["piece_hit_rate"] > 0  # pieces repeat within the text


def test_threads_sharing_a_small_memo_get_the_right_tokens():
    # The memo is replaced, not cleared, when it fills: a thread mid-cut keeps every entry it needs.
    t = _shared(20)
    texts = [synth.variant(i)[1][:3000] for i in range(6)]
    expected = [_uncached(t, x) for x in texts]
    errors = []

    def work(k: int) -> None:
        for j in range(12):
            i = (j + k) % len(texts)
            if t.cut(texts[i]) != expected[i]:
                errors.append(i)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []


@pytest.mark.parametrize("cache_size", [0, 8, 20_000])
def test_terms_are_the_tokens_that_are_terms_cold_warm_and_past_the_bound(cache_size):
    """``terms`` memoises each piece's terms beside its tokens: whatever the memo holds (nothing, a bound smaller
    than one text's pieces, or everything), the terms are the uncached tokens that are terms, in order."""
    t = _shared(cache_size)
    rng = random.Random(5)
    alphabet = list("信访局联席会议经费三公支出预算国有资产满意率的和是abc12 .\r\n\t\u3000，。“”\"１２") + ["\ue000"]
    texts = _texts()[:len(TRICKY) + 3] + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
                                          for _ in range(300)]
    for text in texts:
        expected = [w for w in _uncached(t, text) if t.is_term(w)]
        assert t.terms(text) == expected, repr(text[:80])
        assert t.terms(text) == expected, repr(text[:80])  # from the memo
        assert len(t._piece_terms) <= 2 * max(cache_size, 1)
    t.clear_cache()
    assert t._piece_terms == {} and t.terms(texts[-1]) == [w for w in _uncached(t, texts[-1]) if t.is_term(w)]
