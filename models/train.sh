#!/usr/bin/env bash
# Reproduces the shipped default model (models/wfe-firesmoke-320.{onnx,json,labels.txt}) from a
# fixed seed on this machine: installs Debian's PyTorch if missing, caches the letterboxed training
# images (+ synthetic composites), trains, picks the operating threshold on our own held-out part
# of `train`, exports ONNX. Never reads the `val` split. Log: models/runs/<run>/train.log.
# Three stages from fixed seeds: stage 1 (12 epochs of 100 iterations, 224 px then 320 px for the
# last 2), then two warm restarts from the previous stage's weights (10 and 12 epochs, the last one
# at 320 px, photos/ images sampled more). The stages are what fitted in the compute this machine
# had on the day; see models/README.md "Training budget".
# Usage: models/train.sh [run-name]
set -euo pipefail
cd "$(dirname "$0")"
RUN="${1:-default}"
PY=/usr/bin/python3   # Debian's interpreter (a pyenv python3 earlier on PATH has no torch)
# One thread everywhere: on a shared 2-core machine, OpenMP/OpenBLAS thread teams at nice 19 spend
# most of their time waiting at barriers for a descheduled sibling (measured 3x slower than 1 thread).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

if ! "$PY" -c 'import torch, torchvision, onnx, PIL, numpy' 2>/dev/null; then
  echo "installing Debian PyTorch packages (needs root and network)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-torchvision python3-onnx python3-pil python3-numpy
fi
# Debian's torch does its matrix products through the system BLAS; the reference libblas3 is
# several times slower than OpenBLAS, which takes over libblas.so.3 through update-alternatives.
if ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread
fi

mkdir -p "runs/$RUN"
LOG="runs/$RUN/train.log"
{
  echo "# $(date -u +%FT%TZ) train.sh run=$RUN torch=$("$PY" -c 'import torch; print(torch.__version__)')"
  if [ ! -f .cache/data.npz ] || [ "${WFE_REBUILD_CACHE:-0}" = 1 ]; then
    nice -n 19 "$PY" preprocess.py
  fi
  nice -n 19 "$PY" train.py --run "runs/$RUN/stage1" --out "runs/$RUN/stage1/stage1.onnx" --seed 1
  nice -n 19 "$PY" train.py --run "runs/$RUN/stage2" --init "runs/$RUN/stage1/last.pt" --seed 2 \
    --epochs 10 --final-epochs 1 --lr 1e-3 --photo-weight 3 --out "runs/$RUN/stage2/stage2.onnx"
  nice -n 19 "$PY" train.py --run "runs/$RUN/stage3" --init "runs/$RUN/stage2/last.pt" --seed 3 \
    --epochs 12 --final-epochs 1 --lr 1e-3 --photo-weight 3 --out wfe-firesmoke-320.onnx
} 2>&1 | grep --line-buffered -v -e 'UserWarning' -e '_C._jit_pass' | tee "$LOG"
