"""A jieba-rs (``rjieba``) segmentation backend that cuts exactly as our ``jieba.Tokenizer`` does, several times faster.

Identity with jieba (HMM off) rests on three things jieba-rs does differently by default, each undone here:

1. Dictionary: jieba-rs ships its own copy of the dictionary. Both must start from the same words and frequencies:
   the first time a dictionary file is used, it is loaded into an empty ``rjieba.Jieba`` and compared with
   jieba-rs's own copy (``_same_as_default``); when they agree (jieba's ``dict.txt`` and the pinned rjieba do), later
   cutters start from jieba-rs's copy, which it builds in 0.08 s against 0.2 s for adding the file's 349,046 words
   one by one; otherwise every cutter is built from the file.
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
    builds a module-level default cutter (0.1 s) that is never used here. The module is registered as
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
_CACHE_VERSION = 2

# Entries: (words, frequencies), added in order with ``add_word``.
Entries = tuple[list[str], list[int]]


def _cache_file(path: Path, user_words: list[tuple[str, int | None]]) -> Path | None:
    """Where the cutter's entries for this dictionary (its bytes), these user words and this build of jieba-rs (its
    compiled module's path, size and time: it decides whether its own dictionary can stand for the file) are kept,
    or None when the user's cache folder cannot be used."""
    from countyfiscal.cache import CacheError, cache_dir

    try:
        h = hashlib.sha256(path.read_bytes())
        h.update(repr((_CACHE_VERSION, user_words, _build_id())).encode("utf-8"))
        return cache_dir("rjieba") / f"entries-{h.hexdigest()[:32]}.marshal"
    except (OSError, CacheError):
        return None


def _build_id() -> tuple:
    """The loaded jieba-rs module's file, size and modification time (empty when it has no file)."""
    module = sys.modules.get("rjieba.rjieba") or sys.modules.get("rjieba")
    file = getattr(module, "__file__", None)
    if not file:
        return ()
    st = Path(file).stat()
    return (str(file), st.st_size, st.st_mtime_ns)


def _is_entries(x) -> bool:
    return (isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], list) and isinstance(x[1], list)
            and len(x[0]) == len(x[1]))


def _load(cache_file: Path) -> tuple[Entries | None, Entries, int] | None:
    """The cached (dictionary entries, or None when jieba-rs's own copy stands for them; the entries added after
    them; total), or None when there are none (or they do not look like what ``_store`` wrote)."""
    try:
        data = marshal.loads(cache_file.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if (isinstance(data, tuple) and len(data) == 3 and (data[0] is None or _is_entries(data[0]))
            and _is_entries(data[1]) and isinstance(data[2], int)):
        return data
    return None


def _store(cache_file: Path, entries: tuple[Entries | None, Entries, int]) -> None:
    """Write the entries atomically (a reader never sees half a file); a cache that cannot be written is skipped."""
    from countyfiscal.cache import write_atomic

    write_atomic(cache_file, marshal.dumps(entries))


# Probes of the total in ``_same_as_default``: texts made of this many of the most frequent words, two or three at a
# time, whose suggested frequencies (their pieces' frequencies over the total, times the total) move with the total.
_TOTAL_PROBES = 24


def _same_as_default(rj, words: list[str], freqs: list[int]) -> bool:
    """Whether jieba-rs's own dictionary (``Jieba()``) holds what ``rj`` was given: ``words`` with ``freqs``, in
    order. Every word must be known to both and get the same suggested frequency from both (its own frequency, or
    more when it does not cut as one word), and so must every pair of neighbouring words and texts of two or three of
    the most frequent words (whose suggestions depend on the total). Takes about a second; run once per dictionary
    file and jieba-rs build, its answer kept with the cached entries."""
    default = _jieba_class()()
    if not all(map(default.has_word, words)):
        return False
    top = [w for _, w in sorted(zip(freqs, words), reverse=True)[:_TOTAL_PROBES]]
    probes = [a + b for a in top for b in top] + [a + b + c for a in top[:8] for b in top[:8] for c in top[:8]]
    for texts in (words, [a + b for a, b in zip(words, words[1:])], probes):
        if list(map(rj.suggest_freq, texts)) != list(map(default.suggest_freq, texts)):
            return False
    return True


def _add_all(rj, words: list[str], freqs: list[int]) -> None:
    """``rj.add_word(w, n, None)`` for each pair in order, by map rather than a Python loop (~0.2 s for jieba's
    349,046 words)."""
    collections.deque(map(rj.add_word, words, freqs, itertools.repeat(None)), maxlen=0)


class RJiebaCutter:
    """``lcut(text, HMM=False)`` with jieba's tokens for jieba's dictionary plus ``user_words`` added in order.

    ``user_words`` are ``(word, freq)`` pairs exactly as passed to ``jieba.Tokenizer.add_word`` (``freq`` None:
    computed as jieba computes it). ``cache``: keep the entries built (about a second, plus a second to compare the
    dictionary with jieba-rs's own copy) in the user's cache folder (``cache.cache_dir("rjieba")``) and start from
    them next time: 0.1 s when jieba-rs's copy stands for the dictionary file, 0.25 s when the file's words are added.
    """

    def __init__(self, user_words: list[tuple[str, int | None]] = (), dictionary: str | Path | None = None,
                 cache: bool = True) -> None:
        path = Path(dictionary) if dictionary else jieba_dict_path()
        user_words = [(w, None if n is None else int(n)) for w, n in user_words]
        jieba_rs = _jieba_class()
        self._freq: dict[str, int] = {}
        self._sorted_words: list[str] | None = None
        cache_file = _cache_file(path, user_words) if cache else None
        loaded = _load(cache_file) if cache_file is not None else None
        if loaded is not None:
            head, tail, self.total = loaded
            self._rj = jieba_rs() if head is None else jieba_rs.empty()
            if head is not None:
                _add_all(self._rj, *head)
            _add_all(self._rj, *tail)
        else:
            self._rj = jieba_rs.empty()
            head, tail, self.total, same = self._entries(path, user_words, compare=cache_file is not None)
            if cache_file is not None:
                _store(cache_file, (None if same else head, tail, self.total))
        self._freq, self._sorted_words = {}, None  # only needed to compute the user words' frequencies

    def _entries(self, path: Path, user_words: list[tuple[str, int | None]],
                 compare: bool = False) -> tuple[Entries, Entries, int, bool]:
        """Add the dictionary's and the user words to jieba-rs. Returns the words and frequencies added, in order
        (add_word keeps the last of a word given twice): the dictionary's, then the user words' (and the filler);
        jieba's total; with ``compare``, whether jieba-rs's own dictionary holds exactly the dictionary's entries
        (``_same_as_default``). Building them takes about a second (jieba's dictionary has 349,046 entries), so
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
        same = compare and _same_as_default(self._rj, words, freqs)
        rs_freq: dict[str, int] = dict(zip(words, freqs))
        tail_words: list[str] = []
        tail_freqs: list[int] = []
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
            tail_words.append(word)
            tail_freqs.append(n)
            rs_freq[word] = n
        gap = total - sum(rs_freq.values())
        if gap > 0:
            self._rj.add_word(_FILLER, gap, None)
            tail_words.append(_FILLER)
            tail_freqs.append(gap)
        return (words, freqs), (tail_words, tail_freqs), total, same

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
