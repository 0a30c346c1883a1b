#!/usr/bin/python3
"""Numerical check of the TF.js-graph -> PyTorch converter (tfjs_graph.py) against @tensorflow/tfjs.

Feeds the same seeded random input (and one real image) to the graph run by tfjs's pure-JS CPU
backend (convert-check.mjs) and to the PyTorch interpreter, and prints the max abs difference of
each requested node's output. Writes the result as JSON (the model card quotes it).
Usage: convert_check.py model.json out.json node[,node...] [--shape 1,3,416,416]
@tensorflow/tfjs is installed into a scratch folder (TFJS_DIR, default /tmp/wfe-tfjs) on first use;
it is not a dependency of the product.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tfjs_graph import TfjsGraph  # noqa: E402

TFJS_VERSION = '4.22.0'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('model')
    ap.add_argument('out')
    ap.add_argument('nodes')
    ap.add_argument('--shape', default=None)
    ap.add_argument('--low', type=float, default=0.0)
    ap.add_argument('--high', type=float, default=1.0)
    args = ap.parse_args()
    torch.set_num_threads(2)
    tfjs_dir = os.environ.get('TFJS_DIR', '/tmp/wfe-tfjs')
    if not os.path.exists(os.path.join(tfjs_dir, 'node_modules', '@tensorflow', 'tfjs')):
        subprocess.run(['npm', 'install', '--prefix', tfjs_dir, '--no-save', '--no-audit', '--no-fund',
                        f'@tensorflow/tfjs@{TFJS_VERSION}'], check=True)
    nodes = args.nodes.split(',')
    g = TfjsGraph(args.model, nodes)
    shape = [int(s) for s in args.shape.split(',')] if args.shape else g.native_shape
    rng = np.random.default_rng(13)
    x = rng.uniform(args.low, args.high, shape).astype(np.float32)
    if g.input_dtype == 'DT_INT32':  # e.g. pose nets fed 0..255 pixels
        x = np.round(x)
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as td:
        xin, yout = os.path.join(td, 'x.bin'), os.path.join(td, 'y.bin')
        x.tofile(xin)
        env = dict(os.environ, TFJS_DIR=tfjs_dir)
        subprocess.run(['node', os.path.join(here, 'convert-check.mjs'), args.model, xin,
                        ','.join(map(str, shape)), yout, ','.join(nodes)], check=True, env=env)
        meta = json.load(open(yout + '.json'))
        flat = np.fromfile(yout, np.float32)
    with torch.no_grad():
        ours = [t.numpy() for t in g(torch.from_numpy(x))]
    res, off = [], 0
    for m, o in zip(meta['outputs'], ours):
        n = int(np.prod(m['shape']))
        ref = flat[off:off + n].reshape(m['shape'])
        off += n
        d = float(np.abs(ref - o).max())
        res.append({'node': m['name'], 'shape': m['shape'], 'max_abs_diff': d,
                    'ref_max_abs': float(np.abs(ref).max())})
        print(f"{m['name']}: shape {m['shape']} max|tfjs| {np.abs(ref).max():.3f} max abs diff {d:.3g}")
    out = {'model': os.path.basename(args.model), 'input_shape': shape, 'input': 'uniform [%g, %g), seed 13' % (args.low, args.high),
           'tfjs': meta['tfjs'], 'backend': meta['backend'], 'torch': torch.__version__,
           'max_abs_diff': max(r['max_abs_diff'] for r in res), 'outputs': res}
    json.dump(out, open(args.out, 'w'), indent=1)
    print('max abs diff over all outputs:', out['max_abs_diff'])


if __name__ == '__main__':
    main()
