#!/usr/bin/env python3
"""Fails when a notebook is committed with outputs or execution counts.

Outputs of these notebooks show user and patient ids, so they must never be
committed. Usage: python3 notebooks/check_clean.py [NOTEBOOK ...]
(default: every notebooks/*.ipynb). Fix with
jupyter nbconvert --clear-output --inplace notebooks/*.ipynb
"""
import json
import sys
from pathlib import Path


def problems(path: Path) -> list[str]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"cannot read: {e}"]
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("outputs"):
            found.append(f"cell {i} has outputs")
        if cell.get("execution_count") is not None:
            found.append(f"cell {i} has an execution count")
        if cell.get("cell_type") != "code" and cell.get("attachments"):
            found.append(f"cell {i} has attachments")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(Path(__file__).resolve().parent.glob("*.ipynb"))
    bad = 0
    for path in paths:
        for p in problems(path):
            print(f"{path}: {p}", file=sys.stderr)
            bad += 1
    if bad:
        print("clear them: jupyter nbconvert --clear-output --inplace notebooks/*.ipynb", file=sys.stderr)
        return 1
    print(f"notebooks clean: {len(paths)} checked")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
