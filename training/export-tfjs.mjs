#!/usr/bin/env node
// Rebuilds a network exported by training/export.py (graph.json + weights.f32, kernels already in
// TF layout, BatchNorm folded) with tf.layers (functional API, NHWC) and saves a TF.js layers model
// (model.json + weights.bin) that tf.loadLayersModel reads back.
//
//   node training/export-tfjs.mjs <dir with graph.json + weights.f32> <out dir>
//
// Padding is always explicit and symmetric (zeroPadding2d + 'valid'), as PyTorch pads, because
// tf 'same' pads stride-2 convs asymmetrically.
import fs from 'node:fs';
import path from 'node:path';
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

const tf = { ...tfc, ...tfl };

const [src, out] = process.argv.slice(2);
if (!src || !out) {
  console.error('usage: node training/export-tfjs.mjs <graph dir> <out dir>');
  process.exit(2);
}
await tf.setBackend('cpu');

const { spec, weights } = JSON.parse(fs.readFileSync(path.join(src, 'graph.json'), 'utf8'));
const buf = fs.readFileSync(path.join(src, 'weights.f32'));
const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
const byNode = new Map();
for (const w of weights) {
  const size = w.shape.reduce((a, b) => a * b, 1);
  const entry = byNode.get(w.node) ?? {};
  entry[w.kind] = tf.tensor(all.subarray(w.offset, w.offset + size), w.shape, 'float32');
  byNode.set(w.node, entry);
}

const [H, W] = spec.input_size;
// A fully convolutional net exported with free height and width (spec.free_size) takes any size
// that is a multiple of its total stride; input_size stays the card's nominal size.
const input = tf.input({ shape: spec.free_size ? [null, null, 3] : [H, W, 3], name: 'input', dtype: 'float32' });
const vals = new Map([['input', input]]);
const toSet = [];
const isOutput = (n) => n.name === spec.output;

for (const n of spec.nodes) {
  const ins = n.inputs.map((i) => vals.get(i));
  let y;
  switch (n.op) {
    case 'conv':
    case 'dwconv': {
      let x = ins[0];
      if (n.pad[0] || n.pad[1]) {
        x = tf.layers
          .zeroPadding2d({
            padding: [
              [n.pad[0], n.pad[0]],
              [n.pad[1], n.pad[1]],
            ],
            name: `${n.name}_pad`,
          })
          .apply(x);
      }
      const common = {
        kernelSize: n.k,
        strides: n.s,
        padding: 'valid',
        useBias: true,
        activation: n.act === 'relu' ? 'relu' : 'linear',
        name: isOutput(n) ? 'logits' : n.name,
      };
      const layer =
        n.op === 'conv'
          ? tf.layers.conv2d({ ...common, filters: n.cout, dilationRate: n.d })
          : tf.layers.depthwiseConv2d({ ...common, depthMultiplier: 1 });
      if (n.op === 'dwconv' && n.d !== 1) throw new Error(`${n.name}: tf.layers depthwiseConv2d ignores dilation`);
      y = layer.apply(x);
      toSet.push([layer, n.name, ['kernel', 'bias']]);
      break;
    }
    case 'skipconv': {
      // conv over concat(up2(low), skip), run as up2(conv(low)) + conv(skip): the same function
      // (training/graph.py), the low half of the kernel at the lower resolution, no concatenate
      const conv = (name, useBias) =>
        tf.layers.conv2d({
          filters: n.cout,
          kernelSize: [1, 1],
          strides: 1,
          padding: 'valid',
          useBias,
          activation: 'linear',
          name,
        });
      const low = conv(`${n.name}_low`, false);
      const skip = conv(n.name, true);
      const up = tf.layers
        .upSampling2d({ size: [2, 2], interpolation: 'nearest', name: `${n.name}_up` })
        .apply(low.apply(ins[0]));
      const sum = n.act !== 'relu' && isOutput(n) ? 'logits' : `${n.name}_sum`;
      y = tf.layers.add({ name: sum }).apply([up, skip.apply(ins[1])]);
      if (n.act === 'relu')
        y = tf.layers.activation({ activation: 'relu', name: isOutput(n) ? 'logits' : `${n.name}_relu` }).apply(y);
      toSet.push([low, n.name, ['lowKernel']], [skip, n.name, ['kernel', 'bias']]);
      break;
    }
    case 'add':
      y = tf.layers.add({ name: n.name }).apply(ins);
      if (n.act === 'relu') y = tf.layers.activation({ activation: 'relu', name: `${n.name}_relu` }).apply(y);
      break;
    case 'concat':
      y = tf.layers.concatenate({ axis: -1, name: n.name }).apply(ins);
      break;
    case 'up2':
      y = tf.layers.upSampling2d({ size: [2, 2], interpolation: 'nearest', name: n.name }).apply(ins[0]);
      break;
    case 'pool2': {
      const opts = { poolSize: [2, 2], strides: [2, 2], padding: 'valid', name: n.name };
      y = (n.mode === 'avg' ? tf.layers.averagePooling2d(opts) : tf.layers.maxPooling2d(opts)).apply(ins[0]);
      break;
    }
    case 'relu':
      y = tf.layers.activation({ activation: 'relu', name: n.name }).apply(ins[0]);
      break;
    case 'gap': {
      const c = ins[0].shape[3];
      y = tf.layers.globalAveragePooling2d({ name: n.name }).apply(ins[0]);
      y = tf.layers.reshape({ targetShape: [1, 1, c], name: `${n.name}_reshape` }).apply(y);
      break;
    }
    default:
      throw new Error(`unknown op ${n.op}`);
  }
  vals.set(n.name, y);
}

const model = tf.model({ inputs: input, outputs: vals.get(spec.output), name: spec.arch });
for (const [layer, name, kinds] of toSet) {
  const w = byNode.get(name);
  layer.setWeights(kinds.map((k) => w[k]));
}

fs.mkdirSync(out, { recursive: true });
await model.save(
  tf.io.withSaveHandler(async (artifacts) => {
    const data = Array.isArray(artifacts.weightData)
      ? tf.io.concatenateArrayBuffers(artifacts.weightData)
      : artifacts.weightData;
    fs.writeFileSync(path.join(out, 'weights.bin'), Buffer.from(data));
    const modelJson = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
      convertedBy: 'seg-stream training/export-tfjs.mjs',
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify(modelJson));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }),
);
console.log(
  `tfjs layers model written to ${out} (${model.countParams()} params, output ${JSON.stringify(model.outputs[0].shape)})`,
);
