"""`python -m bot.understand`: one message per line on stdin, one JSON object per line on stdout."""

from __future__ import annotations

import json
import sys

from bot.nlu import Understander
from knowledge_base import build_index_from_files


def main() -> int:
    understander = Understander(build_index_from_files())
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        print(json.dumps(understander.understand(text).as_json(), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
