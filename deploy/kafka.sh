#!/usr/bin/env bash
# Local single-node Kafka (KRaft: broker and controller in one JVM) from Maven Central jars, no Docker.
#
#   deploy/kafka.sh start [--no-topics]   start the broker on 127.0.0.1, create nelbo's topics, wait for leaders
#   deploy/kafka.sh stop                  stop it and wait until the JVM is gone
#   deploy/kafka.sh status                exit 0 when running
#   deploy/kafka.sh topics                (re)create nelbo's topics and wait until every partition has a leader
#
# Environment (defaults in brackets). Deliberately not NELBO_*: the scorer maps every NELBO_* variable to a
# setting and refuses unknown ones, so these must not leak into its environment.
#   LOCAL_KAFKA_PORT [9092]              client listener
#   LOCAL_KAFKA_CONTROLLER_PORT [9093]   KRaft controller listener
#   LOCAL_KAFKA_DATA_DIR [deploy/.run/kafka]  log dirs, config, pid file and broker.log
#   LOCAL_KAFKA_HEAP [512m]
#   LOCAL_KAFKA_PARTITIONS [6]           partitions of the events and scores topics
#   LOCAL_KAFKA_START_TIMEOUT [60]       seconds to wait for the broker to accept connections
#   MVN_ARGS                             extra Maven arguments for building missing jars (e.g. -o)
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd "$DEPLOY_DIR/.." && pwd)"
PORT="${LOCAL_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${LOCAL_KAFKA_CONTROLLER_PORT:-9093}"
DATA_DIR="${LOCAL_KAFKA_DATA_DIR:-$DEPLOY_DIR/.run/kafka}"
HEAP="${LOCAL_KAFKA_HEAP:-512m}"
PARTITIONS="${LOCAL_KAFKA_PARTITIONS:-6}"
START_TIMEOUT="${LOCAL_KAFKA_START_TIMEOUT:-60}"
LIBS="$DEPLOY_DIR/target/kafka-libs"
# the broker's version is the build's (kafka.version in the root pom), so the two cannot drift apart
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT_DIR/pom.xml" | head -1)"
TOOLS_JAR="$DEPLOY_DIR/target/nelbo-tools.jar"
PID_FILE="$DATA_DIR/broker.pid"
LOG_FILE="$DATA_DIR/broker.log"
BOOTSTRAP="127.0.0.1:$PORT"

say() { printf 'kafka: %s\n' "$*"; }
fail() { printf 'kafka: error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

who_listens() {
  if command -v ss >/dev/null 2>&1; then
    ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' | head -1
  fi
}

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && grep -q 'kafka.Kafka' "/proc/$pid/cmdline" 2>/dev/null; then
    echo "$pid"
    return 0
  fi
  return 1
}

ensure_libs() {
  if [[ ! -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
    say "resolving the broker's jars from Maven Central into $LIBS (first run only)"
    mvn -B -q ${MVN_ARGS:-} -f "$DEPLOY_DIR/kafka/pom.xml" package >&2 || fail "could not resolve org.apache.kafka:kafka_2.13 with Maven"
  fi
}

ensure_tools() {
  if [[ ! -f "$TOOLS_JAR" ]]; then
    say "building $TOOLS_JAR"
    (cd "$ROOT_DIR" && mvn -B -q ${MVN_ARGS:-} -pl deploy -am package -DskipTests >&2) || fail "could not build nelbo-tools.jar"
  fi
}

write_config() {
  mkdir -p "$DATA_DIR/logs"
  cat > "$DATA_DIR/server.properties" <<PROPS
# Written by deploy/kafka.sh; edits are overwritten on the next start.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA_DIR/logs
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
message.max.bytes=16777216
PROPS
}

JAVA_CMD=(java -Xms128m "-Xmx$HEAP" -XX:+UseG1GC -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$DEPLOY_DIR/kafka/log4j2.properties" "-Djava.io.tmpdir=$DATA_DIR" -cp "$LIBS/*")

format_storage() {
  if [[ ! -f "$DATA_DIR/logs/meta.properties" ]]; then
    local cluster_id
    cluster_id="$("${JAVA_CMD[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    [[ -n "$cluster_id" ]] || fail "StorageTool random-uuid printed nothing"
    "${JAVA_CMD[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$DATA_DIR/server.properties" \
      >"$DATA_DIR/format.log" 2>&1 || { cat "$DATA_DIR/format.log" >&2; fail "formatting $DATA_DIR/logs failed"; }
    say "formatted $DATA_DIR/logs (cluster id $cluster_id)"
  fi
}

create_topics() {
  ensure_tools
  java -jar "$TOOLS_JAR" topics --bootstrap-servers "$BOOTSTRAP" --partitions "$PARTITIONS" | sed 's/^/kafka: /'
}

start() {
  local with_topics=1
  [[ "${1:-}" == "--no-topics" ]] && with_topics=0
  local pid
  if pid="$(running_pid)"; then
    say "a broker is already running (pid $pid) on $BOOTSTRAP, data in $DATA_DIR; 'deploy/kafka.sh stop' stops it"
    exit 3
  fi
  for p in "$PORT" "$CONTROLLER_PORT"; do
    if port_open "$p"; then
      local owner
      owner="$(who_listens "$p")"
      fail "port $p on 127.0.0.1 is already taken${owner:+ by $owner}; stop that process or choose other ports with LOCAL_KAFKA_PORT / LOCAL_KAFKA_CONTROLLER_PORT"
    fi
  done
  command -v java >/dev/null || fail "java not found (Java 17+ needed)"
  ensure_libs
  write_config
  format_storage
  rm -f "$PID_FILE"
  # setsid: the broker is not in the caller's process group, so only 'stop' (or the demo's trap) ends it.
  setsid bash -c 'echo $$ > "$1"; shift; exec "$@"' _ "$PID_FILE" \
    "${JAVA_CMD[@]}" kafka.Kafka "$DATA_DIR/server.properties" >"$LOG_FILE" 2>&1 < /dev/null &
  local waited=0
  while [[ ! -s "$PID_FILE" ]] && (( waited < 50 )); do sleep 0.1; waited=$((waited + 1)); done
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ -n "$pid" ]] || fail "the broker did not start; see $LOG_FILE"
  local deadline=$((SECONDS + START_TIMEOUT))
  until port_open "$PORT"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail -20 "$LOG_FILE" >&2
      fail "the broker exited during startup; full log: $LOG_FILE"
    fi
    if (( SECONDS >= deadline )); then
      tail -20 "$LOG_FILE" >&2
      stop >/dev/null
      fail "the broker did not accept connections on $BOOTSTRAP within ${START_TIMEOUT}s; log: $LOG_FILE"
    fi
    sleep 0.2
  done
  say "broker running (pid $pid) on $BOOTSTRAP, controller 127.0.0.1:$CONTROLLER_PORT, data in $DATA_DIR, log $LOG_FILE"
  if (( with_topics )); then
    create_topics || fail "topic creation failed (the broker keeps running; 'deploy/kafka.sh stop' stops it)"
  fi
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    say "no broker running (data dir $DATA_DIR)"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  # A controlled shutdown takes a few seconds; after 30 s the process is killed.
  while kill -0 "$pid" 2>/dev/null; do
    if (( waited >= 300 )); then
      say "broker (pid $pid) did not stop within 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE"
  say "broker stopped (pid $pid)"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    if port_open "$PORT"; then
      say "running (pid $pid) on $BOOTSTRAP, data in $DATA_DIR"
    else
      say "process $pid is alive but $BOOTSTRAP does not accept connections (starting or stopping?)"
    fi
    return 0
  fi
  say "not running (data dir $DATA_DIR)"
  return 1
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  status) status ;;
  topics) running_pid >/dev/null || port_open "$PORT" || fail "no broker on $BOOTSTRAP"; create_topics ;;
  *) echo "usage: $0 start [--no-topics] | stop | status | topics" >&2; exit 2 ;;
esac
