#!/usr/bin/env python3
"""ntp across a cluster, with Spark as the engine.

Spark schedules one task per capture; each task runs the ntp binary on its capture (the
binary is shipped with the job by `SparkContext.addFile`, or found on the workers with
`--ntp-on-workers`). Nothing here schedules, retries or balances work: Spark does.

    # series: one table per capture, and the captures joined into one series
    spark-submit benches/spark/ntp_spark.py aggregate --ntp target/release/ntp \
        --out /shared/series CAPTURE...
    # per-packet dataset partitioned by day, on a file system every worker sees
    spark-submit benches/spark/ntp_spark.py preprocess --ntp target/release/ntp \
        --out /shared/packets CAPTURE...

Captures are paths every worker can open (a shared or distributed file system mounted on
the workers). `aggregate` tasks send their small series tables back to the driver, which
writes them under `OUT/series/` (byte for byte what `ntp aggregate` writes on one machine)
and joins them with Spark into `OUT/joined/`. `preprocess` tasks write their per-packet
files straight into `OUT/date=YYYY-MM-DD/` (hive-style), read back with
`spark.read.parquet(OUT)`. Both write time stamps in microseconds: Spark has no nanosecond
timestamp type and refuses Parquet TIMESTAMP(NANOS).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

from pyspark import SparkFiles
from pyspark.sql import SparkSession, functions as F

# The sum columns of a series table; the distinct counts cannot be summed across captures.
SUMS = [
    "ip_bytes", "wire_bytes", "captured_bytes", "packets", "tcp_bytes", "tcp_packets",
    "udp_bytes", "udp_packets", "other_bytes", "other_packets", "ipv6_bytes",
    "ipv6_packets", "non_ip_frames",
]
DISTINCT = ["sources", "destinations", "flows"]


def ntp_exe(ship):
    """The ntp binary inside a task: the shipped copy, or the workers' own."""
    if ship:
        exe = SparkFiles.get("ntp")
        os.chmod(exe, 0o755)
        return exe
    return "ntp"


def aggregate_task(ship, every, threads):
    def task(capture):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [ntp_exe(ship), "aggregate", capture, "-o", tmp + "/", "--every", every,
                   "--timestamp-unit", "us", "-j", str(threads), "-q"]
            p = subprocess.run(cmd, capture_output=True, text=True)
            files = {}
            for name in sorted(os.listdir(tmp)):
                if not name.startswith("."):
                    with open(os.path.join(tmp, name), "rb") as f:
                        files[name] = f.read()
            return capture, p.returncode, p.stderr.strip(), files
    return task


def preprocess_task(ship, out, threads):
    def task(capture):
        cmd = [ntp_exe(ship), "preprocess", capture, "-o", out.rstrip("/") + "/",
               "--partition", "day", "--timestamp-unit", "us", "-j", str(threads), "-q"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        return capture, p.returncode, p.stderr.strip()
    return task


def session(app):
    spark = (SparkSession.builder.appName(app)
             .config("spark.ui.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def ship(spark, ntp):
    """Ships the binary (unless the workers have their own) and this module (its task
    functions are imported on the workers when the driver imported it)."""
    if __name__ != "__main__" and not getattr(ship, "done", False):
        spark.sparkContext.addPyFile(os.path.abspath(__file__))
        ship.done = True
    if ntp:
        spark.sparkContext.addFile(os.path.abspath(ntp))
    return bool(ntp)


def distributed_aggregate(spark, ntp, captures, out, every="1s", threads=1):
    """One `ntp aggregate` task per capture; writes OUT/series/{stem}.series.parquet and
    .sizes.parquet. Returns [(capture, exit code, stderr, [files written])]."""
    shipped = ship(spark, ntp)
    rdd = spark.sparkContext.parallelize(captures, len(captures))
    results = rdd.map(aggregate_task(shipped, every, threads)).collect()
    series_dir = os.path.join(out, "series")
    os.makedirs(series_dir, exist_ok=True)
    report = []
    seen = set()
    for capture, code, stderr, files in results:
        written = []
        for name, data in files.items():
            if name in seen:  # two captures with one stem: keep both, as ntp -o DIR/ does
                stem, rest = name.split(".", 1)
                n = 2
                while f"{stem}-{n}.{rest}" in seen:
                    n += 1
                name = f"{stem}-{n}.{rest}"
            seen.add(name)
            path = os.path.join(series_dir, name)
            tmp = os.path.join(series_dir, "." + name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
            written.append(path)
        report.append((capture, code, stderr, written))
    return report


def join(spark, series_dir, every_us, out):
    """The series tables of `series_dir` as one series: sums added interval by interval,
    intervals between the first and the last zero-filled. A distinct count is kept where
    one capture covers the interval and null where several do (counting those needs the
    packets: `ntp aggregate -o FILE.parquet` on the captures)."""
    tables = spark.read.parquet(os.path.join(series_dir, "*.series.parquet"))
    t = tables.withColumn("k", F.unix_micros("timestamp"))
    summed = t.groupBy("k").agg(
        *[F.sum(F.col(c).cast("long")).alias(c) for c in SUMS],
        *[F.when(F.count(F.lit(1)) == 1, F.first(F.col(c).cast("long"))).alias(c)
          for c in DISTINCT],
    )
    span = summed.agg(F.min("k").alias("lo"), F.max("k").alias("hi"))
    grid = span.select(F.explode(F.sequence("lo", "hi", F.lit(every_us))).alias("k"))
    joined = (grid.join(summed, "k", "left")
              .select(F.timestamp_micros("k").alias("timestamp"),
                      *[F.coalesce(F.col(c), F.lit(0)).alias(c) for c in SUMS],
                      *[F.when(F.col("ip_bytes").isNull(), F.lit(0))
                        .otherwise(F.col(c)).alias(c) for c in DISTINCT])
              .orderBy("timestamp"))
    joined.coalesce(1).write.mode("overwrite").parquet(out)
    return joined


def distributed_preprocess(spark, ntp, captures, out, threads=1):
    shipped = ship(spark, ntp)
    rdd = spark.sparkContext.parallelize(captures, len(captures))
    return rdd.map(preprocess_task(shipped, out, threads)).collect()


def micros(every):
    """`--every` (as ntp spells it: 1s, 500ms, 5m, …) in microseconds, or None."""
    m = re.fullmatch(r"(\d+)(us|ms|s|m|h|d)", every)
    if not m:
        return None
    scale = dict(us=1, ms=1_000, s=1_000_000, m=60_000_000, h=3_600_000_000,
                 d=86_400_000_000)
    return int(m.group(1)) * scale[m.group(2)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["aggregate", "preprocess"])
    ap.add_argument("captures", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--ntp", help="the ntp binary to ship with the job")
    ap.add_argument("--ntp-on-workers", action="store_true",
                    help="use `ntp` from the workers' PATH instead of shipping one")
    ap.add_argument("--every", default="1s")
    ap.add_argument("-j", "--threads", type=int, default=1,
                    help="threads per ntp task (Spark already runs a task per core)")
    a = ap.parse_args()
    if not a.ntp and not a.ntp_on_workers:
        ap.error("give --ntp PATH (shipped with the job) or --ntp-on-workers")
    spark = session(f"ntp {a.command}")
    started = time.time()
    failed = 0
    if a.command == "aggregate":
        for capture, code, stderr, written in distributed_aggregate(
                spark, a.ntp, a.captures, a.out, a.every, a.threads):
            failed += code != 0
            print(f"{capture}: exit {code}" + (f": {stderr}" if stderr else ""), file=sys.stderr)
        every_us = micros(a.every)
        if every_us is None:
            print(f"join skipped: --every {a.every} is not whole microseconds", file=sys.stderr)
        elif failed < len(a.captures):
            join(spark, os.path.join(a.out, "series"), every_us, os.path.join(a.out, "joined"))
    else:
        for capture, code, stderr in distributed_preprocess(
                spark, a.ntp, a.captures, a.out, a.threads):
            failed += code != 0
            print(f"{capture}: exit {code}" + (f": {stderr}" if stderr else ""), file=sys.stderr)
    print(f"{len(a.captures)} captures, {failed} failed, {time.time() - started:.1f} s", file=sys.stderr)
    spark.stop()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
