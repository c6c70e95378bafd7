#!/usr/bin/env bash
# Soak version of the fault matrix (the test command runs FaultMatrixIT with 10 s outages and 15 s streams):
#   bench/soak.sh [outage seconds, default 120] [messages per family at 20/s, default 6000]
# Every fault case runs against every topic family; each case prints sent, landed per sink, duplicates, dead
# letters and the recovery time. Stop other gridwire test runs first: the cases stop and start the services.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUTAGE=${1:-120}
PER_FAMILY=${2:-6000}
scripts/services.sh start >/dev/null
mvn -B -q verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=FaultMatrixIT \
  -Dgridwire.fault.outageSeconds="$OUTAGE" -Dgridwire.fault.perFamily="$PER_FAMILY" -DtrimStackTrace=false 2>&1 \
  | grep -E '^fault |^single-message|Tests run|FAIL' || true
