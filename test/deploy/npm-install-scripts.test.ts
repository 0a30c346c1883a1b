import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// `npm ci` must be quiet and strict-safe (issue 14 "npm"): every dependency with an install script
// is named in allowScripts (so --strict-allow-scripts installs), onnxruntime-node's CUDA download is
// denied there, and .npmrc holds only keys npm knows (an unknown key warns on every npm call).
function npm(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync('npm', args, { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('npm install scripts and .npmrc', () => {
  it('every installed dependency with an install script is covered by allowScripts', () => {
    const r = npm(['install-scripts', 'ls']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/No packages with unreviewed install scripts/);
  });

  it("onnxruntime-node's install script (CUDA download) is denied; rpio's addon build is allowed", () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { allowScripts: Record<string, boolean> };
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
    expect(pkg.allowScripts.rpio).toBe(true);
  });

  it('npm reads the project .npmrc without an unknown-key warning', () => {
    const r = npm(['config', 'get', 'fund']);
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/Unknown project config/);
  });
});
