#!/usr/bin/env bash
# Profiles one ScaleBench trial (docs/performance.md, "Where the CPU goes at 1000 leases"): JFR on the bench fork and
# a Go CPU profile of every kube-apiserver, both over the second operation of the trial (the first is a cold fork).
#
#   bench/profile-scale.sh mcl|baseline LEASES OUTDIR [SECONDS]
#
# Needs bench built (./mcl bench --report-only builds it, or mvn install -pl bench -am) and bench/target/classpath.txt.
# Read the results with:  go tool pprof -top -cum OUTDIR/apiserver-east.pprof
#                         jfr print --stack-depth 80 --events jdk.ExecutionSample OUTDIR/fork.jfr
# Run nothing else meanwhile: it profiles every kube-apiserver process on the machine.
set -euo pipefail
sys=${1:?mcl or baseline}; n=${2:?leases}; out=${3:?output directory}; secs=${4:-8}
root=$(cd "$(dirname "$0")/.." && pwd)
kubectl=${KUBECTL:-$HOME/.cache/mclease/kube-binaries/current/kubectl}
mkdir -p "$out"
export MCL_APISERVER_PROFILING=1
java -cp "$root/bench/target/classes:$(cat "$root/bench/target/classpath.txt")" org.openjdk.jmh.Main 'ScaleBench\.allLed$' \
  -p system="$sys" -p leases="$n" -p steadySeconds=0 -p timeoutSeconds=240 -f 1 -i 2 -wi 0 \
  -jvmArgsAppend "-XX:StartFlightRecording=filename=$out/fork.jfr,settings=profile,jdk.ExecutionSample#period=2ms" \
  > "$out/jmh.log" 2>&1 &
jmh=$!
# JMH prints "Iteration   2:" as the second operation's set-up begins; its candidates start right after
until grep -q '^Iteration   2:' "$out/jmh.log" 2>/dev/null; do
  kill -0 $jmh 2>/dev/null || { echo "the bench ended before its second operation: $out/jmh.log" >&2; exit 1; }
  sleep 0.2
done
sleep 1
date -u +%H:%M:%S.%N > "$out/window_start"
for pid in $(pgrep -f 'kube-apiserver --bind-address'); do
  dir=$(tr '\0' '\n' < /proc/$pid/cmdline | sed -n 's/^--cert-dir=//p')
  "$kubectl" --kubeconfig "$(ls "$dir"/*.kubeconfig | head -1)" get --raw "/debug/pprof/profile?seconds=$secs" \
    > "$out/apiserver-$(basename "$dir").pprof" &
done
wait
grep -E 'allLed ' "$out/jmh.log" || true
echo "profiles in $out (window from $(cat "$out/window_start") UTC, $secs s)"
