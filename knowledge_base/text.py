"""Text normalisation and tokenisation for matching: jieba words, character bigrams and pinyin bigrams.

Word segmentation alone misses homophone typos typed with pinyin input (身份正, 低报), so every
text is also seen as character bigrams and as pinyin-syllable bigrams.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba
from pypinyin import Style, lazy_pinyin

from knowledge_base.catalog import DATA_DIR
from knowledge_base.yamlfile import read_yaml

CJK = re.compile(r"[\u4e00-\u9fff]+")
LETTERS = re.compile(r"[a-z]{2,5}")
# Characters kept inside tokens; everything else separates.
PUNCT = re.compile(r"[^\w\u4e00-\u9fff]+")


class LocalSpeech:
    """昭通 dialect, input slips and traditional characters to standard words (data/local_speech.yaml)."""

    def __init__(self, path: Path):
        data = read_yaml(path) or {}
        self.entries = [e for section in ("dialect", "slips") for e in data.get(section) or []]
        pairs = {str(e["say"]): str(e["means"]) for e in self.entries}
        self._map = pairs
        self._re = re.compile("|".join(re.escape(v) for v in sorted(pairs, key=len, reverse=True))) if pairs else None
        # Letters typed for whole words ("zm" 怎么): spelled out before pinyin is read (bot/conversation/pinyin.py).
        self.initials = {str(e["say"]): str(e["means"]) for e in data.get("initials") or []}
        table = {pair[0]: pair[1] for pair in (data.get("traditional") or "").split() if len(pair) == 2}
        self._chars = str.maketrans(table)

    def simplified(self, text: str) -> str:
        """The text with traditional characters made simplified, and nothing else changed."""
        return text.translate(self._chars)

    def standard(self, text: str) -> str:
        """The text in standard words (expects NFKC-normalised, lower-case text)."""
        text = self.simplified(text)
        return self._re.sub(lambda m: self._map[m.group(0)], text) if self._re is not None else text


_SPEECH: dict[Path, LocalSpeech] = {}


def local_speech(data_dir: Path = DATA_DIR) -> LocalSpeech:
    """The local speech table, loaded once per process."""
    path = data_dir / "local_speech.yaml"
    if path not in _SPEECH:
        _SPEECH[path] = LocalSpeech(path)
    return _SPEECH[path]


class Lexicon:
    """Domain vocabulary: user dictionary, synonyms/typos folded to one spelling, stop words."""

    def __init__(self, data_dir: Path = DATA_DIR, extra_words: list[str] = ()):
        jieba.setLogLevel(logging.WARNING)
        self.speech = local_speech(data_dir)
        self.tokenizer = fresh_tokenizer()
        words = [w.split()[0] for w in _lines(data_dir / "userdict.txt")]
        synonyms = read_yaml(data_dir / "synonyms.yaml") or {}
        # variant -> canonical, longest variant first so "居民身份证" wins over "身份证".
        self.fold: list[tuple[str, str]] = []
        for canonical, variants in synonyms.items():
            words.append(canonical)
            for v in variants or []:
                self.fold.append((str(v).lower(), canonical))
        # Canonical spellings map to themselves, so a short variant inside one is left alone
        # (养老保 -> 养老保险 must not turn 养老保险 into 养老保险险).
        self.fold += [(str(c).lower(), c) for c in synonyms]
        # ... and so do phrases a short variant hides in ("这个税是在过户之前还是之后交": no 个税 there).
        self.fold += [(phrase.lower(), phrase.lower()) for phrase in _lines(data_dir / "not_variants.txt")]
        self.fold.sort(key=lambda pair: -len(pair[0]))
        self._fold_re = re.compile("|".join(re.escape(v) for v, _ in self.fold)) if self.fold else None
        self._fold_map = dict(self.fold)
        self._known: set[str] = set()
        self._analyzed: dict[str, tuple[list[str], list[str]]] = {}
        self.add_words(list(words) + list(extra_words))
        self.stopwords = set(_lines(data_dir / "stopwords.txt"))
        self.generic = set(_lines(data_dir / "generic_words.txt"))
        self.canonical = {c for _v, c in self.fold}
        # ... and the synonyms' letter variants ("sfz" 身份证, "yb" 医保), which a message all in letters needs too.
        latin = {v: c for v, c in self.fold if LETTERS.fullmatch(v)}
        self.initials = {**latin, **self.speech.initials}

    def add_words(self, words) -> None:
        """Teach jieba domain words (item names when items are added) so they stay whole."""
        for w in words:
            w = self.normalize(w)
            if len(w) >= 2 and w not in self._known:
                self._known.add(w)
                self.tokenizer.add_word(w, freq=50000)
                self._analyzed.clear()  # segmentation may change with a new word

    def normalize(self, text: str, fold: bool = True) -> str:
        """Full-width to half-width, lower case, local speech to standard words, and (with `fold`) synonyms and
        common typos to one spelling."""
        text = self.speech.standard(unicodedata.normalize("NFKC", text or "").lower().strip())
        if fold and self._fold_re is not None:
            text = self._fold_re.sub(lambda m: self._fold_map[m.group(0)], text)
        return text

    def analyze(self, text: str) -> tuple[list[str], list[str]]:
        """(runs, words) of normalised text, memoised: catalogs repeat phrases (materials, steps, FAQs)
        and segmentation is most of the index build time."""
        cached = self._analyzed.get(text)
        if cached is None:
            if len(self._analyzed) > 500_000:
                self._analyzed.clear()
            runs = self.runs(text)
            cached = self._analyzed[text] = (runs, self._words_of(runs))
        return cached

    def runs(self, text: str) -> list[str]:
        """Stretches of normalised text between stop words and punctuation ("身份证丢了咋办" -> ["身份证丢"]).

        Character and pinyin bigrams are taken within runs, so filler such as "多少钱" never
        matches an item, while a typo inside a content word ("依保") still does.
        """
        runs, current = [], []
        for tok in self.tokenizer.cut(text):
            tok = tok.strip()
            if not tok or PUNCT.fullmatch(tok) or tok in self.stopwords:
                if current:
                    runs.append("".join(current))
                    current = []
                continue
            current.append(tok)
        if current:
            runs.append("".join(current))
        return runs

    def words(self, text: str) -> list[str]:
        """Search-mode jieba words of normalised text (long words also as their parts), without stop words."""
        return self.analyze(text)[1]

    def _words_of(self, runs: list[str]) -> list[str]:
        out = []
        for run in runs:
            for tok in self.tokenizer.cut_for_search(run):
                if tok not in self.stopwords and not PUNCT.fullmatch(tok):
                    out.append(tok)
        return out


_PLAIN: jieba.Tokenizer | None = None
_DICTIONARY: tuple[dict, int] | None = None  # jieba's own word frequencies and their total, loaded once
_DICTIONARY_LOCK = threading.Lock()


def fresh_tokenizer() -> jieba.Tokenizer:
    """A jieba tokenizer with its own dictionary only, ready to take more words. jieba loads that dictionary
    (about 350,000 words) per tokenizer, about a second each; here it is loaded once and copied."""
    global _DICTIONARY
    with _DICTIONARY_LOCK:
        if _DICTIONARY is None:
            jieba.setLogLevel(logging.WARNING)
            loaded = jieba.Tokenizer()
            loaded.initialize()
            _DICTIONARY = (loaded.FREQ, loaded.total)
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total = dict(_DICTIONARY[0]), _DICTIONARY[1]
    tokenizer.initialized = True
    return tokenizer


def plain_tokenizer() -> jieba.Tokenizer:
    """jieba with its own dictionary only, once per process: it cuts item names into everyday words
    (居民身份证首次申领 -> 居民 身份证 首次 申领), which the domain tokenizer keeps whole."""
    global _PLAIN
    if _PLAIN is None:
        _PLAIN = fresh_tokenizer()
    return _PLAIN


def char_bigrams(text: str) -> list[str]:
    grams = []
    for run in CJK.findall(text):
        if len(run) == 1:
            grams.append(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


@lru_cache(maxsize=65536)
def _syllables(run: str) -> tuple[str, ...]:
    # Without tones and with fuzzy initials/finals that southwestern speakers mix up (zh/z, n/l, in/ing).
    out = []
    for s in lazy_pinyin(run, style=Style.NORMAL, errors="ignore"):
        s = s.replace("zh", "z").replace("ch", "c").replace("sh", "s")
        if s.startswith("n"):
            s = "l" + s[1:]
        if s.endswith("ng"):
            s = s[:-1]
        out.append(s)
    return tuple(out)


def pinyin_key(word: str) -> str:
    """Fuzzy pinyin of a CJK word as one string: 社保卡 and 设保卡 both give 'se|bao|ka'."""
    return "|".join(_syllables(word))


def pinyin_bigrams(text: str) -> list[str]:
    grams = []
    for run in CJK.findall(text):
        syl = _syllables(run)
        if len(syl) == 1:
            grams.append(syl[0])
        grams.extend(syl[i] + "|" + syl[i + 1] for i in range(len(syl) - 1))
    return grams


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
