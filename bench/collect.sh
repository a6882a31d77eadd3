#!/usr/bin/env bash
# Collection benchmark: `fleetport sim` with N hosts, injected latency and
# command time, then `fleetport collect` on all of them. Prints wall time,
# hosts per second, CPU seconds and peak RSS of the collector
# (/usr/bin/time -v), connections accepted per host and shells left open
# (the simulator's counters), and the status of every host.
#
#   bench/collect.sh [HOSTS] [CONCURRENCY] [LATENCY] [COMMAND_TIME]
#   defaults:         500     200           20ms      100ms
#   FAULTS="refuse=1 hang=1 auth=1 quota=1 garble=1" injects faults into shares of the hosts;
#   TIMEOUT (default 5m) is the per-host deadline.
#   PROFILE=DIR writes CPU profiles of the simulator (sim.pprof) and the
#   collector (collect.pprof) into DIR (go tool pprof BINARY FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-500}
conc=${2:-200}
latency=${3:-20ms}
cmdtime=${4:-100ms}
work=$(mktemp -d)
trap 'kill "$sim" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
command -v /usr/bin/time >/dev/null || { echo "bench/collect.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
go build -o "$work/fleetport" ./cmd/fleetport
ulimit -n "$(ulimit -Hn)"
export FLEETPORT_SIM_USER=fleetadmin FLEETPORT_SIM_PASSWORD='Sim-Passw0rd!'
"$work/fleetport" sim --hosts "$hosts" --https-port 0 --network 127.80.0.0/16 --dir "$work/state" --no-drift \
	--latency "$latency" --command-time "$cmdtime" $(for f in ${FAULTS:-}; do printf -- '--fault %s ' "$f"; done) --inventory-out "$work/inventory.hcl" --stats "$work/stats.json" \
	${PROFILE:+--cpuprofile "$PROFILE/sim.pprof"} >"$work/sim.out" 2>&1 &
sim=$!
until grep -q '^ready:' "$work/sim.out"; do
	kill -0 "$sim" 2>/dev/null || { cat "$work/sim.out"; exit 1; }
	sleep 0.1
done
cd "$work"
/usr/bin/time -v ./fleetport collect -i inventory.hcl --store fleetport.db --concurrency "$conc" --timeout "${TIMEOUT:-5m}" --json \
	${PROFILE:+--cpuprofile "$PROFILE/collect.pprof"} \
	>collect.json 2>time.txt || true
kill -USR1 "$sim"; sleep 1
if [ -n "${PROFILE:-}" ]; then
	cp fleetport "$PROFILE/fleetport"
	kill "$sim"; wait "$sim" 2>/dev/null || true # the simulator writes its profile on exit
fi
python3 - "$hosts" "$conc" "$latency" "$cmdtime" <<'PY'
import json, re, sys
hosts, conc, lat, ct = sys.argv[1:5]
t = open("time.txt").read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", t).group(1)
parts = [float(p) for p in wall.split(":")]
secs = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
cpu = float(re.search(r"User time \(seconds\): (.*)", t).group(1)) + float(re.search(r"System time \(seconds\): (.*)", t).group(1))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (.*)", t).group(1)) / 1024
s = json.load(open("collect.json"))
st = json.load(open("stats.json"))["fleet"]
print(f"hosts={hosts} concurrency={conc} latency={lat} command_time={ct}")
print(f"wall={secs:.1f}s hosts_per_s={int(hosts)/secs:.1f} cpu={cpu:.1f}s peak_rss={rss:.0f}MB")
print(f"statuses={s['by_status']} connections_per_host={st['connections_accepted']/int(hosts):.2f} shells_open={st['shells_open']}")
PY
