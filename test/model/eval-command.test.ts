/**
 * `wildfire-edge eval` end to end on the committed samples with the shipped model: the real
 * runtime path, the printed table, the JSON last line and the PNG plot.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/eval/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wfe-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

describe('eval command', () => {
  it('scores an image-level labelled folder through the runtime and ends with one JSON line', async () => {
    const images = join(dir, 'images');
    mkdirSync(images);
    const rows = ['id\tfire\tsmoke\tkind\thard\tnote\tsplit'];
    for (const [sub, fire] of [['fire', 1], ['negative', 0]] as const) {
      for (const f of readdirSync(join('test/fixtures/samples', sub))) {
        copyFileSync(join('test/fixtures/samples', sub, f), join(images, f));
        rows.push(`${f.replace(/\.jpg$/, '')}\t${fire}\t0\t-\t0\t-\tval`);
      }
    }
    // One row of another split: --split val must leave it out.
    rows.push('not-there\t1\t0\t-\t0\t-\ttrain');
    writeFileSync(join(dir, 'labels.tsv'), rows.join('\n') + '\n');
    const plot = join(dir, 'pr.png');
    const c = capture();
    const code = await evalCommand(['--model', 'models/wfe-firesmoke-320.onnx', '--threads', '1', '--images', images, '--labels', join(dir, 'labels.tsv'), '--split', 'val', '--plot', plot], c.io);
    expect(c.err.filter((l) => !l.startsWith('eval: '))).toEqual([]);
    expect(code).toBe(0);
    const last = JSON.parse(c.out[c.out.length - 1]) as {
      threshold: number;
      thresholdSource: string;
      all: { images: number; operating: { recall: Array<{ k: number; n: number }>; falseAlarm: { k: number; n: number } } };
      sweep: unknown[];
    };
    const sidecar = JSON.parse(readFileSync('models/wfe-firesmoke-320.json', 'utf8')) as { threshold: number };
    expect(last.threshold).toBe(sidecar.threshold);
    expect(last.thresholdSource).toBe('sidecar');
    expect(last.all.images).toBe(8);
    expect(last.all.operating.recall[0]).toMatchObject({ k: 4, n: 4 });
    expect(last.all.operating.falseAlarm).toMatchObject({ k: 0, n: 4 });
    expect(last.sweep.length).toBeGreaterThanOrEqual(19);
    expect(c.out.join('\n')).toContain('image-level recall');
    // A real PNG.
    expect([...readFileSync(plot).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('exits 2 with every argument error, 1 with a missing model', async () => {
    const a = capture();
    expect(await evalCommand(['--images', 'x'], a.io)).toBe(2);
    expect(a.err.join('\n')).toContain('--model FILE is required');
    const b = capture();
    const one = readdirSync('test/fixtures/samples/fire')[0].replace(/\.jpg$/, '');
    writeFileSync(join(dir, 'l.tsv'), `id\tfire\n${one}\t1\n`);
    expect(await evalCommand(['--model', join(dir, 'missing.onnx'), '--images', 'test/fixtures/samples/fire', '--labels', join(dir, 'l.tsv')], b.io)).toBe(1);
    expect(b.err.join('\n')).toMatch(/missing\.onnx/);
  });
});
