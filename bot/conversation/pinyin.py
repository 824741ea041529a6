"""Reading messages typed in pinyin ("shen fen zheng diu le", "quxiao yuyue") as Chinese characters.

Residents without a Chinese keyboard type toneless pinyin, spaced or run together. The letters are
split into syllables, and the syllables are read back as the words residents and the catalog use
(words and characters of the item guides and of the example messages), choosing the likeliest words
as jieba does: "yao dai" is 要带, not the rarer 腰带. The result feeds the rules, the classifier and item
matching like any typed message.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin

SYLLABLES = frozenset(
    """
    a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang cao ce cen
    ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo ci cong
    cou cu cuan cui cun cuo da dai dan dang dao de den deng di dian diao die ding diu dong dou du duan dui dun duo
    e ei en eng er fa fan fang fei fen feng fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua
    guai guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo ji
    jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke ken keng kong kou ku kua
    kuai kuan kuang kui kun kuo la lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long
    lou lu luan lun luo lv lve ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai
    nan nang nao ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu nuan nun nuo nv nve o ou pa pai
    pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu
    quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao se sen seng sha
    shai shan shang shao she shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan
    sui sun suo ta tai tan tang tao te teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei
    wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo
    yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhen zheng zhi zhong
    zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
    """.split()
)
LONGEST = max(map(len, SYLLABLES))
LATIN_RUN = re.compile(r"[a-z]+")
CJK_WORD = re.compile(r"[\u4e00-\u9fff]+")
# Letters between characters, words apart or run together ("娃娃zhuanxue cong zhenxiong zhuan dao zhaoyang").
LATIN_SPAN = re.compile(r"[a-z]+(?:[ ,'，]+[a-z]+)*")
MAX_WORD = 6  # syllables


def syllables(run: str) -> list[str] | None:
    """Split one run of letters into pinyin syllables (fewest syllables wins), or None if it is not pinyin."""
    n = len(run)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(min(n, i + LONGEST), i, -1):
            piece = run[i:j]
            if piece in SYLLABLES and (best[j] is None or len(best[j]) > len(best[i]) + 1):
                best[j] = best[i] + [piece]
    return best[n]


def looks_pinyin(text: str) -> list[str] | None:
    """The syllables of a message written in pinyin (at least two, and nothing but letters, spaces,
    digits and punctuation), else None."""
    if CJK_WORD.search(text):
        return None
    runs = LATIN_RUN.findall(text)
    out: list[str] = []
    for run in runs:
        syl = syllables(run)
        if syl is None:
            return None
        out += syl
    return out if len(out) >= 2 else None


# A message all in letters may hold a word that is no pinyin ("wo ma 83 mianfei tijian qu nali tj": an initial the
# lexicon does not know, or "app"); its pinyin is read around that word as around characters, when one such word is
# left and the rest makes this many syllables ("thank you" is no pinyin with a word left over).
FOREIGN_WORDS = 1
LETTER_MESSAGE_SYLLABLES = 3


def pinyin_spans(text: str) -> list[tuple[int, int, list[str]]]:
    """Each span of letters that reads as pinyin, as (start, end, syllables): in a message of characters, spans of at
    least two syllables ("yao sha cailiao"; "app", "ok" or a lone "ban" stay as written); in a message of letters that
    is not pinyin throughout, the spans around its one foreign word (FOREIGN_WORDS)."""
    if CJK_WORD.search(text):
        return [(m.start(), m.end(), syl) for m in LATIN_SPAN.finditer(text) if (syl := looks_pinyin(m.group(0)))]
    spans: list[tuple[int, int, list[str]]] = []
    foreign = 0
    for span in LATIN_SPAN.finditer(text):
        run_of: list[tuple[int, int, list[str]]] = []  # readable runs since the last foreign word
        for run in LATIN_RUN.finditer(span.group(0)):
            syl = syllables(run.group(0))
            if syl is None:
                foreign += 1
                spans += _joined(run_of)
                run_of = []
            else:
                run_of.append((span.start() + run.start(), span.start() + run.end(), syl))
        spans += _joined(run_of)
    if foreign > FOREIGN_WORDS or sum(len(syl) for *_, syl in spans) < LETTER_MESSAGE_SYLLABLES:
        return []
    return spans


def _joined(runs: list[tuple[int, int, list[str]]]) -> list[tuple[int, int, list[str]]]:
    """Neighbouring readable runs as one span, read together ("mianfei tijian" is 免费体检, not 免费 and 体检 apart)."""
    if not runs:
        return []
    return [(runs[0][0], runs[-1][1], [s for *_, syl in runs for s in syl])]


def has_pinyin(text: str) -> bool:
    return looks_pinyin(text) is not None or bool(pinyin_spans(text))


# A run of letters standing alone ("sfz diule zm bu", "l" for 了), not inside a longer word.
LETTER_WORD = re.compile(r"(?<![a-z])[a-z]{1,5}(?![a-z])")


def spell_initials(text: str, initials: dict[str, str]) -> str:
    """Letters typed for whole words ("zm" 怎么, "sfz" 身份证) written as the words: among characters as characters
    ("身份证zm补" -> 身份证怎么补), in a message all in letters as pinyin, so that it reads whole ("gaoling jintie zm
    ling" -> 高龄津贴怎么领). Letters that are pinyin already stay in a message all in letters, where the reader reads
    them; among characters they are words typed in letters too ("wo上班莫时间跑" -> 我上班莫时间跑)."""
    if not initials or not LATIN_RUN.search(text):
        return text
    in_letters = CJK_WORD.search(text) is None

    def spell(m: re.Match) -> str:
        word = initials.get(m.group(0))
        if word is None or (in_letters and syllables(m.group(0)) is not None):
            return m.group(0)
        if len(m.group(0)) == 1 and not in_letters:
            return m.group(0)  # a lone letter among characters is a letter ("C级危房", "B超"), not a word typed short
        return " " + " ".join(lazy_pinyin(word, style=Style.NORMAL)) + " " if in_letters else word

    return LETTER_WORD.sub(spell, text)


def syllables_of(text: str) -> list[str]:
    out: list[str] = []
    for run in LATIN_RUN.findall(text):
        out += syllables(run) or []
    return out


class PinyinReader:
    def __init__(self, texts: Iterable[str], cut):
        """texts: Chinese texts whose words residents use; cut: a word segmenter (jieba's cut)."""
        words: Counter[str] = Counter()
        for text in texts:
            for run in CJK_WORD.findall(text):
                words.update(w for w in cut(run) if CJK_WORD.fullmatch(w))
        self.words: dict[tuple[str, ...], tuple[str, int]] = {}
        chars: dict[str, Counter[str]] = {}
        for word, count in words.items():
            if len(word) > MAX_WORD:
                continue
            key = tuple(lazy_pinyin(word, style=Style.NORMAL, errors="ignore"))
            if len(key) != len(word):
                continue
            if len(word) == 1:
                chars.setdefault(key[0], Counter())[word] += count
            elif key not in self.words or self.words[key][1] < count:
                self.words[key] = (word, count)
        self.chars = {s: c.most_common(1)[0] for s, c in chars.items()}
        self.total = sum(words.values()) or 1

    def read(self, text: str) -> str | None:
        """The message in characters (digits kept: "hen manyi 5 fen" -> 很满意5分; characters kept around pinyin
        spans: "娃娃zhuanxue yao sha cailiao" -> 娃娃转学要啥材料; a foreign word too: "... qu nali tj" -> …去哪里 tj),
        or None when it holds no pinyin."""
        if looks_pinyin(text) is None:
            spans = pinyin_spans(text)
            if not spans:
                return None
            out, last = [], 0
            for start, end, syl in spans:
                out += [text[last:start], self._read(syl)]
                last = end
            return "".join(out) + text[last:]
        parts = re.split(r"([0-9]+)", text)
        return "".join(part if part.isdigit() else self._read(looks_pinyin(part) or syllables_of(part)) for part in parts)

    def _read(self, syl: list[str]) -> str:
        """The likeliest reading: syllables covered by known words or characters first, then the product of how
        often each word is used (a unigram model, as jieba segments): "yao dai sha cailiao" is 要 带 啥 材料, for 要
        and 带 are far commoner than 腰带, and "kuaidi dao le" is 快递 到 了, for 快递 is commoner than 快 and 地 apart."""
        n = len(syl)
        # best[i]: (syllables covered, log-probability of its words, text) for the first i syllables.
        best: list[tuple[int, float, str] | None] = [None] * (n + 1)
        best[0] = (0, 0.0, "")
        for i in range(n):
            if best[i] is None:
                continue
            covered, chance, sofar = best[i]
            options = []
            for size in range(min(MAX_WORD, n - i), 1, -1):
                hit = self.words.get(tuple(syl[i : i + size]))
                if hit:
                    options.append((size, size, hit))
            one = self.chars.get(syl[i])  # words of one character are kept in chars only
            options.append((1, 1 if one else 0, one or (syl[i], 0)))
            for size, known, (piece, count) in options:
                cand = (covered + known, chance + math.log((count + 1) / self.total), sofar + piece)
                if best[i + size] is None or cand[:2] > best[i + size][:2]:
                    best[i + size] = cand
        return best[n][2] if best[n] else ""


_SHARED: dict[int, PinyinReader] = {}
_LOCK = threading.Lock()


def shared_reader(catalog_texts: list[str], example_texts: list[str], cut) -> PinyinReader:
    """One reader per process and catalog wording (tests and index rebuilds reuse it)."""
    key = hash((tuple(catalog_texts), len(example_texts)))
    with _LOCK:
        if key not in _SHARED:
            _SHARED.clear()
            _SHARED[key] = PinyinReader([*catalog_texts, *example_texts], cut)
        return _SHARED[key]
