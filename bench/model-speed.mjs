// Speed of a model alone on onnxruntime-node at its input size, next to an equal-size reference
// network measured in the same run: ESPNet (0.35 M parameters) at 360x480, random weights,
// built by bench/reference/espnet.py. Target for the default model: >= 2x the reference.
// With --compare DIR a second model (e.g. the float model next to its INT8 variant) takes its
// turns in the same rounds and the result adds the ratio of the two.
// Usage: node bench/model-speed.mjs [--model DIR] [--compare DIR] [--threads 2] [--seconds 10] [--out model-speed.json]
import { writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { loadModel } from '../dist/index.js';
import { benchModel, root, round } from './lib.mjs';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    threads: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '10' },
    compare: { type: 'string' },
    out: { type: 'string', default: 'model-speed.json' },
  },
});
const threads = Number(values.threads);
const chosen = values.model ? { dir: path.resolve(values.model), label: values.model } : benchModel();
const model = await loadModel(chosen.dir);
const reference = path.join(root, 'bench', 'reference', 'espnet-360x480.onnx');
if (!existsSync(reference)) throw new Error(`${reference} is missing: run /usr/bin/python3 bench/reference/espnet.py`);

async function session(file) {
  // No spinning: two sessions alternate here, and one's spinning threads would slow the other.
  return ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

const nets = [
  {
    name: chosen.label,
    session: await session(model.files.onnx),
    shape: [1, 3, model.card.input.height, model.card.input.width],
    input: model.card.engines.onnx?.inputName ?? 'input',
  },
  { name: 'ESPNet reference', session: await session(reference), shape: [1, 3, 360, 480], input: 'input' },
];
if (values.compare) {
  const other = await loadModel(path.resolve(values.compare));
  nets.splice(1, 0, {
    name: values.compare,
    session: await session(other.files.onnx),
    shape: [1, 3, other.card.input.height, other.card.input.width],
    input: other.card.engines.onnx?.inputName ?? 'input',
  });
}
for (const n of nets) {
  const size = n.shape.reduce((a, b) => a * b, 1);
  n.feed = {
    [n.input]: new ort.Tensor(
      'float32',
      Float32Array.from({ length: size }, (_, i) => Math.sin(i)),
      n.shape,
    ),
  };
  for (let i = 0; i < 5; i++) await n.session.run(n.feed);
  n.runs = 0;
  n.ms = 0;
}
// Alternate one-second slices so both networks see the same machine conditions.
const deadline = performance.now() + Number(values.seconds) * 1000;
while (performance.now() < deadline) {
  for (const n of nets) {
    const sliceEnd = performance.now() + 1000;
    while (performance.now() < sliceEnd) {
      const t0 = performance.now();
      await n.session.run(n.feed);
      n.ms += performance.now() - t0;
      n.runs++;
    }
  }
}
const measured = nets.map((n) => ({
  name: n.name,
  input: `${n.shape[3]}x${n.shape[2]}`,
  fps: round((1000 * n.runs) / n.ms, 1),
}));
const [m, ref] = [measured[0], measured[measured.length - 1]];
const result = { date: new Date().toISOString(), threads, model: m, reference: ref, ratio: round(m.fps / ref.fps) };
if (values.compare) Object.assign(result, { compare: measured[1], ratioVsCompare: round(m.fps / measured[1].fps) });
writeFileSync(path.join(root, 'bench', 'results', path.basename(values.out)), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `${m.name} at ${m.input}: ${m.fps} fps; ESPNet at 360x480: ${ref.fps} fps; ratio ${result.ratio} (onnxruntime-node, ${threads} threads)`,
);
if (values.compare)
  console.log(`${values.compare}: ${measured[1].fps} fps; ${m.name} / ${values.compare} = ${result.ratioVsCompare}`);
for (const n of nets) await n.session.release();
