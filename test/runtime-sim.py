#!/usr/bin/env python3
"""Stands in for the Kata runtime in the concurrency test: takes and releases
flock(2) on sandbox lock files the way virtcontainers/store does (blocking
LOCK_EX), holds it a few milliseconds, and checks that nobody removed the
sandbox while it held the lock. An independent flock(2) implementation from
vcstore's. Prints one JSON line: {"takes": N, "violations": [...]}.
"""
import fcntl, json, os, random, sys, time

prefix, seconds = sys.argv[1], float(sys.argv[2])
sids = sys.argv[3:]
run = os.path.join(prefix, "run/vc/sbs")
cfg = os.path.join(prefix, "var/lib/vc/sbs")
takes, violations = 0, []
end = time.time() + seconds
while time.time() < end:
    sid = random.choice(sids)
    try:
        fd = os.open(os.path.join(run, sid, "lock"), os.O_RDONLY)
    except FileNotFoundError:
        continue
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        takes += 1
        present = os.path.isdir(os.path.join(run, sid)) and os.path.isdir(os.path.join(cfg, sid))
        time.sleep(random.uniform(0.002, 0.02))
        if present and not (os.path.isdir(os.path.join(run, sid)) and os.path.isdir(os.path.join(cfg, sid))):
            violations.append(sid)
    finally:
        os.close(fd)  # releases the lock
print(json.dumps({"takes": takes, "violations": violations}))
