#!/usr/bin/env node
// Renders the demo and test footage from photos of the fire-dev TRAIN split (never `val`):
//   deploy/demo/footage/<clip>/NNN.jpg        image sequences played by `dir://` cameras (sharp, no ffmpeg)
//   test/fixtures/footage/<clip>/NNN.jpg      e2e clips (second fire camera, hard negatives)
//   test/fixtures/footage/<clip>.mp4          the same frames encoded by ffmpeg (real ffmpeg source in e2e)
// Fire clips zoom slowly toward the labelled fire box, so the detector's box grows from frame to
// frame the way a spreading fire's does (docs/consensus.md growth rule: late median ≥ 1.2 × early).
// Usage: node deploy/demo/make-footage.mjs [DATASET_DIR]   (default ../shared/datasets/fire-dev)
import sharp from 'sharp';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const data = resolve(process.argv[2] ?? '../shared/datasets/fire-dev');
const W = 320;
const H = 240;
const QUALITY = 72;

/**
 * Clips: every source is a TRAIN-split file (checked below against split.tsv / labels.tsv). The
 * fire photos were chosen because the shipped model detects their fire in (nearly) every frame of
 * the zoom with a box that keeps growing (grass and brush fires seen from a distance, what a
 * sentinel camera sees); 16 frames at ×1.05 stay within the photos' own resolution (≤ 512 px), so
 * the fire stays sharp. Re-check when the model changes.
 */
const CLIPS = [
  { out: 'deploy/demo/footage/fire-north', kind: 'zoom', file: 'boxes/images/915_jpg.rf.1bddc76a50fe71011ee3271196cfff3b.jpg', frames: 16, zoomPerFrame: 1.05 },
  { out: 'test/fixtures/footage/fire-east', kind: 'zoom', file: 'boxes/images/8_jpg.rf.2dab1d94d37d361c4d37a90929dba3f8.jpg', frames: 16, zoomPerFrame: 1.05, mp4: true },
  {
    out: 'test/fixtures/footage/negative',
    kind: 'slideshow',
    files: ['img_6a82c6e146', 'img_249853e3de', 'img_ac7443dd7b', 'img_9700a574ba'].map((id) => `photos/images/${id}.jpg`),
    framesEach: 4,
    zoomPerFrame: 1.04,
  },
];

function trainFiles() {
  const boxes = readFileSync(join(data, 'boxes/split.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const photos = readFileSync(join(data, 'photos/labels.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const train = new Set();
  for (const r of boxes) if (r[3] === 'train') train.add(`boxes/images/${r[0]}`);
  for (const r of photos) if (r[6] === 'train') train.add(`photos/images/${r[0]}.jpg`);
  return train;
}

/** The largest fire box (class 0) of a boxes/ image, normalised [cx, cy, w, h]. */
function fireBox(file) {
  const label = join(data, file.replace('/images/', '/labels/').replace(/\.jpg$/, '.txt'));
  const rows = readFileSync(label, 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number)).filter((r) => r[0] === 0);
  rows.sort((a, b) => b[3] * b[4] - a[3] * a[4]);
  if (!rows[0]) throw new Error(`${file}: no fire box`);
  return rows[0].slice(1);
}

/** Crop windows from the full (4:3) frame toward `target`, shrinking by zoomPerFrame each frame. */
function zoomWindows(iw, ih, frames, zoom, target) {
  // Start: the largest 4:3 window in the image, centred. End: centred on the target.
  let w0 = iw;
  let h0 = (iw * H) / W;
  if (h0 > ih) { h0 = ih; w0 = (ih * W) / H; }
  const out = [];
  for (let i = 0; i < frames; i++) {
    const s = zoom ** -i;
    const w = w0 * s;
    const h = h0 * s;
    const t = frames > 1 ? i / (frames - 1) : 0;
    const cx = iw / 2 + (target[0] * iw - iw / 2) * t;
    const cy = ih / 2 + (target[1] * ih - ih / 2) * t;
    const left = Math.round(Math.min(Math.max(cx - w / 2, 0), iw - w));
    const top = Math.round(Math.min(Math.max(cy - h / 2, 0), ih - h));
    out.push({ left, top, width: Math.round(w), height: Math.round(h) });
  }
  return out;
}

async function render(file, windows, outDir, startIndex) {
  const src = join(data, file);
  let i = startIndex;
  for (const win of windows) {
    const name = join(outDir, `${String(i).padStart(3, '0')}.jpg`);
    await sharp(src).extract(win).resize(W, H, { fit: 'fill' }).jpeg({ quality: QUALITY, mozjpeg: true }).toFile(name);
    i++;
  }
  return i;
}

const train = trainFiles();
for (const clip of CLIPS) {
  const files = clip.kind === 'zoom' ? [clip.file] : clip.files;
  for (const f of files) if (!train.has(f)) throw new Error(`${f} is not in the TRAIN split; demo/test footage must never use val images`);
  rmSync(clip.out, { recursive: true, force: true });
  mkdirSync(clip.out, { recursive: true });
  if (clip.kind === 'zoom') {
    const meta = await sharp(join(data, clip.file)).metadata();
    await render(clip.file, zoomWindows(meta.width, meta.height, clip.frames, clip.zoomPerFrame, fireBox(clip.file)), clip.out, 0);
  } else {
    let i = 0;
    for (const f of clip.files) {
      const meta = await sharp(join(data, f)).metadata();
      i = await render(f, zoomWindows(meta.width, meta.height, clip.framesEach, clip.zoomPerFrame, [0.5, 0.5]), clip.out, i);
    }
  }
  if (clip.mp4) {
    execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-framerate', '2', '-i', join(clip.out, '%03d.jpg'), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '28', '-g', '4', '-movflags', '+faststart', `${clip.out}.mp4`]);
  }
  console.log(`wrote ${clip.out}`);
}
