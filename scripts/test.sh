#!/usr/bin/env bash
# npm test: type-check, build and run every suite on Node 24, then the suites whose behaviour
# depends on the Node release (the program under mocks, the components and targets, the books
# API, the gateway, npm run local) again on Node 22: both LTS lines are supported. The Docker,
# browser, fault and bench suites run once, on 24 (the images carry their own Node).
# Extra arguments go to both mocha runs, e.g. `npm test -- --grep rate`.
set -euo pipefail
cd "$(dirname "$0")/.."

newest="$(bash scripts/node-runtime.sh 24)"
oldest="$(bash scripts/node-runtime.sh 22)"

export PATH="$newest:$PATH"
echo "== Node $(node --version): type check, build, every suite"
npm run typecheck
npm run build
node_modules/.bin/mocha "$@"

export PATH="$oldest:$PATH"
echo "== Node $(node --version): the program, components, targets, books API, gateway and local run"
node_modules/.bin/mocha "$@" test/program test/components test/stacks test/books test/gateway test/local
