#!/usr/bin/env python3
"""Per-second traffic features of ntp's test fixtures, computed from tshark's (Wireshark's)
fields: the reference for the series-table columns of `ntp aggregate` added for traffic
research, its heavy-hitter table and `--dedup`.

For every IP packet tshark dissects (its outermost IPv4 or IPv6 layer; IP defragmentation
off), in the Unix second of frame.time_epoch:
  size        ip.len, or ipv6.plen + 40
  transport   the layer right after that IP layer in frame.protocols (IPv6 extension
              headers skipped): tcp, udp, icmp, icmpv6, ...
  addresses   ip.src/ip.dst (or ipv6.src/ipv6.dst) of that layer
  ports       tcp.srcport/dstport or udp.srcport/dstport, when the transport is tcp or udp
  flags       tcp.flags, when the transport is tcp
Columns (one row per second with IP packets):
  src_addr_entropy, dst_addr_entropy   Shannon entropy in bits, packet-weighted
  src_port_entropy, dst_port_entropy   the same over the packets with ports
  tcp_syn (SYN without ACK), tcp_synack, tcp_fin, tcp_rst
  icmp_packets, icmp_bytes             transport icmp or icmpv6
  size_p50, size_p95, size_max         numpy's 'lower' quantile: sorted[floor(q (n-1))]
Heavy hitters (`{capture}.top.csv`): per second, the top 10 sources, destinations and
destination ports by bytes and by packets; ties broken by key (IPv4 before IPv6, numeric);
share = the key's measure / the field's total in that second.
Deduplication (`{capture}.dedup5.csv`): `editcap -D 5` then the per-second packets and IP
bytes of what it kept, with the number it skipped on the first line.

Usage: make_features.py CAPTURE... [-o DIR]   (tshark and editcap on PATH; Debian: tshark)
"""
import argparse
import collections
import ipaddress
import math
import os
import re
import subprocess
import sys
import tempfile

FIELDS = ["frame.time_epoch", "frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "ip.len", "ipv6.plen", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
          "tcp.flags"]
K = 10


def packets(path):
    cmd = ["tshark", "-n", "-r", path, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True).stdout
    for line in out.splitlines():
        p = line.split("\t")
        if len(p) < len(FIELDS):
            continue
        epoch, protocols, s4, d4, s6, d6, ip_len, plen, tsp, tdp, usp, udp_, flags = p[:len(FIELDS)]
        layers = protocols.split(":")
        at = next((i for i, l in enumerate(layers) if l in ("ip", "ipv6")), None)
        if at is None:
            continue
        outer = layers[at]
        after = [l for l in layers[at + 1:] if not l.startswith("ipv6.")]
        transport = after[0] if after else ""
        if outer == "ip" and ip_len:
            size, src, dst = int(ip_len), ipaddress.ip_address(s4), ipaddress.ip_address(d4)
        elif outer == "ipv6" and plen:
            size, src, dst = int(plen) + 40, ipaddress.ip_address(s6), ipaddress.ip_address(d6)
        else:
            continue
        ports = None
        if transport == "tcp" and tsp and tdp:
            ports = (int(tsp), int(tdp))
        elif transport == "udp" and usp and udp_:
            ports = (int(usp), int(udp_))
        f = int(flags, 16) if (transport == "tcp" and flags) else None
        yield int(epoch.split(".")[0]), size, transport, src, dst, ports, f


def entropy(counts):
    n = sum(counts)
    if n == 0:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in counts if c)


def lower(sorted_sizes, q):
    return sorted_sizes[math.floor(q * (len(sorted_sizes) - 1))]


def key_order(k):
    if isinstance(k, int):
        return (2, k)
    return (k.version, int(k))


def features(pkts):
    by_second = collections.defaultdict(list)
    for p in pkts:
        by_second[p[0]].append(p)
    rows, top = {}, []
    for second in sorted(by_second):
        ps = by_second[second]
        src = collections.Counter(p[3] for p in ps)
        dst = collections.Counter(p[4] for p in ps)
        sport = collections.Counter(p[5][0] for p in ps if p[5])
        dport = collections.Counter(p[5][1] for p in ps if p[5])
        fl = [p[6] for p in ps if p[6] is not None]
        icmp = [p for p in ps if p[2] in ("icmp", "icmpv6")]
        sizes = sorted(p[1] for p in ps)
        rows[second] = [
            entropy(src.values()), entropy(dst.values()), entropy(sport.values()), entropy(dport.values()),
            sum(1 for f in fl if f & 0x02 and not f & 0x10), sum(1 for f in fl if f & 0x02 and f & 0x10),
            sum(1 for f in fl if f & 0x01), sum(1 for f in fl if f & 0x04),
            len(icmp), sum(p[1] for p in icmp),
            lower(sizes, 0.5), lower(sizes, 0.95), sizes[-1],
        ]
        fields = [("source", lambda p: p[3], ps), ("destination", lambda p: p[4], ps),
                  ("dst_port", lambda p: p[5][1], [p for p in ps if p[5]])]
        for name, key, members in fields:
            tally = collections.defaultdict(lambda: [0, 0])
            for p in members:
                t = tally[key(p)]
                t[0] += 1
                t[1] += p[1]
            for by, i in (("bytes", 1), ("packets", 0)):
                total = sum(t[i] for t in tally.values())
                ranked = sorted(tally.items(), key=lambda kv: (-kv[1][i], key_order(kv[0])))[:K]
                for rank, (k, t) in enumerate(ranked, 1):
                    share = t[i] / total if total else 0.0
                    top.append((second, name, by, rank, str(k), t[0], t[1], share))
    return rows, top


HEADER = ("second,src_addr_entropy,dst_addr_entropy,src_port_entropy,dst_port_entropy,"
          "tcp_syn,tcp_synack,tcp_fin,tcp_rst,icmp_packets,icmp_bytes,size_p50,size_p95,size_max")


def dedup(path):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "dedup.pcap")
        r = subprocess.run(["editcap", "-D", "5", path, out], capture_output=True, text=True, check=True)
        found = re.search(r"(\d+) packets? skipped", r.stderr)
        skipped = int(found.group(1)) if found else 0
        per = collections.defaultdict(lambda: [0, 0])
        for p in packets(out):
            per[p[0]][0] += 1
            per[p[0]][1] += p[1]
        return skipped, per


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("captures", nargs="+")
    ap.add_argument("-o", "--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    for cap in args.captures:
        name = os.path.basename(cap)
        rows, top = features(packets(cap))
        with open(os.path.join(args.out, name + ".features.csv"), "w") as f:
            f.write(HEADER + "\n")
            for s in sorted(rows):
                f.write(",".join([str(s)] + [repr(v) if isinstance(v, float) else str(v) for v in rows[s]]) + "\n")
        with open(os.path.join(args.out, name + ".top.csv"), "w") as f:
            f.write("second,field,by,rank,key,packets,bytes,share\n")
            for t in top:
                f.write(",".join(str(v) if not isinstance(v, float) else repr(v) for v in t) + "\n")
        skipped, per = dedup(cap)
        with open(os.path.join(args.out, name + ".dedup5.csv"), "w") as f:
            f.write("skipped,%d\nsecond,packets,size_bytes\n" % skipped)
            for s in sorted(per):
                f.write("%d,%d,%d\n" % (s, per[s][0], per[s][1]))
        print("%s: %d seconds, %d top rows, %d duplicates" % (name, len(rows), len(top), skipped), file=sys.stderr)


if __name__ == "__main__":
    main()
