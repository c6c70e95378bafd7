#!/usr/bin/env bash
# Runs gridwire locally: starts the local services if needed, builds, and starts gridwire in the dev profile
# with the seed 001 mock devices publishing through MQTT into PostgreSQL, QuestDB (InfluxDB v2 API) and Kafka.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/services.sh start
mvn -q -B package -DskipTests
export CAMEL_MAIN_PROFILE=${CAMEL_MAIN_PROFILE:-dev}
exec java ${JAVA_OPTS:-} -jar target/gridwire.jar "$@"
