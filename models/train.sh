#!/usr/bin/env bash
# Reproduces the shipped default model (models/wfe-firesmoke-320.{onnx,json,labels.txt}) from a
# fixed seed on this machine: installs Debian's PyTorch if missing, caches the letterboxed training
# images (+ synthetic composites), trains, picks the operating threshold on our own held-out part
# of `train`, exports ONNX. Never reads the `val` split. Log: models/runs/<run>/train.log.
# Usage: models/train.sh [run-name] [extra train.py args...]
set -euo pipefail
cd "$(dirname "$0")"
RUN="${1:-default}"; shift || true
PY=/usr/bin/python3   # Debian's interpreter (a pyenv python3 earlier on PATH has no torch)

if ! "$PY" -c 'import torch, torchvision, onnx, PIL, numpy' 2>/dev/null; then
  echo "installing Debian PyTorch packages (needs root and network)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-torchvision python3-onnx python3-pil python3-numpy
fi

mkdir -p "runs/$RUN"
LOG="runs/$RUN/train.log"
{
  echo "# $(date -u +%FT%TZ) train.sh run=$RUN args=$* torch=$("$PY" -c 'import torch; print(torch.__version__)')"
  if [ ! -f .cache/data.npz ] || [ "${WFE_REBUILD_CACHE:-0}" = 1 ]; then
    nice -n 19 "$PY" preprocess.py
  fi
  nice -n 19 "$PY" train.py --run "runs/$RUN" "$@"
} 2>&1 | grep --line-buffered -v -e 'UserWarning' -e '_C._jit_pass' | tee "$LOG"
