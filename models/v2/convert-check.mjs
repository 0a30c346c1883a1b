// Runs a tfjs graph model with @tensorflow/tfjs (pure-JS CPU backend) on an input tensor from a
// file and writes the requested nodes' outputs, for models/v2/convert_check.py to compare with the
// PyTorch interpreter (tfjs_graph.py). Training-time tool only: @tensorflow/tfjs is not a
// dependency of the product; convert_check.py installs it into a scratch folder (TFJS_DIR).
// Usage: TFJS_DIR=/tmp/tfjs node convert-check.mjs model.json input.bin shape(1,3,416,416) out.bin node1,node2,...
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const require = createRequire(join(process.env.TFJS_DIR ?? '.', 'node_modules', 'x.js'));
const tf = require('@tensorflow/tfjs');
const [modelPath, inputPath, shapeArg, outPath, namesArg] = process.argv.slice(2);
await tf.setBackend('cpu');
const spec = JSON.parse(readFileSync(modelPath, 'utf8'));
const weightSpecs = spec.weightsManifest.flatMap((g) => g.weights);
const buffers = spec.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dirname(modelPath), p))));
const all = Buffer.concat(buffers);
const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
const model = await tf.loadGraphModel({
  load: async () => ({ modelTopology: spec.modelTopology, weightSpecs, weightData, format: spec.format,
    generatedBy: spec.generatedBy, convertedBy: spec.convertedBy }),
});
const shape = shapeArg.split(',').map(Number);
const raw = readFileSync(inputPath);
const values = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
// graphs whose input placeholder is int32 (pose nets take 0..255 pixels) get the same values as int32
const placeholder = spec.modelTopology.node.find((n) => n.op === 'Placeholder');
const isInt = placeholder?.attr?.dtype?.type === 'DT_INT32';
const input = isInt ? tf.tensor(Int32Array.from(values), shape, 'int32') : tf.tensor(values, shape);
const names = namesArg.split(',');
const t0 = Date.now();
const outs = await model.executeAsync(input, names);
const list = Array.isArray(outs) ? outs : [outs];
const parts = [];
const meta = [];
for (let i = 0; i < list.length; i++) {
  const data = await list[i].data();
  meta.push({ name: names[i], shape: list[i].shape });
  parts.push(Buffer.from(new Float32Array(data).buffer));
}
writeFileSync(outPath, Buffer.concat(parts));
writeFileSync(outPath + '.json', JSON.stringify({ outputs: meta, ms: Date.now() - t0, tfjs: tf.version.tfjs, backend: tf.getBackend() }));
