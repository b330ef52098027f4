#!/usr/bin/env bash
# Installs what d4rt-js needs on Debian/Ubuntu (ffmpeg, Chromium for the browser tests, PyTorch for
# training, pnpm and the workspace), skipping whatever is already there (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(ffmpeg chromium python3-torch python3-onnx python3-numpy python3-pytest python3-matplotlib libopenblas0-pthread)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing OS packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PNPM_VERSION=12.21.0
if ! command -v pnpm >/dev/null || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  echo "== installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION"
fi

echo "== pnpm install"
pnpm install --frozen-lockfile --reporter=append-only | tail -n 3
