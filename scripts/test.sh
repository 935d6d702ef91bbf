#!/usr/bin/env bash
# npm test: the Debian packages and the single-node cluster's build (each once per machine), then
# type-check, lint (typescript-eslint and Prettier: npm run lint), build and run every suite on
# Node 24, then the suites whose behaviour depends on the Node release (the program under mocks,
# the components and targets, the books API, the gateway, npm run local) again on Node 22: both
# LTS lines are supported. The Docker, cluster, browser,
# fault and bench suites run once, on 24 (the images carry their own Node).
# Extra arguments go to both mocha runs, e.g. `npm test -- --grep rate`.
set -euo pipefail
cd "$(dirname "$0")/.."

for argument in "$@"; do
  case "$argument" in
    -h | --help)
      echo "Usage: npm test [-- mocha options]"
      echo
      echo "Installs what the tests drive (as root; otherwise names the packages), builds the single-node"
      echo "cluster once per machine, type-checks, lints (npm run lint), builds, and runs every suite on"
      echo "Node 24, then the Node-dependent ones on Node 22. Options go to mocha, whose own options follow."
      echo
      exec node_modules/.bin/mocha --help
      ;;
  esac
done

newest="$(bash scripts/node-runtime.sh 24)"
oldest="$(bash scripts/node-runtime.sh 22)"

export PATH="$newest:$PATH"
node --import tsx scripts/test-options.ts "$@"
bash scripts/system-deps.sh --tests
bash scripts/with-node.sh scripts/cluster.ts --build-only

echo "== Node $(node --version): type check, lint, build, every suite"
npm run typecheck
npm run lint
npm run build
node_modules/.bin/mocha "$@"

export PATH="$oldest:$PATH"
echo "== Node $(node --version): the program, components, targets, books API, gateway and local run"
node_modules/.bin/mocha "$@" test/program test/components test/stacks test/books test/gateway test/local
