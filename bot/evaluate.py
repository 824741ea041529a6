"""`python -m bot.evaluate [FILE ...]`: accuracy of the bot's understanding on labelled question sets.

Prints top-1/top-3 item accuracy, out-of-scope precision and recall, intent accuracy (overall and per
intent), the share of in-scope messages wrongly refused as out of scope, and every miss; with several
files, a line per file and one over all of them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.conversation.classifier import asked_examples
from bot.conversation.nlu import BOOKING_INTENTS, Understander
from knowledge_base import build_index_from_files

DEFAULT_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "dev_questions.jsonl"


def evaluate(understander: Understander, cases: list[dict]) -> dict:
    item_cases = top1 = top3 = booking_cases = booking_top1 = 0
    intent_ok = oos_tp = oos_fp = oos_fn = in_scope = 0
    misses = []
    per_intent: dict[str, list[int]] = {}  # intent -> [right, cases]
    for case in cases:
        u = understander.understand(case["text"])
        got = [m["code"] for m in u.as_json()["items"]]
        want = set(case.get("items") or [])
        tally = per_intent.setdefault(case["intent"], [0, 0])
        tally[1] += 1
        if u.intent == case["intent"]:
            intent_ok += 1
            tally[0] += 1
        else:
            misses.append(f"intent  {case['intent']:>15} -> {u.intent:<15} {case['text']}  {got[:3]}")
        if case["intent"] == "out_of_scope":
            oos_tp += u.intent == "out_of_scope"
            oos_fn += u.intent != "out_of_scope"
        else:
            in_scope += 1
            oos_fp += u.intent == "out_of_scope"
        if case["intent"] in BOOKING_INTENTS and want:
            booking_cases += 1
            booking_top1 += bool(got) and got[0] in want
        if case["intent"] == "ask_item" and want:
            item_cases += 1
            hit1 = u.intent == "ask_item" and bool(got) and got[0] in want
            hit3 = u.intent == "ask_item" and bool(want & set(got[:3]))
            top1 += hit1
            top3 += hit3
            if not hit1:
                misses.append(f"item    {sorted(want)} -> {got[:3]} conf={u.confidence}  {case['text']}")
    n = len(cases)
    return {
        "cases": n,
        "top1": top1 / item_cases if item_cases else 0.0,
        "top3": top3 / item_cases if item_cases else 0.0,
        "oos_precision": oos_tp / (oos_tp + oos_fp) if oos_tp + oos_fp else 0.0,
        "oos_recall": oos_tp / (oos_tp + oos_fn) if oos_tp + oos_fn else 0.0,
        "intent_accuracy": intent_ok / n if n else 0.0,
        # In-scope messages answered as out of scope (wrongly refused), as a share of all in-scope messages.
        "refused": oos_fp / in_scope if in_scope else 0.0,
        "booking_item_top1": booking_top1 / booking_cases if booking_cases else 0.0,
        "per_intent": {intent: (right, total) for intent, (right, total) in sorted(per_intent.items())},
        "misses": misses,
    }


def summary(report: dict) -> str:
    return (
        f"cases={report['cases']}  top1={report['top1']:.1%}  top3={report['top3']:.1%}  "
        f"oos_precision={report['oos_precision']:.1%}  oos_recall={report['oos_recall']:.1%}  "
        f"intent={report['intent_accuracy']:.1%}  refused={report['refused']:.1%}  "
        f"booking_item_top1={report['booking_item_top1']:.1%}"
    )


def per_intent_line(report: dict) -> str:
    return "  ".join(f"{intent}={right}/{total}" for intent, (right, total) in report["per_intent"].items())


def read_cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT_SET])
    args = parser.parse_args(argv)
    understander = Understander(build_index_from_files(asked_examples()))
    everything = []
    for path in args.files:
        cases = read_cases(path)
        everything += cases
        report = evaluate(understander, cases)
        for miss in report.pop("misses"):
            print(miss)
        print(f"{path.name}: {summary(report)}")
        print(f"  per intent: {per_intent_line(report)}")
    if len(args.files) > 1:
        report = evaluate(understander, everything)
        print(f"ALL: {summary(report)}")
        print(f"  per intent: {per_intent_line(report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
