"""Ranking service items for a resident's message: BM25 over weighted fields, with a calibrated abstention.

Each field is its own BM25 index (bm25s computes the scores); the fields' weighted scores are merged
into one sparse matrix, so a query costs one sparse product and our own partial sort, which is much
faster than a retrieval per field. Fields and weights:

- title words    name + aliases, jieba search-mode words       the strongest evidence
- text words     summary, FAQ questions, keywords              how residents phrase needs
- detail words   materials, conditions, result, department     weak evidence
- title chars    character bigrams of name + aliases           recovers wrong characters
- title pinyin   pinyin-syllable bigrams of name + aliases     recovers homophone typos
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import bm25s
import numpy as np

from knowledge_base.siblings import (
    AS_MATERIAL,
    BESIDES,
    HELD,
    MATERIAL_WEIGHT,
    SCHEMES,
    STAGE_BOOST,
    STAGES,
    item_scheme,
    message_scheme,
    message_stage,
    staged_items,
)
from knowledge_base.text import CJK, Lexicon, char_bigrams, pinyin_bigrams, pinyin_key, plain_tokenizer
from knowledge_base.wording import ItemWording

# "asked": residents' own messages labelled with the item (bot/conversation/data), so their wording ("没办过残疾证",
# "领证") finds the item its guide does not spell that way; weighted on sets left out of it in turn.
FIELD_WEIGHTS = {"title": 3.0, "text": 1.0, "detail": 0.3, "chars": 1.0, "pinyin": 0.8, "asked": 0.6}
# BM25 length normalisation per field: titles with many aliases must not be punished much.
FIELD_B = {"title": 0.3, "text": 0.6, "detail": 0.75, "chars": 0.3, "pinyin": 0.3, "asked": 0.75}

# Calibrated on tests/data/dev_questions.jsonl (see `python -m bot.evaluate`).
ANSWER_CONFIDENCE = 0.50  # at or above: answer the top item
CHOICE_CONFIDENCE = 0.35  # at or above: offer the closest items as numbered choices; below: abstain
SCORE_SATURATION = 40.0  # a combined BM25 score this high is as strong as evidence gets
MIN_EVIDENCE = 6.0  # below this combined score the confidence shrinks in proportion
# The two moves of a 户口: a message that says which one it is speaks against the other.
OTHER_MOVE = {"within_city": "into_city", "into_city": "within_city"}
# Items named where the message asks, beside a story naming others: a nudge that orders close candidates only.
ASKED_BOOST = 1.15
# BM25's first candidates are reranked by how residents word each item (wording.py): each score is multiplied by
# 1 + WORDING_WEIGHT * P(item | message) among them. Chosen on writers' sets left out of the examples in turn.
RERANKED = 10
WORDING_WEIGHT = 2.0
# Top two items this close (relative score gap) are a near tie ("公积金", "身份证" alone):
# offer them as choices rather than pick one.
MIN_MARGIN = 0.03


@dataclass
class Match:
    code: str
    name: str
    score: float  # word evidence (weighted BM25); the order of Result.matches also weighs the wording model


@dataclass
class Result:
    query: str
    matches: list[Match] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # the message's words that can identify an item
    confidence: float = 0.0
    margin: float = 0.0  # (top-1 - top-2) / top-1

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None

    def score_of(self, code: str | None) -> float:
        """The item's score among the matches; 0 when it is not among them."""
        return next((m.score for m in self.matches if m.code == code), 0.0)

    @property
    def confident(self) -> bool:
        return self.confidence >= ANSWER_CONFIDENCE and self.margin >= MIN_MARGIN

    @property
    def plausible(self) -> bool:
        return self.confidence >= CHOICE_CONFIDENCE


def _title_texts(item: dict) -> list[str]:
    return [item["name"], *item.get("aliases", [])]


def _text_texts(item: dict) -> list[str]:
    return [item.get("summary", ""), *(qa["q"] for qa in item.get("faq", [])), *item.get("keywords", [])]


def _detail_texts(item: dict) -> list[str]:
    return [
        *(m["name"] for m in item.get("materials", [])),
        *item.get("conditions", []),
        item.get("result", ""),
        item.get("department", ""),
        item.get("theme", ""),
    ]


class ItemIndex:
    """An immutable search index over a list of items; rebuild to change it.

    asked: item code -> messages residents wrote about it (none: the items' own text only)."""

    def __init__(self, items: list[dict], lexicon: Lexicon | None = None, asked: dict[str, list[str]] | None = None):
        self.lexicon = lexicon or Lexicon()
        self.lexicon.add_words(i["name"] for i in items)
        self.items = {i["code"]: i for i in items}
        self.codes = [i["code"] for i in items]
        self.names = [i["name"] for i in items]
        lx = self.lexicon
        corpora: dict[str, list[list[str]]] = {f: [] for f in FIELD_WEIGHTS}
        for item in items:
            # Titles as written and as folded: a typo near a folded variant ("高零补贴" next to the
            # alias "高龄补贴", folded to 高龄津贴) still finds the written form.
            titles = list(
                dict.fromkeys(form for t in _title_texts(item) for form in (lx.normalize(t), lx.normalize(t, fold=False)))
            )
            analysed = [lx.analyze(t) for t in titles]
            title_runs = [r for runs, _words in analysed for r in runs]
            corpora["title"].append([w for _runs, words in analysed for w in words])
            corpora["text"].append([w for t in _text_texts(item) for w in lx.words(lx.normalize(t))])
            corpora["detail"].append([w for t in _detail_texts(item) for w in lx.words(lx.normalize(t))])
            corpora["chars"].append([g for r in title_runs for g in char_bigrams(r)])
            corpora["pinyin"].append([g for r in title_runs for g in pinyin_bigrams(r)])
            corpora["asked"].append([w for t in (asked or {}).get(item["code"], ()) for w in lx.words(lx.normalize(t))])
        self.fields: dict[str, bm25s.BM25] = {}
        self._idf: dict[str, dict[str, float]] = {}
        n = max(len(items), 1)
        for name, corpus in corpora.items():
            # bm25s cannot index an empty document; a placeholder token never matches a query.
            retriever = bm25s.BM25(k1=1.2, b=FIELD_B[name])
            retriever.index([doc or ["\x00"] for doc in corpus], show_progress=False)
            self.fields[name] = retriever
            df: dict[str, int] = {}
            for doc in corpus:
                for tok in set(doc):
                    df[tok] = df.get(tok, 0) + 1
            self._idf[name] = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._max_idf = math.log(1 + (n + 0.5) / 0.5)
        self._build_scorer()
        self.wording = ItemWording(
            self.codes,
            [
                (item["code"], lx.normalize(t))
                for item in items
                for t in (*_title_texts(item), *(qa["q"] for qa in item.get("faq", [])), *(asked or {}).get(item["code"], ()))
            ],
        )
        self._doc_words = [frozenset(a + b) for a, b in zip(corpora["title"], corpora["text"])]
        # Sound-alike spelling correction: pinyin of every known 2-4 character word -> the words.
        self._vocab = set(self._idf["title"]) | set(self._idf["text"])
        self._by_sound: dict[str, set[str]] = {}
        for w in self._vocab:
            if 2 <= len(w) <= 4 and CJK.fullmatch(w):
                self._by_sound.setdefault(pinyin_key(w), set()).add(w)
        self._doc_chars = [frozenset(c) for c in corpora["chars"]]
        short_aliases = set().union(*map(self._short_aliases, items))
        self._naming = self._naming_words(items, short_aliases)
        # Synonyms' canonical spellings and short aliases that name items, found whole in a message whatever jieba
        # cuts ("审车帮我代办" is "车辆年审帮我代办" once normalised, cut as 车辆 / 年 / 审帮).
        self._naming_spellings = sorted(w for w in set(self.lexicon.canonical) | short_aliases if w in self._naming)
        # Short aliases name only as written: a sound-alike of 粮补 is no such word ("一年补好多" is not 一粮补).
        self._written_only = short_aliases - set(self.lexicon.canonical)
        stages = staged_items(self.names)
        self._at_stage = {stage: np.array([stage in found for found in stages], dtype=bool) for stage, *_ in STAGES}
        schemes = [item_scheme(n) for n in self.names]
        self._of_scheme = {scheme: np.array([s == scheme for s in schemes], dtype=bool) for scheme, *_ in SCHEMES}

    def _naming_words(self, items: list[dict], short_aliases: set[str]) -> dict[str, frozenset[str]]:
        """Words that name a service (身份证, 低保, 不动产, 轮椅 ...) -> the items whose name or aliases hold them.

        The vocabulary: the everyday words of the item names (with the halves of four-character compounds and
        the first two characters of longer words), the aliases that are a single short word (审车, 评残, 销户: what
        residents call a service whose name they do not know) and the canonical spellings of synonyms.yaml, without
        the generic words of knowledge_base/data/generic_words.txt (申请, 补办, 登记 ...)."""
        lx, plain = self.lexicon, plain_tokenizer()
        vocab: set[str] = set(lx.canonical) | short_aliases
        for item in items:
            words = {w for w in plain.cut(lx.normalize(item["name"]), HMM=False) if len(w) >= 2 and CJK.fullmatch(w)}
            # 结婚登记 names by 结婚, 危房改造 by 危房; 轮椅车 by 轮椅.
            words |= {h for w in words if len(w) == 4 and all(plain.FREQ.get(x) for x in (w[:2], w[2:])) for h in (w[:2], w[2:])}
            words |= {w[:2] for w in words if len(w) >= 3 and plain.FREQ.get(w[:2])}
            vocab |= words
        vocab -= lx.generic | lx.stopwords
        naming: dict[str, set[str]] = {}
        for item in items:
            titles = [lx.normalize(t) for t in (item["name"], *item.get("aliases", []))]
            for w in vocab:
                if any(w in t for t in titles):
                    naming.setdefault(w, set()).add(item["code"])
        return {w: frozenset(codes) for w, codes in naming.items()}

    def _short_aliases(self, item: dict) -> set[str]:
        """An item's aliases of a single short word, as the lexicon spells them (审车 is 车辆年审)."""
        return {self.lexicon.normalize(a) for a in item.get("aliases", []) if len(a) in (2, 3) and CJK.fullmatch(a)}

    def named_in_full(self, text: str) -> list[str]:
        """The items whose whole names a text holds, in the order they appear ("…签发《居民死亡医学证明（推断）书》
        （见“居民死亡医学证明（推断）书签发”）"): what an answer pointed the resident to."""
        found = sorted((at, code) for code, name in zip(self.codes, self.names) if (at := text.find(name)) >= 0)
        return [code for _, code in found]

    def named(self, text: str) -> frozenset[str]:
        """The items a message names by a word of their name ("那低保呢" names the 低保 item; "要登报不",
        "多久能拿到" name none): what tells a new question from a follow-up on the item under discussion."""
        codes: set[str] = set()
        for named in self.naming_words(text).values():
            codes |= named
        return frozenset(codes)

    def naming_words(self, text: str) -> dict[str, frozenset[str]]:
        """Each word of a message that names items, with the items it names ("户口" names nine, "医保" five)."""
        return self.naming_words_in(self.lexicon.normalize(text))

    def naming_words_in(self, norm: str) -> dict[str, frozenset[str]]:
        """naming_words of a text already normalised by the lexicon (whose words the caller also reads)."""
        lx = self.lexicon
        runs, words = lx.analyze(norm)
        heard = (w for w in self.sound_alikes(runs) if w not in self._written_only)
        found = {*words, *(w for r in runs for w in plain_tokenizer().cut(r, HMM=False)), *heard}
        found.update(w for w in self._naming_spellings if w in norm)
        return {w: self._naming[w] for w in found if w in self._naming}

    def _build_scorer(self) -> None:
        """All fields' BM25 scores as one weighted sparse matrix (CSR: one row per (field, token), columns
        are items), so a query is scored with one sparse matrix-vector product instead of a library
        call per field. Row r holds weight(field) * the bm25s score of its token in each item."""
        data, indices, indptr = [], [], [np.zeros(1, dtype=np.int64)]
        self._rows: dict[str, dict[str, int]] = {}
        offset = 0
        for name, weight in FIELD_WEIGHTS.items():
            sc = self.fields[name].scores
            rows = len(sc["indptr"]) - 1
            self._rows[name] = {t: offset + i for t, i in self.fields[name].vocab_dict.items() if i < rows}
            data.append(sc["data"].astype(np.float64) * weight)
            indices.append(sc["indices"].astype(np.int64))
            indptr.append(sc["indptr"][1:].astype(np.int64) + indptr[-1][-1])
            offset += rows
        self._data = np.concatenate(data)
        self._indices = np.concatenate(indices)
        self._indptr = np.concatenate(indptr)

    def scores(self, tokens: dict[str, list[str]], weights: dict[str, list[float]] | None = None) -> np.ndarray:
        """Weighted sum over fields of the BM25 scores of `tokens` (a repeated token counts again, as in
        bm25s), for every item, in one pass. `weights`: per field, a weight per token (default 1)."""
        weights = weights or {}
        ids, token_w = [], []
        for name in FIELD_WEIGHTS:
            field_w = weights.get(name)
            for i, t in enumerate(tokens[name]):
                if (r := self._rows[name].get(t)) is not None:
                    ids.append(r)
                    token_w.append(field_w[i] if field_w is not None else 1.0)
        n = len(self.codes)
        if not ids:
            return np.zeros(n, dtype=np.float32)
        rows = np.asarray(ids, dtype=np.int64)
        starts = self._indptr[rows]
        lengths = self._indptr[rows + 1] - starts
        # Positions of every stored entry of the selected rows: the CSR gather, vectorised.
        ends = np.cumsum(lengths)
        positions = np.arange(ends[-1] if len(ends) else 0) + np.repeat(starts - (ends - lengths), lengths)
        scale = np.repeat(np.asarray(token_w, dtype=np.float64), lengths)
        summed = np.bincount(self._indices[positions], weights=self._data[positions] * scale, minlength=n)
        return summed.astype(np.float32)

    def __len__(self) -> int:
        return len(self.codes)

    def item(self, code: str) -> dict | None:
        return self.items.get(code)

    def sound_alikes(self, runs: list[str]) -> list[str]:
        """Known words that sound like an unknown stretch of the message: 高零 -> 高龄, 设保卡 -> 社保卡.

        Pinyin input puts the right sound and the wrong character; every 2-4 character window that
        is not itself a known word is looked up by its (fuzzy) pinyin. A typo changes one character,
        so a sound-alike must keep all the others (疾证 does not become 急诊).
        """
        found = []
        for run in runs:
            known = self._known_spans(run)
            for size in (4, 3, 2):
                for i in range(len(run) - size + 1):
                    window = run[i : i + size]
                    if window in self._vocab or not CJK.fullmatch(window):
                        continue
                    if any(a <= i and i + size <= b and b - a > size for a, b in known):
                        continue  # "生院" inside 卫生院 is no slip of 生源
                    for word in self._by_sound.get(pinyin_key(window), ()):
                        same = sum(a == b for a, b in zip(word, window))
                        if same >= size - 1 and word not in found:
                            found.append(word)
        return found

    def _material_weights(self, text: str, tokens: dict[str, list[str]], word_w: list[float]) -> dict[str, list[float]]:
        """Per-field token weights with a document asked about as a material lowered ("过年准备和女朋友领证 … 要带
        户口本吗": 户口簿 is what to bring to 结婚登记), when the rest of the message says something of its own."""
        weights = {"title": word_w, "text": word_w, "detail": word_w, "asked": word_w}
        spans = [m.group("doc") or m.group("doc2") for m in AS_MATERIAL.finditer(text)]
        if not spans:
            return weights
        lx = self.lexicon
        docs = [lx.normalize(span) for span in spans]
        rest_text = lx.normalize(AS_MATERIAL.sub(" ", text))
        rest = set(lx.words(rest_text))
        doc_words = {w for d in docs for w in lx.words(d)}
        if not rest - doc_words - lx.generic:
            return weights  # "要带户口本吗" alone: the document is all there is
        lowered = [wt * MATERIAL_WEIGHT if w in doc_words and w not in rest else wt for w, wt in zip(tokens["title"], word_w)]
        weights = {"title": lowered, "text": lowered, "detail": lowered, "asked": lowered}
        for name, grams_of in (("chars", char_bigrams), ("pinyin", pinyin_bigrams)):
            in_doc = {g for d in docs for g in grams_of(d)} - set(grams_of(rest_text))
            weights[name] = [MATERIAL_WEIGHT if g in in_doc else 1.0 for g in tokens[name]]
        return weights

    def _named_only_as_held(self, text: str) -> np.ndarray | None:
        """Items that issue a document the message says the asker already has ("出生证已经拿到了": 出生医学证明补发),
        while the rest of the message asks about a service it names ("上户口要带啥"), or one besides which another is
        asked for ("营业执照以外还要办个哪样证"): a mask of them, or None."""
        found = [m.group("doc") or m.group("held") for m in HELD.finditer(text)]
        besides = [m.group("doc") or m.group("held") for m in BESIDES.finditer(text)]
        if not besides and (not found or not self.named(HELD.sub(" ", text))):
            return None
        docs = [d for d in (self.lexicon.normalize(f) for f in found + besides) if len(d) >= 2]
        held = [any(d in name for d in docs) for name in self.names]
        if besides or not any(held):  # "个体户执照": no item's name holds it; the items its words name issue it
            issuing = self.named(" ".join(docs))
            held = [h or code in issuing for h, code in zip(held, self.codes)]
        return np.array(held, dtype=bool) if any(held) else None

    def _known_spans(self, run: str) -> list[tuple[int, int]]:
        """Where known words of three or more characters stand in a stretch of a message."""
        return [(i, i + size) for size in (3, 4, 5, 6) for i in range(len(run) - size + 1) if run[i : i + size] in self._vocab]

    def query_tokens(self, text: str) -> dict[str, list[str]]:
        lx = self.lexicon
        norm = lx.normalize(text)
        runs, words = lx.analyze(norm)
        runs = runs + lx.analyze(lx.normalize(text, fold=False))[0]
        words = words + [w for w in self.sound_alikes(runs) if w not in words]
        return {
            "title": words,
            "text": words,
            "detail": words,
            "chars": list(dict.fromkeys(g for r in runs for g in char_bigrams(r))),
            "pinyin": list(dict.fromkeys(g for r in runs for g in pinyin_bigrams(r))),
            "asked": words,
        }

    @staticmethod
    def word_weights(words: list[str]) -> list[float]:
        """A weight per query word: jieba's search mode gives a long word and its k parts ("七十多岁" -> 七十, 十多,
        多岁, 七十多, 十多岁), and each part weighs 1/sqrt(k), so a long compound does not count k times. Found from
        the words themselves (a part is a shorter word inside a longer one), without segmenting again."""
        distinct = set(words)
        weight: dict[str, float] = {}
        for whole in distinct:
            if len(whole) < 3:
                continue
            parts = [w for w in distinct if len(w) < len(whole) and w in whole]
            for part in parts:
                weight[part] = min(weight.get(part, 1.0), len(parts) ** -0.5)
        return [weight.get(w, 1.0) for w in words]

    def search(self, text: str, k: int = 5, asked: frozenset[str] = frozenset()) -> Result:
        """The items matching the message, best first. `asked`: items the message's question names, where the rest of
        it tells a story naming others ("…拖欠工资…，劳动仲裁怎么申请"); they weigh ASKED_BOOST times more."""
        tokens = self.query_tokens(text)
        result = Result(query=text, terms=tokens["title"])
        if not self.codes or not (tokens["title"] or tokens["chars"]):
            return result
        scores = self.scores(tokens, self._material_weights(text, tokens, self.word_weights(tokens["title"])))
        if (stage := message_stage(text)) is not None:  # "一直莫办过残疾证": 残疾人证办理 before its siblings
            # ... among the items the message names, when it names any: "合作社第一次领发票" favours no 身份证 item,
            # "健康证…过期了要重新体检吗" not 身份证换领.
            at_stage = self._at_stage[stage]
            if named := self.named(text):
                at_stage = at_stage & np.array([c in named for c in self.codes], dtype=bool)
            scores = np.where(at_stage, scores * STAGE_BOOST, scores)
            if (other_move := OTHER_MOVE.get(stage)) is not None:
                # "户口还在鲁甸，想迁到我们白鹤滩这边来": a move between 昭通's places is no move into the city, however
                # much the story ("嫁过来好几年了") reads like one; and the other way round.
                scores = np.where(self._at_stage[other_move], scores / STAGE_BOOST, scores)
        other = None
        if (scheme := message_scheme(text)) is not None:  # an item of the other scheme weighs less
            other = np.any([of for s, of in self._of_scheme.items() if s != scheme], axis=0)
            scores = np.where(other, scores / STAGE_BOOST, scores)
        if asked:  # ... and is not favoured for being asked ("…在煤矿上班…退休金咋个领" is no 城乡居民 pension)
            favoured = np.isin(self.codes, list(asked))
            if other is not None:
                favoured &= ~other
            scores = np.where(favoured, scores * ASKED_BOOST, scores)
        if (held := self._named_only_as_held(text)) is not None:  # "出生证已经拿到了 上户口要带啥": not 出生证明补发
            scores = np.where(held, scores / STAGE_BOOST, scores)
        evidence = scores  # what the message's words alone give
        scores = self._reranked(text, scores)
        k = min(k, len(self.codes))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        # Ordered by the reranked score, each with its word evidence: what the thresholds and leads of the callers
        # (calibrated on BM25) compare; a candidate the wording model moved ahead may score less than the next.
        result.matches = [Match(self.codes[i], self.names[i], round(float(evidence[i]), 3)) for i in top if scores[i] > 0]
        if result.matches:
            # How sure we are stays a matter of the message's words: the wording model orders the candidates, but
            # resemblance to examples says neither that the message is about any item ("公积金" alone is still a
            # near tie of three items) nor how clearly. The margin is the best's lead in word evidence over every
            # other item: none, when the wording model put it ahead of an item with more.
            e1 = float(evidence[top[0]])
            e2 = float(np.max(np.delete(evidence, top[0]))) if len(evidence) > 1 else 0.0
            margin = max(0.0, (e1 - e2) / e1) if e1 > 0 else 0.0
            result.margin = round(margin, 3)
            result.confidence = self._confidence(tokens, int(top[0]), e1, margin)
        return result

    def _reranked(self, text: str, scores: np.ndarray) -> np.ndarray:
        """BM25's first RERANKED candidates, each weighed by how much the whole message, filler and dialect included,
        reads like residents' messages about it (BM25 sees only the words it shares with each item)."""
        m = min(RERANKED, int(np.count_nonzero(scores)))
        if m < 2:
            return scores
        candidates = np.argpartition(-scores, m - 1)[:m]
        p = self.wording.posterior(self.lexicon.normalize(text), candidates)
        scores = scores.copy()
        scores[candidates] *= 1 + WORDING_WEIGHT * p
        return scores

    def _confidence(self, tokens: dict[str, list[str]], best: int, s1: float, margin: float) -> float:
        """How sure we are that the best item is what the message is about, in [0, 1].

        - coverage: the idf-weighted share of the message's words found in the best item's title
          or text (unknown words weigh like the rarest known word, single characters half);
          character-bigram coverage stands in when a typo broke the words;
        - strength: the best item's score `s1`, saturating at SCORE_SATURATION;
        - margin: how clearly it beats the second item ((s1 - s2) / s1);
        and all of it shrinks when the best score is below MIN_EVIDENCE.
        Weights and thresholds were calibrated on tests/data/dev_questions.jsonl.
        """
        words = list(dict.fromkeys(tokens["title"]))
        title_idf, text_idf = self._idf["title"], self._idf["text"]
        total = hit = 0.0
        for w in words:
            weight = title_idf.get(w, text_idf.get(w, self._max_idf))
            if len(w) == 1:
                weight *= 0.5
            total += weight
            if w in self._doc_words[best]:
                hit += weight
        word_cov = hit / total if total else 0.0
        grams = tokens["chars"]
        char_cov = sum(g in self._doc_chars[best] for g in grams) / len(grams) if grams else 0.0
        coverage = max(word_cov, 0.9 * char_cov)
        strength = min(1.0, s1 / SCORE_SATURATION)
        confidence = 0.5 * coverage + 0.4 * strength + 0.1 * margin
        # A tiny score means only a common word matched ("对", "没有"): full coverage of nothing.
        return round(confidence * min(1.0, s1 / MIN_EVIDENCE), 3)
