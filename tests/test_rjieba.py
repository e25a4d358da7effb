"""The rjieba (jieba-rs) backend cuts exactly as our jieba tokenizer does, with the same user dictionary."""

from __future__ import annotations

import os
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
    rj = Tokenizer(backend="rjieba")
    rj._backend()  # built (and cached) once: the tokenizer tested starts from the cache, as every run's does
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


def test_cutter_loaded_from_the_cache_cuts_as_one_built_afresh(tmp_path, monkeypatch):
    # The entries built once are kept in the user's cache folder and loaded from there (a fraction of the build);
    # the cutter they make has the same total and the same tokens, and a damaged cache file is rebuilt.
    monkeypatch.setenv("COUNTYFISCAL_CACHE", str(tmp_path / "cache"))
    small = tmp_path / "dict.txt"
    small.write_text("中文 100 n\n分词 80 v\n中 30 f\n零 0 m\n", encoding="utf-8")
    words = [("中文分词", None), ("分词好", 7)]
    fresh = RJiebaCutter(words, dictionary=small, cache=False)
    assert not (tmp_path / "cache").exists()
    built = RJiebaCutter(words, dictionary=small)
    (cached,) = (tmp_path / "cache" / "rjieba").iterdir()
    loaded = RJiebaCutter(words, dictionary=small)
    assert fresh.total == built.total == loaded.total == 210 + 39 + 7
    for text in ("中文分词好", "中文分词", "分词好中文", "中零文"):
        assert fresh.lcut(text) == built.lcut(text) == loaded.lcut(text)
    cached.write_bytes(b"not marshal")
    assert RJiebaCutter(words, dictionary=small).lcut("中文分词好") == fresh.lcut("中文分词好")
    # Other user words (or another dictionary) are another cache entry, never the first one's.
    assert RJiebaCutter([("中文分词", None)], dictionary=small).total == 210 + 39
    assert len(list((tmp_path / "cache" / "rjieba").iterdir())) == 2


def test_cutter_starts_from_jieba_rs_own_dictionary_when_it_holds_the_files(tmp_path, monkeypatch):
    # jieba-rs ships jieba's dict.txt (sorted, its one repeated line once; the same words, frequencies and tags).
    # The first cutter built compares the two and keeps the answer with its entries: the next ones start from
    # jieba-rs's copy instead of adding 349,046 words, and cut as a cutter built from the file does.
    import marshal

    monkeypatch.setenv("COUNTYFISCAL_CACHE", str(tmp_path))
    words = [("信访积案", None), ("诉求办理", 500), ("联席会议", None)]
    fresh = RJiebaCutter(words, cache=False)
    RJiebaCutter(words)
    (cached,) = (tmp_path / "rjieba").iterdir()
    head, (tail_words, tail_freqs), total = marshal.loads(cached.read_bytes())
    assert head is None  # jieba-rs's copy stands for the file
    assert tail_words[:3] == ["信访积案", "诉求办理", "联席会议"] and tail_freqs[1] == 500 and total == fresh.total
    loaded = RJiebaCutter(words)
    assert loaded.total == fresh.total
    text = "\n".join(_corpus())
    assert loaded.lcut(text) == fresh.lcut(text)
    rng = random.Random(3)
    for _ in range(300):
        i = rng.randrange(len(text))
        s = text[i:i + rng.randint(1, 30)]
        assert loaded._rj.suggest_freq(s) == fresh._rj.suggest_freq(s), repr(s)


@pytest.mark.parametrize("change", ["a word more", "a frequency changed"])
def test_a_dictionary_unlike_jieba_rs_own_is_always_added_word_by_word(tmp_path, monkeypatch, change):
    from countyfiscal.text.rjieba_backend import _load, jieba_dict_path

    monkeypatch.setenv("COUNTYFISCAL_CACHE", str(tmp_path / "cache"))
    lines = jieba_dict_path().read_text(encoding="utf-8").splitlines()
    if change == "a word more":
        lines.append("信访积案办理 9 n")
    else:
        i = next(i for i, ln in enumerate(lines) if ln.split()[0] == "信访")
        word, n, tag = lines[i].split()
        lines[i] = f"{word} {int(n) + 1000} {tag}"
    mine = tmp_path / "dict.txt"
    mine.write_text("\n".join(lines) + "\n", encoding="utf-8")
    built = RJiebaCutter([("诉求办理", None)], dictionary=mine)
    (cached,) = (tmp_path / "cache" / "rjieba").iterdir()
    head, tail, total = _load(cached)
    assert head is not None and head[0] == [ln.split()[0] for ln in lines]  # the file's words, every line
    loaded = RJiebaCutter([("诉求办理", None)], dictionary=mine)
    text = "信访积案办理情况：信访工作联席会议，诉求办理"
    assert loaded.lcut(text) == built.lcut(text) == RJiebaCutter([("诉求办理", None)], dictionary=mine,
                                                                  cache=False).lcut(text)
    assert loaded.total == built.total == total


def test_dictionary_read_in_one_go_or_line_by_line_gives_the_same(tmp_path):
    from countyfiscal.text.rjieba_backend import _read_dictionary, jieba_dict_path

    lines = jieba_dict_path().read_text(encoding="utf-8").splitlines()[:2000]
    plain, odd = tmp_path / "plain.txt", tmp_path / "odd.txt"
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # One line without a tag and one with a fourth field: read line by line (the first two fields of each).
    odd.write_text("\n".join(lines[:-2] + [" ".join(lines[-2].split()[:2]), lines[-1] + " x"]) + "\n",
                   encoding="utf-8")
    w1, f1 = _read_dictionary(plain)
    w2, f2 = _read_dictionary(odd)
    assert (w1, f1) == (w2, f2)
    assert len(w1) == 2000 and w1[:2] == [ln.split()[0] for ln in lines[:2]] and f1[0] == int(lines[0].split()[1])


def test_the_default_tokenizer_is_built_without_importing_jieba_or_rjiebas_own_dictionary(tmp_path):
    """Building the cutter reads jieba's dict.txt without importing jieba (0.14 s) and loads jieba-rs without its
    package's default cutter (0.1 s): both were serial time at the start of every run. A later ``import rjieba``
    still works and shares the one loaded module."""
    import subprocess

    code = (
        "import sys\n"
        "from countyfiscal.text.tokenizer import get_tokenizer\n"
        "print(get_tokenizer().cut('严控“三公”经费，化解信访积案'))\n"
        "print(sorted(m for m in ('jieba', 'rjieba') if m in sys.modules))\n"
        "import rjieba\n"
        "print(rjieba.Jieba is sys.modules['rjieba.rjieba'].Jieba, rjieba.cut('信访工作', False))\n"
    )
    env = {**os.environ, "COUNTYFISCAL_CACHE": str(tmp_path)}  # a cold cache: the entries are built from dict.txt
    for _ in range(2):  # built, then loaded from the cache
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        assert out.stdout.splitlines() == ["['严控', '“三公”经费', '，', '化解', '信访积案']", "[]",
                                           "True ['信访工作']"]
