#!/usr/bin/env python3
"""Checks ntp's datasets in Spark and DuckDB, and ntp distributed by Spark (local[2]).

Run by hand, not in CI (it needs a JVM):

    apt-get install default-jre-headless && pip install pyspark duckdb polars
    cargo build --release
    python3 benches/spark/check.py                       # captures of ../shared
    python3 benches/spark/check.py --trace BIG.pcap --parts 8   # + timing on a big trace

What it shows, each step printed with its outcome (exit 1 if any fails):
1. Spark reads every Parquet ntp writes with --timestamp-unit us (per-packet table, day
   partitions, series table, size histogram) without legacy flags; the ns files are the
   ones it refuses (PARQUET_TYPE_ILLEGAL), which is why the flag exists.
2. `ntp aggregate` run in Spark tasks over every shared capture gives files byte-equal to
   a plain loop of `ntp aggregate` over the same captures (and the same failures); wall
   time of both.
3. Parts of one capture, aggregated in Spark tasks and joined with Spark, equal
   `ntp aggregate PARTS -o joined.parquet` in every sum column, interval by interval.
4. `ntp preprocess --partition day` in Spark tasks gives one hive dataset that Spark and
   DuckDB read with every row.
5. The per-second series of the README's Spark SQL and DuckDB SQL on the per-packet table
   equal ntp's series on the bundled sample and on a shared capture.
"""

import argparse
import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import duckdb
import polars as pl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ntp_spark  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, "tests/data/lan-broadcast-28min-ns.pcapng")

# The README's queries, verbatim: per-second bytes and packets of a per-packet table,
# seconds without packets as zeros.
SPARK_SQL = """
WITH per_second AS (
  SELECT unix_micros(Timestamp) div 1000000 AS second,
         sum(`Size (bytes)`) AS bytes, count(*) AS packets
  FROM packets GROUP BY 1),
grid AS (
  SELECT explode(sequence(min(second), max(second))) AS second FROM per_second)
SELECT timestamp_seconds(grid.second) AS timestamp, grid.second,
       coalesce(bytes, 0) AS bytes, coalesce(packets, 0) AS packets
FROM grid LEFT JOIN per_second USING (second)
ORDER BY grid.second
"""

DUCKDB_SQL = """
WITH per_second AS (
  SELECT epoch_ns("Timestamp") // 1000000000 AS second,
         sum("Size (bytes)") AS bytes, count(*) AS packets
  FROM read_parquet('{path}') GROUP BY 1),
grid AS (
  SELECT unnest(generate_series(min(second), max(second))) AS second FROM per_second)
SELECT to_timestamp(grid.second) AS timestamp, grid.second,
       coalesce(bytes, 0) AS bytes, coalesce(packets, 0) AS packets
FROM grid LEFT JOIN per_second USING (second)
ORDER BY grid.second
"""

failures = []


def check(ok, what):
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        failures.append(what)


def ntp(exe, *args):
    return subprocess.run([exe, *args], capture_output=True, text=True)


def ntp_series(path):
    """(second, ip_bytes, packets) rows of a series table of 1 s intervals."""
    df = pl.read_parquet(path)
    return list(zip(df["timestamp"].dt.epoch("s").to_list(), df["ip_bytes"].to_list(),
                    df["packets"].to_list()))


def split_pcap(src, dest_dir, parts):
    """Classic pcap → `parts` files of consecutive records (same header)."""
    with open(src, "rb") as f:
        data = f.read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    offsets, pos = [], 24
    while pos + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        if pos + 16 + incl > len(data):
            break
        offsets.append(pos)
        pos += 16 + incl
    offsets.append(pos)
    n = len(offsets) - 1
    os.makedirs(dest_dir, exist_ok=True)
    stem = os.path.basename(src).split(".")[0]
    paths = []
    for i in range(parts):
        a, b = offsets[i * n // parts], offsets[(i + 1) * n // parts]
        p = os.path.join(dest_dir, f"{stem}-part{i + 1}.pcap")
        with open(p, "wb") as f:
            f.write(data[:24] + data[a:b])
        paths.append(p)
    return paths


def loop_aggregate(exe, captures, out):
    started = time.time()
    codes = [ntp(exe, "aggregate", c, "-o", out + "/", "--timestamp-unit", "us", "-q").returncode
             for c in captures]
    return codes, time.time() - started


def compare_distributed(spark, exe, captures, work, label):
    loop_dir = os.path.join(work, "loop")
    spark_dir = os.path.join(work, "spark")
    # Alternating, twice: the machine is shared.
    walls = {"loop": [], "spark": []}
    for _ in range(2):
        for d in (loop_dir, spark_dir):
            shutil.rmtree(d, ignore_errors=True)
        codes, wall = loop_aggregate(exe, captures, loop_dir)
        walls["loop"].append(wall)
        started = time.time()
        report = ntp_spark.distributed_aggregate(spark, exe, captures, spark_dir)
        walls["spark"].append(time.time() - started)
    same_codes = [r[1] for r in report] == codes
    check(same_codes, f"{label}: Spark tasks fail where the loop fails "
          f"({codes.count(0)} of {len(captures)} captures give a series)")
    names = sorted(os.listdir(loop_dir))
    spark_names = sorted(os.listdir(os.path.join(spark_dir, "series")))
    equal = names == spark_names and all(
        open(os.path.join(loop_dir, n), "rb").read()
        == open(os.path.join(spark_dir, "series", n), "rb").read() for n in names)
    check(equal, f"{label}: {len(names)} files from Spark tasks byte-equal to the loop's")
    print(f"  wall time, {len(captures)} captures: plain loop "
          f"{min(walls['loop']):.2f} s, Spark local[2] {min(walls['spark']):.2f} s "
          f"(best of 2 alternating; loop {walls['loop']}, Spark {walls['spark']})")
    return os.path.join(spark_dir, "series")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ntp", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release/ntp"))
    ap.add_argument("--shared", default=os.path.join(ROOT, "../shared"))
    ap.add_argument("--trace", help="a big classic pcap to split and time")
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--work", help="keep outputs here (default: a temporary directory)")
    a = ap.parse_args()
    exe = os.path.abspath(a.ntp)
    work = a.work or tempfile.mkdtemp(prefix="ntp-spark-")
    os.makedirs(work, exist_ok=True)
    captures = sorted(glob.glob(os.path.join(a.shared, "data/captures/*/*")))
    captures = [c for c in captures if not c.endswith(".tsv")]
    spark = ntp_spark.session("ntp check")
    spark.conf.set("spark.sql.session.timeZone", "UTC")

    print("1. Spark reads what ntp writes (--timestamp-unit us), without legacy flags")
    files = os.path.join(work, "files")
    os.makedirs(files, exist_ok=True)
    us = os.path.join(files, "sample-us.parquet")
    ns = os.path.join(files, "sample-ns.parquet")
    ntp(exe, "preprocess", SAMPLE, "-o", us, "--timestamp-unit", "us", "-q")
    ntp(exe, "preprocess", SAMPLE, "-o", ns, "-q")
    ntp(exe, "aggregate", SAMPLE, "-o", os.path.join(files, "series/"), "--timestamp-unit", "us", "-q")
    days = os.path.join(files, "days")
    ntp(exe, "preprocess", SAMPLE, os.path.join(a.shared, "data/captures/forecasting/s7comm-clean-15min.pcap"),
        "-o", days + "/", "--partition", "day", "--timestamp-unit", "us", "-q")
    series = glob.glob(os.path.join(files, "series/*.series.parquet"))[0]
    sizes = glob.glob(os.path.join(files, "series/*.sizes.parquet"))[0]
    for path, rows in [(us, pl.read_parquet(us).height), (days, None),
                       (series, pl.read_parquet(series).height),
                       (sizes, pl.read_parquet(sizes).height)]:
        try:
            df = spark.read.parquet(path)
            n = df.count()
            want = rows if rows is not None else sum(
                pl.read_parquet(p).height for p in glob.glob(days + "/*/*.parquet"))
            ok = n == want and (path != days or "date" in df.columns)
            check(ok, f"{os.path.relpath(path, work)}: {n} rows, columns "
                  f"{', '.join(f'{f.name}:{f.dataType.simpleString()}' for f in df.schema.fields[:3])}, …")
        except Exception as e:  # noqa: BLE001
            check(False, f"{path}: {str(e).splitlines()[0]}")
    try:
        spark.read.parquet(ns).count()
        check(False, "the ns table was expected to be refused by Spark")
    except Exception as e:  # noqa: BLE001
        msg = str(e).splitlines()[0]
        check("PARQUET_TYPE_ILLEGAL" in msg, f"ns table refused as expected: {msg[:90]}")

    print("2. ntp aggregate in Spark tasks vs a plain loop (shared captures)")
    compare_distributed(spark, exe, captures, os.path.join(work, "shared"), "shared captures")

    print("3. parts of one capture: Spark tasks + Spark join vs ntp aggregate -o FILE")
    src = os.path.join(a.shared, "data/captures/forecasting/s7comm-clean-15min.pcap")
    parts = split_pcap(src, os.path.join(work, "parts"), 3)
    pdir = os.path.join(work, "parts-out")
    ntp_spark.distributed_aggregate(spark, exe, parts, pdir)
    joined_dir = os.path.join(pdir, "joined")
    ntp_spark.join(spark, os.path.join(pdir, "series"), 1_000_000, joined_dir)
    whole = os.path.join(work, "parts-whole.parquet")
    ntp(exe, "aggregate", *parts, "-o", whole, "--timestamp-unit", "us", "-q")
    got = pl.read_parquet(glob.glob(joined_dir + "/*.parquet")).sort("timestamp")
    want = pl.read_parquet(whole).sort("timestamp")
    same_time = got["timestamp"].dt.epoch("us").to_list() == want["timestamp"].dt.epoch("us").to_list()
    same_sums = all(got[c].cast(pl.Int64).to_list() == want[c].cast(pl.Int64).to_list()
                    for c in ntp_spark.SUMS)
    nulls = got["flows"].null_count()
    distinct_ok = all(
        g is None or g == w for c in ntp_spark.DISTINCT
        for g, w in zip(got[c].to_list(), want[c].to_list()))
    check(same_time and same_sums,
          f"joined series of {len(parts)} parts: {got.height} intervals, every sum column equal")
    check(distinct_ok, f"distinct counts equal where one part covers the interval "
          f"({nulls} boundary intervals left null)")

    print("4. ntp preprocess --partition day in Spark tasks: one hive dataset")
    ip_captures = [c for c, code in zip(captures, loop_aggregate(exe, captures, os.path.join(work, "probe"))[0])
                   if code == 0]
    hive = os.path.join(work, "hive")
    results = ntp_spark.distributed_preprocess(spark, exe, ip_captures, hive)
    check(all(r[1] == 0 for r in results), f"{len(ip_captures)} captures preprocessed in Spark tasks")
    local = os.path.join(work, "hive-local")
    for c in ip_captures:
        ntp(exe, "preprocess", c, "-o", local + "/", "-q")
    rows = sum(pl.read_parquet(p).height for p in glob.glob(local + "/*.parquet"))
    n_spark = spark.read.parquet(hive).count()
    n_duck = duckdb.sql(f"SELECT count(*) FROM read_parquet('{hive}/**/*.parquet', hive_partitioning = true)").fetchall()[0][0]
    n_days = duckdb.sql(f"SELECT count(DISTINCT date) FROM read_parquet('{hive}/**/*.parquet', hive_partitioning = true)").fetchall()[0][0]
    check(n_spark == rows and n_duck == rows,
          f"{rows} rows in ntp's own tables; Spark reads {n_spark}, DuckDB {n_duck} over {n_days} days")

    print("5. the README's SQL per-second series equal ntp's")
    shared = os.path.join(a.shared, "data/captures/bench/ndpi-pinterest-28MB.pcap")
    for capture in (SAMPLE, shared):
        name = os.path.basename(capture)
        d = os.path.join(work, "sql", name)
        os.makedirs(d, exist_ok=True)
        t_us, t_ns = os.path.join(d, "us.parquet"), os.path.join(d, "ns.parquet")
        ntp(exe, "preprocess", capture, "-o", t_us, "--timestamp-unit", "us", "-q")
        ntp(exe, "preprocess", capture, "-o", t_ns, "-q")
        ntp(exe, "aggregate", capture, "-o", os.path.join(d, "s.series.parquet"), "-q")
        want = ntp_series(os.path.join(d, "s.series.parquet"))
        spark.read.parquet(t_us).createOrReplaceTempView("packets")
        got = [(r.second, int(r.bytes), int(r.packets)) for r in spark.sql(SPARK_SQL).collect()]
        check(got == want, f"{name}: Spark SQL on the µs table, {len(got)} seconds")
        for label, t in (("ns", t_ns), ("µs", t_us)):
            q = f"SELECT second, bytes, packets FROM ({DUCKDB_SQL.format(path=t)})"
            got = [(s, int(b), int(p)) for s, b, p in duckdb.sql(q).fetchall()]
            check(got == want, f"{name}: DuckDB SQL on the {label} table, {len(got)} seconds")

    if a.trace:
        print(f"6. a big trace in {a.parts} parts: Spark tasks vs a plain loop")
        parts = split_pcap(a.trace, os.path.join(work, "trace-parts"), a.parts)
        compare_distributed(spark, exe, parts, os.path.join(work, "trace"), "trace parts")

    spark.stop()
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{len(failures)} failed" if failures else "\nall checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
