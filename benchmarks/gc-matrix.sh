#!/bin/sh
# Issue 14 step 5: the embedded framestream server under a small matrix of JVM settings, one load tool run per
# setting (framestream and, where the scenario has one, the raw TCP baseline), each printing CPU-s/GB, p99, RSS,
# heap after GC and the CPU by thread group. Run from the repository root after
#   mvn -B -q -pl benchmarks -am package -DskipTests
# Usage: benchmarks/gc-matrix.sh [scenarios] [log directory]     (default S1,S2,S4 and /tmp/gc-matrix)
# About 2 minutes per setting for S1,S2,S4.
set -eu
SCENARIOS="${1:-S1,S2,S4}"
LOGS="${2:-/tmp/gc-matrix}"
mkdir -p "$LOGS"
CP="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
run() {
  name="$1"
  shift
  echo "== $name: $*"
  java "-Dbench.serverJvmArgs=$*" -cp "$CP" io.framestream.benchmarks.LoadTool --scenarios "$SCENARIOS" \
      --warmup 6 --peers framestream > "$LOGS/$name.log" 2>&1
  grep -E "^  (S[0-9]|.*threads)" "$LOGS/$name.log" | grep -v "raw-tcp threads" || true
}
run g1-512 -Xms512m -Xmx512m
run g1-256 -Xms256m -Xmx256m
run g1-128 -Xms128m -Xmx128m
run parallel-256 -XX:+UseParallelGC -Xms256m -Xmx256m
run serial-256 -XX:+UseSerialGC -Xms256m -Xmx256m
run g1-256-c1only -Xms256m -Xmx256m -XX:TieredStopAtLevel=1
run g1-256-c1early -Xms256m -Xmx256m -XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=0.1
