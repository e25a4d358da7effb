"""Cut normalised disclosure text into words with our own jieba instance, domain dictionary and stopword list."""

from __future__ import annotations

import functools
import logging
import re
import threading
from importlib import resources
from itertools import chain, compress, filterfalse
from pathlib import Path

from countyfiscal import cache

# Characters that open or close a quotation in the disclosures; “三公”经费 is printed with any of them.
QUOTES = "“”\"‘’'「」『』＂＇"
# Bracket pairs printed either full or half width: 因公出国（境）费 / 因公出国(境)费.
_BRACKETS = {"（": "[（(]", "(": "[（(]", "）": "[）)]", ")": "[）)]"}
# Full-width ASCII letters, digits and the symbols jieba keeps inside words fold to half width, one char for
# one char, so offsets computed on folded text stay valid in the original.
_WIDTH_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp - 0xFEE0).isalnum() or chr(cp - 0xFEE0) in "+#&._%-"}
_WIDTH_FOLD[0x3000] = 0x20
# Runs of characters fold_width changes: most texts hold none, so one scan usually decides there is nothing to do
# (str.translate with a dict looks up every character: ~10 MB/s on Chinese text).
_FOLD_CHARS = "".join(sorted(map(chr, _WIDTH_FOLD)))
_FOLD_RE = re.compile(f"[{_FOLD_CHARS}]+")
_FOLD_ANY = re.compile(f"[{_FOLD_CHARS}]")  # whether there is any: a one-character class scans twice as fast
# Private-use characters stand in for protected phrases while jieba cuts (jieba yields each one as its own token).
_PUA_BASE = 0xE000
_PUA_RE = re.compile("[\ue000-\uf8ff]")
# Anything prepare() must fold or blank out, in one class: one re.sub scans the text once (it returns the text itself
# when nothing matches), and a single-character class scans about twice as fast as a run ("+") would.
_FOLD_OR_PUA_RE = re.compile(f"[{_FOLD_CHARS}\ue000-\uf8ff]")
_FOLD_MAP = {chr(c): chr(f) for c, f in _WIDTH_FOLD.items()}
# Whitespace tokens the backends yield: one \s character, or \r\n (no character above U+3000 is whitespace).
# A set lookup per token is cheaper than calling str.isspace() on each.
_SPACE_TOKENS = frozenset([chr(c) for c in range(0x3001) if chr(c).isspace()] + ["\r\n"])
# How far back from a protected phrase's first fixed character its leading quotes/brackets are looked for.
_LEAD_WINDOW = 32
_CJK_RE = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_CJK_ONLY_RE = re.compile("^[\u4e00-\u9fd5]+$")
_CONTENT_RE = re.compile("[\u3400-\u9fffA-Za-z]")
# Pieces (runs between whitespace) whose tokens a Tokenizer remembers; past this many the memo starts afresh.
# About 1.3 KB each on disclosures (key, token list, token strings; tracemalloc over the dev corpus and synthetic
# documents), so the default holds memory near 25 MB per instance.
DEFAULT_CACHE_SIZE = 20_000

# Tokens whose is_term answer a Tokenizer remembers (about 100 bytes each); past this many it starts afresh.
TERM_CACHE_SIZE = 200_000

_LOCK = threading.Lock()


def resource_path(name: str) -> Path:
    """Path of a data file shipped in ``countyfiscal/resources``."""
    return Path(str(resources.files("countyfiscal").joinpath("resources", name)))


def default_cache_dir() -> Path:
    """Folder for jieba's prefix-dictionary cache: the user's private cache folder (``cache.cache_dir("jieba")``,
    0700). jieba loads the pickle it finds there, so a predictable folder in the shared temp dir would let another
    local user plant one."""
    return cache.cache_dir("jieba")


def fold_width(text: str) -> str:
    """Full-width letters, digits and ideographic spaces to half width; same length as ``text``.

    >>> fold_width("１２３４５热线　ＡＢ")
    '12345热线 AB'
    """
    if not _FOLD_ANY.search(text):
        return text
    return _FOLD_RE.sub(lambda m: m.group().translate(_WIDTH_FOLD), text)


def _fold_or_blank(m: re.Match) -> str:
    return _FOLD_MAP.get(m.group(), " ")


def _phrase_parts(folded: str) -> list[str]:
    """One regex piece per character of a width-folded phrase: quotes optional, brackets either width."""
    quote = "[" + re.escape(QUOTES) + "]"
    parts = []
    for ch in folded:
        if ch in QUOTES:
            parts.append(rf"\s*{quote}?\s*")
        elif ch in _BRACKETS:
            parts.append(rf"\s*{_BRACKETS[ch]}\s*")
        else:
            parts.append(re.escape(ch))
    return parts


def _strip_spaces(pattern: str, lead: bool = True, trail: bool = True) -> str:
    # Spaces may sit around inner quotes only: a leading/trailing \s* would make every space a match attempt.
    if lead and pattern.startswith(r"\s*"):
        pattern = pattern[3:]
    if trail and pattern.endswith(r"\s*"):
        pattern = pattern[:-3]
    return pattern


def phrase_pattern(phrase: str) -> str:
    """Regex matching ``phrase`` in width-folded text whatever quote characters (or none) surround its parts.

    >>> bool(re.fullmatch(phrase_pattern("“三公”经费"), '"三公" 经费'))
    True
    >>> bool(re.fullmatch(phrase_pattern("“三公”经费"), "三公经费"))
    True
    """
    return _strip_spaces("".join(_phrase_parts(fold_width(phrase))))


def protect_regex(phrases: tuple[str, ...]) -> tuple[re.Pattern, tuple[re.Pattern | None, ...]]:
    """One regex finding any of ``phrases`` (as ``phrase_pattern`` would), and per phrase a regex for its lead.

    Each alternative starts at the phrase's first fixed character (not a quote or bracket), so every alternative
    begins with a literal and ``re`` skips ahead in C to the next character that can start one; a leading ``\\s*``
    or optional quote would make it try every alternative at every position (three times slower). What comes
    before that character (the lead: “ of “三公”经费) is matched backwards by the second regex, which must end
    where the first match starts. Group ``i + 1`` of the first regex is the rest of phrase ``i``.

    >>> body, leads = protect_regex(("“三公”经费",))
    >>> m = body.search('严控"三公" 经费'); m.group(), m.lastindex, leads[0].search('严控"', 0, m.start()).start()
    ('三公" 经费', 1, 2)
    """
    alternatives, leads = _alternatives(phrases)
    return re.compile("|".join(f"{first}({rest})" for first, rest in alternatives)), leads


def grouped_regex(phrases: tuple[str, ...]) -> tuple[re.Pattern, tuple[re.Pattern | None, ...], tuple[int, ...]]:
    """``protect_regex`` with the alternatives that start with the same character grouped under it, and which
    phrase each group closes for: ``phrase = order[m.lastindex]``.

    The same matches as ``protect_regex``'s (at a position only the alternatives starting with its character can
    match, and they keep their order), about a quarter faster over a long list: the engine tries one alternative
    per starting character where it tried one per phrase.

    >>> body, leads, order = grouped_regex(("信访积案", "积案", "信访"))
    >>> m = body.search("化解信访积案"); m.group(), order[m.lastindex]
    ('信访积案', 0)
    """
    alternatives, leads = _alternatives(phrases)
    by_first: dict[str, list[int]] = {}
    for i, (first, _) in enumerate(alternatives):
        by_first.setdefault(first, []).append(i)
    parts, order = [], [-1]
    for first, members in by_first.items():
        rests = [f"({alternatives[i][1]})" for i in members]
        parts.append(first + (rests[0] if len(rests) == 1 else "(?:" + "|".join(rests) + ")"))
        order.extend(members)
    return re.compile("|".join(parts)), leads, tuple(order)


def _alternatives(phrases: tuple[str, ...]) -> tuple[list[tuple[str, str]], tuple[re.Pattern | None, ...]]:
    """Per phrase (its first fixed character as a regex, the regex of the rest), and the regexes of the leads."""
    alternatives, leads = [], []
    for phrase in phrases:
        folded = fold_width(phrase)
        k = next((i for i, ch in enumerate(folded) if ch not in QUOTES and ch not in _BRACKETS and not ch.isspace()),
                 None)
        if k is None:
            raise ValueError(f"protected phrase {phrase!r} holds nothing but quotes and brackets")
        parts = _phrase_parts(folded)
        alternatives.append((parts[k], _strip_spaces("".join(parts[k + 1:]), lead=False)))
        lead = _strip_spaces("".join(parts[:k]), trail=False)
        leads.append(re.compile(f"(?:{lead})\\Z") if lead else None)
    return alternatives, tuple(leads)


def read_word_list(path: Path) -> list[tuple[str, str | None, str | None]]:
    """(word, freq, tag) rows of a jieba-style word file; '#' lines and blank lines skipped."""
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^(.+?)(?: (\d+))?(?: ([a-z]+))?$", line)
        rows.append((fold_width(m.group(1)), m.group(2), m.group(3)))
    return rows


class Tokenizer:
    """A jieba tokenizer configured once, at construction; jieba's global tokenizer is never used or changed.

    Pre- and post-processing (width folding, protected phrases, stopwords) live here; only ``_raw_cut``
    talks to the segmentation backend, so another backend can replace it and give the same tokens.
    ``cut`` memoises the tokens of up to ``cache_size`` whitespace-separated pieces (0: no memo); the tokens are
    the same either way, ``clear_cache()`` forgets them and ``cache_info()`` says how often the memo served.

    >>> Tokenizer().cut("严控“三公”经费，拨打１２３４５热线")
    ['严控', '“三公”经费', '，', '拨打', '12345热线']
    """

    def __init__(
        self,
        userdict: str | Path | None = None,
        stopwords: str | Path | None = None,
        cache_dir: str | Path | None = None,
        hmm: bool = False,
        backend: str = "auto",
        cache_size: int = DEFAULT_CACHE_SIZE,
    ) -> None:
        self.userdict = Path(userdict) if userdict else resource_path("userdict.txt")
        self.stopwords_path = Path(stopwords) if stopwords else resource_path("stopwords.txt")
        self.cache_dir = Path(cache_dir) if cache_dir else None  # jieba's alone; default_cache_dir() when it is built
        self.hmm = hmm
        # "rjieba": jieba-rs, same tokens (tests/test_rjieba.py), several times faster; HMM off only.
        # "auto" (the default): rjieba when installed and HMM is off, else jieba. cache_dir is jieba's alone.
        if backend not in ("auto", "jieba", "rjieba"):
            raise ValueError(f"backend must be auto, jieba or rjieba, not {backend!r}")
        self.backend = backend
        words = read_word_list(self.userdict)
        self.user_tags = {w: (tag or "n") for w, _, tag in words}
        # Words jieba would split (quotes, digits, brackets) are swapped for a placeholder before cutting.
        self.protected = tuple(sorted({w for w, _, _ in words if not _CJK_ONLY_RE.match(w)}, key=lambda w: (-len(w), w)))
        self.plain_words = tuple((w, f) for w, f, _ in words if _CJK_ONLY_RE.match(w))
        self._protect_re, self._protect_leads = protect_regex(self.protected) if self.protected else (None, ())
        self._placeholders = {chr(_PUA_BASE + i): w for i, w in enumerate(self.protected)}
        self._restore = dict.fromkeys(_SPACE_TOKENS, "") | self._placeholders
        self.stopwords = frozenset(w.lower() for w, _, _ in read_word_list(self.stopwords_path))
        self._long_stopwords = frozenset(w for w in self.stopwords if len(w) >= 2)
        self._filler_cache: dict[str, bool] = {}
        # is_term per token: tokens repeat (a document's words are mostly the corpus's words); bounded like the memo.
        self._term_cache: dict[str, bool] = {}
        self._jieba_tokenizer = None
        # Memo of cut(): prepared piece (a whitespace-free run, placeholders in) -> its final tokens. 0 disables it.
        self.cache_size = int(cache_size)
        self._cut_cache: dict[str, list[str]] = {}
        self._piece_terms: dict[str, list[str]] = {}  # the same pieces -> their terms (``terms``)
        # [pieces looked up, pieces cut, characters looked up, characters cut] since the last clear_cache().
        self._cache_stats = [0, 0, 0, 0]

    def __repr__(self) -> str:
        return (f"Tokenizer(userdict={str(self.userdict)!r}, stopwords={str(self.stopwords_path)!r}, hmm={self.hmm}, "
                f"backend={self.backend!r})")

    # -- backend -------------------------------------------------------------------------------------
    def _backend(self):
        """Our own jieba.Tokenizer, built on first use (loading the prefix dictionary takes about a second)."""
        if self._jieba_tokenizer is None:
            with _LOCK:
                if self._jieba_tokenizer is None and self.backend != "jieba" and not self.hmm:
                    from countyfiscal.text import rjieba_backend

                    if self.backend == "rjieba" or rjieba_backend.available():
                        self._jieba_tokenizer = rjieba_backend.RJiebaCutter(
                            [(w, int(f) if f and int(f) > 0 else None) for w, f in self.plain_words])
                if self._jieba_tokenizer is None:
                    import jieba

                    # jieba logs "Building prefix dict…" to stderr at DEBUG; that output breaks nbval.
                    logging.getLogger("jieba").setLevel(logging.WARNING)
                    if self.cache_dir is None:
                        self.cache_dir = default_cache_dir()
                    self.cache_dir.mkdir(parents=True, exist_ok=True)
                    jt = jieba.Tokenizer()
                    jt.tmp_dir = str(self.cache_dir)
                    jt.initialize()
                    for word, freq in self.plain_words:
                        # freq 0 would register a force-split in jieba's module-global HMM state: never pass it.
                        jt.add_word(word, int(freq) if freq and int(freq) > 0 else None)
                    self._jieba_tokenizer = jt
        return self._jieba_tokenizer

    def _raw_cut(self, text: str) -> list[str]:
        """The segmentation backend's tokens for prepared text (placeholders in, placeholders out)."""
        return self._backend().lcut(text, HMM=self.hmm)

    # -- pre/post-processing --------------------------------------------------------------------------
    def prepare(self, text: str) -> str:
        """Width-fold, drop stray private-use characters, and swap protected phrases for placeholders."""
        return self._prepare(text)[0]

    def _prepare(self, text: str) -> tuple[str, bool]:
        """``prepare(text)`` and whether it holds a placeholder (if not, ``cut`` skips restoring them)."""
        # Width-fold; a private-use character (anything else the class matches) becomes a space.
        text = _FOLD_OR_PUA_RE.sub(_fold_or_blank, text)
        if self._protect_re is None:
            return text, False
        pieces = []
        pos = 0
        leads = self._protect_leads
        for m in self._protect_re.finditer(text):
            start = m.start()
            i = m.lastindex - 1
            if leads[i] is not None:
                lead = leads[i].search(text, max(pos, start - _LEAD_WINDOW), start)
                if lead is None:  # a lead the phrase cannot do without (a bracket) is missing
                    continue
                start = lead.start()
            pieces.append(text[pos:start])
            pieces.append(chr(_PUA_BASE + i))
            pos = m.end()
        if not pieces:
            return text, False
        pieces.append(text[pos:])
        return "".join(pieces), True

    def cut(self, text: str) -> list[str]:
        """Every token of ``text`` except whitespace, protected phrases in their canonical form.

        Both backends (jieba, with or without HMM, and jieba-rs) cut each run of word characters on its own (no
        state carries from one run to the next: jieba's ``cut``, jieba-rs's ``cut_internal``) and yield every
        other character alone, so a whitespace character is always a token boundary and the tokens of a text are
        the tokens of its whitespace-separated pieces, in order (whitespace tokens are dropped anyway). Pieces
        repeat a lot in disclosures (table headers, templated sentences), so their tokens are memoised: the
        tokens are the backend's by construction, only fewer pieces reach it. Pieces not yet seen are cut in one
        backend call, joined by "\\n" (a token of its own that no piece holds).
        """
        prepared, has_placeholders = self._prepare(text)
        if self.cache_size <= 0:
            return self._cut_uncached(prepared, has_placeholders)
        pieces = prepared.split()
        cache = self._memo_of(pieces, has_placeholders)
        if cache is None:
            return self._cut_uncached(prepared, has_placeholders)
        return list(chain.from_iterable(map(cache.__getitem__, pieces)))

    def _memo_of(self, pieces: list[str], has_placeholders: bool) -> dict[str, list[str]] | None:
        """The memo, holding the tokens of every one of ``pieces`` (the new ones cut now in one backend call); None
        when more of them are new than the memo may hold (a huge text: the caller cuts it whole, so the memo never
        holds more than twice cache_size entries). Counts the pieces looked up, for ``cache_info``."""
        cache = self._cut_cache
        if len(cache) > self.cache_size:
            # A new dict rather than clear(): another thread cutting with the old one keeps all its entries.
            cache = self._cut_cache = {}
        missing = list(dict.fromkeys(filterfalse(cache.__contains__, pieces)))
        stats = self._cache_stats
        stats[0] += len(pieces)
        chars = sum(map(len, pieces))
        stats[2] += chars
        if len(missing) > self.cache_size:
            stats[1] += len(pieces)
            stats[3] += chars
            return None
        if missing:
            stats[1] += len(missing)
            stats[3] += sum(map(len, missing))
            cache.update(zip(missing, self._cut_pieces(missing, has_placeholders)))
        return cache

    def _cut_uncached(self, prepared: str, has_placeholders: bool) -> list[str]:
        tokens = self._raw_cut(prepared)
        if has_placeholders:
            # Whitespace tokens map to "" and filter(None, …) drops them: one pass, no Python-level loop.
            return list(filter(None, map(self._restore.get, tokens, tokens)))
        space = _SPACE_TOKENS
        return [t for t in tokens if t not in space]

    def _cut_pieces(self, pieces: list[str], has_placeholders: bool) -> list[list[str]]:
        """The final tokens of each whitespace-free prepared piece, from one backend call."""
        joined = "\n".join(pieces) + "\n"
        tokens = self._raw_cut(joined)
        if has_placeholders:
            # A placeholder is a token of its own (not a word character for either backend), and there are few:
            # list.index finds each in C, cheaper than mapping every token through a dict.
            find = tokens.index
            for ch in set(_PUA_RE.findall(joined)):
                phrase = self._placeholders[ch]
                i = -1
                for _ in range(joined.count(ch)):
                    i = find(ch, i + 1)
                    tokens[i] = phrase
        out = []
        start = 0
        find = tokens.index
        for _ in pieces:
            end = find("\n", start)
            out.append(tokens[start:end])
            start = end + 1
        return out

    def clear_cache(self) -> None:
        """Forget every memoised piece and reset the hit counts (tokens stay the same, only slower at first)."""
        self._cut_cache = {}
        self._piece_terms = {}
        self._cache_stats = [0, 0, 0, 0]

    def cache_info(self) -> dict[str, float]:
        """Pieces held, and the share of pieces and of characters served from the memo since the last clear."""
        looked, cut, chars, chars_cut = self._cache_stats
        return {"entries": len(self._cut_cache), "pieces": looked,
                "piece_hit_rate": 1 - cut / looked if looked else 0.0,
                "char_hit_rate": 1 - chars_cut / chars if chars else 0.0}

    def is_stopword(self, token: str) -> bool:
        """In the stopword list, or a dictionary compound of listed multi-character stopwords (切实做好 = 切实 + 做好).

        Only pieces of two or more characters compose, so real words made of single-character function words
        (e.g. 对外) are not dropped by accident.
        """
        low = token.lower()
        if low in self.stopwords:
            return True
        cached = self._filler_cache.get(low)
        if cached is None:
            n = len(low)
            ok = [True] + [False] * n
            for i in range(n):
                if ok[i]:
                    for j in range(i + 2, n + 1):
                        if low[i:j] in self._long_stopwords:
                            ok[j] = True
            cached = self._filler_cache[low] = ok[n]
        return cached

    def is_term(self, token: str) -> bool:
        """A content word: two or more characters, holds a CJK character or a letter, not a stopword."""
        return len(token) >= 2 and bool(_CONTENT_RE.search(token)) and not self.is_stopword(token)

    def terms(self, text: str) -> list[str]:
        """The content words of ``text`` in order (``cut`` minus stopwords, punctuation, numbers, single chars).

        A text's terms are its pieces' terms in order, as its tokens are its pieces' tokens (see ``cut``), so each
        piece's terms are memoised beside its tokens: a piece seen before costs one lookup, not a test per token.
        """
        if self.cache_size <= 0:
            return self._terms_of(self.cut(text))
        prepared, has_placeholders = self._prepare(text)
        memo = self._piece_terms
        if len(memo) > self.cache_size:
            memo = self._piece_terms = {}
        pieces = prepared.split()
        missing = list(dict.fromkeys(filterfalse(memo.__contains__, pieces)))
        if missing:
            cache = self._memo_of(missing, has_placeholders)
            if cache is None:  # more new pieces than the memo holds: this text's terms without it
                return self._terms_of(self._cut_uncached(prepared, has_placeholders))
            for piece in missing:
                memo[piece] = self._terms_of(cache[piece])
        return list(chain.from_iterable(map(memo.__getitem__, pieces)))

    def _terms_of(self, tokens: list[str]) -> list[str]:
        """The tokens that are terms, in order (``is_term`` remembered per token)."""
        cache = self._term_cache
        if len(cache) > TERM_CACHE_SIZE:
            cache = self._term_cache = {}
        for t in set(tokens).difference(cache):
            cache[t] = self.is_term(t)
        return list(compress(tokens, map(cache.__getitem__, tokens)))  # filtered in C

    def pos(self, token: str) -> str:
        """Part-of-speech tag from our user dictionary, else jieba's dictionary, else 'x' (unknown)."""
        if token in self.user_tags:
            return self.user_tags[token]
        return _jieba_word_tags().get(token, "x")


def _jieba_word_tags() -> dict[str, str]:
    """jieba's dictionary word → POS tag, as read by jieba.posseg at import (only read here, never changed)."""
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab


@functools.lru_cache(maxsize=None)
def get_tokenizer(hmm: bool = False) -> Tokenizer:
    """The process-wide default tokenizer (package userdict and stopwords), built once."""
    return Tokenizer(hmm=hmm)


def tokens_line(text: str) -> str:
    """Tokens of ``text`` joined by one space, for checking a segmentation on the command line.

    >>> tokens_line("落实三到位一处理")
    '落实 三到位一处理'
    """
    return " ".join(get_tokenizer().cut(text))


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))
