#!/usr/bin/env python3
"""Writes an access log in the Common and Combined Log Formats (with the oddities real logs
have: several UTC offsets, a byte count of "-", quotes inside a request, lines out of order,
malformed lines) and, parsed independently here with Python's re and datetime, its counts
per minute: requests, bytes, distinct hosts, 4xx and 5xx responses.

    python3 tests/data/access/reference.py   # writes sample.log and sample.reference.csv
"""
import datetime as dt
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(7)

hosts = [f"host{i}.example.net" for i in range(40)] + [f"192.0.2.{i}" for i in range(20)]
paths = ["/", "/images/logo.gif", "/history/apollo/", "/shuttle/countdown/", "/cgi-bin/imagemap"]
zones = [dt.timezone(dt.timedelta(hours=-4)), dt.timezone(dt.timedelta(hours=-5)),
         dt.timezone(dt.timedelta(hours=2)), dt.timezone.utc]
start = dt.datetime(1995, 7, 1, 4, 0, 0, tzinfo=dt.timezone.utc)

lines = []
t = start
for i in range(1500):
    t += dt.timedelta(seconds=rng.choice([0, 1, 2, 3, 5, 8, 13]))
    zone = zones[(i // 200) % len(zones)]
    stamp = t.astimezone(zone).strftime("%d/%b/%Y:%H:%M:%S %z")
    host = rng.choice(hosts)
    status = rng.choices([200, 304, 404, 403, 500, 503], [70, 10, 10, 3, 4, 3])[0]
    size = "-" if status in (304, 404) and rng.random() < 0.7 else str(rng.randint(0, 60000))
    path = rng.choice(paths)
    if i % 97 == 0:
        path += '"odd'  # a quote inside the request, as NASA's log has
    request = f"GET {path} HTTP/1.0"
    line = f'{host} - - [{stamp}] "{request}" {status} {size}'
    if i % 3 == 0:
        line += f' "http://example.org/{i}" "Mozilla/4.0 (compatible)"'
    lines.append(line)
# A few lines out of order, and lines that are not log lines.
for i in range(100, 1500, 250):
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
for i in range(50, 1500, 300):
    lines.insert(i, "this is not a log line")
lines.insert(700, 'host0 - - [01/Jul/1995:04:30:00] "GET / HTTP/1.0" 200 10')  # no offset

with open(os.path.join(HERE, "sample.log"), "w") as f:
    f.write("\n".join(lines) + "\n")

# The reference, by a parser of its own.
pattern = re.compile(r'^(\S+) \S+ \S+ \[([^\]]+)\] "(.*)" (\d{3}) (\d+|-)( ".*" ".*")?$')
counts = {}
for line in lines:
    m = pattern.match(line)
    if not m:
        continue
    try:
        when = dt.datetime.strptime(m.group(2), "%d/%b/%Y:%H:%M:%S %z")
    except ValueError:
        continue
    minute = int(when.timestamp()) // 60 * 60
    c = counts.setdefault(minute, [0, 0, set(), 0, 0])
    c[0] += 1
    c[1] += 0 if m.group(5) == "-" else int(m.group(5))
    c[2].add(m.group(1))
    status = int(m.group(4))
    c[3] += 400 <= status < 500
    c[4] += 500 <= status < 600
lo, hi = min(counts), max(counts)
with open(os.path.join(HERE, "sample.reference.csv"), "w") as f:
    f.write("epoch_s,requests,bytes,hosts,status_4xx,status_5xx\n")
    for minute in range(lo, hi + 60, 60):
        c = counts.get(minute, [0, 0, set(), 0, 0])
        f.write(f"{minute},{c[0]},{c[1]},{len(c[2])},{int(c[3])},{int(c[4])}\n")
