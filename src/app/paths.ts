import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Root of the shipped assets (models/, deploy/demo/). In bundle mode this file is inlined into
 * `dist/wildfire-edge.mjs`, so `import.meta.url` is the bundle and assets sit beside it in dist/;
 * in source mode (tsx, tests) it is `src/app/paths.ts` and assets are in the repository root.
 */
export function assetRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Source mode: <repo>/src/app → <repo>. Bundle mode: <dist> holds package.json + models/.
  if (here.endsWith(join('src', 'app'))) return resolve(here, '..', '..');
  return here;
}

/** True when running from the esbuild bundle. */
export function isBundle(): boolean {
  return !dirname(fileURLToPath(import.meta.url)).endsWith(join('src', 'app'));
}

/**
 * Resolve a shipped-asset path from config (`models/x.onnx`): absolute stays; relative is taken from
 * the working directory when it exists there (a site's own model), else from the asset root.
 */
export function resolveAsset(p: string, cwd: string = process.cwd()): string {
  if (isAbsolute(p)) return p;
  const local = resolve(cwd, p);
  if (existsSync(local)) return local;
  return join(assetRoot(), p);
}

/** Version from package.json next to the assets (dist/package.json in bundle mode). */
export function readVersion(): string {
  try {
    const text = readFileSync(join(assetRoot(), 'package.json'), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
