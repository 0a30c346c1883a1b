/**
 * `npm run bench`: runs every bench/<part>.ts that exists (or those named on the command line) and
 * prints a human-readable table followed by one JSON line per figure. Benchmarks print figures;
 * tests never assert wall-clock times.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchFigure, BenchModule } from './types.js';

const ALL = ['consensus', 'mqtt', 'detect'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
const figures: BenchFigure[] = [];
for (const name of wanted) {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  if (!existsSync(file)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  const mod = (await import(file)) as BenchModule;
  try {
    figures.push(...(await mod.run()));
  } catch (err) {
    process.stderr.write(`bench ${name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  }
}
const w = Math.max(10, ...figures.map((f) => f.name.length));
console.log(`${'figure'.padEnd(w)}  ${'value'.padStart(14)}  unit        goal       note`);
for (const f of figures) {
  const v = Number.isInteger(f.value) ? String(f.value) : f.value.toPrecision(5);
  console.log(`${f.name.padEnd(w)}  ${v.padStart(14)}  ${f.unit.padEnd(10)}  ${(f.goal ?? '').padEnd(9)}  ${f.note ?? ''}`);
}
for (const f of figures) console.log(JSON.stringify(f));
