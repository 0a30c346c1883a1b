#!/usr/bin/python3
"""Decode, letterbox and cache the training images once, so that epochs are cheap.

Reads ../shared/datasets/fire-dev (see its README), never the `val` split of either part.
Writes models/.cache/data.npz with:
  img   uint8 [N, 320, 320, 3]  letterboxed RGB (pad 114, centred, aspect kept)
  boxes float32 [K, 6]          (image index, class, x1, y1, x2, y2) in letterboxed pixels
  mil   uint8 [N, 2]            image-level positives without boxes (photos/ fire/smoke images)
  part  uint8 [N]               0 = train, 1 = tune (our own held-out part of `train`)
  kind  uint8 [N]               0 boxes, 1 photos, 2 synthetic
  hard  uint8 [N]               photos/ `hard` flag
  name  str [N]                 source file id
The tuning part (held out by source-photo group) is used only to choose the operating threshold.
"""
import csv
import os
import sys
import zlib

import numpy as np
from PIL import Image

SIZE = 320
PAD = 114
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get('WFE_DATA', os.path.join(HERE, '..', '..', 'shared', 'datasets', 'fire-dev'))
OUT = os.path.join(HERE, '.cache')


def stable_frac(key: str) -> float:
    """A deterministic pseudo-random number in [0, 1) from a string (split must not depend on order)."""
    return (zlib.crc32(key.encode()) & 0xFFFFFFFF) / 2**32


def bilinear_plain(arr: np.ndarray, nw: int, nh: int) -> np.ndarray:
    """Half-pixel-centre bilinear resize without antialiasing (what a simple runtime letterbox does)."""
    h, w = arr.shape[:2]
    ys = (np.arange(nh) + 0.5) * (h / nh) - 0.5
    xs = (np.arange(nw) + 0.5) * (w / nw) - 0.5
    ys = np.clip(ys, 0, h - 1)
    xs = np.clip(xs, 0, w - 1)
    y0 = np.floor(ys).astype(np.int64)
    x0 = np.floor(xs).astype(np.int64)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    fy = (ys - y0)[:, None, None]
    fx = (xs - x0)[None, :, None]
    a = arr.astype(np.float32)
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bot = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return np.clip(top * (1 - fy) + bot * fy + 0.5, 0, 255).astype(np.uint8)


def letterbox(path: str, plain: bool):
    """Returns (uint8 [320,320,3], scale, pad_x, pad_y, content_w, content_h)."""
    im = Image.open(path).convert('RGB')
    w, h = im.size
    s = min(SIZE / w, SIZE / h)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    if plain:
        small = bilinear_plain(np.asarray(im), nw, nh)
    else:
        small = np.asarray(im.resize((nw, nh), Image.BILINEAR))
    canvas = np.full((SIZE, SIZE, 3), PAD, np.uint8)
    px, py = (SIZE - nw) // 2, (SIZE - nh) // 2
    canvas[py:py + nh, px:px + nw] = small
    return canvas, s, px, py, nw, nh


def main() -> None:
    rng = np.random.default_rng(20261127)
    imgs, boxes, mil, part, kind, hard, names = [], [], [], [], [], [], []

    # boxes/: hold out 12 % of hot-fire source groups (val is all hot-fire) as the tuning part.
    with open(os.path.join(DATA, 'boxes', 'split.tsv')) as f:
        rows = [r for r in csv.DictReader(f, delimiter='\t') if r['split'] == 'train']
    for i, r in enumerate(rows):
        tune = r['source'] == 'hot-fire' and stable_frac('g' + r['group']) < 0.12
        arr, s, px, py, W, H = letterbox(os.path.join(DATA, 'boxes', 'images', r['file']), rng.random() < 0.5)
        idx = len(imgs)
        lab = os.path.join(DATA, 'boxes', 'labels', os.path.splitext(r['file'])[0] + '.txt')
        with open(lab) as f:
            for line in f:
                p = line.split()
                if len(p) != 5:
                    continue
                c, cx, cy, bw, bh = int(p[0]), *map(float, p[1:])
                x1 = px + (cx - bw / 2) * W
                y1 = py + (cy - bh / 2) * H
                x2 = px + (cx + bw / 2) * W
                y2 = py + (cy + bh / 2) * H
                boxes.append((idx, c, x1, y1, x2, y2))
        imgs.append(arr)
        mil.append((0, 0))
        part.append(1 if tune else 0)
        kind.append(0)
        hard.append(0)
        names.append(r['file'])
        if i % 500 == 0:
            print(f'boxes {i}/{len(rows)}', flush=True)

    # photos/: hold out 25 % of train images as tuning part; fire/smoke images have no boxes and
    # are used as image-level (multiple-instance) positives.
    with open(os.path.join(DATA, 'photos', 'labels.tsv')) as f:
        prow = [r for r in csv.DictReader(f, delimiter='\t') if r['split'] == 'train']
    for r in prow:
        tune = stable_frac('p' + r['id']) < 0.25
        arr, *_ = letterbox(os.path.join(DATA, 'photos', 'images', r['id'] + '.jpg'), rng.random() < 0.5)
        imgs.append(arr)
        mil.append((int(r['fire']), int(r['smoke'])))
        part.append(1 if tune else 0)
        kind.append(1)
        hard.append(int(r['hard']))
        names.append(r['id'])
    print(f'photos {len(prow)}', flush=True)

    img = np.stack(imgs)
    b = np.array(boxes, np.float32).reshape(-1, 6)
    b[:, 2:] = np.clip(b[:, 2:], 0, SIZE)
    mil_a = np.array(mil, np.uint8)
    part_a = np.array(part, np.uint8)
    kind_a = np.array(kind, np.uint8)

    # Synthetic composites onto training-part negatives only (never tuning images).
    sys.path.insert(0, HERE)
    import synth
    n_syn = int(os.environ.get('WFE_SYNTH', '700'))
    s_img, s_box = synth.generate(img, b, mil_a, part_a, kind_a, n_syn, seed=7)
    base = len(img)
    s_box[:, 0] += base
    img = np.concatenate([img, s_img])
    b = np.concatenate([b, s_box])
    mil_a = np.concatenate([mil_a, np.zeros((n_syn, 2), np.uint8)])
    part_a = np.concatenate([part_a, np.zeros(n_syn, np.uint8)])
    kind_a = np.concatenate([kind_a, np.full(n_syn, 2, np.uint8)])
    hard_a = np.concatenate([np.array(hard, np.uint8), np.zeros(n_syn, np.uint8)])
    names += [f'synth_{i:04d}' for i in range(n_syn)]

    os.makedirs(OUT, exist_ok=True)
    np.savez(os.path.join(OUT, 'data.npz'), img=img, boxes=b, mil=mil_a, part=part_a, kind=kind_a,
             hard=hard_a, name=np.array(names))
    print(f'cached {len(img)} images ({(part_a == 1).sum()} tuning), {len(b)} boxes, {n_syn} synthetic',
          flush=True)


if __name__ == '__main__':
    main()
