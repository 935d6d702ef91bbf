#!/usr/bin/env bash
# Runs a TypeScript entry point (through tsx) on a supported Node: the machine's own when it is
# 22 or 24, else a pinned 24 that scripts/node-runtime.sh fetches once. `exec` all the way down,
# so the signals npm sends (SIGTERM, SIGINT) reach the program itself, not a wrapper.
#   scripts/with-node.sh scripts/local.ts --build
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(bash "$root/scripts/node-runtime.sh" --any)"
exec "$bin/node" --import tsx "$@"
