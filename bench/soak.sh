#!/usr/bin/env bash
# Soak versions of end-to-end cases the test command runs short:
#   bench/soak.sh [outage seconds, default 120] [messages per family at 20/s, default 6000]
#       the fault matrix (the test command runs FaultMatrixIT with 10 s outages and 15 s streams): every fault case
#       against every topic family; each case prints sent, landed per sink, duplicates, dead letters, recovery time.
#   bench/soak.sh kafka-first [outage seconds, default 600] [readings, default 100000]
#       kafka-first mode (KafkaFirstIT, 60 s and 20 000 in the test command): PostgreSQL stopped while the readings
#       flow; MQTT acks, the raw topic's backlog, the sink workers' lag, gridwire's peak heap before, during and after,
#       the catch-up time and rate, every reading once.
# Stop other gridwire test runs first: the cases stop and start the services.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/services.sh start >/dev/null
if [[ "${1:-}" == kafka-first ]]; then
  mvn -B -q verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=KafkaFirstIT \
    -Dkafkafirst.outageSeconds="${2:-600}" -Dkafkafirst.readings="${3:-100000}" -DtrimStackTrace=false 2>&1 \
    | grep -E '^kafka-first|Tests run|FAIL' || true
  exit 0
fi
OUTAGE=${1:-120}
PER_FAMILY=${2:-6000}
mvn -B -q verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=FaultMatrixIT \
  -Dgridwire.fault.outageSeconds="$OUTAGE" -Dgridwire.fault.perFamily="$PER_FAMILY" -DtrimStackTrace=false 2>&1 \
  | grep -E '^fault |^single-message|Tests run|FAIL' || true
