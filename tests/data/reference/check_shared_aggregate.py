#!/usr/bin/env python3
"""`ntp aggregate` against tshark on every capture of ../shared/data/captures/.

For each capture: `ntp aggregate CAPTURE -o TMP.parquet` (1 s intervals), and tshark's
per-second sums from make_reference.per_second (packets, IP size, wire and captured length,
TCP/UDP packets and IP bytes). Every second tshark has must equal ntp's row; every other
row of ntp's series must be empty. Captures without IP packets must make ntp fail with one
line naming the file.

Usage: check_shared_aggregate.py [NTP_BINARY] [SHARED_CAPTURES_DIR]
Needs tshark and polars (pip install polars).
"""
import os
import subprocess
import sys
import tempfile

import polars as pl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_reference import per_second  # noqa: E402

COLS = ["packets", "ip_bytes", "wire_bytes", "captured_bytes",
        "tcp_packets", "tcp_bytes", "udp_packets", "udp_bytes"]


def main():
    ntp = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../target/release/ntp")
    root = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "../../../../shared/data/captures")
    captures = sorted(
        os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if not f.endswith((".tsv", ".md"))
    )
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for cap in captures:
            name = os.path.relpath(cap, root)
            ref = per_second(cap)
            out = os.path.join(tmp, "s.parquet")
            p = subprocess.run([ntp, "aggregate", "-q", cap, "-o", out], capture_output=True, text=True)
            if not ref:
                ok = p.returncode != 0 and len(p.stderr.strip().splitlines()) == 1 and os.path.basename(cap) in p.stderr
                print(("ok  " if ok else "FAIL") + f" {name}: no IP packets -> {p.stderr.strip()}")
                failed += not ok
                continue
            if p.returncode != 0:
                print(f"FAIL {name}: exit {p.returncode}: {p.stderr.strip()}")
                failed += 1
                continue
            df = pl.read_parquet(out)
            secs = (df["timestamp"].dt.epoch("ns") // 1_000_000_000).to_list()
            rows = {s: [df[c][i] for c in COLS] for i, s in enumerate(secs)}
            bad = [s for s in ref if rows.get(s) != ref[s]]
            extra = [s for s, r in rows.items() if s not in ref and any(r)]
            ok = not bad and not extra
            failed += not ok
            print(("ok  " if ok else "FAIL") + f" {name}: {len(ref)} seconds, {sum(r[0] for r in ref.values())} IP packets"
                  + (f"; differing seconds {bad[:3]} e.g. ntp {rows.get(bad[0])} tshark {ref[bad[0]]}" if bad else "")
                  + (f"; non-empty extra seconds {extra[:3]}" if extra else ""))
    print(f"{len(captures) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
