// esbuild bundle of the CLI (src/main.ts) and the detector worker into dist/. Native modules stay
// external: they are installed beside the bundle (dist/package.json) and load their own binaries.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const external = ['onnxruntime-node', 'sharp', 'rpio', 'node-libgpiod'];
const entryPoints = { 'wildfire-edge': 'src/main.ts' };
if (existsSync('src/detect/worker.ts')) entryPoints['detect-worker'] = 'src/detect/worker.ts';

await build({
  entryPoints,
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external,
  logLevel: 'warning',
  // Bundled CommonJS dependencies (mqtt, pino, aedes) call require(); give ESM output one.
  banner: { js: "import { createRequire as __wfeCreateRequire } from 'node:module'; const require = __wfeCreateRequire(import.meta.url);" },
});
