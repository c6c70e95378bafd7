#!/usr/bin/env bash
# Benchmarks (they print figures; nothing here is a pass/fail test):
#   bench/run.sh [N messages, default 20000] [M devices, default 100]
#       telemetry ingest: the broker's raw QoS 1 rate (mqttload, same run), gridwire's end-to-end rate (first publish
#       to last message in PostgreSQL, TSDB and Kafka), their ratio, p50/p99 latency.
#   bench/run.sh simulator [D devices, default 10000] [S seconds, default 60]
#       mock device simulator: D devices at 1 reading/s from one -Xmx512m JVM; delivered rate and heap.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MAIN=io.gridwire.bench.TelemetryBench
if [[ "${1:-}" == simulator ]]; then
  MAIN=io.gridwire.bench.SimulatorBench
  shift
fi

scripts/services.sh start >/dev/null
if [[ ! -f /usr/include/mosquitto.h ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libmosquitto-dev >/dev/null
fi
[[ bench/mqttload -nt bench/mqttload.c ]] || gcc -O2 -o bench/mqttload bench/mqttload.c -lmosquitto
mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec java -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" "$MAIN" "$@"
