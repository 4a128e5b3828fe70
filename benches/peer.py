"""The Python peer: what an analyst builds instead of ehrwatch.

pandas per-user features (events, distinct patients, after-hours share,
exports, distinct workstations) and a PyOD IsolationForest over them,
reading the same access log `ehrwatch detect` reads: a bundle folder's
`access_log/*.parquet`, `access_log.parquet` or `access_log.csv`.

Usage (inside the venv benches/pipeline.sh builds from
benches/requirements.txt):

    python benches/peer.py BUNDLE OUT_DIR

Writes OUT_DIR/user_scores.csv (one row per user: the features, the
outlier score and the 0/1 label, highest score first) and prints one JSON
line: seconds, users, events. The same seed gives the same scores.

    python benches/peer.py --one-file BUNDLE OUT_BUNDLE

Writes BUNDLE's access log as one Parquet file, OUT_BUNDLE/access_log.parquet
(row groups of 1 Mi rows, dictionary pages, as pyarrow writes by default),
and links the small tables next to it: the "one large file" input of the
benches.
"""

import json
import sys
import time
from pathlib import Path

# Read only what the features need (projection, as ehrwatch does).
COLUMNS = ["timestamp", "user_id", "patient_id", "action", "workstation_id"]
# After hours: before 07:00 or from 19:00 on, or on a weekend, local time
# (the bundle's naive timestamps are the hospital's wall clock).
DAY_START, DAY_END = 7, 19
SEED = 7


def read_log(bundle: Path):
    import pandas as pd

    folder = bundle / "access_log"
    if folder.is_dir():
        return pd.read_parquet(folder, columns=COLUMNS)
    if (bundle / "access_log.parquet").is_file():
        return pd.read_parquet(bundle / "access_log.parquet", columns=COLUMNS)
    # The pyarrow engine: multi-threaded, what an analyst who cares about
    # speed picks (the default C engine is about three times slower here).
    return pd.read_csv(bundle / "access_log.csv", usecols=COLUMNS, engine="pyarrow")


def features(log):
    import pandas as pd

    # The format the bundle's exports use, given: parsing is 1.6x slower
    # when pandas has to infer it (pandas 3.1, 11.7 M rows).
    ts = pd.to_datetime(log["timestamp"], format="%Y-%m-%d %H:%M:%S")
    hour = ts.dt.hour
    after_hours = (hour < DAY_START) | (hour >= DAY_END) | (ts.dt.day_of_week >= 5)
    frame = pd.DataFrame(
        {
            "user_id": log["user_id"],
            "patient_id": log["patient_id"],
            "workstation_id": log["workstation_id"],
            "after_hours": after_hours,
            "export": log["action"].str.lower() == "export",
        }
    )
    by_user = frame.groupby("user_id", sort=True)
    return pd.DataFrame(
        {
            "events": by_user.size(),
            "distinct_patients": by_user["patient_id"].nunique(),
            "after_hours_share": by_user["after_hours"].mean(),
            "exports": by_user["export"].sum(),
            "distinct_workstations": by_user["workstation_id"].nunique(),
        }
    )


def score(feats):
    from pyod.models.iforest import IForest

    model = IForest(n_estimators=200, contamination=0.01, random_state=SEED)
    x = feats.to_numpy(dtype="float64")
    model.fit(x)
    out = feats.copy()
    out["score"] = model.decision_scores_
    out["outlier"] = model.labels_
    return out.sort_values(["score"], ascending=False, kind="stable")


def one_file(bundle: Path, out: Path):
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    table = ds.dataset(bundle / "access_log", format="parquet").to_table()
    pq.write_table(table, out / "access_log.parquet", row_group_size=1 << 20)
    for f in bundle.iterdir():
        if f.is_file() and f.suffix == ".csv" and not (out / f.name).exists():
            (out / f.name).symlink_to(f.resolve())


def main(argv):
    if len(argv) == 3 and argv[0] == "--one-file":
        one_file(Path(argv[1]), Path(argv[2]))
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 1
    bundle, out = Path(argv[0]), Path(argv[1])
    started = time.perf_counter()
    log = read_log(bundle)
    events = len(log)
    scored = score(features(log))
    out.mkdir(parents=True, exist_ok=True)
    scored.to_csv(out / "user_scores.csv")
    seconds = time.perf_counter() - started
    print(json.dumps({"peer_seconds": round(seconds, 3), "users": len(scored), "events": events}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
