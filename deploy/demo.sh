#!/usr/bin/env bash
# nelbo end to end on this machine, no Docker: local Kafka (KRaft, from Maven jars), training data from the
# telemetry generator, a trained model, the scorer, live events with planted anomalies, alerts as they
# arrive, and precision/recall on the planted anomalies. Cleans up after itself, also on Ctrl-C.
#
#   deploy/demo.sh [--duration SECONDS] [--rate EVENTS_PER_S] [--train-events N] [--epochs N] [--check-dashboard]
#                  [--alertmanager] [--avro-registry] [--rule "RULE ARGS"]... [--keep]
#
#   --duration         seconds of live traffic (default 45)
#   --rate             live events per second (default 300)
#   --train-events     training events, spread over 7 simulated days (default 20000)
#   --epochs           most training epochs (default 120; early stopping may end sooner)
#   --check-dashboard  also run Prometheus (Debian package 'prometheus') against the scorer and check that
#                      every Grafana panel query returns data; the demo fails if one does not
#   --alertmanager     also run Alertmanager (Debian package 'prometheus-alertmanager') and the alert bridge
#                      (nelbo-scorer alertmanager), and show that every alert reached Alertmanager once
#   --avro-registry    live events in Avro through a schema registry: the registry the tests run
#                      (schema-registry-server/, from Maven Central) is started, the generator writes Avro
#                      records of deploy/demo/events.avsc in the Confluent wire format, and the scorer reads
#                      them with nelbo.input.format=avro and nelbo.input.schema.registry.url
#   --rule             an alert rule added before the live traffic, as 'nelbo-scorer rules add' takes it
#                      (repeatable), e.g. --rule "--id rps-down --feature service_rps --direction below"
#   --keep             keep deploy/.run/demo (logs, data, model) instead of deleting it
#
# Ports (environment): DEMO_KAFKA_PORT [19092], DEMO_KAFKA_CONTROLLER_PORT [19093], DEMO_METRICS_PORT [9464],
# DEMO_PROMETHEUS_PORT [9090], DEMO_ALERTMANAGER_PORT [19095], DEMO_BRIDGE_METRICS_PORT [9465],
# DEMO_SCHEMA_REGISTRY_PORT [18081]. The broker gets its own ports and data so a broker started with
# deploy/kafka.sh keeps running untouched.
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd "$DEPLOY_DIR/.." && pwd)"
RUN="$DEPLOY_DIR/.run/demo"

DURATION=45
RATE=300
TRAIN_EVENTS=20000
EPOCHS=120
ANOMALY_RATE=0.02
SEED=7
CHECK_DASHBOARD=0
KEEP=0
KAFKA_PORT="${DEMO_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${DEMO_KAFKA_CONTROLLER_PORT:-19093}"
METRICS_PORT="${DEMO_METRICS_PORT:-9464}"
PROMETHEUS_PORT="${DEMO_PROMETHEUS_PORT:-9090}"
ALERTMANAGER_PORT="${DEMO_ALERTMANAGER_PORT:-19095}"
BRIDGE_PORT="${DEMO_BRIDGE_METRICS_PORT:-9465}"
ALERTMANAGER=0
AVRO_REGISTRY=0
REGISTRY_PORT="${DEMO_SCHEMA_REGISTRY_PORT:-18081}"
RULES=()

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }
while (( $# )); do
  case "$1" in
    --duration) DURATION="${2:?--duration needs a value}"; shift 2 ;;
    --rate) RATE="${2:?--rate needs a value}"; shift 2 ;;
    --train-events) TRAIN_EVENTS="${2:?--train-events needs a value}"; shift 2 ;;
    --epochs) EPOCHS="${2:?--epochs needs a value}"; shift 2 ;;
    --check-dashboard) CHECK_DASHBOARD=1; shift ;;
    --alertmanager) ALERTMANAGER=1; shift ;;
    --avro-registry) AVRO_REGISTRY=1; shift ;;
    --rule) RULES+=("${2:?--rule needs the arguments of a rule}"); shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "demo: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for n in "$DURATION" "$RATE" "$TRAIN_EVENTS" "$EPOCHS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "demo: expected a positive integer, got '$n'" >&2; exit 2; }
done

TOOLS_JAR="$DEPLOY_DIR/target/nelbo-tools.jar"
TRAINER_JAR="$ROOT_DIR/trainer/target/nelbo-trainer.jar"
SCORER_JAR="$ROOT_DIR/scorer/target/nelbo-scorer.jar"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
# Each JVM gets its temp dir under the run folder (ONNX Runtime and lz4/zstd unpack natives there).
JAVA_TMP=(-Djava.io.tmpdir="$RUN/tmp")
tools() { java "${JAVA_TMP[@]}" -jar "$TOOLS_JAR" "$@"; }

SCORER_PID=""
GENERATOR_PID=""
WATCH_PID=""
PROMETHEUS_PID=""
ALERTMANAGER_PID=""
BRIDGE_PID=""
REGISTRY_PID=""
START=$SECONDS

step() { printf '\n\033[1m== %s\033[0m  (%ds)\n' "$*" "$((SECONDS - START))"; }
fail() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

stop_pid() { # pid, name, seconds to wait before KILL
  local pid="$1" name="$2" wait_s="${3:-20}"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local i=0
  while kill -0 "$pid" 2>/dev/null && (( i < wait_s * 10 )); do sleep 0.1; i=$((i + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    echo "demo: $name (pid $pid) did not stop in ${wait_s}s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  printf '\n== cleaning up\n'
  stop_pid "$GENERATOR_PID" generator 5
  stop_pid "$WATCH_PID" watch 5
  stop_pid "$SCORER_PID" scorer 30
  stop_pid "$PROMETHEUS_PID" prometheus 10
  stop_pid "$BRIDGE_PID" alert-bridge 15
  stop_pid "$ALERTMANAGER_PID" alertmanager 10
  stop_pid "$REGISTRY_PID" schema-registry 10
  if [[ -d "$RUN/kafka" ]]; then
    LOCAL_KAFKA_PORT="$KAFKA_PORT" LOCAL_KAFKA_CONTROLLER_PORT="$CONTROLLER_PORT" LOCAL_KAFKA_DATA_DIR="$RUN/kafka" \
      "$DEPLOY_DIR/kafka.sh" stop || true
  fi
  if (( KEEP )); then
    echo "logs, data and model kept in $RUN"
  else
    rm -rf "$RUN"
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_status() { # url -> prints the HTTP status code (000 when unreachable)
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || echo 000
}

# --- 1. build what is missing -------------------------------------------------------------------------
step "build"
missing=()
[[ -f "$TOOLS_JAR" ]] || missing+=(deploy)
[[ -f "$TRAINER_JAR" ]] || missing+=(trainer)
[[ -f "$SCORER_JAR" ]] || missing+=(scorer)
if (( ${#missing[@]} )); then
  modules="$(IFS=,; echo "${missing[*]}")"
  echo "building $modules (first run only; Maven output in $DEPLOY_DIR/target/demo-build.log)"
  mkdir -p "$DEPLOY_DIR/target"
  (cd "$ROOT_DIR" && { mvn -B -o -DskipTests package -pl "$modules" -am > "$DEPLOY_DIR/target/demo-build.log" 2>&1 \
      || mvn -B -DskipTests package -pl "$modules" -am > "$DEPLOY_DIR/target/demo-build.log" 2>&1; }) \
    || { tail -30 "$DEPLOY_DIR/target/demo-build.log" >&2; fail "build failed; see $DEPLOY_DIR/target/demo-build.log"; }
fi
for jar in "$TOOLS_JAR" "$TRAINER_JAR" "$SCORER_JAR"; do
  [[ -f "$jar" ]] || fail "$jar is missing after the build (see $DEPLOY_DIR/target/demo-build.log)"
done
echo "jars: ${TOOLS_JAR#$ROOT_DIR/}, ${TRAINER_JAR#$ROOT_DIR/}, ${SCORER_JAR#$ROOT_DIR/}"
command -v curl >/dev/null || fail "curl is needed to probe the scorer's /readyz"
port_open "$METRICS_PORT" && fail "port $METRICS_PORT (scorer metrics) is taken; set DEMO_METRICS_PORT"
if (( CHECK_DASHBOARD )); then
  command -v prometheus >/dev/null || fail "--check-dashboard needs the prometheus binary (Debian package 'prometheus')"
  port_open "$PROMETHEUS_PORT" && fail "port $PROMETHEUS_PORT (Prometheus) is taken; set DEMO_PROMETHEUS_PORT"
fi
if (( ALERTMANAGER )); then
  command -v prometheus-alertmanager >/dev/null \
    || fail "--alertmanager needs the prometheus-alertmanager binary (Debian package 'prometheus-alertmanager')"
  port_open "$ALERTMANAGER_PORT" && fail "port $ALERTMANAGER_PORT (Alertmanager) is taken; set DEMO_ALERTMANAGER_PORT"
  port_open "$BRIDGE_PORT" && fail "port $BRIDGE_PORT (alert bridge metrics) is taken; set DEMO_BRIDGE_METRICS_PORT"
fi
REGISTRY_CLASSPATH="$ROOT_DIR/schema-registry-server/target/registry.classpath"
if (( AVRO_REGISTRY )); then
  port_open "$REGISTRY_PORT" && fail "port $REGISTRY_PORT (schema registry) is taken; set DEMO_SCHEMA_REGISTRY_PORT"
  if [[ ! -f "$REGISTRY_CLASSPATH" ]]; then
    echo "resolving the schema registry's jars (first run only)"
    mkdir -p "$DEPLOY_DIR/target"
    (cd "$ROOT_DIR" && { mvn -B -q -o install -pl schema-registry-server >> "$DEPLOY_DIR/target/demo-build.log" 2>&1 \
        || mvn -B -q install -pl schema-registry-server >> "$DEPLOY_DIR/target/demo-build.log" 2>&1; }) \
      || fail "cannot resolve the schema registry; see $DEPLOY_DIR/target/demo-build.log"
  fi
fi
rm -rf "$RUN"
mkdir -p "$RUN/tmp"

# --- 2. broker ----------------------------------------------------------------------------------------
step "start Kafka on $BOOTSTRAP"
LOCAL_KAFKA_PORT="$KAFKA_PORT" LOCAL_KAFKA_CONTROLLER_PORT="$CONTROLLER_PORT" LOCAL_KAFKA_DATA_DIR="$RUN/kafka" \
  LOCAL_KAFKA_PARTITIONS=2 "$DEPLOY_DIR/kafka.sh" start

AVRO_OUT=()
if (( AVRO_REGISTRY )); then
  step "start the schema registry on 127.0.0.1:$REGISTRY_PORT"
  REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT/api/v1/confluent"
  mkdir -p "$RUN/schema-registry"
  sed -e "s|@PORT@|$REGISTRY_PORT|" -e "s|@JARS@|$RUN/schema-registry/jars|" "$ROOT_DIR/schema-registry-server/registry.yaml" \
    > "$RUN/schema-registry/registry.yaml"
  java "${JAVA_TMP[@]}" -Xmx256m -XX:+UseSerialGC -cp "$(cat "$REGISTRY_CLASSPATH")" \
    com.hortonworks.registries.webservice.RegistryApplication server "$RUN/schema-registry/registry.yaml" \
    > "$RUN/schema-registry/registry.log" 2>&1 &
  REGISTRY_PID=$!
  deadline=$((SECONDS + 60))
  until [[ "$(http_status "$REGISTRY_URL/subjects")" == 200 ]]; do
    kill -0 "$REGISTRY_PID" 2>/dev/null || { tail -30 "$RUN/schema-registry/registry.log" >&2; REGISTRY_PID=""; fail "the schema registry exited"; }
    (( SECONDS < deadline )) || fail "the schema registry did not answer within 60 s"
    sleep 0.5
  done
  echo "schema registry $REGISTRY_URL (pid $REGISTRY_PID): live events go as Avro records of deploy/demo/events.avsc"
  AVRO_OUT=(--avro-schema "$DEPLOY_DIR/demo/events.avsc" --schema-registry-url "$REGISTRY_URL")
fi

# --- 3. training data and model -----------------------------------------------------------------------
step "generate $TRAIN_EVENTS training events (7 simulated days, no planted anomalies)"
tools generate --out "$RUN/train.jsonl" --count "$TRAIN_EVENTS" --span P7D --anomaly-rate 0 --seed "$SEED"

step "train a model (feature spec deploy/demo/feature-spec.json)"
java "${JAVA_TMP[@]}" -jar "$TRAINER_JAR" train --data "$RUN/train.jsonl" --spec "$DEPLOY_DIR/demo/feature-spec.json" \
  --out "$RUN/model" --epochs "$EPOCHS"

# --- 4. scorer ----------------------------------------------------------------------------------------
step "start the scorer"
cat > "$RUN/scorer.properties" <<PROPS
bootstrap.servers=$BOOTSTRAP
application.id=nelbo-demo
state.dir=$RUN/streams
nelbo.model.dir=$RUN/model
nelbo.metrics.port=$METRICS_PORT
# Every flagged event becomes an alert, so the table and precision/recall see all of them.
nelbo.alert.suppression.window.ms=0
PROPS
if (( AVRO_REGISTRY )); then
  # writer schemas by id from the registry, resolved to the schema the model's spec reads
  printf 'nelbo.input.format=avro\nnelbo.input.schema.registry.url=%s\nnelbo.input.avro.schema=%s\n' \
    "$REGISTRY_URL" "$DEPLOY_DIR/demo/events.avsc" >> "$RUN/scorer.properties"
fi
java "${JAVA_TMP[@]}" -jar "$SCORER_JAR" run --config "$RUN/scorer.properties" > "$RUN/scorer.log" 2>&1 &
SCORER_PID=$!
deadline=$((SECONDS + 90))
until [[ "$(http_status "http://127.0.0.1:$METRICS_PORT/readyz")" == 200 ]]; do
  kill -0 "$SCORER_PID" 2>/dev/null || { tail -30 "$RUN/scorer.log" >&2; SCORER_PID=""; fail "the scorer exited; log above"; }
  (( SECONDS < deadline )) || { tail -30 "$RUN/scorer.log" >&2; fail "the scorer was not ready within 90 s"; }
  sleep 0.5
done
echo "scorer ready (pid $SCORER_PID), log $RUN/scorer.log"

if (( CHECK_DASHBOARD )); then
  mkdir -p "$RUN/prometheus"
  cp -r "$DEPLOY_DIR/prometheus/rules" "$RUN/prometheus/"
  sed "s/127.0.0.1:9464/127.0.0.1:$METRICS_PORT/" "$DEPLOY_DIR/prometheus/prometheus.yml" > "$RUN/prometheus/prometheus.yml"
  prometheus --config.file="$RUN/prometheus/prometheus.yml" --storage.tsdb.path="$RUN/prometheus/data" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" > "$RUN/prometheus/prometheus.log" 2>&1 &
  PROMETHEUS_PID=$!
  echo "Prometheus on http://127.0.0.1:$PROMETHEUS_PORT (pid $PROMETHEUS_PID)"
fi

if (( ALERTMANAGER )); then
  step "start Alertmanager and the alert bridge"
  mkdir -p "$RUN/alertmanager"
  cp "$DEPLOY_DIR/compose/alertmanager.yml" "$RUN/alertmanager/alertmanager.yml"
  prometheus-alertmanager --config.file="$RUN/alertmanager/alertmanager.yml" --storage.path="$RUN/alertmanager/data" \
    --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" --cluster.listen-address= > "$RUN/alertmanager/alertmanager.log" 2>&1 &
  ALERTMANAGER_PID=$!
  java "${JAVA_TMP[@]}" -jar "$SCORER_JAR" alertmanager --config "$RUN/scorer.properties" \
    --set nelbo.alertmanager.url="http://127.0.0.1:$ALERTMANAGER_PORT" --set nelbo.alertmanager.labels=env=demo \
    --set nelbo.alertmanager.offset.reset=earliest --set nelbo.metrics.port="$BRIDGE_PORT" > "$RUN/alert-bridge.log" 2>&1 &
  BRIDGE_PID=$!
  echo "Alertmanager on http://127.0.0.1:$ALERTMANAGER_PORT (pid $ALERTMANAGER_PID), alert bridge pid $BRIDGE_PID"
fi

if (( ${#RULES[@]} )); then
  step "add ${#RULES[@]} alert rule(s)"
  for rule in "${RULES[@]}"; do
    # shellcheck disable=SC2086 # the rule's arguments, split as the shell splits a command line
    java "${JAVA_TMP[@]}" -jar "$SCORER_JAR" rules add --config "$RUN/scorer.properties" $rule
  done
  deadline=$((SECONDS + 30))
  until [[ "$(curl -s --max-time 2 "http://127.0.0.1:$METRICS_PORT/metrics" \
      | awk '$1 == "nelbo_alert_rules" {printf "%d", $NF}')" == "${#RULES[@]}" ]]; do
    (( SECONDS < deadline )) || fail "the scorer did not take the rules within 30 s"
    sleep 0.5
  done
fi

# --- 5. live traffic ----------------------------------------------------------------------------------
step "stream $((DURATION * RATE)) live events for ${DURATION}s at ${RATE}/s with ${ANOMALY_RATE} planted anomalies"
# A few records the scorer cannot score, so the dead-letter path (and its dashboard panel) is exercised (with
# --avro-registry they go as JSON text, unframed: dead letters too).
cat > "$RUN/bad.jsonl" <<'BAD'
this is not JSON
{"event_id":"bad-wrong-type","ts":"2026-01-05T12:00:00Z","service":"search","method":"GET","region":"us-east-1","status_class":"2xx","latency_ms":"fast","request_bytes":300,"response_bytes":900,"retried":false,"cache_hit":false,"service_rps":500,"hour_of_day":12.0}
{"event_id":"bad-missing-field","service":"search"}
BAD
expected=$((DURATION * RATE + 3))
# At the end the watch labels every alert from the planted labels, as an analyst would, on the feedback topic
# (nelbo-scorer feedback does it one alert at a time): the scorer measures alert precision from those labels.
tools watch --bootstrap-servers "$BOOTSTRAP" --labels "$RUN/live-labels.jsonl" --expect "$expected" \
  --idle 30 --timeout $((DURATION + 120)) --max-rows 30 --feedback nelbo-alert-feedback > >(tee "$RUN/watch.out") &
WATCH_PID=$!
tools generate --topic events --key-field host --bootstrap-servers "$BOOTSTRAP" --rate "$RATE" --duration "$DURATION" --clock wall \
  --anomaly-rate "$ANOMALY_RATE" --seed $((SEED + 1)) --labels "$RUN/live-labels.jsonl" ${AVRO_OUT[@]+"${AVRO_OUT[@]}"} \
  > "$RUN/generate.out" 2> "$RUN/generate.err" &
GENERATOR_PID=$!
tools replay --file "$RUN/bad.jsonl" --topic events --bootstrap-servers "$BOOTSTRAP" > /dev/null
wait "$GENERATOR_PID" || { cat "$RUN/generate.err" >&2; GENERATOR_PID=""; fail "the generator failed"; }
GENERATOR_PID=""
watch_code=0
wait "$WATCH_PID" || watch_code=$?
WATCH_PID=""
cat "$RUN/generate.out"
(( watch_code == 0 )) || fail "no scores arrived (scorer log: $RUN/scorer.log)"

# --- 6. alert precision from the labels -----------------------------------------------------------------
step "alert precision measured by the scorer from the labels"
metric_sum() { curl -s --max-time 2 "http://127.0.0.1:$METRICS_PORT/metrics" \
  | awk -v m="$1" '$1 ~ "^"m"({|$)" {s += $NF} END {printf "%d", s}'; }
deadline=$((SECONDS + 10))
until grep -q '^feedback: labelled' "$RUN/watch.out" 2>/dev/null || (( SECONDS > deadline )); do sleep 0.2; done
labelled=$(sed -n 's/^feedback: labelled \([0-9]*\) alerts.*/\1/p' "$RUN/watch.out")
watch_precision=$(sed -n 's/^feedback: labelled .*precision \([0-9.]*\)$/\1/p' "$RUN/watch.out")
[[ -n "$labelled" && "$labelled" != 0 ]] || fail "the watch labelled no alerts ($RUN/watch.out)"
deadline=$((SECONDS + 30))
until [[ "$(metric_sum nelbo_alert_feedback)" == "$labelled" ]] || (( SECONDS > deadline )); do sleep 0.5; done
counted=$(metric_sum nelbo_alert_feedback)
scorer_precision=$(curl -s --max-time 2 "http://127.0.0.1:$METRICS_PORT/metrics" \
  | awk '$1 ~ /^nelbo_alert_precision\{/ {printf "%.4f", $NF}')
echo "the scorer counts $counted labelled alerts; nelbo_alert_precision $scorer_precision (the watch: $watch_precision)"
[[ "$counted" == "$labelled" ]] || fail "the scorer counts $counted labels, the watch wrote $labelled"
[[ "$scorer_precision" == "$watch_precision" ]] || fail "the scorer's precision $scorer_precision differs from the watch's $watch_precision"

# --- 7. where the metrics are -------------------------------------------------------------------------
step "metrics"
echo "scorer metrics:  http://127.0.0.1:$METRICS_PORT/metrics   health: /healthz   readiness: /readyz"
curl -s --max-time 2 "http://127.0.0.1:$METRICS_PORT/metrics" \
  | grep -E '^nelbo_(records_in_total|records_scored_total|alerts_total|records_dead_lettered_total|model_info|schema_registry_requests_total)' \
  | sed 's/^/  /' || true
echo "Prometheus config and alert rules: deploy/prometheus/   Grafana dashboard: deploy/grafana/"
echo "the full stack (Kafka, scorer, Prometheus, Grafana) in containers: deploy/compose/compose.yaml"

if (( ALERTMANAGER )); then
  step "alerts in Alertmanager"
  metric() { curl -s --max-time 2 "$1" | awk -v m="$2" '$1 ~ "^"m"({|$)" {s += $NF} END {printf "%d", s}'; }
  written() { echo $(( $(metric "http://127.0.0.1:$METRICS_PORT/metrics" nelbo_alerts_total) \
    + $(metric "http://127.0.0.1:$METRICS_PORT/metrics" nelbo_entity_alerts_total) \
    + $(metric "http://127.0.0.1:$METRICS_PORT/metrics" nelbo_silence_alerts_total) )); }
  deadline=$((SECONDS + 30))
  while written=$(written); held=$(curl -s --max-time 2 "http://127.0.0.1:$ALERTMANAGER_PORT/api/v2/alerts" \
      | grep -o '"fingerprint"' | wc -l); (( held != written && SECONDS < deadline )); do sleep 1; done
  sent=$(metric "http://127.0.0.1:$BRIDGE_PORT/metrics" nelbo_alertmanager_alerts_sent_total)
  echo "Alertmanager holds $held alerts of the $written the scorer wrote (the bridge sent $sent):" \
    "http://127.0.0.1:$ALERTMANAGER_PORT (log $RUN/alert-bridge.log)"
  (( held == written )) || fail "Alertmanager holds $held alerts, the scorer wrote $written"
fi

dashboard_code=0
if (( CHECK_DASHBOARD )); then
  step "check every Grafana panel query against Prometheus"
  tools check-dashboard --prometheus "http://127.0.0.1:$PROMETHEUS_PORT" \
    --dashboard "$DEPLOY_DIR/grafana/dashboards/nelbo-scorer.json" --timeout 90 || dashboard_code=$?
fi
step "done in $((SECONDS - START)) s"
exit "$dashboard_code"
