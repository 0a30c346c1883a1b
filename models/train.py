#!/usr/bin/python3
"""Train the default wildfire-edge fire/smoke detector from scratch and export it to ONNX.

A small anchor-free detector (depthwise-separable CNN, FPN with strides 8/16/32, one point per
cell, FCOS-style centre sampling, focal loss for the two classes, GIoU for boxes) plus an
image-level multiple-instance loss: for every image and class, the highest score over all points
is pushed to 1 if the class is present (boxes or image-level label) and to 0 otherwise. That loss is
what the product's decision uses ("any box of this class"), and it lets the fire/smoke images of
photos/ (labels without boxes) train the classifier.

Export: YOLOv8 layout [1, 4 + 2, 2100] (cx, cy, w, h in input pixels, sigmoid scores), BN folded,
metadata `names` = "{0: 'fire', 1: 'smoke'}". Usage: see models/train.sh.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SIZE = 320
STRIDES = (8, 16, 32)
NAMES = ['fire', 'smoke']
HERE = os.path.dirname(os.path.abspath(__file__))
EXPORTING = False  # set during ONNX export: CBA then uses plain Conv ops
TTA = True  # mirror pass in the exported graph (--no-tta: half the inference cost, re-tuned thresholds)


# ---------------------------------------------------------------- model
class CBA(nn.Module):
    """Conv + BatchNorm + SiLU (the BN is folded into the conv at export)."""

    def __init__(self, cin, cout, k=1, s=1, groups=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, (k // 2) if k % 2 else 0, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = nn.SiLU() if act else nn.Identity()

    def forward(self, x):
        c = self.conv
        if c.kernel_size == (1, 1) and c.groups == 1 and not EXPORTING:
            # Pointwise conv as a matmul: this torch build's 1x1 Conv2d path is several times slower
            # on CPU than BLAS (same maths; the export uses the Conv op).
            b, ch, h, w = x.shape
            y = (c.weight.view(c.out_channels, ch) @ x.reshape(b, ch, h * w)).view(b, c.out_channels, h, w)
            if c.bias is not None:
                y = y + c.bias.view(1, -1, 1, 1)
            return self.act(self.bn(y))
        return self.act(self.bn(c(x)))

    def fuse(self):
        self.conv = torch.nn.utils.fusion.fuse_conv_bn_eval(self.conv, self.bn)
        self.bn = nn.Identity()


class DW(nn.Module):
    """Depthwise-separable block: dw kxk (stride s) + pointwise; residual when shapes match."""

    def __init__(self, cin, cout, k=3, s=1):
        super().__init__()
        self.dw = CBA(cin, cin, k, s, groups=cin)
        self.pw = CBA(cin, cout, 1)
        self.res = s == 1 and cin == cout

    def forward(self, x):
        y = self.pw(self.dw(x))
        return x + y if self.res else y


class Net(nn.Module):
    def __init__(self, w=(16, 32, 64, 96, 160), neck=64, nc=2):
        super().__init__()
        self.nc = nc
        # Patchify stem (4x4, stride 4) straight to 1/4 resolution: the half-resolution layers of a
        # classic stem dominated CPU training time (memory-bound BN/SiLU, slow depthwise backward).
        self.stem = CBA(3, w[1], 4, 4)                                               # 80
        self.s3 = nn.Sequential(CBA(w[1], w[2], 3, 2), DW(w[2], w[2]))               # 40 (P3)
        self.s4 = nn.Sequential(CBA(w[2], w[3], 3, 2), DW(w[3], w[3], 5))            # 20 (P4)
        self.s5 = nn.Sequential(CBA(w[3], w[4], 3, 2), DW(w[4], w[4], 5), DW(w[4], w[4], 5))  # 10 (P5)
        self.l3, self.l4, self.l5 = CBA(w[2], neck), CBA(w[3], neck), CBA(w[4], neck)
        self.t4, self.t3 = DW(neck, neck, 5), DW(neck, neck, 3)
        self.d3, self.d4 = CBA(neck, neck, 3, 2, groups=neck), CBA(neck, neck, 3, 2, groups=neck)
        self.b4, self.b5 = DW(neck, neck, 5), DW(neck, neck, 5)
        self.heads = nn.ModuleList([nn.Sequential(DW(neck, neck, 3), nn.Conv2d(neck, 4 + nc, 1))
                                    for _ in STRIDES])
        for h in self.heads:
            nn.init.constant_(h[1].bias[4:], -4.6)   # prior 0.01 for the class logits
            nn.init.constant_(h[1].bias[:4], 0.5)

    def forward(self, x):
        """Raw outputs (B, 4 + nc, A): ltrb logits then class logits, levels concatenated."""
        p3 = self.s3(self.stem(x))
        p4 = self.s4(p3)
        p5 = self.s5(p4)
        f5 = self.l5(p5)
        f4 = self.t4(self.l4(p4) + F.interpolate(f5, scale_factor=2.0, mode='nearest'))
        f3 = self.t3(self.l3(p3) + F.interpolate(f4, scale_factor=2.0, mode='nearest'))
        n4 = self.b4(f4 + self.d3(f3))
        n5 = self.b5(f5 + self.d4(n4))
        outs = [h(f).flatten(2) for h, f in zip(self.heads, (f3, n4, n5))]
        return torch.cat(outs, 2)


def make_anchors(size=SIZE):
    pts, st = [], []
    for s in STRIDES:
        n = size // s
        ys, xs = torch.meshgrid(torch.arange(n), torch.arange(n), indexing='ij')
        pts.append(torch.stack([xs.flatten(), ys.flatten()], 1).float() * s + s / 2)
        st.append(torch.full((n * n,), float(s)))
    return torch.cat(pts), torch.cat(st)


ANCH, ASTR = make_anchors()
ANCHORS = {SIZE: (ANCH, ASTR)}


def anchors_for(size):
    """Anchor centres and strides for a (square) input size; training may run below 320."""
    if size not in ANCHORS:
        ANCHORS[size] = make_anchors(size)
    return ANCHORS[size]


def decode_ltrb(raw, anch, astr):
    """raw (B, 4+nc, A) -> boxes xyxy (B, A, 4) in pixels."""
    d = torch.exp(raw[:, :4].clamp(-6, 6)).transpose(1, 2) * astr[None, :, None]
    ax, ay = anch[None, :, 0], anch[None, :, 1]
    return torch.stack([ax - d[..., 0], ay - d[..., 1], ax + d[..., 2], ay + d[..., 3]], -1)


class Export(nn.Module):
    """Wraps the net into the Ultralytics YOLOv8 output layout, with two things the runtime's
    decision ("any box of class c at score >= threshold") gains from and cannot do itself:

    - Mirror test-time augmentation: the image and its left-right mirror run as one batch of 2; for
      each class, every logit of the original is shifted by half the difference between the two
      passes' highest logits, so the image-level score is the mean of both views' best logits. Boxes
      and their ranking come from the original view. Inference costs ~2.15x one pass (5.5 ms here).
    - Per-class calibration: `bias` (a logit offset per class) moves each class's own operating
      point, chosen on the tuning split, onto the one shipped threshold. Smoke false alarms (grey
      fur, haze, cloud) sit far higher than fire ones, so one threshold for both classes traded away
      fire recall to hold smoke's false alarms down.
    """

    def __init__(self, net, bias=(0.0, 0.0), tta=None):
        super().__init__()
        self.net = net
        self.tta = TTA if tta is None else tta
        self.register_buffer('anch', ANCH.clone())
        self.register_buffer('astr', ASTR.clone())
        self.register_buffer('bias', torch.tensor(bias, dtype=torch.float32).view(1, -1, 1))

    def forward(self, x):
        if self.tta:
            b = x.shape[0]
            both = self.net(torch.cat([x, torch.flip(x, [3])], 0))
            raw, mirror = both[:b], both[b:]
            z = raw[:, 4:]
            z = z + (mirror[:, 4:].amax(2, keepdim=True) - z.amax(2, keepdim=True)) * 0.5
        else:
            raw = self.net(x)
            z = raw[:, 4:]
        d = torch.exp(raw[:, :4].clamp(-6, 6)) * self.astr[None, None, :]
        x1 = self.anch[:, 0] - d[:, 0]
        y1 = self.anch[:, 1] - d[:, 1]
        x2 = self.anch[:, 0] + d[:, 2]
        y2 = self.anch[:, 1] + d[:, 3]
        box = torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], 1)
        return torch.cat([box, torch.sigmoid(z + self.bias)], 1)


# ---------------------------------------------------------------- loss
def giou(a, b):
    ix1, iy1 = torch.max(a[..., 0], b[..., 0]), torch.max(a[..., 1], b[..., 1])
    ix2, iy2 = torch.min(a[..., 2], b[..., 2]), torch.min(a[..., 3], b[..., 3])
    inter = (ix2 - ix1).clamp(0) * (iy2 - iy1).clamp(0)
    aa = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    ab = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = aa + ab - inter + 1e-6
    iou = inter / union
    cx1, cy1 = torch.min(a[..., 0], b[..., 0]), torch.min(a[..., 1], b[..., 1])
    cx2, cy2 = torch.max(a[..., 2], b[..., 2]), torch.max(a[..., 3], b[..., 3])
    c = (cx2 - cx1) * (cy2 - cy1) + 1e-6
    return iou - (c - union) / c


def compute_loss(raw, gt, gcls, gvalid, mil, size=SIZE):
    """raw (B,6,A); gt (B,M,4) xyxy; gcls (B,M) long; gvalid (B,M) bool; mil (B,2) bool."""
    B, _, A = raw.shape
    nc = raw.shape[1] - 4
    anch, astr = anchors_for(size)
    ax, ay, st = anch[:, 0], anch[:, 1], astr
    x1, y1, x2, y2 = [gt[..., i, None] for i in range(4)]  # (B,M,1)
    gcx, gcy = (x1 + x2) / 2, (y1 + y2) / 2
    sz = torch.max(x2 - x1, y2 - y1)
    inbox = (ax > x1) & (ax < x2) & (ay > y1) & (ay < y2)
    centre = ((ax - gcx).abs() < 2.5 * st) & ((ay - gcy).abs() < 2.5 * st)
    cell = ((ax - gcx).abs() <= st / 2) & ((ay - gcy).abs() <= st / 2)
    lo = torch.where(st == 8, 0.0, torch.where(st == 16, 48.0, 128.0))
    hi = torch.where(st == 8, 96.0, torch.where(st == 16, 192.0, 1e9))
    scale_ok = (sz >= lo) & (sz <= hi)
    cand = ((inbox & centre) | cell) & scale_ok & gvalid[..., None]  # (B,M,A)
    area = ((x2 - x1) * (y2 - y1)).expand(-1, -1, A)
    area = torch.where(cand, area, torch.full_like(area, 1e12))
    gi = area.argmin(1)  # (B,A)
    pos = cand.any(1)
    tcls = torch.zeros(B, nc, A)
    for c in range(nc):
        tcls[:, c] = (cand & (gcls[..., None] == c)).any(1).float()
    logit = raw[:, 4:]
    # dense focal loss; for image-level-only positives the dense target of that class is unknown
    dense_mask = (~mil).float()[..., None]
    p = torch.sigmoid(logit)
    ce = F.binary_cross_entropy_with_logits(logit, tcls, reduction='none')
    pt = p * tcls + (1 - p) * (1 - tcls)
    alpha = 0.25 * tcls + 0.75 * (1 - tcls)
    fl = (alpha * (1 - pt) ** 2 * ce * dense_mask).sum()
    npos = max(1.0, float(pos.sum()))
    l_cls = fl / npos
    # box loss on positives
    if pos.any():
        pb = decode_ltrb(raw, anch, astr)[pos]
        tb = torch.gather(gt, 1, gi[..., None].expand(-1, -1, 4))[pos]
        l_box = (1 - giou(pb, tb)).mean()
    else:
        l_box = raw.sum() * 0
    # image-level (multiple-instance) loss: max logit per class vs presence of the class
    present = torch.zeros(B, nc, dtype=torch.bool)
    for c in range(nc):
        present[:, c] = (gvalid & (gcls == c)).any(1)
    present |= mil
    mx = logit.max(2).values
    l_img = F.binary_cross_entropy_with_logits(mx, present.float())
    return l_cls + 2.0 * l_box + 1.0 * l_img, (float(l_cls), float(l_box), float(l_img))


# ---------------------------------------------------------------- data / augmentation
class Data:
    def __init__(self, path):
        d = np.load(path)
        self.img = torch.from_numpy(d['img'])  # N,H,W,3 uint8
        self.boxes = d['boxes']
        self.mil = d['mil'].astype(bool)
        self.part = d['part']
        self.kind = d['kind']
        self.hard = d['hard']
        self.name = d['name']
        self.by_img = [[] for _ in range(len(self.img))]
        for b in self.boxes:
            self.by_img[int(b[0])].append(b[1:])
        self.by_img = [np.array(x, np.float32).reshape(-1, 5) for x in self.by_img]
        # which classes each image holds (a box of the class or an image-level label): (N, 2) bool
        self.present = np.zeros((len(self.img), 2), bool)
        for i, b in enumerate(self.by_img):
            for c in range(2):
                self.present[i, c] = (b[:, 0] == c).any() or self.mil[i, c]


def augment(data, idx, rng):
    """Returns images (B,3,S,S) float 0..1, list of (K,5) [cls,x1,y1,x2,y2], mil (B,2) bool."""
    B = len(idx)
    x = data.img[idx].permute(0, 3, 1, 2).float() / 255
    boxes = [data.by_img[i].copy() for i in idx]
    mil = torch.from_numpy(data.mil[idx].copy())
    theta = torch.zeros(B, 2, 3)
    for b in range(B):
        img_level = bool(mil[b].any())
        if img_level:  # zoom out only: never crop the unlabelled fire away
            s = rng.uniform(0.6, 1.0)
            tmax = (1 - s) * 160
        else:
            s = math.exp(rng.uniform(math.log(0.5), math.log(1.6)))
            tmax = max(32.0, abs(s - 1) * 160)
        tx, ty = rng.uniform(-tmax, tmax), rng.uniform(-tmax, tmax)
        flip = rng.random() < 0.5
        sx = -s if flip else s
        theta[b, 0, 0], theta[b, 0, 2] = 1 / sx, -(tx / 160) / sx
        theta[b, 1, 1], theta[b, 1, 2] = 1 / s, -(ty / 160) / s
        bx = boxes[b]
        if len(bx):
            cx1 = (bx[:, 1] - 160) * sx + 160 + tx
            cx2 = (bx[:, 3] - 160) * sx + 160 + tx
            nx1, nx2 = np.minimum(cx1, cx2), np.maximum(cx1, cx2)
            ny1 = (bx[:, 2] - 160) * s + 160 + ty
            ny2 = (bx[:, 4] - 160) * s + 160 + ty
            area0 = (nx2 - nx1) * (ny2 - ny1)
            nx1, nx2 = np.clip(nx1, 0, SIZE), np.clip(nx2, 0, SIZE)
            ny1, ny2 = np.clip(ny1, 0, SIZE), np.clip(ny2, 0, SIZE)
            area1 = (nx2 - nx1) * (ny2 - ny1)
            keep = (area1 > 0.35 * np.maximum(area0, 1e-6)) & (nx2 - nx1 > 2) & (ny2 - ny1 > 2)
            lost = (area1 > 0) & ~keep
            boxes[b] = np.stack([bx[:, 0], nx1, ny1, nx2, ny2], 1)[keep]
            if lost.any():
                # a box mostly cut off: its class is still partly visible, so do not teach "absent"
                for c in np.unique(bx[lost, 0]).astype(int):
                    if not (boxes[b][:, 0] == c).any():
                        mil[b, c] = True
    grid = F.affine_grid(theta, (B, 3, SIZE, SIZE), align_corners=False)
    x = F.grid_sample(x - 114 / 255, grid, mode='bilinear', padding_mode='zeros', align_corners=False) + 114 / 255
    # colour jitter: value, contrast, saturation; hue only slightly (flame colour matters)
    v = torch.from_numpy(rng.uniform(0.6, 1.4, (B, 1, 1, 1))).float()
    c = torch.from_numpy(rng.uniform(0.7, 1.3, (B, 1, 1, 1))).float()
    sat = torch.from_numpy(rng.uniform(0.5, 1.4, (B, 1, 1, 1))).float()
    gain = torch.from_numpy(rng.uniform(0.93, 1.07, (B, 3, 1, 1))).float()
    mean = x.mean((1, 2, 3), keepdim=True)
    x = (x - mean) * c + mean
    grey = x.mean(1, keepdim=True)
    x = (grey + (x - grey) * sat) * v * gain
    x = x + torch.randn_like(x) * torch.from_numpy(rng.uniform(0, 0.03, (B, 1, 1, 1))).float()
    x = x.clamp(0, 1)
    # cheap mosaic: a quarter of the batch becomes 2x2 tiles of half-size images
    for b in range(B):
        if rng.random() < 0.25:
            ids = rng.integers(0, B, 4)
            tiles = F.avg_pool2d(x[ids], 2)
            m = torch.cat([torch.cat([tiles[0], tiles[1]], 2), torch.cat([tiles[2], tiles[3]], 2)], 1)
            nb = []
            for t, j in enumerate(ids):
                ox, oy = (t % 2) * 160, (t // 2) * 160
                bj = boxes[j].copy()
                if len(bj):
                    bj[:, 1:] *= 0.5
                    bj[:, [1, 3]] += ox
                    bj[:, [2, 4]] += oy
                    bj = bj[(bj[:, 3] - bj[:, 1] > 1.5) & (bj[:, 4] - bj[:, 2] > 1.5)]
                nb.append(bj)
            newmil = mil[ids].any(0)
            x = x.clone()
            x[b] = m
            boxes[b] = np.concatenate(nb) if nb else np.zeros((0, 5), np.float32)
            mil[b] = newmil
    return x, boxes, mil


def pad_targets(boxes):
    B = len(boxes)
    M = max(1, max(len(b) for b in boxes))
    gt = torch.zeros(B, M, 4)
    gc = torch.zeros(B, M, dtype=torch.long)
    gv = torch.zeros(B, M, dtype=torch.bool)
    for i, b in enumerate(boxes):
        if len(b):
            t = torch.from_numpy(b)
            gt[i, :len(b)] = t[:, 1:]
            gc[i, :len(b)] = t[:, 0].long()
            gv[i, :len(b)] = True
    return gt, gc, gv


def add_flat_negatives(x, boxes, mil, rng, p):
    """Replaces a fraction p of the batch (in place) with structureless frames labelled 'neither':
    a uniform grey or dull colour with a gentle vertical gradient and sensor noise, what a camera
    sees in fog, against an overcast sky or with a covered lens. Smoke boxes are mostly large grey
    areas, so without these a flat grey frame scored smoke 0.93."""
    for b in range(x.shape[0]):
        if rng.random() >= p:
            continue
        grey = rng.uniform(0.05, 1.0)
        tint = rng.uniform(-0.06, 0.06, 3)
        top, bottom = grey + rng.uniform(-0.15, 0.15), grey
        ramp = torch.linspace(top, bottom, SIZE).view(1, SIZE, 1)
        img = ramp + torch.from_numpy(tint).float().view(3, 1, 1)
        img = img + torch.randn(3, SIZE, SIZE) * float(rng.uniform(0, 0.03))
        x[b] = img.clamp(0, 1)
        boxes[b] = np.zeros((0, 5), np.float32)
        mil[b] = False


class BatchStream(torch.utils.data.IterableDataset):
    """The whole run's augmented batches, in order: (x, gt, gcls, gvalid, mil, size)."""

    def __init__(self, data, train_idx, weights, args, iters):
        super().__init__()
        self.data, self.train_idx, self.w, self.iters = data, train_idx, weights, iters
        self.batch, self.epochs, self.seed = args.batch, args.epochs, args.seed
        self.train_size, self.final_epochs = args.train_size, args.final_epochs
        self.flat = args.flat_neg

    def __iter__(self):
        torch.set_num_threads(1)
        torch.manual_seed(self.seed + 1000)
        rng = np.random.default_rng(self.seed)
        for ep in range(self.epochs):
            size = SIZE if ep >= self.epochs - self.final_epochs else self.train_size
            for _ in range(self.iters):
                idx = rng.choice(self.train_idx, self.batch, p=self.w)
                x, boxes, mil = augment(self.data, idx, rng)
                if self.flat > 0:  # no draws at 0, so runs without it keep their batch sequence
                    add_flat_negatives(x, boxes, mil, rng, self.flat)
                if size != SIZE:
                    # cheaper epochs at a lower resolution (the net is fully convolutional)
                    x = F.interpolate(x, size=(size, size), mode='bilinear', align_corners=False, antialias=True)
                    boxes = [b * np.array([1] + [size / SIZE] * 4, np.float32) for b in boxes]
                gt, gc, gv = pad_targets(boxes)
                yield x, gt, gc, gv, mil, size


# ---------------------------------------------------------------- evaluation on the tuning part
OPERATING = 0.5  # the shipped threshold: each class's own operating point is calibrated onto it


@torch.no_grad()
def image_scores(model, data, idx, bs=32, bias=(0.0, 0.0)):
    """Per image, the highest class score over all points (what 'any box of class c' means), through
    the exported graph (mirror TTA; calibration `bias`, none by default) so that tuning sees what
    the runtime will."""
    model.eval()
    ex = Export(model, bias).eval()
    out = []
    for i in range(0, len(idx), bs):
        x = data.img[idx[i:i + bs]].permute(0, 3, 1, 2).float() / 255
        out.append(ex(x)[:, 4:].max(2).values)
    return torch.cat(out).numpy()


@torch.no_grad()
def flat_frame_max(model, bias):
    """Highest calibrated class score on uniform frames from black to white (fog, overcast sky,
    covered lens); the shipped threshold is OPERATING."""
    model.eval()
    x = torch.linspace(0, 1, 9).view(9, 1, 1, 1).expand(9, 3, SIZE, SIZE).contiguous()
    return round(float(Export(model, bias).eval()(x)[:, 4:].max()), 3)


def logit(p):
    return math.log(p / (1 - p))


def pick_thresholds(sc, neg, fire, smoke, fa_target):
    """Per-class thresholds (fire, smoke) on a 0.01 grid with at most fa_target of the negatives
    showing any box, maximising fire recall + smoke recall; ties go to fewer false alarms, then to
    higher thresholds. None when no pair meets the target."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    fneg = sc[neg, 0][:, None] >= grid[None, :]          # (n_neg, G)
    sneg = sc[neg, 1][:, None] >= grid[None, :]
    fa = (fneg[:, :, None] | sneg[:, None, :]).mean(0)    # (G fire, G smoke)
    fr = (sc[fire, 0][:, None] >= grid[None, :]).mean(0)
    sr = (sc[smoke, 1][:, None] >= grid[None, :]).mean(0)
    best = None
    for i, tf in enumerate(grid):
        for j, ts in enumerate(grid):
            if fa[i, j] > fa_target:
                continue
            key = (round(fr[i] + sr[j], 9), -fa[i, j], tf + ts)
            if best is None or key > best[0]:
                best = (key, float(tf), float(ts))
    return None if best is None else (best[1], best[2])


def tuning_report(model, data, fa_target=0.03):
    """Chooses the per-class operating points on the tuning split: the pair of thresholds with at
    most fa_target of the tuning negatives showing any box that finds the most fire and smoke."""
    idx = np.nonzero(data.part == 1)[0]
    sc = image_scores(model, data, idx)
    has = data.present[idx]
    neg = ~has.any(1)
    fire = has[:, 0] & (data.kind[idx] == 0)
    smoke = has[:, 1] & (data.kind[idx] == 0)
    tf, ts = pick_thresholds(sc, neg, fire, smoke, fa_target) or (0.95, 0.95)
    bias = [logit(OPERATING) - logit(tf), logit(OPERATING) - logit(ts)]
    anys = (sc[:, 0] >= tf) | (sc[:, 1] >= ts)
    r = {
        'threshold': OPERATING,
        'class_thresholds': {'fire': tf, 'smoke': ts},
        'bias': [round(v, 4) for v in bias],
        'fire_recall': float((sc[fire, 0] >= tf).mean()),
        'smoke_recall': float((sc[smoke, 1] >= ts).mean()),
        'false_alarm': float(anys[neg].mean()),
        'n_fire': int(fire.sum()), 'n_smoke': int(smoke.sum()), 'n_neg': int(neg.sum()),
        'fire_recall_at_0.5': float((sc[fire, 0] >= 0.5).mean()),
        'false_alarm_at_0.5': float((sc[neg].max(1) >= 0.5).mean()),
        'flat_frame_max': flat_frame_max(model, bias),
    }
    return r


# ---------------------------------------------------------------- export
def set_metadata(mp, meta):
    """Replace the ONNX model's metadata_props with `meta` (str -> str)."""
    del mp.metadata_props[:]
    for k, v in meta.items():
        p = mp.metadata_props.add()
        p.key, p.value = k, v


def save_with_sidecars(mp, out_path, size, threshold):
    """Check and save the model, then write the runtime's sidecars next to it: <name>.labels.txt
    and <name>.json (input size, YOLOv8 layout, classes, operating threshold). Shared by the lite
    model's export here and models/v2/train_v2.py."""
    import onnx
    onnx.checker.check_model(mp)
    onnx.save(mp, out_path)
    base = os.path.splitext(out_path)[0]
    name = os.path.basename(base)
    with open(base + '.labels.txt', 'w') as f:
        f.write('\n'.join(NAMES) + '\n')
    with open(base + '.json', 'w') as f:
        json.dump({'name': name, 'file': name + '.onnx', 'inputSize': size, 'layout': 'yolov8',
                   'classes': NAMES, 'threshold': threshold, 'iouThreshold': 0.45}, f, indent=2)
        f.write('\n')


def export(model, out_path, rep):
    import copy

    import onnx
    global EXPORTING
    EXPORTING = True
    m = copy.deepcopy(model).eval()
    for mod in m.modules():
        if isinstance(mod, CBA):
            mod.fuse()
    ex = Export(m, rep['bias']).eval()
    dummy = torch.zeros(1, 3, SIZE, SIZE)
    torch.onnx.export(ex, dummy, out_path, opset_version=13, input_names=['images'],
                      output_names=['output0'], do_constant_folding=True)
    mp = onnx.load(out_path)
    meta = {
        'names': "{0: 'fire', 1: 'smoke'}",
        'imgsz': f'[{SIZE}, {SIZE}]',
        'stride': '32',
        'task': 'detect',
        'description': 'wildfire-edge default fire/smoke detector (trained from scratch, see models/README.md)',
        'author': 'wildfire-edge',
        'license': 'Apache-2.0 (weights trained on data listed in NOTICE)',
        # what the graph does beyond one plain pass (see Export): for people reading the model
        'wfe_tta': 'mirror (mean of best logits)',
        'wfe_class_thresholds': json.dumps(rep['class_thresholds']),
        'wfe_operating_threshold': str(rep['threshold']),
    }
    set_metadata(mp, meta)
    save_with_sidecars(mp, out_path, SIZE, rep['threshold'])
    # check the fused export against the training graph
    with torch.no_grad():
        x = torch.rand(1, 3, SIZE, SIZE)
        ref = Export(model.eval(), rep['bias'])(x)
        got = ex(x)
        err = float((ref - got).abs().max())
    print(f'exported {out_path} ({os.path.getsize(out_path)} bytes), fused max abs diff {err:.2e}', flush=True)


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(HERE, '.cache', 'data.npz'))
    ap.add_argument('--epochs', type=int, default=12)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', default=os.path.join(HERE, 'wfe-firesmoke-320.onnx'))
    ap.add_argument('--run', default=os.path.join(HERE, 'runs', 'default'))
    ap.add_argument('--train-size', type=int, default=224, help='input size for all but the last epochs')
    ap.add_argument('--final-epochs', type=int, default=2, help='last epochs trained at 320')
    ap.add_argument('--iters', type=int, default=100, help='iterations per epoch (0: one pass over the data)')
    ap.add_argument('--photo-weight', type=float, default=2.0, help='sampling weight of photos/ images (hard ones +1)')
    ap.add_argument('--init', default='', help='start from these weights (a previous stage\'s last.pt)')
    ap.add_argument('--flat-neg', type=float, default=0.0, help='fraction of each batch replaced by flat/fog frames labelled neither')
    ap.add_argument('--tune-every', type=int, default=2, help='tuning report + interim export every N epochs')
    ap.add_argument('--bench', action='store_true', help='time a few iterations and exit')
    ap.add_argument('--mine', type=float, default=0.0,
                    help='hard-negative mining: sampling weight x this for training negatives the --init model scores >= 0.3')
    ap.add_argument('--no-tta', action='store_true',
                    help='export (and tune thresholds for) one plain pass, without the mirror view')
    ap.add_argument('--export-only', action='store_true',
                    help='no training: tuning report and export of the --init weights (as a run ends)')
    args = ap.parse_args()
    global TTA
    TTA = not args.no_tta
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.run, exist_ok=True)
    data = Data(args.data)
    model = Net()
    nparam = sum(p.numel() for p in model.parameters())
    print(f'params {nparam}', flush=True)
    if args.init:
        model.load_state_dict(torch.load(args.init))
        print(f'initialised from {args.init}', flush=True)
    if args.export_only:
        rep = tuning_report(model, data)
        print(f'final tuning report {json.dumps(rep)}', flush=True)
        export(model, args.out, rep)
        return
    ema = Net()
    ema.load_state_dict(model.state_dict())
    for p in ema.parameters():
        p.requires_grad_(False)
    train_idx = np.nonzero(data.part == 0)[0]
    # sampling weights: everyday negatives (photos/) twice, so false alarms are learnt against
    w = np.ones(len(train_idx))
    w[(data.kind[train_idx] == 1)] = args.photo_weight
    w[(data.kind[train_idx] == 1) & (data.hard[train_idx] == 1)] = args.photo_weight + 1
    # fire-wrpgm is frames of a few videos (near-duplicates): half weight
    w[np.char.startswith(data.name[train_idx].astype(str), 'fw_')] *= 0.5
    if args.mine > 0:
        # Hard-negative mining: the training images with neither class that the starting weights
        # already score high (lamps, headlights, grey fur, haze) are the false alarms to unlearn.
        negs = ~data.present[train_idx].any(1)
        sc = image_scores(model, data, train_idx[negs]).max(1)
        hardneg = np.zeros(len(train_idx), bool)
        hardneg[np.nonzero(negs)[0][sc >= 0.3]] = True
        w[hardneg] *= args.mine
        print(f'mined {int(hardneg.sum())} of {int(negs.sum())} training negatives scoring >= 0.3 '
              f'(sampling weight x{args.mine:g})', flush=True)
    w /= w.sum()
    iters = args.iters or len(train_idx) // args.batch
    total = iters * args.epochs
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 5e-4}, {'params': no_decay, 'weight_decay': 0}],
                            lr=args.lr)
    it = 0
    t0 = time.time()
    # Augmentation (numpy + grid_sample) runs in one DataLoader worker process while this process
    # runs the model: on 2 cores that overlaps the two halves of an iteration (measured ~1.6x), where
    # a second intra-op thread gave the model almost nothing. The worker's generator is seeded from
    # --seed, so the batch sequence is reproducible.
    stream = BatchStream(data, train_idx, w, args, iters)
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=1, prefetch_factor=4)
    batches = iter(loader)
    for ep in range(args.epochs):
        model.train()
        agg = np.zeros(3)
        for _ in range(iters):
            lr = args.lr * min(1.0, (it + 1) / 300) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * it / total)))
            for g in opt.param_groups:
                g['lr'] = lr
            x, gt, gc, gv, mil, size = next(batches)
            raw = model(x)
            loss, parts = compute_loss(raw, gt, gc, gv, mil, size)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
            opt.step()
            d = 0.999 * (1 - math.exp(-(it + 1) / 500))
            with torch.no_grad():
                for pe, pm in zip(ema.state_dict().values(), model.state_dict().values()):
                    if pe.dtype.is_floating_point:
                        pe.mul_(d).add_(pm.detach(), alpha=1 - d)
                    else:
                        pe.copy_(pm)
            agg += parts
            it += 1
            if args.bench and it == 5:
                tb = time.time()
            if args.bench and it == 25:
                print(f'{(time.time() - tb) / 20:.3f} s/iter (iterations 5-25), {iters} iters/epoch', flush=True)
                return
        last = ep == args.epochs - 1
        rep = tuning_report(ema, data) if ((ep + 1) % args.tune_every == 0 or last) else {}
        print(f'epoch {ep + 1}/{args.epochs} it {it} {time.time() - t0:.0f}s lr {lr:.5f} '
              f'loss cls {agg[0] / iters:.4f} box {agg[1] / iters:.4f} img {agg[2] / iters:.4f} '
              f'tune {json.dumps(rep)}', flush=True)
        torch.save(ema.state_dict(), os.path.join(args.run, 'last.pt'))
        if rep and not last:  # an interim export, to try the runtime path while training goes on
            export(ema, os.path.join(args.run, 'interim.onnx'), rep)
    # the last epoch's report is the final one (same weights): export with it
    print(f'final tuning report {json.dumps(rep)}', flush=True)
    export(ema, args.out, rep)
    print(f'done in {time.time() - t0:.0f}s', flush=True)


if __name__ == '__main__':
    main()
