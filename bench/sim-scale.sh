#!/usr/bin/env bash
# Scale check of the simulator: N hosts in one process. Prints start-up time,
# resident memory idle and under load, and the accept rate a second process
# sees (bench/simload), for docs/BENCHMARKS.md.
#
#   bench/sim-scale.sh [HOSTS] [CONCURRENCY]      defaults: 10000 256
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-10000}
conc=${2:-256}
work=$(mktemp -d)
trap 'kill "$sim" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/fleetport" ./cmd/fleetport
go build -o "$work/simload" ./bench/simload

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
# A listener per host and transport plus the clients' connections must fit
# the open-file limit: serve http only when both transports would not.
https=5986
if (( hosts * 2 + 1100 > $(ulimit -n) )); then
	https=0
	echo "note: open-file limit $(ulimit -n): serving http only" >&2
fi
start=$(date +%s.%N)
"$work/fleetport" sim --hosts "$hosts" --https-port "$https" --network 127.60.0.0/16 --dir "$work/state" --stats "$work/stats.json" >"$work/out" 2>&1 &
sim=$!
until grep -q '^ready:' "$work/out"; do
	kill -0 "$sim" 2>/dev/null || { cat "$work/out"; exit 1; }
	sleep 0.05
done
ready=$(date +%s.%N)
rss() { awk '/VmRSS/ {print int($2/1024)}' /proc/"$sim"/status; }
hwm() { awk '/VmHWM/ {print int($2/1024)}' /proc/"$sim"/status; }
echo "hosts=$hosts startup_s=$(echo "$ready - $start" | bc) rss_idle_mb=$(rss)"
"$work/simload" -first 127.60.0.1 -hosts "$hosts" -concurrency "$conc" -mode accept || true
"$work/simload" -first 127.60.0.1 -hosts "$hosts" -concurrency "$conc" -mode command || true
echo "rss_after_mb=$(rss) rss_peak_mb=$(hwm)"
kill -USR1 "$sim"; sleep 1
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["fleet"]; print("sim: connections_accepted=%d shells_created=%d shells_open=%d operations=%d" % (s["connections_accepted"], s["shells_created"], s["shells_open"], s["operations"]))' "$work/stats.json"
