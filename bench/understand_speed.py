"""Benchmark: `understand` latency at catalog size and at 100,000 synthetic items, index build time,
resident memory, and server start-up time (embedded store, knowledge base included).

    .venv/bin/python bench/understand_speed.py [--synthetic 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.conversation.classifier import asked_examples  # noqa: E402
from bot.conversation.nlu import Understander  # noqa: E402
from knowledge_base.catalog import load_items  # noqa: E402
from knowledge_base.index import ItemIndex  # noqa: E402
from knowledge_base.text import Lexicon  # noqa: E402

PLACES = ["城区", "农村", "外地", "老年", "残疾", "困难", "企业", "个人", "学生", "退役", "新生", "流动", "留守", "山区"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def messages() -> list[str]:
    path = ROOT / "tests" / "data" / "dev_questions.jsonl"
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def timings(understander: Understander, texts: list[str], rounds: int) -> tuple[float, float]:
    for t in texts[:50]:
        understander.understand(t)  # warm caches as a running server would have them
    samples = []
    for _ in range(rounds):
        for t in texts:
            start = time.perf_counter()
            understander.understand(t)
            samples.append(time.perf_counter() - start)
    samples.sort()
    return statistics.median(samples) * 1000, samples[int(len(samples) * 0.99)] * 1000


def synthetic_items(items: list[dict], n: int, seed: int = 7) -> list[dict]:
    """Plausible items: catalog items recombined with qualifiers, so vocabulary and lengths are realistic."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        base = rng.choice(items)
        other = rng.choice(items)
        qualifier = rng.choice(PLACES) + rng.choice(PLACES)
        out.append(
            {
                **base,
                "code": f"SY-{i:06d}",
                "name": f"{qualifier}{base['name']}{rng.choice(['', '（变更）', '（注销）', '（延续）'])}",
                "aliases": rng.sample(base["aliases"], min(5, len(base["aliases"]))) + other["aliases"][:1],
                "faq": rng.sample(base["faq"], min(2, len(base["faq"]))),
                "materials": base["materials"][:3],
            }
        )
    return out


def compare_top_k(index: ItemIndex, texts: list[str], k: int = 5) -> None:
    """bm25s's own retrieve() against get_scores() plus our partial sort, on the title field."""
    import numpy as np

    field = index.fields["title"]
    queries = [q for q in (index.query_tokens(t)["title"] for t in texts[:200]) if q]

    def per_query_ms(top_k) -> float:
        start = time.perf_counter()
        for q in queries:
            top_k(q)
        return (time.perf_counter() - start) / len(queries) * 1000

    def partial_sort(q):
        scores = field.get_scores(q)
        top = np.argpartition(-scores, k - 1)[:k]
        return top[np.argsort(-scores[top])]

    retrieve_ms = per_query_ms(lambda q: field.retrieve([q], k=k, show_progress=False, n_threads=1))
    partial_ms = per_query_ms(partial_sort)
    print(
        f"  top-{k} on one field at {len(index)} items: bm25s retrieve() {retrieve_ms:.2f} ms/query, "
        f"get_scores + argpartition {partial_ms:.2f} ms/query"
    )


def startup_seconds() -> float:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env={"BOT_PORT": str(port), "PATH": "/usr/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < 60:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if json.loads(r.read())["ok"]:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")
    finally:
        proc.terminate()
        proc.wait()


def measure(label: str, items: list[dict], lexicon: Lexicon, texts: list[str], rounds: int, extra: str = "") -> Understander:
    """Build an index over `items`, time `understand` on every message `rounds` times, print the figures."""
    started = time.perf_counter()
    understander = Understander(ItemIndex(items, lexicon, asked_examples()))
    build = time.perf_counter() - started
    med, p99 = timings(understander, texts, rounds=rounds)
    print(
        f"{label} ({len(items)} items): build {build:.2f}s{extra}, understand median {med:.2f} ms, "
        f"p99 {p99:.2f} ms over {rounds * len(texts)} messages; RSS {rss_mb():.0f} MB"
    )
    return understander


def cold_timings(lexicon: Lexicon, items: list[dict]) -> None:
    """Understanding a message never seen before: every labelled question of every set, wrapped in an everyday
    opening and ending so the text is new, each understood once, on a fresh index with an empty segmentation memo
    (a server's first encounter with a text: no understanding cache, no memoised segmentation)."""
    rng = random.Random(11)
    texts = []
    for path in sorted((ROOT / "tests" / "data").glob("*_questions.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    openings, endings = ["请问", "你好，", "麻烦问下 ", "同志，", ""], ["？", " 谢谢", "呢", "啊", " 急"]
    texts = list(dict.fromkeys(rng.choice(openings) + t + rng.choice(endings) for t in texts))
    understander = Understander(ItemIndex(items, lexicon, asked_examples()))
    understander.warm()  # the pinyin reader, built once per process (the classifier is trained by now)
    lexicon._analyzed.clear()
    samples, cpu = [], []
    for t in texts:
        start, start_cpu = time.perf_counter(), time.thread_time()
        understander.understand(t)
        samples.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    samples.sort()
    cpu.sort()
    # CPU time is what a message costs the server; wall time also holds what other processes took on a shared machine.
    print(
        f"cold understanding (each of {len(texts)} new texts once, empty memo): median "
        f"{statistics.median(samples) * 1000:.2f} ms, p99 {samples[int(len(samples) * 0.99)] * 1000:.2f} ms, "
        f"mean {statistics.fmean(samples) * 1000:.2f} ms; CPU per message median {statistics.median(cpu) * 1000:.2f} ms, "
        f"mean {statistics.fmean(cpu) * 1000:.2f} ms"
    )


def classifier_training_seconds() -> float:
    from bot.conversation.classifier import IntentClassifier, default_example_files, load_examples
    from bot.conversation.nlu import INTENTS, normalize

    examples = load_examples(default_example_files())
    started = time.perf_counter()
    IntentClassifier.train(examples, INTENTS, normalize)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic", type=int, default=100_000)
    args = parser.parse_args()
    texts = messages()
    items, _ = load_items()

    started = time.perf_counter()
    lexicon = Lexicon()
    lexicon_s = time.perf_counter() - started
    measure("catalog", items, lexicon, texts, rounds=5, extra=f" (+ jieba dictionary {lexicon_s:.2f}s)")
    print(f"intent classifier training on the repository's examples: {classifier_training_seconds():.2f}s")
    cold_timings(lexicon, items)
    if args.synthetic:
        big = measure("synthetic", synthetic_items(items, args.synthetic), lexicon, texts, rounds=1)
        compare_top_k(big.index, texts)

    print(
        f"server start-up to healthy /healthz (embedded store, seeding and indexing {len(items)} items): {startup_seconds():.2f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
