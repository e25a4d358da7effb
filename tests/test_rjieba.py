"""The rjieba (jieba-rs) backend cuts exactly as our jieba tokenizer does, with the same user dictionary."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from countyfiscal.text.rjieba_backend import RJiebaCutter, available
from countyfiscal.text.tokenizer import Tokenizer

pytestmark = pytest.mark.skipif(not available(), reason="rjieba (extra countyfiscal[fast]) not installed")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth  # noqa: E402


@pytest.fixture(scope="module")
def pair() -> tuple[Tokenizer, Tokenizer]:
    return Tokenizer(backend="jieba"), Tokenizer(backend="rjieba")


def _corpus() -> list[str]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "raw").glob("*.txt"))]
    return seeds + [synth.variant(i)[1] for i in range(5, 15)]


def test_backends_are_what_was_asked(pair, monkeypatch):
    jieba_tok, rj_tok = pair
    assert type(jieba_tok._backend()).__name__ == "Tokenizer"
    assert isinstance(rj_tok._backend(), RJiebaCutter)
    from countyfiscal.text import rjieba_backend

    class Stub:  # building the real cutter takes seconds; only the choice is tested here
        def __init__(self, words):
            self.words = words

    monkeypatch.setattr(rjieba_backend, "RJiebaCutter", Stub)
    assert Tokenizer().backend == "auto"  # the default
    auto = Tokenizer(backend="auto")._backend()
    assert isinstance(auto, Stub) and ("信访工作条例", None) in auto.words  # auto picks rjieba when installed
    assert type(Tokenizer(hmm=True, backend="auto")._backend()).__name__ == "Tokenizer"  # HMM is jieba's alone
    with pytest.raises(ValueError, match="backend must be"):
        Tokenizer(backend="pkuseg")


def test_identical_tokens_over_the_corpus(pair):
    jieba_tok, rj_tok = pair
    rj_tok.clear_cache()
    for text in _corpus():
        # rjieba with its memo of pieces (cold, then warm) against jieba cutting the whole text without one.
        plain = jieba_tok._cut_uncached(*jieba_tok._prepare(text))
        assert rj_tok.cut(text) == plain
        assert rj_tok.cut(text) == jieba_tok.cut(text) == plain


DEV_CORPUS = ROOT.parent / "shared" / "dev-corpus"


@pytest.mark.skipif(not DEV_CORPUS.is_dir(), reason="shared dev corpus not present")
def test_identical_tokens_over_the_dev_corpus_pdfs(pair):
    from countyfiscal.ingest import read_document
    from countyfiscal.model import RejectedInput

    jieba_tok, rj_tok = pair
    n = 0
    for path in sorted(DEV_CORPUS.glob("*.pdf")):
        try:
            text = read_document(path).text
        except RejectedInput:
            continue
        n += 1
        assert rj_tok.cut(text) == jieba_tok.cut(text), path.name
    assert n >= 16  # the 16 budgets at least; a reader that fails them all would make this test empty


def test_identical_raw_cut_on_random_strings_with_the_characters_that_differ(pair):
    # CJK extension A, U+9FD6–9FFF, compatibility ideographs and plane-2 characters are word characters for
    # jieba-rs but not for jieba; \r\n, tabs, ASCII runs and symbols are where the two split blocks.
    jieba_tok, rj_tok = pair
    alphabet = list("信访局联席会议经费三公支出预算国有资产满意率abcXY12 .-_%+#&\r\n\t，。（）") + [
        "㐀", "䶵", "\u9fd6", "\u9fef", "\uf900", "\U00020001", "\U0002a700"]
    rng = random.Random(20)
    for _ in range(3000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert rj_tok._raw_cut(s) == jieba_tok._raw_cut(s), repr(s)


def test_identical_on_random_slices_of_the_corpus(pair):
    jieba_tok, rj_tok = pair
    text = "\n".join(_corpus())
    rng = random.Random(7)
    for _ in range(1000):
        i = rng.randrange(len(text))
        s = text[i:i + rng.randint(1, 80)]
        assert rj_tok.cut(s) == jieba_tok.cut(s), repr(s)


def test_user_words_already_in_jiebas_dictionary_get_jiebas_frequency(tmp_path):
    # jieba gives a word it already knows frequency+1 and counts both in its total; jieba-rs would not.
    # 联席会议, 满意率 and 国有资产 are in jieba's dict.txt; 劝返 too; 群众诉求 is not.
    userdict = tmp_path / "userdict.txt"
    userdict.write_text("联席会议\n满意率\n国有资产\n劝返\n群众诉求\n诉求办理 500\n", encoding="utf-8")
    stop = tmp_path / "stop.txt"
    stop.write_text("的\n", encoding="utf-8")
    a = Tokenizer(userdict=userdict, stopwords=stop, backend="jieba")
    b = Tokenizer(userdict=userdict, stopwords=stop, backend="rjieba")
    assert b._backend().total == a._backend().total
    for text in _corpus()[:5] + ["召开联席会议研究群众诉求办理满意率和国有资产劝返工作"]:
        assert b.cut(text) == a.cut(text)
    assert b.cut("群众诉求办理") == a.cut("群众诉求办理") == ["群众", "诉求办理"]  # 诉求办理 500 outweighs 群众诉求


def test_cutter_on_its_own_dictionary_and_refuses_hmm(tmp_path):
    small = tmp_path / "dict.txt"
    small.write_text("中文 100 n\n分词 80 v\n中 30 f\n", encoding="utf-8")
    cutter = RJiebaCutter([("中文分词", None)], dictionary=small)
    assert cutter.lcut("中文分词好") == ["中文分词", "好"]
    # jieba's suggest_freq: int(210 * (100/210) * (80/210)) + 1 = 39
    assert cutter.total == 210 + 39
    with pytest.raises(ValueError, match="without HMM"):
        cutter.lcut("中文", HMM=True)
