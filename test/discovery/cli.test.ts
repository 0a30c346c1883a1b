/** `wildfire-edge discover` usage and exit codes without a network lab (issue 16). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../src/cli/dispatch.js';

async function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await dispatch(['discover', ...args], { out: (t) => void out.push(t), err: (t) => void err.push(t), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('discover command', () => {
  it('usage errors exit 2', async () => {
    expect((await run(['--seconds', 'abc'])).code).toBe(2);
    expect((await run(['--seconds', '99'])).err).toMatch(/--seconds must be a number in \(0, 30\]/);
    expect((await run(['extra'])).code).toBe(2);
    expect((await run(['--bogus'])).code).toBe(2);
  });

  it('nothing found exits 1 and names an unknown interface', async () => {
    const r = await run(['--interface', 'nosuch0', '--seconds', '0.2']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('discover: no interface named nosuch0');
    expect(r.out).toContain('Probed no interface for 0.2 s: 0 camera(s).');
  });

  it('an invalid config exits 1 with the problem; a valid one is used (its interfaces), secrets never printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wfe-disc-cli-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'discovery:\n  intervalSeconds: 1\n');
    const b = await run(['--config', bad]);
    expect(b.code).toBe(1);
    expect(b.err).toContain('discovery.intervalSeconds');
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'roles: [consensus]\ndiscovery:\n  interfaces: [nosuch1]\n  probeSeconds: 0.2\n  credentials: { username: admin, password: TopSecret9 }\n');
    const g = await run(['--config', good, '--json']);
    expect(g.code).toBe(1);
    const report = JSON.parse(g.out) as { errors: string[]; cameras: unknown[] };
    expect(report.errors).toEqual(['no interface named nosuch1']);
    expect(g.out + g.err).not.toContain('TopSecret9');
  });
});
