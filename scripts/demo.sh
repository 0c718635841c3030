#!/usr/bin/env bash
# The demo on a fresh Debian-like machine: install what the backend and the CLI need (not the
# Grafana plugin toolchain), build the backend unless it is built already, make sure an InfluxDB
# is available (INFLUX_URL, or a private influxd), then `nocai demo` backfills a simulated week,
# has the backend triage it, and runs the live simulator until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
started_ms=$(date +%s%3N)
[[ $started_ms =~ ^[0-9]+$ ]] || started_ms=""
say() { echo "demo: [${SECONDS} s] $*" >&2; }

if ! command -v node >/dev/null 2>&1 || (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
  echo "demo: Node.js 20 or later is needed (https://nodejs.org, or: apt-get install -y nodejs npm)." >&2
  exit 1
fi

# A full `npm ci` (what the tests need) also serves the demo; either is reused while the lockfile is unchanged.
installed() {
  [[ -f node_modules/.package-lock.json && ! package-lock.json -nt node_modules/.package-lock.json &&
    -d node_modules/onnxruntime-node && -d node_modules/typescript && -e node_modules/@nocai/contract ]]
}
if ! installed; then
  say "installing the backend's dependencies (npm ci for contract and inference-backend only; the tests need a plain npm ci)…"
  npm ci --workspace contract --workspace inference-backend --include-workspace-root --no-audit --no-fund
fi

built() {
  [[ -f contract/dist/index.js && -f inference-backend/dist/cli.js ]] &&
    [[ -z $(find contract/src inference-backend/src tsconfig.base.json contract/tsconfig*.json inference-backend/tsconfig*.json \
      -newer inference-backend/dist/cli.js -print -quit) ]]
}
if built; then
  say "the backend is built and up to date"
else
  say "building the backend (npm run build:backend)…"
  npm run --silent build:backend
fi

if [[ -z "${INFLUX_URL:-}" ]] && ! command -v influxd >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's influxdb package…"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq influxdb >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq influxdb >/dev/null; }
  else
    echo "demo: influxd is missing. Install InfluxDB 1.x (sudo apt-get install -y influxdb) or set INFLUX_URL." >&2
    exit 1
  fi
fi

# exec: the demo receives Ctrl-C itself and stops its simulator, backend and influxd in that order.
exec node --initial-old-space-size=128 inference-backend/dist/cli.js demo ${started_ms:+--started-at "$started_ms"} "$@"
