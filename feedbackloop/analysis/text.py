"""Text preparation shared by every analysis component: normalisation, tokens, clauses."""

from __future__ import annotations

import itertools
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from feedbackloop.analysis import markup

# Texts longer than this are cut before analysis: a hard cap keeps one pasted 1 MB document from
# stalling a batch, while 20,000 characters (a long complaint letter) are still read in full, so
# a legal threat at the end of a long text is not lost.
MAX_CHARS = 20_000

_seg_lock = threading.Lock()
_converter = None

_SPACE = re.compile(r"\s+")
# A review exported from a platform often carries the business's answer after the customer's
# words ("宾馆反馈2008年7月1日：感谢您对酒店的评价…", "商家回复：非常抱歉…"). The answer is
# not the customer's voice: its apologies and thanks would pull a complaint towards positive, and
# its words would become keywords and themes. The marker must end in a colon, so a customer who
# writes "商家回复很及时" keeps the whole text. Matched on normalised text (NFKC turns ： into :).
_BUSINESS_REPLY = re.compile(
    r"(?:宾馆|酒店|饭店|商家|掌柜|卖家|店家|店铺|商户|管理者|管理员|官方|客服)的?(?:反馈|回复|回应|答复)"
    r"\s*(?:\d{4}\s*[-/年]\s*\d{1,2}\s*[-/月]\s*\d{1,2}\s*日?)?\s*:"
)
# Traditional characters are rare in the training data, so a cheap test avoids running OpenCC
# over every simplified text (OpenCC is by far the slowest step otherwise).
_CLAUSE_PUNCT = set("，。！？!?；;,.~～…\n、")
CONTRAST_WORDS = frozenset(
    "但是 但 不过 可是 然而 就是 只是 只不过 可惜 唯一 美中不足 缺点 另外 而且 并且 同时".split()
)
_BREAKS = frozenset(_CLAUSE_PUNCT) | CONTRAST_WORDS
# Words after which the verdict turns; 就是 / 只是 / 唯一 introduce a minor reservation instead
# ("好吃，就是慢了点" is a positive review), so they split clauses but do not turn the verdict.
TURN_WORDS = frozenset("但是 但 不过 可是 然而".split())


class Segmenter:
    """Forward maximum matching over jieba's dictionary (words of 2–4 characters).

    jieba's own DAG + dynamic-programming cut costs ~4× more per text and was the largest single
    cost of an analysis; on review text the two agree on almost every token, and the model is
    trained on exactly these tokens. The dictionary is jieba's, shipped with the jieba package, so
    it works offline; our lexicon terms are added so that aspect and cue words stay whole.
    """

    MIN_FREQ = 3
    _RUN = re.compile(r"[\u4e00-\u9fff]+|[a-z0-9]+(?:[.'-][a-z0-9]+)*|\S")

    def __init__(self, extra_words: tuple[str, ...] = ()) -> None:
        # Held as dicts of strings, which the garbage collector does not track (a set is always
        # tracked, and walking its ~300,000 words was a tenth of every full collection).
        self._w2, self._w3, self._w4 = (dict.fromkeys(words) for words in self._load(extra_words))
        self._runs: dict[str, str] = {}

    @classmethod
    def _load(cls, extra_words: tuple[str, ...]) -> tuple[frozenset[str], ...]:
        """Word sets by length; cached in the temp dir like jieba's own cache (parsing takes ~0.5 s)."""
        import hashlib
        import importlib.util
        import os
        import pickle
        import tempfile

        spec = importlib.util.find_spec("jieba")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("jieba is not installed; its dictionary is needed for word segmentation")
        path = os.path.join(list(spec.submodule_search_locations)[0], "dict.txt")
        stat = os.stat(path)
        key = hashlib.md5(f"{path}{stat.st_size}{stat.st_mtime}{cls.MIN_FREQ}{extra_words}".encode()).hexdigest()
        cache = os.path.join(tempfile.gettempdir(), f"feedbackloop-seg-{key[:16]}.pickle")
        try:
            with open(cache, "rb") as fh:
                return tuple(pickle.load(fh))
        except (OSError, pickle.UnpicklingError, EOFError):
            pass
        by_len: dict[int, set[str]] = {2: set(), 3: set(), 4: set()}
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                word, _, rest = line.partition(" ")
                if 2 <= len(word) <= 4 and int(rest.split(" ", 1)[0]) >= cls.MIN_FREQ:
                    by_len[len(word)].add(word)
        for word in extra_words:
            if 2 <= len(word) <= 4:
                by_len[len(word)].add(word)
        sets = tuple(frozenset(by_len[n]) for n in (2, 3, 4))
        try:  # written atomically so that parallel workers never read half a file
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(cache))
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(sets, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache)
        except OSError:
            pass
        return sets

    # Runs of CJK characters between punctuation repeat a lot across reviews ("服务很好", "味道不错"),
    # so each run's cut is remembered, as its words joined by spaces (a run has none): a dict of
    # strings holds no containers, so the garbage collector never has to walk it. The cache is
    # dropped when full rather than managed as an LRU.
    RUN_CACHE_MAX = 100_000

    def cut(self, text: str) -> list[str]:
        out: list[str] = []
        cache = self._runs
        for run in self._RUN.findall(text):
            if len(run) == 1 or not ("\u4e00" <= run[0] <= "\u9fff"):
                out.append(run)
                continue
            words = cache.get(run)
            if words is None:
                if len(cache) >= self.RUN_CACHE_MAX:
                    cache.clear()
                words = cache[run] = " ".join(self._cut_run(run))
            out.extend(words.split(" "))
        return out

    def _cut_run(self, run: str) -> list[str]:
        """Forward maximum matching over one run of CJK characters."""
        out: list[str] = []
        w2, w3, w4 = self._w2, self._w3, self._w4
        i, n = 0, len(run)
        while i < n:
            if run[i : i + 4] in w4:
                out.append(run[i : i + 4])
                i += 4
            elif run[i : i + 3] in w3:
                out.append(run[i : i + 3])
                i += 3
            elif run[i : i + 2] in w2:
                out.append(run[i : i + 2])
                i += 2
            else:
                out.append(run[i])
                i += 1
        return out


_segmenter: Segmenter | None = None


def _tokenizer() -> Segmenter:
    """The segmenter, built once on first use."""
    global _segmenter
    if _segmenter is None:
        with _seg_lock:
            if _segmenter is None:
                from .lexicon import lexicon_words

                _segmenter = Segmenter(lexicon_words())
    return _segmenter


def _opencc():
    global _converter
    if _converter is None:
        import opencc

        _converter = opencc.OpenCC("t2s")
    return _converter


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """Characters OpenCC's t2s table changes; a text with none of them is left alone."""
    import os

    import opencc

    path = os.path.join(os.path.dirname(opencc.__file__), "dictionary", "TSCharacters.txt")
    chars: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            key, _, value = line.rstrip("\n").partition("\t")
            if len(key) == 1 and value.split(" ")[0] != key:
                chars.add(key)
    return frozenset(chars)


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (服務很差 → 服务很差); cheap when nothing needs converting."""
    if _traditional_chars().isdisjoint(text):
        return text
    return _opencc().convert(text)


def normalize(text: str | None) -> str:
    """Without markup (lib.markup), NFKC, simplified characters, lower-case, collapsed whitespace,
    length-capped, without an appended business reply (see `customer_part`)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", markup.to_text(str(text)[: MAX_CHARS * 2]))[:MAX_CHARS]
    text = _SPACE.sub(" ", text).strip().lower()
    text = to_simplified(text) if text else ""
    return customer_part(text)


def customer_part(text: str) -> str:
    """The customer's own words: a normalised text cut before an appended business reply.

    A text that is nothing but a reply (the marker at the very start) is kept whole.
    """
    found = _BUSINESS_REPLY.search(text)
    if found is None or not text[: found.start()].strip(" :;,.!?~…"):
        return text
    return text[: found.start()].rstrip()


def tokenize(text: str) -> list[str]:
    """Words of an already normalised text (whitespace dropped), see `Segmenter`."""
    if not text:
        return []
    return _tokenizer().cut(text)


@dataclass(frozen=True, slots=True)
class Clause:
    """A stretch of text between punctuation or contrast words, with its jieba tokens."""

    text: str
    tokens: tuple[str, ...]
    after_contrast: bool = False  # the clause follows 但是 / 不过 / 可是 / 然而


def _is_break(tok: str) -> bool:
    return tok in _BREAKS or (not tok[0].isalnum() and all(ch in _CLAUSE_PUNCT for ch in tok))


def split_clauses(tokens: list[str]) -> list[Clause]:
    """Split a token list at punctuation and contrast words (但是, 不过…), dropping empty pieces."""
    clauses: list[Clause] = []
    current: list[str] = []
    contrast = pending = False
    breaks = _break_tokens
    for tok in tokens:
        brk = breaks.get(tok)
        if brk is None:
            if len(breaks) >= _BREAK_CACHE_MAX:
                breaks.clear()
            brk = breaks[tok] = _is_break(tok)
        if brk:
            if current:
                clauses.append(Clause("".join(current), tuple(current), contrast))
                contrast = False
            current = []
            if tok in TURN_WORDS:
                pending = True
        else:
            if not current:
                contrast, pending = pending, False
            current.append(tok)
    if current:
        clauses.append(Clause("".join(current), tuple(current), contrast))
    return clauses


# Whether a token ends a clause, remembered per token (a dict of str → bool: nothing for the
# garbage collector to walk).
_break_tokens: dict[str, bool] = {}
_BREAK_CACHE_MAX = 200_000


_JOIN = "\x00"


def matches_per_clause(rx: re.Pattern[str], clauses: Sequence[Clause]) -> list[list[str]]:
    """rx.findall over each clause's text, in one scan of the clauses joined by NUL.

    rx must never match a NUL (an alternation of lexicon terms never does), so no match spans two
    clauses and each clause gets exactly the matches a scan of it alone would give; matches are
    assigned to clauses by offset."""
    if len(clauses) == 1:
        return [rx.findall(clauses[0].text)]
    out: list[list[str]] = [[] for _ in clauses]
    ends = list(itertools.accumulate(len(c.text) + 1 for c in clauses))
    k = 0
    for m in rx.finditer(_JOIN.join(c.text for c in clauses)):
        while m.start() >= ends[k]:
            k += 1
        out[k].append(m.group())
    return out


def has_content(text: str) -> bool:
    """True when the text holds at least one letter, digit or CJK character (not only emoji/punct)."""
    return any(ch.isalnum() for ch in text)
