"""A jieba-rs (``rjieba``) segmentation backend that cuts exactly as our ``jieba.Tokenizer`` does, several times faster.

Identity with jieba (HMM off) rests on three things jieba-rs does differently by default, each undone here:

1. Dictionary: jieba-rs ships its own copy of the dictionary; we load jieba's ``dict.txt`` into an empty
   ``rjieba.Jieba`` instead, so both start from the same words and frequencies.
2. User words without a frequency: jieba's ``suggest_freq`` computes it in Python floats and, for a word already in
   the dictionary, adds 1 to its frequency; jieba-rs computes it in logarithms and does not. We compute the frequency
   the way jieba does (over a mirror of jieba's ``FREQ`` table) and pass it explicitly.
   jieba also adds a re-added word's frequency to its total without taking the old one off; jieba-rs keeps the
   total exact. The difference is given to a filler entry no text can reach (it is not a Chinese character, so
   jieba-rs never looks it up), so both use the same total in their path scores.
3. What counts as Chinese: jieba-rs also treats CJK extension A/B…, U+9FD6–U+9FFF and compatibility ideographs as
   word characters; jieba yields each of them as a token of its own. We split the text at those characters and
   yield them alone, as jieba does.

``tests/test_rjieba.py`` asserts identical tokens over the seed and synthetic texts and over random strings.
HMM segmentation is not mirrored (jieba's HMM keeps force-split state); the backend refuses ``HMM=True``.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

# Characters jieba-rs counts as Chinese word characters but jieba (re_han_default: U+4E00–U+9FD5) does not.
# Splitting at a character both treat as non-word is harmless (both yield it alone), so the ranges are generous.
_JIEBA_RS_ONLY = re.compile("[\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
# An entry whose only job is to make the jieba-rs total equal jieba's: U+10FFFD is a private-use character outside
# every word-character class, so it never starts a dictionary lookup.
_FILLER = "\U0010fffd"


def available() -> bool:
    """True when the ``rjieba`` package (jieba-rs bindings, extra ``countyfiscal[fast]``) can be imported."""
    try:
        import rjieba  # noqa: F401
    except ImportError:
        return False
    return True


def jieba_dict_path() -> Path:
    """jieba's main dictionary file (the one ``jieba.Tokenizer()`` loads by default)."""
    import jieba

    return Path(jieba.__file__).parent / "dict.txt"


class RJiebaCutter:
    """``lcut(text, HMM=False)`` with jieba's tokens for jieba's dictionary plus ``user_words`` added in order.

    ``user_words`` are ``(word, freq)`` pairs exactly as passed to ``jieba.Tokenizer.add_word`` (``freq`` None:
    computed as jieba computes it). Building takes about a second (the dictionary has 349,046 entries).
    """

    def __init__(self, user_words: list[tuple[str, int | None]] = (), dictionary: str | Path | None = None) -> None:
        import rjieba

        self._rj = rjieba.Jieba.empty()
        add = self._rj.add_word
        # jieba's FREQ table (without its zero-frequency prefix fragments, looked up lazily in _prefixes) and
        # total, for suggest_freq; what jieba-rs holds, to know its total.
        self._freq: dict[str, int] = {}
        self._sorted_words: list[str] | None = None
        total = 0
        rs_freq: dict[str, int] = {}
        path = Path(dictionary) if dictionary else jieba_dict_path()
        for line in path.read_text(encoding="utf-8").splitlines():
            word, n = line.strip().split(" ")[:2]
            n = int(n)
            self._freq[word] = n
            total += n
            if n > 0:  # jieba leaves zero-frequency words out of its word graph
                add(word, n, None)
                rs_freq[word] = n
        for word, n in user_words:
            n = int(n) if n is not None else self._suggest_freq(word, total)
            if self._sorted_words is not None and word not in self._freq:
                bisect.insort(self._sorted_words, word)
            self._freq[word] = n
            total += n
            if n <= 0:
                raise ValueError(f"user word {word!r} with frequency 0 is a jieba force-split; not supported")
            add(word, n, None)
            rs_freq[word] = n
        gap = total - sum(rs_freq.values())
        if gap > 0:
            add(_FILLER, gap, None)
        self.total = total

    def _jieba_freq(self, seg: str) -> int:
        """``jieba.Tokenizer.FREQ.get(seg, 1)``: jieba also holds every prefix of a word, with frequency 0."""
        n = self._freq.get(seg)
        if n is not None:
            return n
        if self._sorted_words is None:  # sorted on first need (a set of all prefixes takes longer to build)
            self._sorted_words = sorted(self._freq)
        i = bisect.bisect_left(self._sorted_words, seg)
        # seg is not a word, so the first word sorting at or after it is the first that could start with it.
        return 0 if i < len(self._sorted_words) and self._sorted_words[i].startswith(seg) else 1

    def _suggest_freq(self, word: str, total: int) -> int:
        # jieba.Tokenizer.suggest_freq(word, tune=False), same float operations in the same order.
        ftotal = float(total)
        f = 1
        for seg in self.lcut(word):
            f *= self._jieba_freq(seg) / ftotal
        return max(int(f * total) + 1, self._jieba_freq(word))

    def lcut(self, text: str, HMM: bool = False) -> list[str]:  # noqa: N803 (jieba's spelling)
        """Tokens of ``text`` as ``jieba.Tokenizer.lcut(text, HMM=False)`` gives them."""
        if HMM:
            raise ValueError("the rjieba backend mirrors jieba without HMM only")
        cut = self._rj.cut
        if not _JIEBA_RS_ONLY.search(text):
            return cut(text, False)
        out: list[str] = []
        pos = 0
        for m in _JIEBA_RS_ONLY.finditer(text):
            if m.start() > pos:
                out.extend(cut(text[pos:m.start()], False))
            out.append(m.group())
            pos = m.end()
        if pos < len(text):
            out.extend(cut(text[pos:], False))
        return out
