// `npm run build` (also `npm ci` through `prepare`): esbuild bundles of the CLI (src/main.ts) and the
// detector worker into dist/, plus what must ship beside them (issue 7 "Deployment"):
//   dist/wildfire-edge.mjs, dist/detect-worker.mjs   the bundles (native modules stay external)
//   dist/models/                                      the default model, its .json card and labels
//   dist/deploy/demo/                                 demo config footage (npm start / `demo`)
//   dist/deploy/install.sh, wildfire-edge.service,    what the installer reads (issue 12): copying
//     config.example.yaml, README.md, mosquitto/      only dist/ to a Pi is enough to install it
//   dist/hw/README.md, pins-*.json                    wiring, pin maps, relay polarity
//   dist/package.json + package-lock.json + .npmrc    pin the native deps, so `npm ci --omit=dev`
//                                                     in a copy of dist/ (the Pi) installs exactly them
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
// WFE_BUILD_OUT builds elsewhere (the dist tests build into a temporary directory).
const out = process.env.WFE_BUILD_OUT ? process.env.WFE_BUILD_OUT : join(root, 'dist');
// Native modules load their own binaries: installed beside the bundle, never bundled.
const external = ['onnxruntime-node', 'sharp', 'rpio', 'node-libgpiod'];
const entryPoints = { 'wildfire-edge': 'src/main.ts' };
if (existsSync('src/detect/worker.ts')) entryPoints['detect-worker'] = 'src/detect/worker.ts';

rmSync(out, { recursive: true, force: true });
await build({
  entryPoints,
  outdir: out,
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

// Shipped assets, resolved at run time relative to the bundle (src/app/paths.ts).
mkdirSync(join(out, 'models'), { recursive: true });
if (existsSync('models')) {
  for (const f of readdirSync('models')) {
    if (/^wfe-.*\.(onnx|json|txt|md)$/.test(f) || /^labels.*\.txt$/.test(f) || f === 'README.md') cpSync(join('models', f), join(out, 'models', f));
  }
}
if (existsSync('deploy/demo')) {
  cpSync('deploy/demo', join(out, 'deploy/demo'), { recursive: true, filter: (src) => !src.endsWith('.mjs') });
}
for (const f of ['README.md', 'NOTICE', 'LICENSE']) if (existsSync(f)) cpSync(f, join(out, f));
// The installer and the files it reads beside itself ($here in install.sh); modes are kept
// (install.sh and make-certs.sh stay executable).
for (const f of ['install.sh', 'wildfire-edge.service', 'config.example.yaml', 'config.schema.json', 'README.md', 'mosquitto']) {
  if (existsSync(join('deploy', f))) cpSync(join('deploy', f), join(out, 'deploy', f), { recursive: true });
}
// Pin maps and wiring notes, which the installer's messages point at (pins and relay polarity).
if (existsSync('hw')) {
  for (const f of readdirSync('hw')) if (f === 'README.md' || /^pins-.*\.json$/.test(f)) cpSync(join('hw', f), join(out, 'hw', f));
}

// dist/package.json: only the external (native) dependencies, pinned to the versions tested here.
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const installed = (name) => lock.packages[`node_modules/${name}`]?.version;
const distPkg = {
  name: 'wildfire-edge-dist',
  version: pkg.version,
  description: pkg.description,
  type: 'module',
  private: true,
  license: pkg.license,
  engines: pkg.engines,
  bin: { 'wildfire-edge': 'wildfire-edge.mjs' },
  dependencies: Object.fromEntries(['onnxruntime-node', 'sharp'].filter(installed).map((n) => [n, installed(n)])),
  optionalDependencies: Object.fromEntries(['rpio'].filter(installed).map((n) => [n, installed(n)])),
  // npm runs only the install scripts named here (and fails on any other with --strict-allow-scripts):
  // rpio compiles its GPIO addon on the Pi; onnxruntime-node's script only downloads CUDA providers.
  allowScripts: Object.fromEntries(Object.entries(pkg.allowScripts ?? {}).filter(([n]) => installed(n) && n !== 'esbuild')),
};
writeFileSync(join(out, 'package.json'), `${JSON.stringify(distPkg, null, 2)}\n`);

// dist/package-lock.json: the root lock's entries reachable from those dependencies (same resolved
// tarballs and integrity hashes, every platform's optional binary entry kept for linux-arm64).
const entries = { '': { name: distPkg.name, version: distPkg.version, license: distPkg.license, dependencies: distPkg.dependencies, optionalDependencies: distPkg.optionalDependencies, engines: distPkg.engines } };
const queue = [...Object.keys(distPkg.dependencies), ...Object.keys(distPkg.optionalDependencies)].map((n) => ['', n]);
while (queue.length > 0) {
  const [from, name] = queue.shift();
  // Node's resolution: nested node_modules of the requirer first, then each parent, then the top.
  let key = null;
  for (let base = from; ; ) {
    const k = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock.packages[k]) { key = k; break; }
    if (!base) break;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
  if (!key || entries[key]) continue;
  const { dev, devOptional, ...entry } = lock.packages[key];
  entries[key] = entry;
  for (const d of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {})]) queue.push([key, d]);
}
writeFileSync(join(out, 'package-lock.json'), `${JSON.stringify({ name: distPkg.name, version: distPkg.version, lockfileVersion: 3, requires: true, packages: entries }, null, 2)}\n`);
// onnxruntime-node's install script only fetches GPU providers (the CPU binaries are in the package):
// allowScripts denies it; npm versions without allowScripts need ONNXRUNTIME_NODE_INSTALL=skip.
writeFileSync(join(out, '.npmrc'), 'fund=false\naudit=false\n');
