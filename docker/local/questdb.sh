#!/usr/bin/env bash
# QuestDB from the Maven Central jar in /opt/questdb, serving the InfluxDB v2 write API (/api/v2/write, /ping) on
# :8086 where compose's influxdb:2 would; InfluxDB 2 is not packaged in Debian. On start it declares the
# measurements gridwire writes with DEDUP keys (scripts/questdb-tables.sql), as scripts/services.sh does.
set -euo pipefail
DATA=/var/lib/influxdb2
mkdir -p "$DATA/conf"
cat >"$DATA/conf/server.conf" <<PROPS
http.bind.to=0.0.0.0:8086
telemetry.enabled=false
pg.enabled=false
line.tcp.enabled=false
line.udp.enabled=false
PROPS
java -Xms128m -Xmx512m -p "$(ls /opt/questdb/questdb-*.jar)" -m io.questdb/io.questdb.ServerMain -d "$DATA" &
pid=$!
trap 'kill -TERM $pid' TERM INT
until curl -fs -o /dev/null "http://localhost:8086/exec?query=select%201"; do
  kill -0 $pid 2>/dev/null || exit 1
  sleep 0.5
done
while IFS= read -r ddl; do
  [[ -z $ddl || $ddl == --* ]] && continue
  curl -fsS -o /dev/null -G "http://localhost:8086/exec" --data-urlencode "query=$ddl"
done </opt/gridwire/questdb-tables.sql
echo "[questdb] ready on :8086 (InfluxDB v2 write API at /api/v2/write)"
set +e
wait $pid
# a TERM ended the first wait: wait for QuestDB itself to finish
kill -0 $pid 2>/dev/null && wait $pid
