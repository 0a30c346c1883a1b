#!/usr/bin/env node
/**
 * Points citations of the design notes that are not in the repository (`PUMP.md`, `TOPICS.md`,
 * ... as comments wrote them before docs/ existed) at the project's own docs: `PUMP.md Safety 7`
 * becomes `docs/pump.md Safety 7`. Section names and numbers are kept by docs/*.md, so a citation
 * stays meaningful. Re-runnable and idempotent: only a bare old name (not already part of a path)
 * is rewritten, so run it again after merging a branch that still cites the old names.
 *
 *   node scripts/docs-citations.mjs           rewrite every tracked text file that cites them
 *   node scripts/docs-citations.mjs --check   list the citations left, exit 1 when there are any
 *
 * test/docs/citations.test.ts checks that every document a source comment names exists.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Old name → the repository document that now holds it. */
export const DOC_MAP = {
  'PUMP.md': 'docs/pump.md',
  'CONSENSUS.md': 'docs/consensus.md',
  'TOPICS.md': 'docs/topics.md',
  'MQTT-CORE.md': 'docs/mqtt-core.md',
  'DETECTOR.md': 'docs/detector.md',
  'DESIGN.md': 'docs/design.md',
  'STYLE.md': 'docs/style.md',
  'scenarios-consensus.md': 'docs/scenarios-consensus.md',
  'scenarios-pump.md': 'docs/scenarios-pump.md',
};

/** Top-level folders and files whose text may cite the docs (docs/ itself is written in the new names). */
const ROOTS = ['src/', 'test/', 'hw/', 'deploy/', 'bench/', 'bin/', 'models/', 'README.md', 'build.mjs'];
/** Never rewritten: this script, and the test whose fixtures name old names on purpose. */
const SKIP = ['scripts/docs-citations.mjs', 'test/docs/'];

const names = Object.keys(DOC_MAP).map((n) => n.replace(/[.-]/g, (c) => `\\${c}`));
/** A bare old name: not preceded by a path or word character, so `docs/…` and `spec/PUMP.md` stay. */
const OLD = new RegExp(`(?<![A-Za-z0-9_./-])(${names.join('|')})(?![A-Za-z0-9_-])`, 'g');

/** Rewrite one text; returns the new text and how many citations changed. */
export function rewrite(text) {
  let n = 0;
  const out = text.replace(OLD, (m) => {
    n++;
    return DOC_MAP[m];
  });
  return { text: out, count: n };
}

function trackedFiles(root) {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' });
  return out
    .split('\0')
    .filter((f) => f && ROOTS.some((r) => (r.endsWith('/') ? f.startsWith(r) : f === r)) && !SKIP.some((s) => f.startsWith(s)));
}

function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const check = process.argv.includes('--check');
  let files = 0;
  let total = 0;
  for (const f of trackedFiles(root)) {
    const path = join(root, f);
    let buf;
    try {
      buf = readFileSync(path);
    } catch {
      continue; // deleted in the work tree
    }
    if (buf.includes(0)) continue; // binary
    const before = buf.toString('utf8');
    const { text, count } = rewrite(before);
    if (count === 0) continue;
    files++;
    total += count;
    if (check) {
      before.split('\n').forEach((line, i) => {
        if (rewrite(line).count > 0) console.log(`${relative(root, path)}:${i + 1}: ${line.trim()}`);
      });
    } else writeFileSync(path, text);
  }
  console.log(`${check ? 'found' : 'rewrote'} ${total} citation(s) in ${files} file(s)`);
  if (check && total > 0) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
