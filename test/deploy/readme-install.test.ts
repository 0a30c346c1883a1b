import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Issue 12 item 2: the documented install order must work on a fresh Raspberry Pi OS. It used to
// run `npm ci` before anything installed Node.js, and `sudo deploy/install.sh` from a checkout,
// which fails when only dist/ was copied (install.sh read its files from deploy/). The sequence
// itself is run in test/deploy/install-root.test.ts (a copy of dist/ only, at ~/wildfire-edge).

const repo = resolve(__dirname, '../..');

/** The ```sh blocks of the section under `heading` (up to the next heading of the same level). */
function shBlocks(file: string, heading: string): string[][] {
  const text = readFileSync(resolve(repo, file), 'utf8');
  const a = text.indexOf(`\n${heading}\n`);
  expect(a, `${file}: ${heading}`).toBeGreaterThanOrEqual(0);
  const rest = text.slice(a + heading.length + 2);
  const level = heading.split(' ')[0];
  const end = rest.search(new RegExp(`^${level} `, 'm'));
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```sh\n([^]*?)```/g)].map((m) => m[1].split('\n').filter((l) => l.trim()));
}

const sections: Array<[string, string]> = [
  ['README.md', '## Installing on a Raspberry Pi'],
  ['deploy/README.md', '## One Pi'],
];

describe.each(sections)('%s "%s": the documented install sequence', (file, heading) => {
  const blocks = shBlocks(file, heading);

  it('has the sequence', () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.flat().some((l) => /install\.sh/.test(l))).toBe(true);
  });

  it('never runs npm before Node.js is there (installed in the block, or a machine said to have it)', () => {
    for (const block of blocks) {
      const npm = block.findIndex((l) => /^\s*npm (ci|install|run)\b/.test(l));
      if (npm < 0) continue;
      const provided = block.slice(0, npm).some((l) => /apt-get install .*\bnodejs\b/.test(l) || /^\s*#.*Node\.js >= ?20/.test(l));
      expect(provided, `${file}: "${block[npm]}" runs before Node.js is installed:\n${block.join('\n')}`).toBe(true);
    }
  });

  it('runs the installer that ships in dist/ (copying only dist/ is enough), where the copy put it', () => {
    const lines = blocks.flat();
    const runs = lines.filter((l) => /install\.sh/.test(l) && !/^\s*#/.test(l));
    expect(runs.length).toBeGreaterThan(0);
    const scp = lines.map((l) => /^\s*scp -r dist \S+:(\S+)/.exec(l)?.[1]).find(Boolean);
    for (const l of runs) {
      const path = /(\S*deploy\/install\.sh)/.exec(l)?.[1];
      // ~/NAME/deploy/install.sh after `scp -r dist HOST:NAME`, or dist/deploy/install.sh in a checkout.
      const ok = path === 'dist/deploy/install.sh' || (scp !== undefined && path === `~/${scp}/deploy/install.sh`);
      expect(ok, `${file}: "${l}" is not the installer inside the copied dist/`).toBe(true);
    }
  });

  it('enables the service only behind a passing check-config, with the command install.sh prints', () => {
    const enable = blocks.flat().filter((l) => /systemctl (enable|start)\b.*wildfire-edge/.test(l));
    expect(enable.length).toBeGreaterThan(0);
    for (const l of enable) expect(l).toMatch(/^sudo wildfire-edge check-config \/etc\/wildfire-edge\/config\.yaml && sudo systemctl enable --now wildfire-edge\b/);
    const script = readFileSync(resolve(repo, 'deploy/install.sh'), 'utf8');
    expect(script).toContain("printf '    sudo %s check-config %s && sudo systemctl enable --now %s\\n' \"$APP\" \"$cfg\" \"$APP\"");
  });
});
