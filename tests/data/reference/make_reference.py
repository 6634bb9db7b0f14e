#!/usr/bin/env python3
"""Per-second reference sums for ntp's test fixtures, computed by tshark (Wireshark).

For every IP packet tshark dissects (the outermost IPv4 or IPv6 layer of the frame):
  size     = ip.len (IPv4 total length) or ipv6.plen + 40
  wire     = frame.len      (original length on the wire)
  captured = frame.cap_len  (bytes stored in the capture)
grouped by the Unix second of frame.time_epoch (windows [k, k+1), labelled k).
The transport of a packet is the protocol layer tshark lists right after that IP layer
(IPv6 extension headers skipped; IP defragmentation off, so every fragment counts where it
is): `tcp` and `udp` are split out, everything else is "other".

Output: one CSV per capture, `second,packets,size_bytes,wire_bytes,captured_bytes,
tcp_packets,tcp_bytes,udp_packets,udp_bytes` (bytes are the IP sizes above).

Usage: make_reference.py CAPTURE... [-o DIR]   (needs `tshark` on PATH; Debian package tshark)
Also importable: per_second(path) -> dict.
"""
import argparse
import collections
import os
import subprocess
import sys

FIELDS = ["frame.time_epoch", "frame.protocols", "ip.len", "ipv6.plen", "frame.len", "frame.cap_len"]


def per_second(path):
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True).stdout
    rows = collections.defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0, 0])
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) < len(FIELDS):
            continue
        epoch, protocols, ip_len, ipv6_plen, frame_len, cap_len = parts[: len(FIELDS)]
        layers = protocols.split(":")
        at = next((i for i, l in enumerate(layers) if l in ("ip", "ipv6")), None)
        outer = None if at is None else layers[at]
        after = [l for l in layers[at + 1:] if not l.startswith("ipv6.")] if at is not None else []
        transport = after[0] if after else ""
        if outer == "ip" and ip_len:
            size = int(ip_len)
        elif outer == "ipv6" and ipv6_plen:
            size = int(ipv6_plen) + 40
        else:
            continue
        second = int(epoch.split(".")[0])
        r = rows[second]
        r[0] += 1
        r[1] += size
        r[2] += int(frame_len)
        r[3] += int(cap_len)
        if transport == "tcp":
            r[4] += 1
            r[5] += size
        elif transport == "udp":
            r[6] += 1
            r[7] += size
    return dict(rows)


def write_csv(rows, dest):
    with open(dest, "w") as f:
        f.write("second,packets,size_bytes,wire_bytes,captured_bytes,tcp_packets,tcp_bytes,udp_packets,udp_bytes\n")
        for second in sorted(rows):
            f.write(",".join(str(v) for v in (second, *rows[second])) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("captures", nargs="+")
    ap.add_argument("-o", "--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    for cap in args.captures:
        name = os.path.basename(cap)
        rows = per_second(cap)
        dest = os.path.join(args.out, name + ".tshark.csv")
        write_csv(rows, dest)
        print("%s: %d seconds, %d IP packets" % (dest, len(rows), sum(r[0] for r in rows.values())), file=sys.stderr)


if __name__ == "__main__":
    main()
