#!/usr/bin/env bash
# Runs every test of d4rt-js on a fresh Debian/Ubuntu machine with Node >= 20.
# Installs what is missing first (idempotent): OS packages via apt, pnpm, the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 CI="${CI:-true}"

bash scripts/setup.sh

echo "== build, typecheck and TypeScript tests"
pnpm run build
pnpm run typecheck
# two packages' tests at a time on CI's two cores: more at once only stretches each test past its limit
pnpm exec turbo run test --concurrency=2

echo "== Python tests (training/)"
(cd training && OPENBLAS_NUM_THREADS=2 /usr/bin/python3 -m pytest -q tests)
