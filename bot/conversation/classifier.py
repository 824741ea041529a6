"""A character n-gram intent classifier: multinomial logistic regression in numpy, trained at start-up.

The rules in intents.yaml are precise but only know the phrasings they were written from; this model
has seen many writers' messages (bot/conversation/data/*.jsonl) and generalises to new ones. It gives
probabilities, so the caller can let it decide only when it is sure (see nlu.Understander).

Features: character 1-3-grams of the normalised message with start/end markers (so "^取消$" differs
from "取消" inside a longer question), digits folded to 0, each message scaled to unit length.
Training: full-batch Adam on the L2-regularised cross-entropy, about 47 s of CPU on ~57,000 messages (once: see below).
Prediction: a few dictionary look-ups and one small sum, tens of microseconds.

The trained model is kept in .cache/classifier/ under a hash of everything training reads (the features of
every example as the current normalisation gives them, the labels, the settings and this file's source), so a
start-up with unchanged examples and code loads it in milliseconds, and any change trains afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from knowledge_base import wording
from knowledge_base.wording import ngrams

log = logging.getLogger(__name__)
DATA_DIR = Path(__file__).with_name("data")
CACHE_DIR = Path(__file__).resolve().parents[2] / ".cache" / "classifier"
KEEP_MODELS = 8


def example_texts() -> list[str]:
    return [text for text, _ in load_examples(default_example_files())]


# Examples whose `items` name what the message is about (a question, or a booking of that item).
ABOUT_ITEMS = frozenset({"ask_item", "book_proxy", "book_home_visit"})


def asked_examples(paths: Iterable[Path] | None = None) -> dict[str, list[str]]:
    """Item code -> the example messages about it: residents' wording for the item index (ItemIndex `asked`)."""
    out: dict[str, list[str]] = {}
    for path in paths if paths is not None else default_example_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and (case := json.loads(line))["intent"] in ABOUT_ITEMS:
                for code in case.get("items") or ():
                    out.setdefault(code, []).append(case["text"])
    return out


def load_examples(paths: Iterable[Path]) -> list[tuple[str, str]]:
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                case = json.loads(line)
                out.append((case["text"], case["intent"]))
    return out


def default_example_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.jsonl"))


class IntentClassifier:
    def __init__(self, labels: list[str], vocab: dict[str, int], weights: np.ndarray, bias: np.ndarray, prep: Callable):
        self.labels = labels
        self.vocab = vocab
        self.weights = weights  # (features, classes)
        self.bias = bias
        self.prep = prep  # the same normalisation as at training time

    @classmethod
    def train(
        cls,
        examples: list[tuple[str, str]],
        labels: Iterable[str],
        prep: Callable[[str], str] = lambda t: t,
        *,
        l2: float = 2e-6,
        steps: int = 100,
        lr: float = 0.2,
        min_count: int = 1,
        extras: list[list[str]] | None = None,
        cache_dir: Path | None = None,
    ) -> IntentClassifier:
        """extras: per example, signals beyond the text (which rule fired, whether an item matched).
        cache_dir: where a model trained on the same features and settings is kept and looked for."""
        labels = list(labels)
        label_ix = {lab: i for i, lab in enumerate(labels)}
        docs = [ngrams(prep(text)) for text, _ in examples]
        if extras is not None:
            docs = [grams + list(more) for grams, more in zip(docs, extras)]
        settings = {"l2": l2, "steps": steps, "lr": lr, "min_count": min_count}
        key = _training_key(docs, [lab for _, lab in examples], labels, settings) if cache_dir else ""
        if cache_dir and (kept := _load(cache_dir / f"{key}.npz")) is not None:
            vocab, w, b = kept
            return cls(labels, vocab, w, b, prep)
        counts: dict[str, int] = {}
        for grams in docs:
            for g in grams:
                counts[g] = counts.get(g, 0) + 1
        vocab = {g: i for i, g in enumerate(sorted(g for g, c in counts.items() if c >= min_count))}
        rows, cols = [], []
        for r, grams in enumerate(docs):
            ids = [vocab[g] for g in grams if g in vocab]
            rows += [r] * len(ids)
            cols += ids
        n, f, c = len(docs), len(vocab), len(labels)
        rows_a = np.asarray(rows, dtype=np.int64)
        cols_a = np.asarray(cols, dtype=np.int64)
        per_row = np.bincount(rows_a, minlength=n)
        scale = (1.0 / np.sqrt(np.maximum(per_row, 1))).astype(np.float32)[:, None]  # each message to unit length
        y = np.asarray([label_ix[lab] for _, lab in examples])
        # Balance the classes: ask_item dominates the question sets, but every intent matters as much.
        freq = np.bincount(y, minlength=c).astype(np.float32)
        sample_w = (n / (c * np.maximum(freq, 1)))[y].astype(np.float32) / n
        onehot = np.zeros((n, c), dtype=np.float32)
        onehot[np.arange(n), y] = 1
        starts = np.searchsorted(rows_a, np.arange(n))
        w = np.zeros((f, c), dtype=np.float32)
        b = np.zeros(c, dtype=np.float32)
        m_w, v_w = np.zeros_like(w), np.zeros_like(w)
        m_b, v_b = np.zeros_like(b), np.zeros_like(b)
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        for t in range(1, steps + 1):
            logits = np.add.reduceat(w[cols_a], starts, axis=0) * scale + b
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            d = (p - onehot) * sample_w[:, None]
            dv = np.repeat(d * scale, per_row, axis=0)  # rows are in order: (d * scale)[rows_a] without an index
            g_w = np.stack([np.bincount(cols_a, weights=dv[:, k], minlength=f) for k in range(c)], axis=1)
            g_w = g_w.astype(np.float32) + l2 * w
            g_b = d.sum(axis=0)
            m_w = beta1 * m_w + (1 - beta1) * g_w
            v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
            m_b = beta1 * m_b + (1 - beta1) * g_b
            v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
            step = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)
            w -= step * m_w / (np.sqrt(v_w) + eps)
            b -= step * m_b / (np.sqrt(v_b) + eps)
        if cache_dir:
            _save(cache_dir / f"{key}.npz", vocab, w, b)
        return cls(labels, vocab, w, b, prep)

    def proba(self, text: str, extras: Iterable[str] = ()) -> np.ndarray:
        ids = [i for g in (*ngrams(self.prep(text)), *extras) if (i := self.vocab.get(g)) is not None]
        logits = self.bias.copy()
        if ids:
            logits = logits + self.weights[ids].sum(axis=0) / np.sqrt(len(ids))
        logits -= logits.max()
        p = np.exp(logits)
        return p / p.sum()

    def predict(self, text: str, extras: Iterable[str] = ()) -> tuple[str, float, dict[str, float]]:
        """(best label, its probability, all probabilities)."""
        p = self.proba(text, extras)
        best = int(p.argmax())
        return self.labels[best], float(p[best]), {lab: float(x) for lab, x in zip(self.labels, p)}


def _training_key(docs: list[list[str]], answers: list[str], labels: list[str], settings: dict) -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes() + Path(wording.__file__).read_bytes())  # and how n-grams are cut
    digest.update(json.dumps([labels, settings, answers], ensure_ascii=False).encode())
    for grams in docs:
        digest.update("\x1f".join(sorted(grams)).encode() + b"\x1e")
    return digest.hexdigest()[:32]


def _load(path: Path) -> tuple[dict[str, int], np.ndarray, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as kept:
            grams, w, b = kept["grams"], kept["weights"], kept["bias"]
    except FileNotFoundError:
        return None
    except Exception as exc:  # a damaged file: train again and replace it
        log.warning("ignoring the cached intent model %s: %s", path.name, exc)
        return None
    if w.shape != (len(grams), b.shape[0]):
        return None
    return {g: i for i, g in enumerate(grams.tolist())}, w, b


def _save(path: Path, vocab: dict[str, int], w: np.ndarray, b: np.ndarray) -> None:
    """Written whole under a temporary name, then renamed: a reader (another worker) sees all or nothing."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as fh:
            np.savez(fh, grams=np.asarray(sorted(vocab, key=vocab.get)), weights=w, bias=b)
        os.replace(fh.name, path)
        # Models of older examples or code are never read again: keep only the newest few.
        for old in sorted(path.parent.glob("*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP_MODELS:]:
            old.unlink(missing_ok=True)
    except OSError as exc:  # a read-only checkout still works, training at each start
        log.warning("could not keep the intent model in %s: %s", path.parent, exc)


_SHARED: dict[tuple, IntentClassifier] = {}
_LOCK = threading.Lock()


def shared_model(labels: tuple[str, ...], *, steps: int, paths: Iterable[Path] | None = None) -> IntentClassifier:
    """A model of these labels trained on the repository's examples that carry one of them, once per process (it is
    read-only), and kept in CACHE_DIR: the intent model here, the two-answer rereadings of rereading.py."""
    from bot.conversation.nlu import standard

    paths = tuple(paths if paths is not None else default_example_files())
    key = (labels, steps, *((str(p), p.stat().st_mtime_ns) for p in paths))
    with _LOCK:
        if key not in _SHARED:
            started = time.perf_counter()
            examples = [(text, label) for text, label in load_examples(paths) if label in labels]
            _SHARED[key] = IntentClassifier.train(examples, labels, standard, min_count=2, steps=steps, cache_dir=CACHE_DIR)
            log.info("model of %s ready (%d examples) in %.2fs", "/".join(labels), len(examples), time.perf_counter() - started)
        return _SHARED[key]


def shared_classifier(paths: Iterable[Path] | None = None) -> IntentClassifier:
    """The intent classifier trained on the repository's examples, once per process."""
    from bot.conversation.nlu import INTENTS

    # n-grams seen once are dropped and 60 steps suffice: the same accuracy on each writer's set left out in turn as
    # 100 steps on every n-gram, in well under half the time.
    return shared_model(tuple(INTENTS), steps=60, paths=paths)
