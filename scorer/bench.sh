#!/usr/bin/env bash
# Scorer throughput against a plain Kafka Streams JSON app (Jackson streaming parse into a double[20], small
# JSON result) on a standalone broker started here with deploy/kafka.sh; one run prints both, per processing
# guarantee and stream-thread count, with rec/s, CPU us per record (each app's process, and the broker's) and the
# ratio. Each app runs in a JVM of its own: the shipped jar (java -jar scorer/target/nelbo-scorer.jar run --config)
# and the plain app, as users run them; --in-jvm true runs both in the benchmark's JVM instead.
#
# Usage: scorer/bench.sh [--events N] [--rounds R] [--history true] [--entity true] [--avro true] [--avro-registry true] [--protobuf true] [--before-jar JAR] [--partitions P] [--threads 1,2] [--latency-rate N|half] [--latency-warmup S] [--latency-seconds S] [--in-jvm true]
# Env:   BENCH_KAFKA_PORT [29092], BENCH_KAFKA_CONTROLLER_PORT [29093] (a broker of its own, data in scorer/target/bench-kafka)
set -euo pipefail
cd "$(dirname "$0")/.."
# one reactor build, so schemas/engine come from this checkout, not from ~/.m2
mvn -B -q -o -pl scorer -am package dependency:build-classpath -DskipTests -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/bench.classpath
export LOCAL_KAFKA_PORT=${BENCH_KAFKA_PORT:-29092}
export LOCAL_KAFKA_CONTROLLER_PORT=${BENCH_KAFKA_CONTROLLER_PORT:-29093}
export LOCAL_KAFKA_DATA_DIR="$PWD/scorer/target/bench-kafka"
export LOCAL_KAFKA_HEAP=${LOCAL_KAFKA_HEAP:-1g}
rm -rf "$LOCAL_KAFKA_DATA_DIR"
deploy/kafka.sh start --no-topics
trap 'deploy/kafka.sh stop' EXIT
tmp=scorer/target/tmp/bench; mkdir -p "$tmp"
java -Xmx2g ${BENCH_JAVA_OPTS:-} -Djava.io.tmpdir="$tmp" \
  -Dnelbo.schema.registry.classpath=schema-registry-server/target/registry.classpath \
  -cp "scorer/target/test-classes:scorer/target/classes:$(cat scorer/target/bench.classpath)" \
  dev.nelbo.scorer.bench.ScorerBenchmark --bootstrap "127.0.0.1:$LOCAL_KAFKA_PORT" --scorer-jar scorer/target/nelbo-scorer.jar \
  --broker-pid "$(cat "$LOCAL_KAFKA_DATA_DIR/broker.pid")" "$@"
