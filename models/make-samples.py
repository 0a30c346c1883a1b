#!/usr/bin/python3
"""Pick the small test fixtures of test/fixtures/samples/{fire,negative} from the TRAIN split.

Fire: hot-fire (public domain) training images whose largest fire box covers much of the frame,
one per source group, among those the trained model scores clearly above the operating threshold.
Negative: ordinary photos/ training images (Open Images, CC BY 2.0; not `hard`) and hot-fire
negatives that the model scores clearly below it. Scores are the shipped graph's (mirror TTA and
the per-class calibration that train.py's tuning report chooses), against the shipped threshold. The tests pin that the shipped model loads and
behaves through the runtime path; they are not an accuracy measurement (train images are easy).
Writes JPEGs downscaled to 320 px on the long side and prints the NOTICE lines.
Usage: models/make-samples.py runs/<run>/last.pt   (the weights the shipped ONNX was exported from)
"""
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train as T  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'test', 'fixtures', 'samples')
DATA = os.path.join(HERE, '..', '..', 'shared', 'datasets', 'fire-dev')


def main():
    ckpt = sys.argv[1]
    torch.set_num_threads(1)
    data = T.Data(os.path.join(HERE, '.cache', 'data.npz'))
    net = T.Net()
    net.load_state_dict(torch.load(ckpt))
    rep = T.tuning_report(net, data)  # the calibration the export applies
    thr = rep['threshold']
    idx = np.nonzero((data.part == 0) & (data.kind != 2))[0]
    sc = T.image_scores(net, data, idx, bias=rep['bias'])
    names = data.name[idx].astype(str)
    fire, neg = [], []
    groups = set()
    for k, i in enumerate(idx):
        b = data.by_img[i]
        if data.kind[i] == 0 and not names[k].startswith('fw_'):
            fb = b[b[:, 0] == 0]
            if len(fb):
                area = ((fb[:, 3] - fb[:, 1]) * (fb[:, 4] - fb[:, 2])).max() / 320**2
                g = names[k].split('_')[0]
                if area > 0.06 and sc[k, 0] > thr + 0.5 * (1 - thr) and g not in groups:
                    fire.append((-sc[k, 0], names[k], 'boxes'))
                    groups.add(g)
            elif not data.present[i].any() and sc[k].max() < thr * 0.4:
                neg.append((sc[k].max(), names[k], 'boxes'))
        elif data.kind[i] == 1 and not data.present[i].any() and not data.hard[i] and sc[k].max() < thr * 0.4:
            neg.append((sc[k].max(), names[k], 'photos'))
    rng = np.random.default_rng(3)
    fire.sort()
    pick_f = [fire[j] for j in sorted(rng.choice(min(len(fire), 20), 4, replace=False))]
    negp = [n for n in neg if n[2] == 'photos']
    negb = [n for n in neg if n[2] == 'boxes']
    pick_n = [negp[j] for j in rng.choice(len(negp), 3, replace=False)] + [negb[j] for j in rng.choice(len(negb), 1, replace=False)]
    sources = ['file\tsource\tsplit\tlicence']
    for sub, picks in (('fire', pick_f), ('negative', pick_n)):
        os.makedirs(os.path.join(OUT, sub), exist_ok=True)
        for old in os.listdir(os.path.join(OUT, sub)):
            os.remove(os.path.join(OUT, sub, old))
        for s, name, part in picks:
            src = os.path.join(DATA, part, 'images', name if part == 'boxes' else name + '.jpg')
            im = Image.open(src).convert('RGB')
            im.thumbnail((320, 320), Image.BILINEAR)
            base = os.path.splitext(name)[0].split('.rf.')[0] if part == 'boxes' else name
            dst = os.path.join(OUT, sub, f'{part}-{base}.jpg')
            im.save(dst, quality=85)
            lic = 'hot-fire v9 (Roboflow Universe), public domain' if part == 'boxes' else 'Open Images via wildfire-watch, CC BY 2.0'
            sources.append(f'{sub}/{os.path.basename(dst)}\tfire-dev {part}/images/{os.path.basename(src)}\ttrain\t{lic}')
            print(f'  test/fixtures/samples/{sub}/{os.path.basename(dst)}: fire-dev {part}/images/{os.path.basename(src)} '
                  f'(train split), {lic}; python score {abs(s):.3f}')
    with open(os.path.join(OUT, 'SOURCES.tsv'), 'w') as f:
        f.write('\n'.join(sources) + '\n')


if __name__ == '__main__':
    main()

