"""Prints the table of benches/quality.sh from its manifest (standard library only).

The manifest holds one line per run: MODE SEED USERS DAYS VARIANT JSON_FILE, where
VARIANT is `main` (the mode's own export) or `clean-export` (a real world exported
clean, only for the alert ratio), and JSON_FILE holds the last line of `ehrwatch
evaluate`. Output holds scenario names and numbers only.
"""

import json
import sys
import textwrap
from collections import defaultdict

# (header, key, width, format, worse): worse is min or max, for the "worst" row.
COLUMNS = [
    ("K", "k", 5, "d", None),
    ("recall@K", "incident_recall_at_k", 9, ".3f", min),
    ("P@K", "precision_at_k", 6, ".3f", min),
    ("caseP@K", "case_precision_at_k", 8, ".3f", min),
    ("AP", "average_precision", 6, ".3f", min),
    ("look@K", "lookalike_alerts_at_k", 7, "d", max),
    ("alerts", "alerts", 7, "d", max),
    ("/1k u/day", "alerts_per_1000_users_per_day", 10, ".2f", max),
]


def cell(value, width, fmt):
    if value is None:
        return f"{'-':>{width}}"
    if fmt == "d":
        return f"{int(round(value)):>{width}d}"
    return f"{value:>{width}{fmt}}"


def row(label, values, fmts=None):
    out = [f"{label:<24}"]
    for (_, key, width, fmt, _), v in zip(COLUMNS, values):
        if fmts == "float" and fmt == "d":
            fmt = ".1f"
        out.append(cell(v, width, fmt))
    return " ".join(out)


def main(manifest):
    runs = []
    with open(manifest) as f:
        for line in f:
            if not line.strip():
                continue
            mode, seed, users, days, variant, path = line.split()
            with open(path) as j:
                ev = json.loads(j.read().strip().splitlines()[-1])
            runs.append(dict(mode=mode, seed=int(seed), users=int(users), days=int(days), variant=variant, ev=ev))

    modes = list(dict.fromkeys(r["mode"] for r in runs))
    header = f"{'mode / world':<24} " + " ".join(f"{h:>{w}}" for h, _, w, _, _ in COLUMNS)
    print(header)
    print("-" * len(header))
    legend = (
        "recall@K: incidents found in the top K / incidents; P@K: top-K alerts hitting a label / K; "
        "caseP@K: the same, one credit per (case, incident), at most incidents / K; AP: average precision; "
        "look@K: top-K alerts hitting a look-alike; /1k u/day: alerts per 1,000 users per day"
    )
    for mode in modes:
        main_runs = [r for r in runs if r["mode"] == mode and r["variant"] == "main"]
        for r in main_runs:
            label = f"{mode} s{r['seed']} {r['users']}x{r['days']}d"
            print(row(label, [r["ev"].get(key) for _, key, _, _, _ in COLUMNS]))
        means, worsts = [], []
        for _, key, _, _, worse in COLUMNS:
            vals = [r["ev"].get(key) for r in main_runs if r["ev"].get(key) is not None]
            means.append(sum(vals) / len(vals) if vals else None)
            worsts.append(worse(vals) if vals and worse else None)
        print(row(f"{mode} mean ({len(main_runs)} worlds)", means, "float"))
        print(row(f"{mode} worst", worsts, "float"))
        print()

    print(textwrap.fill(legend, 100))
    print()
    print("per-scenario incidents found in the top K / incidents, summed over the mode's worlds")
    for mode in modes:
        found, total = defaultdict(int), defaultdict(int)
        for r in runs:
            if r["mode"] != mode or r["variant"] != "main":
                continue
            for name, s in r["ev"].get("scenarios", {}).items():
                found[name] += s["incidents_hit_at_k"]
                total[name] += s["incidents"]
        cells = [f"{name} {found[name]}/{total[name]}" for name in sorted(total)]
        print(f"  {mode}:")
        for i in range(0, len(cells), 4):
            print("    " + "  ".join(f"{c:<28}" for c in cells[i : i + 4]).rstrip())
    print()

    if "real" in modes:
        print("alerts of a real world (hr export) / alerts of the same world exported clean")
        clean_export = {r["seed"]: r for r in runs if r["mode"] == "real" and r["variant"] == "clean-export"}
        for r in runs:
            if r["mode"] != "real" or r["variant"] != "main":
                continue
            c = clean_export.get(r["seed"])
            if c is None or c["ev"]["alerts"] == 0:
                ratio = "-"
            else:
                ratio = f"{r['ev']['alerts'] / c['ev']['alerts']:.2f}"
            other = c["ev"]["alerts"] if c else "-"
            print(f"  real s{r['seed']} {r['users']}x{r['days']}d: {r['ev']['alerts']} / {other} = {ratio}")


if __name__ == "__main__":
    main(sys.argv[1])
