#!/usr/bin/env bash
# Runs the whole test suite against the real local services (started here if needed), then checks that
# docker/compose.yaml is valid and that the container stack runs (scripts/containers.sh test). .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/services.sh start

# HawtioConsoleIT drives Debian's headless Chromium with playwright-core (src/test/browser, versions locked).
if ! command -v chromium >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
npm ci --prefix src/test/browser --no-audit --no-fund --loglevel=error
mvn -B verify "$@"

# No Docker engine runs here: keep the container deployment correct by validating the compose file.
if ! command -v docker-compose >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-compose >/dev/null
fi
docker-compose --env-file docker/.env.example -f docker/compose.yaml config -q
docker-compose --env-file docker/.env.example -f docker/compose.yaml -f docker/compose.observability.yaml config -q
echo "docker/compose.yaml (and with compose.observability.yaml): valid (with docker/.env.example)"

# The container deployment, built and started here with podman (images from Debian packages): a reading through
# every sink, health and the image's HEALTHCHECK on each of three instances, then everything removed.
scripts/containers.sh test
