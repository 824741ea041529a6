"""`python -m bot.understand`: one message per line on stdin, one JSON object per line on stdout."""

from __future__ import annotations

import json
import sys

from bot.conversation.classifier import asked_examples
from bot.conversation.nlu import Understander
from knowledge_base import build_index_from_files


def main() -> int:
    understander = Understander(build_index_from_files(asked_examples()))
    for line in sys.stdin:
        # One output line per input line, blank ones included, so outputs stay aligned with inputs.
        text = line.rstrip("\r\n")
        print(json.dumps(understander.understand(text).as_json(), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
