#!/usr/bin/env bash
# Local infrastructure for gridwire without Docker: Mosquitto, PostgreSQL 15, a single-node Kafka
# broker (KRaft) and QuestDB (the local stand-in for the InfluxDB v2 write API).
#   scripts/services.sh start|stop|status [mosquitto|postgresql|kafka|questdb ...]
# Idempotent: installs what is missing, starts what is down, waits until each service answers.
# Data lives under .gridwire-data/ (git-ignored); PostgreSQL uses Debian's cluster 15/main.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${GRIDWIRE_DATA:-$ROOT/.gridwire-data}

# The same variables (and dev defaults) as src/main/resources/application.properties.
MQTT_BROKER_PORT=${MQTT_BROKER_PORT:-1883}
MQTT_USERNAME=${MQTT_USERNAME:-gridwire}
MQTT_PASSWORD=${MQTT_PASSWORD:-gridwire-dev}
MQTT_DEVICE_USERNAME=${MQTT_DEVICE_USERNAME:-device}
MQTT_DEVICE_PASSWORD=${MQTT_DEVICE_PASSWORD:-device-dev}
DB_URL=${DB_URL:-jdbc:postgresql://localhost:5432/gridwire}
DB_USER=${DB_USER:-gridwire}
DB_PASSWORD=${DB_PASSWORD:-gridwire}
MQTT_TLS_PORT=${MQTT_TLS_PORT:-8883}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_SASL_SSL_PORT=${KAFKA_SASL_SSL_PORT:-9094}
KAFKA_SASL_USERNAME=${KAFKA_SASL_USERNAME:-gridwire}
KAFKA_SASL_PASSWORD=${KAFKA_SASL_PASSWORD:-gridwire-dev}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
QUESTDB_HTTP_PORT=${QUESTDB_HTTP_PORT:-9000}
PG_VERSION=15
PG_CLUSTER=main
PG_PORT=$(sed -E 's#^jdbc:postgresql://[^:/]+:?([0-9]*)/.*#\1#' <<<"$DB_URL"); PG_PORT=${PG_PORT:-5432}
DB_NAME=$(sed -E 's#^jdbc:postgresql://[^/]+/([^?]+).*#\1#' <<<"$DB_URL")

# Daemons started here must not keep the caller's pipes open (a CI step would never end).
for fd in /proc/$$/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null || true; done

log() { printf '[services] %s\n' "$*"; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # name, seconds, command...
  local name=$1 secs=$2 i; shift 2
  for ((i = 0; i < secs * 4; i++)); do "$@" && return 0; sleep 0.25; done
  die "$name did not become ready within ${secs}s (see $DATA/$name.log)"
}
pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
port_free() { # name, port: refuse to start beside something else that holds the port
  if port_open "$2"; then die "$1: port $2 is in use by another process (not started by this script from $DATA)"; fi
}

apt_install() { # installs the Debian packages whose commands are missing
  local missing=()
  for pair in "$@"; do [[ -x ${pair%%=*} ]] || missing+=("${pair#*=}"); done
  ((${#missing[@]})) || return 0
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || true
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

maven_libs() { # profile: resolves the service's jars from Maven Central once
  local dir=$DATA/lib/$1
  if ! ls "$dir"/*.jar >/dev/null 2>&1; then
    log "resolving $1 jars from Maven Central"
    mkdir -p "$dir"
    mvn -q -B -f "$ROOT/scripts/services/pom.xml" -P"$1" dependency:copy-dependencies \
      -DoutputDirectory="$dir" >/dev/null
  fi
}

# ---------------------------------------------------------------- TLS (development CA)
# A CA of this machine's own and, signed by it, a server certificate for localhost / 127.0.0.1 (Mosquitto's TLS
# listener, PostgreSQL, Kafka's SASL_SSL listener) and client certificates for the gridwire and device accounts.
# Keys are unencrypted PKCS#8 PEM files readable by root only. Never use them beyond this machine.
TLS=$DATA/tls
tls_files() {
  [[ -f $TLS/device.crt ]] && return
  apt_install /usr/bin/openssl=openssl
  mkdir -p "$TLS" && chmod 700 "$TLS"
  (
    cd "$TLS"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=gridwire development CA" 2>/dev/null
    sign() { # name, subject, extensions
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 825 \
        -extfile <(printf '%s\n' "$3") 2>/dev/null
      rm -f "$1.csr"
    }
    sign server "/CN=localhost" $'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth'
    sign gridwire "/CN=$MQTT_USERNAME" 'extendedKeyUsage=clientAuth'
    sign device "/CN=$MQTT_DEVICE_USERNAME" 'extendedKeyUsage=clientAuth'
    chmod 600 ./*.key
  )
  log "TLS: development CA and certificates in $TLS"
}

# ---------------------------------------------------------------- Mosquitto
mosquitto_start() {
  apt_install /usr/sbin/mosquitto=mosquitto /usr/bin/mosquitto_pub=mosquitto-clients /usr/bin/kcat=kcat
  local dir=$DATA/mosquitto pid=$DATA/mosquitto/mosquitto.pid
  if pid_alive "$pid"; then
    log "mosquitto already running on :$MQTT_BROKER_PORT"
    port_open "$MQTT_TLS_PORT" || log "WARNING: mosquitto has no TLS listener on :$MQTT_TLS_PORT (started by an older version of this script): scripts/services.sh stop mosquitto, then start"
    return
  fi
  port_free mosquitto "$MQTT_BROKER_PORT"
  port_free mosquitto "$MQTT_TLS_PORT"
  mkdir -p "$dir/data"
  # Accounts from the environment, so gridwire and the devices agree with the broker.
  rm -f "$dir/mosquitto.passwd"
  touch "$dir/mosquitto.passwd" && chmod 600 "$dir/mosquitto.passwd"
  mosquitto_passwd -b "$dir/mosquitto.passwd" "$MQTT_USERNAME" "$MQTT_PASSWORD" 2>/dev/null
  mosquitto_passwd -b "$dir/mosquitto.passwd" "$MQTT_DEVICE_USERNAME" "$MQTT_DEVICE_PASSWORD" 2>/dev/null
  sed -e "s/^user gridwire$/user $MQTT_USERNAME/" -e "s/^user device$/user $MQTT_DEVICE_USERNAME/" \
    "$ROOT/mosquitto.acl" >"$dir/mosquitto.acl"
  sed -e "s/^listener 1883$/listener $MQTT_BROKER_PORT/" "$ROOT/mosquitto.conf" >"$dir/mosquitto.conf"
  # the TLS listener: the broker's certificate from the development CA, and every client must present one it signed
  tls_files
  mkdir -p "$dir/tls" && cp "$TLS/ca.crt" "$TLS/server.crt" "$TLS/server.key" "$dir/tls/"
  cat >>"$dir/mosquitto.conf" <<CONF

# added by scripts/services.sh: TLS with client certificates (mutual TLS)
listener $MQTT_TLS_PORT
cafile tls/ca.crt
certfile tls/server.crt
keyfile tls/server.key
require_certificate true
CONF
  if id mosquitto >/dev/null 2>&1; then chown -R mosquitto "$dir"; fi
  # exec: the background process is mosquitto itself, so the pid file names the broker
  (cd "$dir" && exec mosquitto -c "$dir/mosquitto.conf" >>"$DATA/mosquitto.log" 2>&1 </dev/null) &
  echo $! >"$pid"
  wait_for mosquitto 20 port_open "$MQTT_BROKER_PORT"
  wait_for mosquitto 20 port_open "$MQTT_TLS_PORT"
  pid_alive "$pid" || die "mosquitto exited: is another broker on :$MQTT_BROKER_PORT? (see $DATA/mosquitto.log)"
  log "mosquitto ready on :$MQTT_BROKER_PORT and TLS :$MQTT_TLS_PORT (client certificate required) (users $MQTT_USERNAME, $MQTT_DEVICE_USERNAME)"
}
mosquitto_stop() { stop_pid mosquitto "$DATA/mosquitto/mosquitto.pid"; }
mosquitto_status() { status_line mosquitto "$MQTT_BROKER_PORT"; }

# ---------------------------------------------------------------- PostgreSQL
pg_sql() { (cd / && runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtAX "$@"); }
postgresql_start() {
  apt_install /usr/bin/pg_ctlcluster=postgresql "/usr/lib/postgresql/$PG_VERSION/bin/postgres=postgresql-$PG_VERSION"
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PG_VERSION $PG_CLUSTER"; then
    pg_createcluster "$PG_VERSION" "$PG_CLUSTER" -p "$PG_PORT" >/dev/null
  fi
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >/dev/null 2>&1 </dev/null || true
  wait_for postgresql 30 pg_isready -q -h localhost -p "$PG_PORT"
  if [[ -z $(pg_sql -c "select 1 from pg_roles where rolname = '$DB_USER'") ]]; then
    pg_sql -c "create role \"$DB_USER\" login password '$DB_PASSWORD'"
  else
    pg_sql -c "alter role \"$DB_USER\" login password '$DB_PASSWORD'"
  fi
  if [[ -z $(pg_sql -c "select 1 from pg_database where datname = '$DB_NAME'") ]]; then
    pg_sql -c "create database \"$DB_NAME\" owner \"$DB_USER\""
  fi
  # TLS with the development CA's server certificate, so clients can use sslmode=verify-full
  tls_files
  local conf=/etc/postgresql/$PG_VERSION/$PG_CLUSTER
  if ! cmp -s "$TLS/server.crt" "$conf/gridwire-server.crt"; then
    install -o postgres -g postgres -m 644 "$TLS/server.crt" "$conf/gridwire-server.crt"
    install -o postgres -g postgres -m 600 "$TLS/server.key" "$conf/gridwire-server.key"
    pg_sql -c "alter system set ssl = on" -c "alter system set ssl_cert_file = '$conf/gridwire-server.crt'" \
      -c "alter system set ssl_key_file = '$conf/gridwire-server.key'" -c "select pg_reload_conf()" >/dev/null
  fi
  log "postgresql ready on :$PG_PORT (database $DB_NAME, user $DB_USER; TLS with $TLS/ca.crt for sslmode=verify-full)"
}
postgresql_stop() { pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop -m fast 2>/dev/null || true; log "postgresql stopped"; }
postgresql_status() { status_line postgresql "$PG_PORT"; }

# ---------------------------------------------------------------- Kafka (KRaft)
kafka_start() {
  local dir=$DATA/kafka pid=$DATA/kafka/kafka.pid
  if pid_alive "$pid"; then
    log "kafka already running on :$KAFKA_PORT"
    port_open "$KAFKA_SASL_SSL_PORT" || log "WARNING: kafka has no SASL_SSL listener on :$KAFKA_SASL_SSL_PORT (started by an older version of this script): scripts/services.sh stop kafka, then start"
    return
  fi
  port_free kafka "$KAFKA_PORT"
  port_free kafka "$KAFKA_SASL_SSL_PORT"
  maven_libs kafka
  tls_files
  mkdir -p "$dir"
  # SASL_SSL listener: the server certificate and its key in one PEM key store
  cat "$TLS/server.key" "$TLS/server.crt" >"$dir/keystore.pem" && chmod 600 "$dir/keystore.pem"
  { cat "$ROOT/scripts/kafka-single-node.properties"
    cat <<PROPS
controller.quorum.voters=1@localhost:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://localhost:$KAFKA_PORT,SASL_SSL://localhost:$KAFKA_SASL_SSL_PORT,CONTROLLER://localhost:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://localhost:$KAFKA_PORT,SASL_SSL://localhost:$KAFKA_SASL_SSL_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PEM
ssl.keystore.location=$dir/keystore.pem
log.dirs=$dir/logs
PROPS
  } >"$dir/server.properties"
  cat >"$dir/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, stdout
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
  local java_opts=(-Xms256m -Xmx768m "-Dlog4j.configuration=file:$dir/log4j.properties" -cp "$DATA/lib/kafka/*")
  if [[ ! -f $dir/logs/meta.properties ]]; then
    java "${java_opts[@]}" kafka.tools.StorageTool format -t "$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" >/dev/null
  fi
  nohup java "${java_opts[@]}" kafka.Kafka "$dir/server.properties" >>"$DATA/kafka.log" 2>&1 </dev/null &
  echo $! >"$pid"
  wait_for kafka 60 port_open "$KAFKA_PORT"
  # the SCRAM account of the SASL_SSL listener (stored in the cluster metadata; set again on every start; the broker
  # may take a moment after its port opens before it takes the change)
  local try
  for try in 1 2 3 4 5; do
    java "${java_opts[@]}" kafka.admin.ConfigCommand --bootstrap-server "localhost:$KAFKA_PORT" --alter --entity-type users \
      --entity-name "$KAFKA_SASL_USERNAME" --add-config "SCRAM-SHA-512=[password=$KAFKA_SASL_PASSWORD]" >>"$DATA/kafka.log" 2>&1 && break
    ((try < 5)) || die "kafka: could not create the SCRAM account $KAFKA_SASL_USERNAME (see $DATA/kafka.log)"
    sleep 2
  done
  log "kafka ready on :$KAFKA_PORT and SASL_SSL :$KAFKA_SASL_SSL_PORT (SCRAM-SHA-512 user $KAFKA_SASL_USERNAME) (KRaft, single node)"
}
kafka_stop() { stop_pid kafka "$DATA/kafka/kafka.pid"; }
kafka_status() { status_line kafka "$KAFKA_PORT"; }

# ---------------------------------------------------------------- QuestDB (InfluxDB v2 write API)
questdb_start() {
  local dir=$DATA/questdb pid=$DATA/questdb/questdb.pid
  if pid_alive "$pid"; then log "questdb already running on :$QUESTDB_HTTP_PORT"; return; fi
  port_free questdb "$QUESTDB_HTTP_PORT"
  maven_libs questdb
  mkdir -p "$dir/conf"
  cat >"$dir/conf/server.conf" <<PROPS
http.bind.to=0.0.0.0:$QUESTDB_HTTP_PORT
telemetry.enabled=false
pg.enabled=false
line.tcp.enabled=false
line.udp.enabled=false
PROPS
  nohup java -Xms256m -Xmx768m -p "$(ls "$DATA"/lib/questdb/questdb-*.jar)" -m io.questdb/io.questdb.ServerMain \
    -d "$dir" >>"$DATA/questdb.log" 2>&1 </dev/null &
  echo $! >"$pid"
  wait_for questdb 60 curl -fs -o /dev/null "http://localhost:$QUESTDB_HTTP_PORT/exec?query=select%201"
  # InfluxDB overwrites a point with the same series and time; QuestDB does so only for tables
  # declared with DEDUP keys, so create the measurements gridwire writes that way.
  local ddl
  while IFS= read -r ddl; do
    [[ -z $ddl || $ddl == --* ]] && continue
    curl -fsS -o /dev/null -G "http://localhost:$QUESTDB_HTTP_PORT/exec" --data-urlencode "query=$ddl"
  done <"$ROOT/scripts/questdb-tables.sql"
  log "questdb ready on :$QUESTDB_HTTP_PORT (InfluxDB v2 write API at /api/v2/write)"
}
questdb_stop() { stop_pid questdb "$DATA/questdb/questdb.pid"; }
questdb_status() { status_line questdb "$QUESTDB_HTTP_PORT"; }

# ---------------------------------------------------------------- helpers
stop_pid() {
  local name=$1 pid=$2 i
  if pid_alive "$pid"; then
    kill "$(cat "$pid")"
    for ((i = 0; i < 120; i++)); do pid_alive "$pid" || break; sleep 0.25; done
    pid_alive "$pid" && kill -9 "$(cat "$pid")"
    log "$name stopped"
  else
    log "$name not running"
  fi
  rm -f "$pid"
}
status_line() { if port_open "$2"; then printf '%-11s up    :%s\n' "$1" "$2"; else printf '%-11s down  :%s\n' "$1" "$2"; fi; }

# a throw-away database owned by the gridwire role (the end-to-end tests make one per run): database create|drop NAME
database() {
  local action=$1 name=$2
  [[ $name =~ ^gridwire_[a-z0-9_]{1,40}$ ]] || die "database name must be gridwire_[a-z0-9_]+, got '$name'"
  case $action in
    create) pg_sql -c "create database \"$name\" owner \"$DB_USER\"" && log "database $name created" ;;
    drop) pg_sql -c "drop database if exists \"$name\" with (force)" && log "database $name dropped" ;;
    *) die "usage: $0 database create|drop NAME" ;;
  esac
}

ALL=(mosquitto postgresql kafka questdb)
cmd=${1:-status}; shift || true
if [[ $cmd == database ]]; then database "$@"; exit; fi
# the jars of the Maven-based services, resolved without starting them (scripts/containers.sh mounts them)
if [[ $cmd == libs ]]; then for s in "$@"; do maven_libs "$s"; done; exit; fi
services=("$@"); ((${#services[@]})) || services=("${ALL[@]}")
case $cmd in
  start) mkdir -p "$DATA"; for s in "${services[@]}"; do "${s}_start"; done ;;
  stop) for ((i = ${#services[@]} - 1; i >= 0; i--)); do "${services[i]}_stop"; done ;;
  status) for s in "${services[@]}"; do "${s}_status"; done ;;
  tls) tls_files; log "CA $TLS/ca.crt; server, gridwire and device certificates beside it" ;;
  *) die "usage: $0 start|stop|status [${ALL[*]}] | database create|drop NAME | libs kafka|questdb | tls" ;;
esac
