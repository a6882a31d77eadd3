#!/usr/bin/env bash
# Comparison harness (issue 8): fleetport, a pywinrm thread pool and Ansible
# collect the same facts from the same simulated fleet; prints a table and
# writes OUT/results.json. See bench/README.md.
#
#   bench/compare.sh --hosts 500 --latency 20ms --command-time 100ms \
#       --auth ntlm --tools fleetport,pywinrm,ansible --out DIR
#   bench/compare.sh --auth basic-https ...       Basic over https instead of NTLM over http
#   bench/compare.sh --sweep 100,1000,10000       fleetport alone at several sizes
#   bench/compare.sh --ci                         50 hosts, all tools, NTLM; exit 3 on a failed host
#   bench/compare.sh -h                           every flag
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/compare" ./bench/compare
"$bin/compare" "$@"
