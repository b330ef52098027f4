#!/usr/bin/env bash
# One chunk (< 10 min) of GPU training on a lent device machine; see d4rt_train/gpu.py.
#   bash training/gpu-train.sh                       # first chunk: warm start from checkpoints/d4rt-tiny.pt
#   bash training/gpu-train.sh training/gpu-state    # next chunks: the state the last chunk returned
# Extra arguments go to `python -m d4rt_train.gpu` (e.g. --total-minutes 25 --set lr=3e-4).
# Writes $OUT/gpu-state (parts < 16 MiB, state.json, log.jsonl, curves.png) and $OUT/gpu-chunk.log.
# The device's run: carry ["training/.cache"] (the photo-texture bank; ../shared does not travel),
# plus "training/gpu-state" from the second chunk on, after copying $OUT/gpu-state there.
set -euo pipefail
OUT="${OUT:?OUT must name the folder that comes back (the device machine sets it)}"
args=()
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  if [ -f "$1/state.json" ]; then args+=(--state "$(realpath "$1")"); else echo "no state in $1: warm start"; fi
  shift
fi
cd "$(dirname "$0")"
if [ ! -f .cache/texture_bank.npz ]; then
  echo "warning: training/.cache/texture_bank.npz is missing (carry training/.cache): photo textures are off"
fi
PY="${PYTHON:-}"
if [ -z "$PY" ]; then   # the first interpreter that has torch
  for c in python3 python /usr/bin/python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import torch' 2>/dev/null; then PY="$c"; break; fi
  done
fi
[ -n "$PY" ] || { echo "no python with torch found (set PYTHON)"; exit 1; }
nvidia-smi -L 2>/dev/null || echo "nvidia-smi: no GPU listed"
"$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
mkdir -p "$OUT"
PYTHONPATH=. "$PY" -m d4rt_train.gpu --out "$OUT/gpu-state" "${args[@]}" --chunk-minutes 8.5 --total-minutes 25 "$@" \
  2>&1 | tee "$OUT/gpu-chunk.log"
