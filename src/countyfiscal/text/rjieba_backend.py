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
import collections
import hashlib
import importlib.machinery
import importlib.util
import itertools
import marshal
import re
import sys
from pathlib import Path

# Characters jieba-rs counts as Chinese word characters but jieba (re_han_default: U+4E00–U+9FD5) does not.
# Splitting at a character both treat as non-word is harmless (both yield it alone), so the ranges are generous.
_JIEBA_RS_ONLY = re.compile("[\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
# An entry whose only job is to make the jieba-rs total equal jieba's: U+10FFFD is a private-use character outside
# every word-character class, so it never starts a dictionary lookup.
_FILLER = "\U0010fffd"
# A line of a dictionary file as jieba's dict.txt has every line: word, frequency, tag, one space between them.
_THREE_FIELDS = re.compile(r"(?m)^\S+ \d+ \S+$")


def available() -> bool:
    """True when the ``rjieba`` package (jieba-rs bindings, extra ``countyfiscal[fast]``) can be imported."""
    try:
        _jieba_class()
    except ImportError:
        return False
    return True


def _jieba_class():
    """``rjieba.Jieba``, from the compiled module alone where it can be found: importing the ``rjieba`` package
    builds a default cutter with jieba-rs's own dictionary (0.1 s) that we never use. The module is registered as
    ``rjieba.rjieba``, so a later ``import rjieba`` uses it rather than loading it a second time."""
    module = sys.modules.get("rjieba.rjieba")
    if module is None and "rjieba" not in sys.modules:
        spec = importlib.util.find_spec("rjieba")
        for folder in (spec.submodule_search_locations or []) if spec is not None else []:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = Path(folder) / f"rjieba{suffix}"
                if path.is_file():
                    inner = importlib.util.spec_from_file_location("rjieba.rjieba", path)
                    module = importlib.util.module_from_spec(inner)
                    inner.loader.exec_module(module)
                    sys.modules["rjieba.rjieba"] = module
                    break
            if module is not None:
                break
    if module is None:  # not found that way: the package, as its authors meant it to be imported
        import rjieba

        return rjieba.Jieba
    return module.Jieba


def jieba_dict_path() -> Path:
    """jieba's main dictionary file (the one ``jieba.Tokenizer()`` loads by default), found without importing jieba
    (0.14 s, most of it pkg_resources)."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        raise ImportError("jieba is not installed")
    return Path(spec.origin).parent / "dict.txt"


def _read_dictionary(path: Path) -> tuple[list[str], list[int]]:
    """(words, frequencies) of a jieba dictionary file (lines ``word freq [tag]``), in the file's order.

    A file whose every line has exactly three space-separated fields (jieba's ``dict.txt``) is split in one go;
    any other is read line by line, as jieba reads it (the first two fields of each stripped line).
    """
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    if len(_THREE_FIELDS.findall(text)) == len(lines):
        fields = text.split()
        return fields[0::3], list(map(int, fields[1::3]))
    words, freqs = [], []
    for line in lines:
        word, n = line.strip().split(" ")[:2]
        words.append(word)
        freqs.append(int(n))
    return words, freqs


# Bump when what the cache holds, or how it is computed, changes.
_CACHE_VERSION = 1


def _cache_file(path: Path, user_words: list[tuple[str, int | None]]) -> Path | None:
    """Where the cutter's entries for this dictionary (its bytes) and these user words are kept, or None when the
    user's cache folder cannot be used."""
    from countyfiscal.cache import CacheError, cache_dir

    try:
        h = hashlib.sha256(path.read_bytes())
        h.update(repr((_CACHE_VERSION, user_words)).encode("utf-8"))
        return cache_dir("rjieba") / f"entries-{h.hexdigest()[:32]}.marshal"
    except (OSError, CacheError):
        return None


def _load(cache_file: Path) -> tuple[list[str], list[int], int] | None:
    """The cached entries, or None when there are none (or they do not look like what ``_store`` wrote)."""
    try:
        data = marshal.loads(cache_file.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if (isinstance(data, tuple) and len(data) == 3 and isinstance(data[0], list) and isinstance(data[1], list)
            and isinstance(data[2], int) and len(data[0]) == len(data[1])):
        return data
    return None


def _store(cache_file: Path, entries: tuple[list[str], list[int], int]) -> None:
    """Write the entries atomically (a reader never sees half a file); a cache that cannot be written is skipped."""
    from countyfiscal.cache import write_atomic

    write_atomic(cache_file, marshal.dumps(entries))


def _add_all(rj, words: list[str], freqs: list[int]) -> None:
    """``rj.add_word(w, n, None)`` for each pair in order, by map rather than a Python loop (~0.2 s for jieba's
    349,046 words)."""
    collections.deque(map(rj.add_word, words, freqs, itertools.repeat(None)), maxlen=0)


class RJiebaCutter:
    """``lcut(text, HMM=False)`` with jieba's tokens for jieba's dictionary plus ``user_words`` added in order.

    ``user_words`` are ``(word, freq)`` pairs exactly as passed to ``jieba.Tokenizer.add_word`` (``freq`` None:
    computed as jieba computes it). ``cache``: keep the entries built (about a second) in the user's cache
    folder (``cache.cache_dir("rjieba")``) and load them from there next time (~0.25 s in all).
    """

    def __init__(self, user_words: list[tuple[str, int | None]] = (), dictionary: str | Path | None = None,
                 cache: bool = True) -> None:
        path = Path(dictionary) if dictionary else jieba_dict_path()
        user_words = [(w, None if n is None else int(n)) for w, n in user_words]
        self._rj = _jieba_class().empty()
        self._freq: dict[str, int] = {}
        self._sorted_words: list[str] | None = None
        cache_file = _cache_file(path, user_words) if cache else None
        loaded = _load(cache_file) if cache_file is not None else None
        if loaded is not None:
            words, freqs, self.total = loaded
            _add_all(self._rj, words, freqs)
        else:
            words, freqs, self.total = self._entries(path, user_words)  # added as they are computed
            if cache_file is not None:
                _store(cache_file, (words, freqs, self.total))
        self._freq, self._sorted_words = {}, None  # only needed to compute the user words' frequencies

    def _entries(self, path: Path, user_words: list[tuple[str, int | None]]) -> tuple[list[str], list[int], int]:
        """Add the dictionary's and the user words to jieba-rs; the words and frequencies added, in order
        (add_word keeps the last of a word given twice), and jieba's total. Building them takes about a second (the dictionary has 349,046 entries), so
        ``__init__`` keeps them in the user's cache folder, keyed by the dictionary's bytes and the user words."""
        # jieba's FREQ table (without its zero-frequency prefix fragments, looked up lazily in _jieba_freq) and
        # total, for suggest_freq; what jieba-rs holds, to know its total.
        words, freqs = _read_dictionary(path)
        self._freq = dict(zip(words, freqs))
        total = sum(freqs)
        if any(n <= 0 for n in freqs):  # jieba leaves zero-frequency words out of its word graph
            kept = [i for i, n in enumerate(freqs) if n > 0]
            words, freqs = [words[i] for i in kept], [freqs[i] for i in kept]
        _add_all(self._rj, words, freqs)  # the user words' suggest_freq cuts with the dictionary in place
        rs_freq: dict[str, int] = dict(zip(words, freqs))
        for word, n in user_words:
            n = n if n is not None else self._suggest_freq(word, total)
            if self._sorted_words is not None and word not in self._freq:
                bisect.insort(self._sorted_words, word)
            self._freq[word] = n
            total += n
            if n <= 0:
                raise ValueError(f"user word {word!r} with frequency 0 is a jieba force-split; not supported")
            # Each user word is added at once: the next one's suggest_freq cuts with it in the dictionary.
            self._rj.add_word(word, n, None)
            words.append(word)
            freqs.append(n)
            rs_freq[word] = n
        gap = total - sum(rs_freq.values())
        if gap > 0:
            self._rj.add_word(_FILLER, gap, None)
            words.append(_FILLER)
            freqs.append(gap)
        return words, freqs, total

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
