"""Tests for countyfiscal.text.tokenizer: domain phrases whole, quotes/width normalised, jieba's globals untouched."""

from __future__ import annotations

import jieba
import jieba.finalseg
import pytest

from countyfiscal.text.tokenizer import (
    Tokenizer,
    fold_width,
    get_tokenizer,
    read_word_list,
    resource_path,
    tokens_line,
)


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return get_tokenizer()


USERDICT_WORDS = [w for w, _, _ in read_word_list(resource_path("userdict.txt"))]


def test_userdict_holds_the_issue_phrases():
    for word in ["信访工作条例", "枫桥经验", "三到位一处理", "初信初访", "越级上访", "包案化解", "信访积案",
                 "联席会议", "网上信访", "12345热线", "“三公”经费", "机关运行经费"]:
        assert word in USERDICT_WORDS


@pytest.mark.parametrize("word", USERDICT_WORDS)
def test_every_domain_phrase_stays_one_token(tok, word):
    # A sentence frame of filler words, so the phrase has neighbours it could merge with.
    assert word in tok.cut(f"今年认真落实{word}，成效明显。")


@pytest.mark.parametrize("variant", ["“三公”经费", '"三公"经费', "‘三公’经费", "「三公」经费", "＂三公＂经费",
                                     "三公经费", "“三公” 经费"])
def test_sangong_quote_variants_give_one_canonical_token(tok, variant):
    assert tok.cut(f"严控{variant}支出") == ["严控", "“三公”经费", "支出"]


def test_full_width_digits_and_brackets_are_normalised(tok):
    assert tok.cut("拨打１２３４５热线") == ["拨打", "12345热线"]
    assert "因公出国（境）费" in tok.cut("因公出国(境)费0元")


def test_fold_width_keeps_length_and_chinese_punctuation():
    text = "１２３ＡＢ，（一）　“三公”"
    assert len(fold_width(text)) == len(text)
    assert fold_width(text) == "123AB，（一） “三公”"


def test_cut_drops_whitespace_only(tok):
    assert tok.cut("信访  积案\n化解") == ["信访", "积案", "化解"]


def test_terms_drop_stopwords_punctuation_numbers_and_compounds_of_stopwords(tok):
    terms = tok.terms("进一步认真积极切实做好信访积案化解工作，全年办结985件。")
    assert terms == ["信访积案", "化解", "办结"]
    # 切实做好 is one jieba word; it is filler because 切实 and 做好 both are stopwords.
    assert tok.is_stopword("切实做好") and not tok.is_stopword("信访积案")


def test_tokens_line_joins_tokens_with_one_space():
    assert tokens_line("坚持发展“枫桥经验”，落实三到位一处理") == "坚持 发展 “ 枫桥经验 ” ， 落实 三到位一处理"


def test_a_fresh_cache_dir_and_own_dictionary_work_silently(tmp_path, capfd):
    userdict = tmp_path / "dict.txt"
    userdict.write_text("# test words\n积案清零\n“两会”保障 5 n\n", encoding="utf-8")
    stop = tmp_path / "stop.txt"
    stop.write_text("保障\n", encoding="utf-8")
    # jieba's prefix-dictionary cache is the jieba backend's; the default (auto) backend is rjieba when installed.
    t = Tokenizer(userdict=userdict, stopwords=stop, cache_dir=tmp_path / "cache", backend="jieba")
    assert t.cut("实现积案清零，做好'两会'保障") == ["实现", "积案清零", "，", "做好", "“两会”保障"]
    assert (tmp_path / "cache" / "jieba.cache").is_file()
    # jieba prints "Building prefix dict…" at DEBUG; it must not reach stderr (it breaks nbval).
    assert "prefix dict" not in capfd.readouterr().err


def test_jieba_global_tokenizer_is_untouched():
    before = (jieba.dt.initialized, jieba.dt.tmp_dir, jieba.dt.cache_file, dict(jieba.dt.user_word_tag_tab),
              set(jieba.finalseg.Force_Split_Words))
    t = Tokenizer()
    t.cut("落实三到位一处理，严控“三公”经费")
    from countyfiscal.text.keywords import textrank_keywords

    textrank_keywords("落实三到位一处理，严控“三公”经费，化解信访积案，推动信访积案化解", t)
    after = (jieba.dt.initialized, jieba.dt.tmp_dir, jieba.dt.cache_file, dict(jieba.dt.user_word_tag_tab),
             set(jieba.finalseg.Force_Split_Words))
    assert after == before
    # The global tokenizer knows none of our words: it still splits them.
    assert jieba.lcut("三到位一处理", HMM=False) != ["三到位一处理"]
    assert "三到位一处理" not in jieba.dt.FREQ


def test_cut_is_deterministic_across_instances(tok):
    text = "坚持和发展“枫桥经验”，把矛盾隐患消除在萌芽状态，拨打12345热线。"
    assert Tokenizer().cut(text) == tok.cut(text) == tok.cut(text)


def test_protected_phrases_with_a_required_leading_bracket_and_spaces_around_quotes(tmp_path):
    # The bracket before 试 is part of the phrase (not optional like a quote): without it nothing is protected.
    userdict = tmp_path / "dict.txt"
    userdict.write_text("（试行）办法\n“三公”经费\n", encoding="utf-8")
    stop = tmp_path / "stop.txt"
    stop.write_text("的\n", encoding="utf-8")
    t = Tokenizer(userdict=userdict, stopwords=stop, backend="jieba")
    assert t.cut("按(试行)办法执行") == ["按", "（试行）办法", "执行"]
    assert "（试行）办法" not in t.cut("按试行)办法执行")
    assert t.cut('严控 " 三公 " 经费') == ["严控", "“三公”经费"]
    assert t.cut("“三公”经费和“三公”经费") == ["“三公”经费", "和", "“三公”经费"]


def test_private_use_characters_in_the_input_are_blanked_not_restored_as_phrases(tok):
    # U+E000 is the placeholder of the first protected phrase; a stray one in a text must not turn into it.
    assert tok.cut("严控\ue000\ue001经费") == ["严控", "经费"]
    assert tok.prepare("ＡＢ\ue000") == "AB "


def test_the_grouped_regex_finds_what_the_flat_one_finds():
    """grouped_regex (the alternatives grouped under their first character) finds the matches and the phrases
    protect_regex's flat list of alternatives finds, scanning as ThemeMatcher.matches does: random phrases sharing
    first characters, with quotes, brackets, digits and signs, over random texts; and the theme lexicon over the
    seeds."""
    import random
    from pathlib import Path

    from countyfiscal.text.themes import load_lexicon
    from countyfiscal.text.tokenizer import grouped_regex, protect_regex

    rng = random.Random(3)
    chars = list("信访积案三公经费预算12+-.（）()“”") + [chr(34)]
    phrases = {"".join(rng.choice(chars) for _ in range(rng.randint(1, 6))) for _ in range(150)}
    phrases = tuple(sorted({p for p in phrases if any(c not in "“”（）() " + chr(34) for c in p)},
                           key=lambda t: (-len(t), t)))
    texts = ["".join(rng.choice(chars + [" ", "。"]) for _ in range(300)) for _ in range(30)]
    lexicon_terms = tuple(sorted({t for th in load_lexicon().themes for t in th.terms}, key=lambda t: (-len(t), t)))
    raw = Path(__file__).resolve().parents[1] / "data" / "raw"
    seeds = [fold_width(p.read_text(encoding="utf-8")) for p in sorted(raw.glob("*.txt"))]
    assert len(phrases) > 50 and len(seeds) == 5
    for terms, corpus in ((phrases, texts), (lexicon_terms, seeds)):
        flat, _ = protect_regex(terms)
        tree, _, order = grouped_regex(terms)
        found = 0
        for text in corpus:
            p = 0  # from the start, then from just after each match's start (as ThemeMatcher.matches scans)
            while (a := flat.search(text, p)) is not None:
                b = tree.search(text, p)
                assert b is not None and (a.span(), a.lastindex - 1) == (b.span(), order[b.lastindex])
                found += 1
                p = a.start() + 1
            assert tree.search(text, p) is None
        assert found > 100
