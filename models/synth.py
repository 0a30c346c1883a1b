"""Synthetic fire and smoke composited onto real negative photos (training part only).

Two generators, chosen at random per image:
  * procedural: flames (a few noisy teardrop "tongues" coloured dark red -> orange -> yellow -> white,
    with a faint glow) and smoke (a widening, drifting plume of low-frequency noise in grey tones,
    blurred, semi-transparent), drawn onto a background from the negatives;
  * copy-paste: a real fire or smoke box (with a margin) cut out of a training image of boxes/,
    rescaled and pasted with feathered edges onto a negative background (puts real flames into
    everyday scenes, so the model learns the flame and not its usual context).
Deterministic from the seed. Returns letterboxed 320x320 images and their boxes.
"""
import numpy as np
from PIL import Image, ImageFilter

SIZE = 320


def fbm(rng, h, w, octaves=4, base=4):
    """Fractal noise in [0, 1] of shape (h, w), from bicubically upsampled random grids."""
    out = np.zeros((h, w), np.float32)
    amp, tot = 1.0, 0.0
    for o in range(octaves):
        g = base * 2**o
        grid = (rng.random((g, g)) * 255).astype(np.uint8)
        up = np.asarray(Image.fromarray(grid).resize((w, h), Image.BICUBIC), np.float32) / 255
        out += amp * up
        tot += amp
        amp *= 0.5
    return out / tot


def flame(rng, h, w):
    """RGBA float arrays (h, w, 3) colour and (h, w) alpha of a procedural flame."""
    v = np.linspace(1, 0, h, dtype=np.float32)[:, None]  # 0 at the bottom, 1 at the top
    u = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    n = fbm(rng, h, w, 4, 3)
    inten = np.zeros((h, w), np.float32)
    for _ in range(rng.integers(1, 5)):
        off = rng.uniform(-0.45, 0.45)
        height = rng.uniform(0.55, 1.0)
        vv = v / height
        r = 0.55 * np.clip(1 - vv, 0, 1) ** rng.uniform(0.6, 1.2) * np.minimum(1, (vv + 0.08) * 4)
        wob = 0.25 * (n - 0.5) * (vv + 0.2) + 0.1 * np.sin(vv * rng.uniform(4, 9) + rng.uniform(0, 6))
        d = np.abs(u - off - wob) / np.maximum(r, 1e-3)
        inten = np.maximum(inten, np.clip(1 - d, 0, 1) * (vv < 1))
    inten = np.clip(inten * (0.7 + 0.6 * n), 0, 1) ** rng.uniform(0.5, 0.9)
    # colour ramp: dark red -> orange -> yellow -> near white
    stops = np.array([[120, 10, 0], [230, 60, 0], [255, 140, 20], [255, 215, 80], [255, 250, 210]], np.float32)
    stops[1:4, 1] *= rng.uniform(0.85, 1.15)
    x = inten * (len(stops) - 1)
    i0 = np.clip(np.floor(x).astype(int), 0, len(stops) - 2)
    f = (x - i0)[..., None]
    col = stops[i0] * (1 - f) + stops[i0 + 1] * f
    alpha = np.clip(inten * 2.2, 0, 1)
    return col, alpha


def smoke(rng, h, w):
    """Colour and alpha of a procedural smoke plume."""
    v = np.linspace(1, 0, h, dtype=np.float32)[:, None]
    u = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    width = rng.uniform(0.1, 0.3) + rng.uniform(0.3, 0.7) * v
    drift = rng.uniform(-0.5, 0.5) * v**1.5
    d = ((u - drift) / width) ** 2
    n = fbm(rng, h, w, 4, 3)
    dens = np.exp(-2 * d) * (0.4 + 0.9 * n) * np.clip(1.2 - v, 0, 1) ** 0.3
    grey = rng.uniform(130, 235)
    tint = np.array([rng.uniform(0.95, 1.08), 1.0, rng.uniform(0.9, 1.08)], np.float32)
    col = np.broadcast_to(np.clip(grey * tint, 0, 255), (h, w, 3)).astype(np.float32)
    col = col * (0.85 + 0.3 * n[..., None])
    alpha = np.clip(dens * 1.5, 0, 1) * rng.uniform(0.7, 0.95)
    a_img = Image.fromarray((alpha * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(max(1, w / 40)))
    return col, np.asarray(a_img, np.float32) / 255


def paste(bg, col, alpha, x, y, additive=0.0):
    """Alpha-composites col (h,w,3) at (x,y) onto float bg in place; returns the clipped region."""
    h, w = alpha.shape
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(SIZE, x + w), min(SIZE, y + h)
    if x1 <= x0 or y1 <= y0:
        return None
    a = alpha[y0 - y:y1 - y, x0 - x:x1 - x, None]
    c = col[y0 - y:y1 - y, x0 - x:x1 - x]
    reg = bg[y0:y1, x0:x1]
    bg[y0:y1, x0:x1] = reg * (1 - a) + c * a + additive * a * c * 0.3
    return a[..., 0], x0, y0


def bbox_of(a, x0, y0, thr):
    ys, xs = np.nonzero(a > thr)
    if len(xs) < 4:
        return None
    return x0 + xs.min(), y0 + ys.min(), x0 + xs.max() + 1, y0 + ys.max() + 1


def generate(img, boxes, mil, part, kind, n, seed=7):
    rng = np.random.default_rng(seed)
    neg = [i for i in range(len(img)) if part[i] == 0 and mil[i].sum() == 0
           and not np.any(boxes[:, 0] == i)]
    src = [i for i in range(len(img)) if part[i] == 0 and kind[i] == 0 and np.any(boxes[:, 0] == i)]
    out = np.zeros((n, SIZE, SIZE, 3), np.uint8)
    ob = []
    for k in range(n):
        bg = img[neg[rng.integers(len(neg))]].astype(np.float32)
        if rng.random() < 0.5:
            # copy-paste a real box
            si = src[rng.integers(len(src))]
            sb = boxes[boxes[:, 0] == si]
            pick = sb[rng.integers(len(sb))]
            bx1, by1, bx2, by2 = pick[2:]
            bw, bh = bx2 - bx1, by2 - by1
            if bw < 6 or bh < 6:
                out[k] = bg.astype(np.uint8)
                continue
            m = 0.12
            cx1, cy1 = int(max(0, bx1 - m * bw)), int(max(0, by1 - m * bh))
            cx2, cy2 = int(min(SIZE, bx2 + m * bw)), int(min(SIZE, by2 + m * bh))
            crop = img[si, cy1:cy2, cx1:cx2]
            target = rng.uniform(30, 220)
            s = target / max(crop.shape[:2])
            nw, nh = max(4, int(crop.shape[1] * s)), max(4, int(crop.shape[0] * s))
            col = np.asarray(Image.fromarray(crop).resize((nw, nh), Image.BILINEAR), np.float32)
            # feathered rectangular alpha
            fy = np.minimum(np.arange(nh), np.arange(nh)[::-1])[:, None] / max(1, 0.1 * nh)
            fx = np.minimum(np.arange(nw), np.arange(nw)[::-1])[None, :] / max(1, 0.1 * nw)
            alpha = np.clip(np.minimum(fx, fy), 0, 1).astype(np.float32)
            x, y = int(rng.integers(0, max(1, SIZE - nw))), int(rng.integers(0, max(1, SIZE - nh)))
            paste(bg, col, alpha, x, y)
            sx, sy = nw / (cx2 - cx1), nh / (cy2 - cy1)
            for b in sb:
                x1 = x + (b[2] - cx1) * sx
                y1 = y + (b[3] - cy1) * sy
                x2 = x + (b[4] - cx1) * sx
                y2 = y + (b[5] - cy1) * sy
                area = (x2 - x1) * (y2 - y1)
                ix1, iy1 = max(x1, x + 0.0), max(y1, y + 0.0)
                ix2, iy2 = min(x2, x + nw), min(y2, y + nh)
                inter = max(0, ix2 - ix1) * max(0, iy2 - iy1)
                if area > 0 and inter / area > 0.5:
                    ob.append((k, b[1], ix1, iy1, ix2, iy2))
        else:
            # Procedural smoke is drawn only rarely and only dense: faint plumes on bright
            # backgrounds were invisible, i.e. label noise that teaches "grey area = smoke".
            r = rng.random()
            if r >= 0.9:  # dense smoke behind flames
                h = int(rng.uniform(40, 260))
                w = int(h * rng.uniform(0.5, 1.3))
                col, alpha = smoke(rng, h, w)
                x, y = int(rng.integers(-w // 4, SIZE - w // 2)), int(rng.integers(-h // 4, SIZE - h // 2))
                res = paste(bg, col, alpha, x, y)
                if res is not None:
                    bb = bbox_of(res[0], res[1], res[2], 0.12 * max(1e-3, alpha.max()))
                    if bb:
                        ob.append((k, 1, *bb))
            if True:  # flames
                for _ in range(rng.integers(1, 3)):
                    h = int(rng.uniform(16, 170))
                    w = int(h * rng.uniform(0.4, 1.1))
                    col, alpha = flame(rng, h, w)
                    x, y = int(rng.integers(-w // 5, SIZE - w * 4 // 5)), int(rng.integers(0, SIZE - h // 2))
                    # faint glow around the flame
                    glow = np.asarray(Image.fromarray((alpha * 255).astype(np.uint8)).filter(
                        ImageFilter.GaussianBlur(max(2, w / 4))), np.float32) / 255 * rng.uniform(0.1, 0.35)
                    paste(bg, np.broadcast_to(np.array([255, 120, 30], np.float32), (h, w, 3)), glow, x, y)
                    res = paste(bg, col, alpha, x, y)
                    if res is not None:
                        bb = bbox_of(res[0], res[1], res[2], 0.3)
                        if bb:
                            ob.append((k, 0, *bb))
        out[k] = np.clip(bg, 0, 255).astype(np.uint8)
    return out, np.array(ob, np.float32).reshape(-1, 6)
