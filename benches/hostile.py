#!/usr/bin/env python3
"""Writes the hostile bundles of issue 17's resource limits (stdlib only).

    python3 benches/hostile.py users   OUT [N]   # N users (default 2,000,000), one access each
    python3 benches/hostile.py rejects OUT [N]   # N rejected rows (default 5,000,000) and 10 good ones
    python3 benches/hostile.py longline OUT [MiB] # access_log.csv.gz holding one line of MiB (default 1024) MiB

Every bundle follows ../shared/data-contract.md: access_log.csv (or .csv.gz),
users.csv and patients.csv, with the columns `ehrwatch simulate` writes.
All values are synthetic and deterministic (no random numbers at all).
Measure a run with:

    /usr/bin/time -f "%e s %M KB" ehrwatch detect --input OUT --out /tmp/o --max-reject-share 1
"""

import gzip
import os
import sys

ACCESS_HEADER = (
    "timestamp,user_id,patient_id,action,data_category,workstation_id,"
    "ip_address,department_id,break_glass,reason,event_id\n"
)
USERS_HEADER = (
    "user_id,first_name,last_name,role,department_id,address,zip,lat,lon,"
    "hire_date,termination_date,patient_id\n"
)
PATIENTS_HEADER = (
    "patient_id,first_name,last_name,birth_date,address,zip,lat,lon,"
    "deceased_date,vip,restricted,sex\n"
)
DEPTS = ["MED", "ED", "CARD", "ONC", "ICU", "SURG", "PEDS", "RAD"]
ACTIONS = ["view", "view", "view", "update", "print"]
CATEGORIES = ["demographics", "notes", "results", "medications", "orders"]
PATIENTS = 20_000


def stamp(i):
    """A timestamp in October 2026, spread over its 30 days."""
    day = 1 + i % 30
    sec = (i * 7919) % 86400
    return "2026-10-%02d %02d:%02d:%02d" % (day, sec // 3600, sec // 60 % 60, sec % 60)


def access_row(i, user, patient):
    dept = DEPTS[i % len(DEPTS)]
    return "%s,U%07d,P%07d,%s,%s,WS-%s-%03d,10.%d.%d.%d,%s,false,,A%09d\n" % (
        stamp(i), user, patient, ACTIONS[i % len(ACTIONS)], CATEGORIES[i % len(CATEGORIES)],
        dept, i % 50, i % 200, i // 200 % 250, i % 250, dept, i,
    )


def write_patients(out):
    with open(os.path.join(out, "patients.csv"), "w") as f:
        f.write(PATIENTS_HEADER)
        for p in range(PATIENTS):
            f.write("P%07d,Pat%d,Family%d,19%02d-0%d-1%d,%d Elm St,46%03d,39.7,-86.1,,false,false,%s\n"
                    % (p, p, p % 997, 30 + p % 70, 1 + p % 9, p % 10, p % 900, p % 1000, "MF"[p % 2]))


def write_users(out, n):
    with open(os.path.join(out, "users.csv"), "w") as f:
        f.write(USERS_HEADER)
        for u in range(n):
            f.write("U%07d,First%d,Last%d,nurse,%s,%d Oak Ave,46%03d,39.8,-86.2,2015-01-01,,\n"
                    % (u, u, u % 1999, DEPTS[u % len(DEPTS)], u % 5000, u % 1000))


def users(out, n=2_000_000):
    """n users, each with exactly one access to some patient."""
    os.makedirs(out, exist_ok=True)
    write_patients(out)
    write_users(out, n)
    with open(os.path.join(out, "access_log.csv"), "w") as f:
        f.write(ACCESS_HEADER)
        for u in range(n):
            f.write(access_row(u, u, u % PATIENTS))


def rejects(out, n=5_000_000):
    """n rows with an unreadable timestamp, after 10 good rows."""
    os.makedirs(out, exist_ok=True)
    write_patients(out)
    write_users(out, 100)
    with open(os.path.join(out, "access_log.csv"), "w") as f:
        f.write(ACCESS_HEADER)
        for i in range(10):
            f.write(access_row(i, i % 100, i))
        for i in range(n):
            f.write("2026-13-%02d 08:00:00,U%07d,P%07d,view,notes,WS-MED-001,10.0.0.1,MED,false,,B%09d\n"
                    % (1 + i % 28, i % 100, i % PATIENTS, i))


def longline(out, mib=1024):
    """access_log.csv.gz: 10 good rows, one line of mib MiB, 10 good rows."""
    os.makedirs(out, exist_ok=True)
    write_patients(out)
    write_users(out, 100)
    with gzip.open(os.path.join(out, "access_log.csv.gz"), "wb", compresslevel=1) as f:
        f.write(ACCESS_HEADER.encode())
        for i in range(10):
            f.write(access_row(i, i % 100, i).encode())
        block = b"x" * (1 << 20)
        f.write(b"2026-10-02 08:00:00,U0000001,P0000001,view,notes,WS,10.0.0.1,MED,false,")
        for _ in range(mib):
            f.write(block)
        f.write(b",L1\n")
        for i in range(10, 20):
            f.write(access_row(i, i % 100, i).encode())


if __name__ == "__main__":
    kinds = {"users": users, "rejects": rejects, "longline": longline}
    if len(sys.argv) < 3 or sys.argv[1] not in kinds:
        sys.exit(__doc__)
    args = [int(a) for a in sys.argv[3:]]
    kinds[sys.argv[1]](sys.argv[2], *args)
