#!/usr/bin/env bash
# The demo on a fresh Debian-like machine: install dependencies, make sure an InfluxDB is
# available (INFLUX_URL, or a private influxd), then `nocai demo` backfills simulated history
# and runs the backend with the live simulator until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "demo: installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
echo "demo: building the backend"
npm run --silent build:backend

if [[ -z "${INFLUX_URL:-}" ]] && ! command -v influxd >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "demo: installing Debian's influxdb package"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq influxdb >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq influxdb >/dev/null; }
  else
    echo "demo: influxd is missing. Install InfluxDB 1.x (sudo apt-get install -y influxdb) or set INFLUX_URL." >&2
    exit 1
  fi
fi

exec node inference-backend/dist/cli.js demo "$@"
