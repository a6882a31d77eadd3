#!/usr/bin/env bash
# Kerberos against NTLM: the same simulated fleet, joined to the rehearsal
# domain (scripts/testdomain), collected with auth = "kerberos" and with
# auth = "ntlm", both with message encryption over http (AllowUnencrypted =
# false on every host), the same latency and command time. Prints each
# run's wall time, CPU seconds and peak RSS of the collector (/usr/bin/time
# -v) and the host statuses, the ratio of the Kerberos wall time to
# NTLM's, and the KDC exchanges each Kerberos run made, counted in Samba's
# relay in front of the KDC (bench/kdccount: AS-REP and TGS-REP replies),
# or with KDC_COUNT=log in Samba's log (log level "0 kerberos:3" logs every
# AS-REQ and TGS-REQ, and slows the KDC): the run logs on with a
# password, so it gets its TGT in the run (one AS exchange) and one
# service ticket per host (one TGS exchange each).
#
#   bench/kerberos.sh [HOSTS] [CONCURRENCY] [LATENCY] [COMMAND_TIME] [RUNS]
#   defaults:          1000    200           20ms      100ms          3
#
# Needs root (the domain adds a loopback address and Samba binds port 88),
# the test domain's Debian packages (scripts/testdomain install) and
# /usr/bin/time. WORK=DIR keeps the run's files there.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
hosts=${1:-1000}
conc=${2:-200}
latency=${3:-20ms}
cmdtime=${4:-100ms}
runs=${5:-3}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
dom="$work/domain"
addr=127.66.0.1
sim=
cleanup() {
	[ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	"$repo/scripts/testdomain" stop "$dom" 2>/dev/null || true
	[ -n "${WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
command -v /usr/bin/time >/dev/null || { echo "bench/kerberos.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
go build -o "$work/fleetport" ./cmd/fleetport
go build -o "$work/kdccount" ./bench/kdccount
count=${KDC_COUNT:-relay}
relay=$addr:8888
ulimit -n "$(ulimit -Hn)"
if [ "$count" = log ]; then
	export TESTDOMAIN_LOG_LEVEL="0 kerberos:3"
fi
scripts/testdomain start "$dom" "$addr"
log="$dom/samba.out"

export FLEETPORT_SIM_USER=fleetadmin FLEETPORT_SIM_PASSWORD='Sim-Passw0rd!'
joined=$(date +%s.%N)
"$work/fleetport" sim --hosts "$hosts" --https-port 0 --network 127.81.0.0/16 --dir "$work/state" --no-drift \
	--domain "$dom" --latency "$latency" --command-time "$cmdtime" --inventory-out "$work/ntlm.hcl" \
	--stats "$work/stats.json" >"$work/sim.out" 2>&1 &
sim=$!
until grep -qs '^ready:' "$work/sim.out"; do
	kill -0 "$sim" 2>/dev/null || { cat "$work/sim.out"; exit 1; }
	sleep 0.2
done
echo "simulator ready, $hosts hosts joined to FLEET.TEST in $(echo "$(date +%s.%N) - $joined" | bc | cut -c1-5)s" >&2

# The Kerberos inventory: the simulator's, with Kerberos settings in its
# defaults and the domain Administrator's password by reference.
# With the relay, fleetport's krb5.conf names it as the KDC.
krb5="$dom/krb5.conf"
if [ "$count" = relay ]; then
	krb5="$work/krb5-relay.conf"
	sed "s/kdc = $addr\$/kdc = $relay/" "$dom/krb5.conf" >"$krb5"
	grep -q "kdc = $relay" "$krb5" || { echo "bench/kerberos.sh: no kdc line in $dom/krb5.conf" >&2; exit 1; }
fi
python3 - "$work/ntlm.hcl" "$work/kerberos.hcl" "$krb5" <<'PY'
import re, sys
src, dst, krb5 = sys.argv[1:4]
t = open(src).read()
t = re.sub(r'(?m)^(\s*)auth(\s*)= "ntlm"', r'\1auth\2= "kerberos"', t)
t = re.sub(r'(?m)^(\s*)user(\s*)= .*$', r'\1user\2= "Administrator@fleet.test"', t)
t = re.sub(r'(?m)^(\s*)password(\s*)= .*$', r'\1password\2= env("BENCH_DOMAIN_PASSWORD")', t)
t = t.replace("defaults {\n", 'defaults {\n  krb5_conf     = "%s"\n  kerberos_name = "${host.name}.fleet.test"\n' % krb5, 1)
if 'auth' not in t or '"kerberos"' not in t:
    t = t.replace("defaults {\n", 'defaults {\n  auth = "kerberos"\n', 1)
open(dst, "w").write(t)
PY
BENCH_DOMAIN_PASSWORD=$(cat "$dom/admin.pass")
export BENCH_DOMAIN_PASSWORD

one() { # one AUTH RUN: a collect, its figures in $work/AUTH-RUN.*
	local auth=$1 n=$2 before counter=
	before=$(wc -l <"$log")
	if [ "$count" = relay ] && [ "$auth" = kerberos ]; then
		"$work/kdccount" -listen "$relay" -kdc "$addr:88" >"$work/$auth-$n.count" 2>"$work/kdccount.err" &
		counter=$!
		until grep -q ready "$work/kdccount.err" 2>/dev/null; do sleep 0.05; done
	fi
	(cd "$work" && /usr/bin/time -v ./fleetport collect -i "$auth.hcl" --no-builtin -p "$repo/bench/compare/policy.hcl" \
		--store "$auth-$n.db" --concurrency "$conc" --timeout 5m --json >"$auth-$n.json" 2>"$auth-$n.time" || true)
	tail -n +"$((before + 1))" "$log" >"$work/$auth-$n.kdc"
	if [ -n "$counter" ]; then
		kill -TERM "$counter"
		wait "$counter" || true
	fi
}
for n in $(seq 1 "$runs"); do
	one ntlm "$n"
	one kerberos "$n"
done
kill -USR1 "$sim"
sleep 1
# The KDC alone: MIT's kvno asks for every host's service ticket, one after
# the other, with a TGT from kinit: the domain controller's own pace.
export KRB5_CONFIG="$dom/krb5.conf" KRB5CCNAME="FILE:$work/kvno.cc"
kinit Administrator <"$dom/admin.pass" >/dev/null
mapfile -t spns < <(grep -o 'host "[^"]*"' "$work/ntlm.hcl" | sed 's/host "\(.*\)"/HTTP\/\1.fleet.test/')
kvno_start=$(date +%s.%N)
kvno -q "${spns[@]}"
echo "$(echo "$(date +%s.%N) - $kvno_start" | bc) ${#spns[@]}" >"$work/kvno.txt"
python3 - "$work" "$hosts" "$conc" "$latency" "$cmdtime" "$runs" <<'PY'
import json, re, statistics, sys
work, hosts, conc, lat, ct, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
def figures(auth, n):
    t = open(f"{work}/{auth}-{n}.time").read()
    wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", t).group(1)
    secs = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
    cpu = float(re.search(r"User time \(seconds\): (.*)", t).group(1)) + float(re.search(r"System time \(seconds\): (.*)", t).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (.*)", t).group(1)) / 1024
    s = json.load(open(f"{work}/{auth}-{n}.json"))
    f = dict(wall=secs, cpu=cpu, rss=rss, status=s["by_status"])
    try:
        c = json.load(open(f"{work}/{auth}-{n}.count"))
        f.update(how="relay", as_ok=c["as_rep"], tgs_ok=c["tgs_rep"], req=c["requests"], err=c["krb_error"])
    except FileNotFoundError:
        k = open(f"{work}/{auth}-{n}.kdc").read()
        f.update(how="samba log", as_ok=len(re.findall(r"Kerberos: AS-REQ SUCCESS ", k)), tgs_ok=len(re.findall(r"Kerberos: TGS-REQ SUCCESS ", k)),
                 req=len(re.findall(r"Kerberos: (?:AS|TGS)-REQ \S+ from ", k)), err=len(re.findall(r"Kerberos: (?:AS|TGS)-REQ (?!SUCCESS)[A-Z_0-9]+ ipv4", k)))
    return f
print(f"hosts={hosts} concurrency={conc} latency={lat} command_time={ct} runs={runs} (message encryption over http, AllowUnencrypted=false)")
res = {a: [figures(a, n) for n in range(1, runs + 1)] for a in ("ntlm", "kerberos")}
for a in ("ntlm", "kerberos"):
    for n, f in enumerate(res[a], 1):
        line = f"{a:8} run {n}: wall={f['wall']:.1f}s cpu={f['cpu']:.1f}s peak_rss={f['rss']:.0f}MB statuses={f['status']}"
        if a == "kerberos":
            line += f" kdc ({f['how']}): AS exchanges={f['as_ok']} TGS exchanges={f['tgs_ok']} (requests {f['req']}, KRB-ERROR replies {f['err']})"
        print(line)
mn, mk = statistics.median(f["wall"] for f in res["ntlm"]), statistics.median(f["wall"] for f in res["kerberos"])
print(f"median wall: ntlm={mn:.1f}s kerberos={mk:.1f}s ratio={mk / mn:.2f} (target <= 1.20)")
kv, kn = open(f"{work}/kvno.txt").read().split()
print(f"the KDC alone: MIT kvno got {kn} service tickets one after the other in {float(kv):.1f}s ({float(kv) / int(kn) * 1000:.1f} ms each)")
ok = mk / mn <= 1.2 and all(f["as_ok"] == 1 and f["tgs_ok"] == hosts and f["status"].get("ok") == hosts for f in res["kerberos"])
ok = ok and all(f["status"].get("ok") == hosts for f in res["ntlm"])
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 3)
PY
