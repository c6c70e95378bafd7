#!/usr/bin/env bash
# Benchmarks (they print figures; nothing here is a pass/fail test):
#   bench/run.sh [N messages, default 20000] [M devices, default 100] [all|energy|autocore|sites|pdu ..., default all]
#       ingest per device family, each over M devices: the broker's raw QoS 1 rate on the family's topic shape
#       (mqttload pub -> mqttload sub, 3 times: median and range), gridwire's end-to-end rate for a burst of N (first
#       publish to the last message committed in every sink of the family), their ratio, gridwire's CPU seconds per
#       100 000 messages, its peak heap, and p50/p99 publish -> commit latency of ~20 s paced at half that rate;
#       then a summary table. Figures are read from the sinks' data; each line says which clock.
#   bench/run.sh simulator [D devices, default 10000] [S seconds, default 60]
#       mock device simulator: D devices at 1 reading/s from one -Xmx512m JVM; delivered rate and heap.
#   bench/run.sh instances [N messages, default 40000] [M devices, default 100] [K instances, default 3]
#       1, 2, ... K gridwire instances in one MQTT shared subscription group (energy family): raw broker rate, then
#       gridwire's end-to-end rate for a burst of N and all instances' CPU seconds per 100 000 messages, per step.
#   bench/run.sh postgres [N readings, default 100000] [B batch, default 1000]
#       PostgreSQL alone: batched multi-row INSERT ... ON CONFLICT (what the sink does) against binary COPY into a
#       staging table + INSERT ... SELECT ... ON CONFLICT, a transaction per batch; rows/s, 3 rounds each.
# Run it alone on the machine (it measures CPU): other heavy work skews every figure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MAIN=io.gridwire.bench.TelemetryBench
if [[ "${1:-}" == simulator ]]; then
  MAIN=io.gridwire.bench.SimulatorBench
  shift
elif [[ "${1:-}" == instances ]]; then
  MAIN=io.gridwire.bench.ScaleOutBench
  shift
elif [[ "${1:-}" == postgres ]]; then
  MAIN=io.gridwire.bench.PostgresWriteBench
  shift
fi

scripts/services.sh start >/dev/null
if [[ ! -f /usr/include/mosquitto.h ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libmosquitto-dev >/dev/null
fi
[[ bench/mqttload -nt bench/mqttload.c ]] || gcc -O2 -o bench/mqttload bench/mqttload.c -lmosquitto

# The accounts the bench uses, the same variables (and dev defaults) as gridwire and scripts/services.sh. A broker
# started with other accounts refuses the connection: say so instead of waiting for an answer that never comes.
HOST=${MQTT_BROKER_HOST:-localhost}
PORT=${MQTT_BROKER_PORT:-1883}
check_account() { # user password variables
  local out rc=0
  out=$(MQTTLOAD_USER=$1 MQTTLOAD_PASS=$2 bench/mqttload pub "$HOST" "$PORT" 'bench-raw/check/%s' 0 1 1 2>&1) || rc=$?
  case $rc in
    0) ;;
    3) echo "bench: broker at $HOST:$PORT rejected the $1 account (set $3 to an account the broker has;" \
         "scripts/services.sh creates them from the same variables when it starts Mosquitto): $out" >&2; exit 1 ;;
    *) echo "bench: no MQTT broker answering at $HOST:$PORT (MQTT_BROKER_HOST/MQTT_BROKER_PORT): $out" >&2; exit 1 ;;
  esac
}
check_account "${MQTT_DEVICE_USERNAME:-device}" "${MQTT_DEVICE_PASSWORD:-device-dev}" MQTT_DEVICE_USERNAME/MQTT_DEVICE_PASSWORD
check_account "${MQTT_USERNAME:-gridwire}" "${MQTT_PASSWORD:-gridwire-dev}" MQTT_USERNAME/MQTT_PASSWORD

mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec java -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" "$MAIN" "$@"
