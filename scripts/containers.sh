#!/usr/bin/env bash
# gridwire's container deployment (docker/compose.yaml) run here with Debian's podman and no image registry:
#   scripts/containers.sh build   base images from Debian packages (mmdebstrap), then the gridwire image
#   scripts/containers.sh up      build, then start the stack: Mosquitto, PostgreSQL, Kafka, QuestDB, gridwire-1..3
#   scripts/containers.sh down    stop and remove the stack's containers (volumes are kept; down -v removes them)
#   scripts/containers.sh test    start a second stack on other host ports, send a reading that must land in every
#                                 sink, check every instance's /observe/health, then remove it with its volumes
# Credentials: docker/.env if present, else the development defaults of docker/.env.example.
# With Docker and public images instead: docker compose --env-file docker/.env -f docker/compose.yaml up --build
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${GRIDWIRE_DATA:-$ROOT/.gridwire-data}
cd "$ROOT"
mkdir -p "$DATA"

log() { printf '[containers] %s\n' "$*"; }
die() { printf '[containers] ERROR: %s\n' "$*" >&2; exit 1; }

# This machine's sandbox forbids raising rlimits and crun fails on its cgroup layout: podman runs containers with
# runc and no default ulimits (docker/local/containers.conf) unless the caller names a configuration of its own.
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/docker/local/containers.conf}
export GRIDWIRE_LIB=$DATA/lib
COMPOSE_FILES=(-f docker/compose.yaml -f docker/compose.local.yaml)
JRE_PACKAGES=openjdk-17-jre-headless,passwd
SERVICE_PACKAGES=$JRE_PACKAGES,mosquitto,mosquitto-clients,postgresql-15,curl,ca-certificates

install_tools() {
  local missing=() pair
  for pair in podman=podman runc=runc podman-compose=podman-compose mmdebstrap=mmdebstrap kcat=kcat; do
    command -v "${pair%%=*}" >/dev/null 2>&1 || missing+=("${pair#*=}")
  done
  ((${#missing[@]})) || return 0
  ((EUID == 0)) || die "missing ${missing[*]}: install them (Debian packages), or run this as root"
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || true
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

base_image() { # name, packages: a Debian bookworm root file system with those packages, imported as an image
  local name=$1 packages=$2 tar
  if podman image exists "$name" && [[ $(podman image inspect -f '{{.Comment}}' "$name") == "$packages" ]]; then
    return
  fi
  log "building $name from Debian packages ($packages)"
  tar=$(mktemp --suffix=.tar)
  if ! mmdebstrap --quiet --variant=apt --include="$packages" bookworm "$tar" ||
    ! podman import --quiet --message "$packages" "$tar" "$name" >/dev/null; then
    rm -f "$tar"
    die "could not build $name from Debian packages"
  fi
  rm -f "$tar"
}

gridwire_jar() { # the jar with its lib/ and the Hawtio war, rebuilt when a source is newer than it
  if [[ ! -f target/gridwire.jar || -n $(find src/main pom.xml -newer target/gridwire.jar -print -quit) ]]; then
    log "building target/gridwire.jar (mvn package)"
    mvn -q -B package -DskipTests
  fi
}

build() {
  install_tools
  scripts/services.sh libs kafka questdb
  base_image localhost/gridwire-jre:local "$JRE_PACKAGES"
  base_image localhost/gridwire-services:local "$SERVICE_PACKAGES"
  gridwire_jar
  log "building localhost/gridwire:local (docker/Dockerfile, JAR_FROM=target)"
  podman build --quiet --format docker -f docker/Dockerfile --build-arg JAR_FROM=target \
    --build-arg JRE_IMAGE=localhost/gridwire-jre:local -t localhost/gridwire:local . >/dev/null
  # the image it replaced and the build stages, untagged now: not kept on disk (about 600 MB a build)
  podman image prune --force >/dev/null
}

load_env() { # once: the test stack's own ports, exported after it, must stay
  [[ -n ${ENV_LOADED:-} ]] && return
  ENV_LOADED=1
  local file=docker/.env
  [[ -f $file ]] || file=docker/.env.example
  set -a
  # shellcheck disable=SC1090
  source "$file"
  set +a
}

compose() { # project, arguments...
  local project=$1
  shift
  # podman-compose and podman report to stderr what is expected here (a volume it creates next, health checks
  # without systemd timers): kept in a log, shown when something fails
  podman-compose --no-ansi -p "$project" "${COMPOSE_FILES[@]}" "$@" 2>>"$DATA/containers-$project.log"
}

health() { # port: the instance's /observe/health answer
  curl -s --max-time 5 "http://localhost:$1/observe/health" || true
}

wait_healthy() { # seconds, ports...: every instance's health UP
  local secs=$1 port deadline=$((SECONDS + $1))
  shift
  for port in "$@"; do
    until [[ $(health "$port") == *'"status":"UP"'* ]]; do
      ((SECONDS < deadline)) || { log "gridwire on :$port not UP within ${secs}s: $(health "$port")"; return 1; }
      sleep 2
    done
    log "gridwire on :$port UP"
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

up() {
  local project=${1:-gridwire} port
  build
  load_env
  for port in "${MQTT_PUBLISHED_PORT:-1883}" "${INFLUX_PUBLISHED_PORT:-8086}" "${HAWTIO_PUBLISHED_PORT:-8081}" "${KAFKA_PUBLISHED_PORT:-29092}" \
    "${GRIDWIRE_1_PUBLISHED_PORT:-8080}" "${GRIDWIRE_2_PUBLISHED_PORT:-8082}" "${GRIDWIRE_3_PUBLISHED_PORT:-8083}"; do
    if port_open "$port"; then
      die "port $port is in use (the local services? scripts/services.sh stop), or set the *_PUBLISHED_PORT variables in docker/.env"
    fi
  done
  log "starting the stack (project $project)"
  compose "$project" up -d >/dev/null
  wait_healthy 300 "${GRIDWIRE_1_PUBLISHED_PORT:-8080}" "${GRIDWIRE_2_PUBLISHED_PORT:-8082}" "${GRIDWIRE_3_PUBLISHED_PORT:-8083}"
  log "gridwire-1 http://localhost:${GRIDWIRE_1_PUBLISHED_PORT:-8080}, gridwire-2 :${GRIDWIRE_2_PUBLISHED_PORT:-8082}," \
    "gridwire-3 :${GRIDWIRE_3_PUBLISHED_PORT:-8083}, MQTT localhost:${MQTT_PUBLISHED_PORT:-1883}," \
    "InfluxDB v2 API (QuestDB) localhost:${INFLUX_PUBLISHED_PORT:-8086}, Kafka localhost:${KAFKA_PUBLISHED_PORT:-29092}"
}

down() {
  local project=${1:-gridwire}
  shift || true
  load_env
  compose "$project" down "$@" >/dev/null 2>&1 || true
  if [[ ${1:-} == -v ]]; then
    podman volume ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman volume rm -f >/dev/null
  fi
  log "stack $project stopped"
}

until_true() { # seconds, description, command...: retries the command until it succeeds
  local secs=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || { log "FAILED: $what (within ${secs}s)"; return 1; }
    sleep 1
  done
  log "ok: $what"
}

in_postgres() { [[ $(podman exec "${PROJECT}_postgres_1" psql -U "$DB_USER" -d gridwire -tAc "$1") == "$2" ]]; }
in_tsdb() {
  podman exec "${PROJECT}_influxdb_1" curl -fsG http://localhost:8086/exec --data-urlencode "query=$1" | grep -q "$2"
}
in_kafka() { # topic, text: a record of the topic holds the text (kcat through the listener published for the host)
  kcat -b "localhost:$KAFKA_PUBLISHED_PORT" -C -t "$1" -o beginning -e -q -m 20 2>/dev/null | grep -q "$2"
}

test_stack() {
  PROJECT=gridwire-test
  load_env
  # other host ports than the local services and a running `up` stack use
  export MQTT_PUBLISHED_PORT=21883 INFLUX_PUBLISHED_PORT=28086 HAWTIO_PUBLISHED_PORT=28081 KAFKA_PUBLISHED_PORT=29192 \
    GRIDWIRE_1_PUBLISHED_PORT=28080 GRIDWIRE_2_PUBLISHED_PORT=28082 GRIDWIRE_3_PUBLISHED_PORT=28083
  down "$PROJECT" -v >/dev/null
  trap 'status=$?; if ((status)); then logs; fi; down "$PROJECT" -v; exit $status' EXIT
  up "$PROJECT"
  local device ts reading
  device=container-test-$RANDOM$RANDOM
  ts=$(date -u +%FT%T.000Z)
  reading="{\"device_id\":\"$device\",\"timestamp\":\"$ts\",\"power\":25.3,\"voltage\":239.8,\"current\":23.7,\"energy\":156.7,\"status\":\"online\",\"enabled\":true}"
  log "publishing a reading of $device (QoS 1) to the stack's Mosquitto"
  podman exec "${PROJECT}_mosquitto_1" mosquitto_pub -u "$MQTT_DEVICE_USERNAME" -P "$MQTT_DEVICE_PASSWORD" -q 1 \
    -t "energy/devices/$device/data" -m "$reading"
  until_true 60 "PostgreSQL device_readings holds the reading" \
    in_postgres "select count(*) from device_readings where device_id = '$device' and power = 25.3" 1
  until_true 60 "the InfluxDB v2 API (QuestDB) holds the reading" \
    in_tsdb "select power from energy_readings where device_id = '$device'" 25.3
  until_true 60 "Kafka energy-readings holds the reading" in_kafka energy-readings "$device"
  in_postgres "select count(*) from dead_letters" 0 || { log "FAILED: dead letters were stored"; return 1; }
  wait_healthy 30 "$GRIDWIRE_1_PUBLISHED_PORT" "$GRIDWIRE_2_PUBLISHED_PORT" "$GRIDWIRE_3_PUBLISHED_PORT"
  local n
  for n in 1 2 3; do
    podman healthcheck run "${PROJECT}_gridwire-${n}_1" >/dev/null ||
      { log "FAILED: the image's HEALTHCHECK of gridwire-$n"; return 1; }
    [[ $(podman exec "${PROJECT}_gridwire-${n}_1" id -un) == gridwire ]] ||
      { log "FAILED: gridwire-$n does not run as the gridwire user"; return 1; }
  done
  log "ok: the image's HEALTHCHECK passes on every instance, each runs as user gridwire"
  log "cluster: $(curl -s "http://localhost:$GRIDWIRE_1_PUBLISHED_PORT/observe/health?exposureLevel=full&data=true" |
    grep -o '"name":"cluster"[^}]*}' | grep -o '"leader":"[^"]*"\|"members":"[^"]*"' | paste -sd' ')"
  log "container stack test passed"
}

logs() {
  local c port
  # what each instance says about its sinks and the messages it holds
  for port in "$GRIDWIRE_1_PUBLISHED_PORT" "$GRIDWIRE_2_PUBLISHED_PORT" "$GRIDWIRE_3_PUBLISHED_PORT"; do
    echo "----- gridwire on :$port: health, messages awaiting ack, sink writes"
    health "$port"
    echo
    curl -s --max-time 5 "http://localhost:$port/observe/metrics" | grep -E '^gridwire_(messages_awaiting_ack|sink_write_seconds_count|sink_failures_total|ingest_received_total)' || true
  done
  for c in $(podman ps -a --format '{{.Names}}' --filter "label=io.podman.compose.project=$PROJECT"); do
    echo "----- $c (last 40 lines; podman-compose's own output: $DATA/containers-$PROJECT.log)"
    podman logs --tail 40 "$c" 2>&1 || true
  done
}

case ${1:-} in
  build) build ;;
  up) up gridwire ;;
  down) shift; down gridwire "$@" ;;
  test) test_stack ;;
  *) die "usage: $0 build|up|down [-v]|test" ;;
esac
