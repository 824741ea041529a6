"""Parsing callbacks: the fast path for flat messages and subscribe-notification events against wechatpy's parser.

Prints microseconds per parse for each fixture kind (tests/data/callbacks) with our parser and with wechatpy's
`parse_message` (xmltodict), and the DTD prolog check. A ratio measured in the same run is the figure to trust
on a shared machine.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

from wechatpy import parse_message as wechatpy_parse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.wechat.parse import parse_message  # noqa: E402
from bot.wechat.prolog import has_dtd  # noqa: E402

CALLBACKS = ROOT / "tests" / "data" / "callbacks"
KINDS = ("text", "image", "event_location", "event_templatesendjobfinish_user_block", "event_subscribe_msg_popup")


def per_call_us(fn, number: int = 20_000) -> float:
    return min(timeit.repeat(fn, number=number, repeat=3)) / number * 1e6


def main() -> None:
    print(f"{'callback':42} {'ours µs':>9} {'wechatpy µs':>12} {'ratio':>6}")
    for kind in KINDS:
        text = (CALLBACKS / f"{kind}.xml").read_text(encoding="utf-8")
        xml = text[text.index("<xml>") :].encode()
        ours = per_call_us(lambda xml=xml: parse_message(xml))
        theirs = per_call_us(lambda xml=xml: wechatpy_parse(xml))
        print(f"{kind:42} {ours:9.1f} {theirs:12.1f} {theirs / ours:6.1f}")
    body = (CALLBACKS / "text.xml").read_bytes()
    print(f"{'DTD prolog check (text message)':42} {per_call_us(lambda: has_dtd(body)):9.2f}")


if __name__ == "__main__":
    main()
