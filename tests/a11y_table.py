"""docs/ACCESSIBILITY.md's table from the files A11Y_RECORD wrote (tests/test_a11y_journeys.py):

    python -m tests.a11y_table before.json after.json

One row per page, role and width: the violations before and after, as "count rule (impact)"."""

import json
import sys
from collections import Counter
from pathlib import Path


def summary(violations: list[dict]) -> str:
    if not violations:
        return "0"
    counts = Counter()
    for v in violations:
        counts[(v["id"], v["impact"])] += len(v["nodes"])
    parts = ", ".join(f"{n} {rule} ({impact})" for (rule, impact), n in sorted(counts.items()))
    return f"{sum(counts.values())}: {parts}"


def rows(path: str) -> dict:
    data = json.loads(Path(path).read_text())
    return {(p["page"], p["role"], p["width"]): p["violations"] for p in data["pages"] if p["width"]}


def main(before_path: str, after_path: str) -> None:
    before, after = rows(before_path), rows(after_path)
    print("| Page | Role | Width | Before | After |")
    print("|---|---|---|---|---|")
    for key in after:
        page, role, width = key
        was = summary(before[key]) if key in before else "not measured"
        print(f"| {page} | {role} | {width} | {was} | {summary(after[key])} |")


if __name__ == "__main__":
    main(*sys.argv[1:3])
