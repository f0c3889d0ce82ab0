#!/usr/bin/env bash
# Scorer benchmark on an in-process KRaft broker: throughput vs. a pass-through Streams app and
# end-to-end latency at a steady rate, for exactly_once_v2 and at_least_once (one run prints both).
# Usage: scorer/bench.sh [EVENTS=300000 (0: latency only)] [RATE=20000] [SECONDS=15] [PARTITIONS=4] [baseline]
set -euo pipefail
cd "$(dirname "$0")/.."
# one reactor build, so schemas/engine come from this checkout, not from ~/.m2
mvn -B -q -o -pl scorer -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath
tmp=scorer/target/tmp/bench; mkdir -p "$tmp"
exec java -Xmx2g -Djava.io.tmpdir="$tmp" \
  -cp "scorer/target/test-classes:scorer/target/classes:$(cat scorer/target/bench.classpath)" \
  dev.nelbo.scorer.bench.ScorerBenchmark "$@"
