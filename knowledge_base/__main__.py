"""`python -m knowledge_base validate|export|import`: maintain the service-item files.

python -m knowledge_base validate              check every file in knowledge_base/data/items
python -m knowledge_base export items.xlsx     write all items to .csv, .xlsx or .json
python -m knowledge_base import items.xlsx     check a .csv/.xlsx/.json and write valid rows as item files
python -m knowledge_base review                what each department has signed off (review status per item)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from knowledge_base.catalog import (
    ITEMS_DIR,
    export_items,
    import_items,
    load_items,
    near_duplicate_answers,
    save_item,
    sibling_contradictions,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge_base", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check every item file against the schema")
    v.add_argument("--dir", type=Path, default=ITEMS_DIR)
    e = sub.add_parser("export", help="export all items to CSV, XLSX or JSON")
    e.add_argument("file", type=Path)
    i = sub.add_parser("import", help="import items from CSV, XLSX or JSON")
    i.add_argument("file", type=Path)
    i.add_argument("--dry-run", action="store_true", help="only report problems")
    i.add_argument("--dir", type=Path, default=ITEMS_DIR)
    r = sub.add_parser("review", help="review status per department: reviewed (by whom, when) or draft")
    r.add_argument("--dir", type=Path, default=ITEMS_DIR)
    args = parser.parse_args(argv)

    if args.command == "review":
        items, problems = load_items(args.dir)
        for line in review_report(items):
            print(line)
        return 1 if problems else 0

    if args.command == "validate":
        items, problems = load_items(args.dir)
        problems += near_duplicate_answers(items) + sibling_contradictions(items)
        for p in problems:
            print(p)
        print(f"{len(items)} valid items, {len(problems)} problems")
        return 1 if problems else 0
    if args.command == "export":
        items, problems = load_items()
        if problems:
            print(f"refusing to export: {len(problems)} problems; run validate", file=sys.stderr)
            return 1
        export_items(items, args.file)
        print(f"exported {len(items)} items to {args.file}")
        return 0
    items, problems = import_items(args.file)
    for p in problems:
        print(p)
    if not args.dry_run:
        for item in items:
            save_item(item, args.dir)
    verb = "checked" if args.dry_run else "imported"
    print(f"{verb} {len(items)} items, {len(problems)} problems")
    return 1 if problems else 0


def review_report(items: list[dict]) -> list[str]:
    """One line per department: how many items are reviewed, then each reviewed item with reviewer and date."""
    lines, by_department = [], {}
    for item in items:
        by_department.setdefault(item["department"], []).append(item)
    for department, group in sorted(by_department.items()):
        done = [i for i in group if i["review"]["status"] == "reviewed"]
        lines.append(f"{department}: {len(done)}/{len(group)} reviewed")
        lines += [f"  {i['code']} {i['name']}: {i['review']['reviewer']} {i['review']['date']}" for i in done]
    total = sum(i["review"]["status"] == "reviewed" for i in items)
    lines.append(f"{total} of {len(items)} items reviewed, {len(items) - total} draft")
    return lines


if __name__ == "__main__":
    sys.exit(main())
