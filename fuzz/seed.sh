#!/usr/bin/env bash
# Seeds the fuzz corpora with the project's own test inputs.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/capture corpus/decode corpus/series_file corpus/series_parquet corpus/model_card corpus/labels corpus/simulate_options
cp ../tests/data/*.pcap* corpus/capture/
# Frames: the first records of each pcap fixture, prefixed with a link-type selector byte.
python3 - <<'PY'
import glob, os, struct
for path in glob.glob("../tests/data/*.pcap"):
    b = open(path, "rb").read()
    if b[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        continue
    at = 24
    for i in range(20):
        if at + 16 > len(b):
            break
        cap = struct.unpack("<I", b[at + 8:at + 12])[0]
        frame = b[at + 16:at + 16 + cap]
        open(f"corpus/decode/{os.path.basename(path)}-{i}", "wb").write(b"\x00" + frame)
        at += 16 + cap
PY
cp ../tests/data/series/*.csv corpus/series_file/
printf 'timestamp,value\n0,1\n60,\n180,3\n' > corpus/series_file/gappy.csv
printf 'time,requests,flag\n1995-07-01 00:00:00,3565,x\n1995-07-01 01:00:00,3004,\n' > corpus/series_file/nasa-like.csv
cp ../results/sample/*.series.parquet ../results/sample/*.sizes.parquet corpus/series_parquet/
cp ../results/sample/*.best_model.*.json corpus/model_card/
printf 'start,end,kind\n2014-04-01T02:00:00Z,2014-04-01T03:00:00Z,flood\n1396318000,1396319000\n' > corpus/labels/csv.csv
printf '{"realA/spikes.csv": [["2014-04-01 02:00:00.000000", "2014-04-01 03:00:00.000000"]], "realB/spikes.csv": []}' > corpus/labels/nab.json
