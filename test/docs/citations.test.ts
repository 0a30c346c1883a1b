import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Issue 15 item 8: the design lives in the repository. Every document a source comment names must
 * exist (a path from the repository root: `docs/pump.md`, `hw/README.md`), and a cited section must
 * exist in it: `docs/pump.md Safety 7` needs a "Safety 7" heading, `docs/style.md rule 4` a
 * "Rule 4" heading, `docs/topics.md "Time"` that text in the document.
 */

const ROOT = process.cwd();
/** A document name not inside a longer path or word (`spec/X.md` and `a.b.md` are not split up). */
const DOC = /(?<![A-Za-z0-9_./-])((?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_.-]+\.md)(?![A-Za-z0-9_-])/g;

interface Problem {
  where: string;
  citation: string;
  problem: string;
}

function norm(s: string): string {
  return s.replace(/\s+/g, ' ').toLowerCase();
}

/** The problems of every citation in `text` (`where` names the file for the report). */
export function checkCitations(text: string, where: string, read: (doc: string) => string | null): Problem[] {
  const problems: Problem[] = [];
  for (const m of text.matchAll(DOC)) {
    const doc = m[1];
    const body = read(doc);
    const line = text.slice(0, m.index).split('\n').length;
    const at = `${where}:${line}`;
    if (body === null) {
      problems.push({ where: at, citation: doc, problem: 'no such file in the repository' });
      continue;
    }
    if (!doc.startsWith('docs/')) continue; // sections are checked in our own docs only
    const rest = text.slice(m.index + doc.length, m.index + doc.length + 120);
    const quoted = /^:? "([^"\n]+)/.exec(rest);
    const safety = /^ Safety (\d+)/.exec(rest);
    const rule = /^ rules? (\d+)(?: and (\d+))?/.exec(rest);
    if (quoted) {
      const want = quoted[1].replace(/[,.;: ]+$/, '');
      if (!norm(body).includes(norm(want))) problems.push({ where: at, citation: `${doc} "${want}"`, problem: 'text not found in the document' });
    }
    if (safety && !new RegExp(`^#+ Safety ${safety[1]}\\b`, 'm').test(body)) problems.push({ where: at, citation: `${doc} Safety ${safety[1]}`, problem: 'no such heading' });
    if (rule) {
      for (const n of [rule[1], rule[2]].filter(Boolean)) {
        if (!new RegExp(`^#+ Rule ${n}\\b`, 'm').test(body)) problems.push({ where: at, citation: `${doc} rule ${n}`, problem: 'no such heading' });
      }
    }
  }
  return problems;
}

function readDoc(doc: string): string | null {
  const p = join(ROOT, doc);
  return existsSync(p) && statSync(p).isFile() ? readFileSync(p, 'utf8') : null;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) {
      if (rel !== 'test/docs' && e.name !== 'fixtures') out.push(...sources(rel));
    } else if (/\.(ts|mts|mjs)$/.test(e.name)) out.push(rel);
  }
  return out;
}

describe('documents cited by source comments', () => {
  it('the check reports a name with no file, an unknown section and an unknown quoted text', () => {
    // The names below are the ones comments used before docs/ existed (no such files here).
    const text = [
      '// outputs off first (PUMP.md Safety 1)',
      '// see docs/pump.md Safety 99 and docs/style.md rules 4 and 42',
      '// docs/topics.md "No such section"',
      '// fine: docs/pump.md Safety 7, docs/style.md rule 4, docs/topics.md "Time", hw/README.md',
    ].join('\n');
    const problems = checkCitations(text, 'x.ts', readDoc);
    expect(problems.map((p) => `${p.where} ${p.citation}: ${p.problem}`)).toEqual([
      'x.ts:1 PUMP.md: no such file in the repository',
      'x.ts:2 docs/pump.md Safety 99: no such heading',
      'x.ts:2 docs/style.md rule 42: no such heading',
      'x.ts:3 docs/topics.md "No such section": text not found in the document',
    ]);
  });

  it('every document (and section) named in src/, test/, hw/ and bench/ exists', () => {
    const problems = ['src', 'test', 'hw', 'bench'].flatMap((d) => sources(d).flatMap((f) => checkCitations(readFileSync(join(ROOT, f), 'utf8'), f, readDoc)));
    expect(problems).toEqual([]);
  });

  it('no citation of the old external names is left anywhere (scripts/docs-citations.mjs --check)', () => {
    // Also covers README, deploy/ and models/, which the scan above does not read.
    const out = execFileSync(process.execPath, ['scripts/docs-citations.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(out.trim()).toBe('found 0 citation(s) in 0 file(s)');
  });
});
