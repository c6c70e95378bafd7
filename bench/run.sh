#!/usr/bin/env bash
# Telemetry benchmark: bench/run.sh [N messages, default 20000] [M devices, default 100]
# Prints the broker's raw QoS 1 rate (mqttload, measured in the same run), gridwire's end-to-end rate
# (first publish to last message in PostgreSQL, TSDB and Kafka), their ratio, and p50/p99 latency.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${1:-20000}
M=${2:-100}

scripts/services.sh start >/dev/null
if [[ ! -f /usr/include/mosquitto.h ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libmosquitto-dev >/dev/null
fi
[[ bench/mqttload -nt bench/mqttload.c ]] || gcc -O2 -o bench/mqttload bench/mqttload.c -lmosquitto
mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec java -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" io.gridwire.bench.TelemetryBench "$N" "$M"
