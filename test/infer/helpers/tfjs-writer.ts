/**
 * Hand-made TF.js models for tests, equivalent to the ONNX ones of onnx-writer.ts: 1x1
 * convolutions with known weights, as a layers model (built and saved with TF.js) or as a
 * hand-written graph model (Placeholder → Conv2D → BiasAdd).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ConvHead } from './onnx-writer.js';

const tf = { ...tfc, ...tfl };

async function writeArtifacts(dir: string, modelJson: Record<string, unknown>, weights: ArrayBuffer): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(modelJson));
  await writeFile(path.join(dir, 'weights.bin'), new Uint8Array(weights));
}

/** Saves a layers model (NHWC input [batch?, H, W, 3]) with one 1x1 conv per head into `dir`. */
export async function writeLayersConvModel(
  dir: string,
  height: number,
  width: number,
  heads: ConvHead[],
  batch: number | null = null,
): Promise<void> {
  const input = tf.input({ shape: [height, width, 3], ...(batch ? { batchSize: batch } : {}) });
  const outputs = heads.map(
    (h) =>
      tf.layers
        .conv2d({ filters: h.weights.length, kernelSize: 1, strides: h.stride ?? 1, padding: 'valid', name: h.name })
        .apply(input) as tfl.SymbolicTensor,
  );
  const model = tf.model({ inputs: input, outputs });
  for (const h of heads) {
    const kernel = tf.tensor4d(h.weights[0].map((_, ci) => h.weights.map((w) => w[ci])).flat(), [
      1,
      1,
      3,
      h.weights.length,
    ]);
    const bias = tf.tensor1d(h.bias);
    model.getLayer(h.name).setWeights([kernel, bias]);
    kernel.dispose();
    bias.dispose();
  }
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const json = {
        format: a.format ?? 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: null,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      };
      await writeArtifacts(dir, json, a.weightData as ArrayBuffer);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
}

const strAttr = (s: string) => ({ s: Buffer.from(s).toString('base64') });

/** Writes a graph model (NHWC input [-1, H, W, 3]) with one 1x1 conv + bias per head into `dir`. */
export async function writeGraphConvModel(
  dir: string,
  height: number,
  width: number,
  heads: ConvHead[],
): Promise<void> {
  const nodes: Record<string, unknown>[] = [
    {
      name: 'input',
      op: 'Placeholder',
      attr: {
        dtype: { type: 'DT_FLOAT' },
        shape: { shape: { dim: [{ size: '-1' }, { size: String(height) }, { size: String(width) }, { size: '3' }] } },
      },
    },
  ];
  const specs: { name: string; shape: number[]; dtype: 'float32' }[] = [];
  const values: number[] = [];
  for (const h of heads) {
    const c = h.weights.length;
    const s = String(h.stride ?? 1);
    nodes.push(
      {
        name: `${h.name}/kernel`,
        op: 'Const',
        attr: {
          dtype: { type: 'DT_FLOAT' },
          value: {
            tensor: {
              dtype: 'DT_FLOAT',
              tensorShape: { dim: [{ size: '1' }, { size: '1' }, { size: '3' }, { size: String(c) }] },
            },
          },
        },
      },
      {
        name: `${h.name}/bias`,
        op: 'Const',
        attr: {
          dtype: { type: 'DT_FLOAT' },
          value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: String(c) }] } } },
        },
      },
      {
        name: `${h.name}/conv`,
        op: 'Conv2D',
        input: ['input', `${h.name}/kernel`],
        attr: {
          T: { type: 'DT_FLOAT' },
          strides: { list: { i: ['1', s, s, '1'] } },
          padding: strAttr('VALID'),
          data_format: strAttr('NHWC'),
          dilations: { list: { i: ['1', '1', '1', '1'] } },
        },
      },
      {
        name: h.name,
        op: 'BiasAdd',
        input: [`${h.name}/conv`, `${h.name}/bias`],
        attr: { T: { type: 'DT_FLOAT' }, data_format: strAttr('NHWC') },
      },
    );
    specs.push(
      { name: `${h.name}/kernel`, shape: [1, 1, 3, c], dtype: 'float32' },
      { name: `${h.name}/bias`, shape: [c], dtype: 'float32' },
    );
    for (let ci = 0; ci < 3; ci++) for (let co = 0; co < c; co++) values.push(h.weights[co][ci]);
    values.push(...h.bias);
  }
  const json = {
    format: 'graph-model',
    generatedBy: 'seg-stream tests',
    convertedBy: null,
    modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
    signature: {
      inputs: {
        input: {
          name: 'input:0',
          dtype: 'DT_FLOAT',
          tensorShape: { dim: [{ size: '-1' }, { size: String(height) }, { size: String(width) }, { size: '3' }] },
        },
      },
      outputs: Object.fromEntries(heads.map((h) => [h.name, { name: `${h.name}:0`, dtype: 'DT_FLOAT' }])),
    },
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  await writeArtifacts(dir, json, new Float32Array(values).buffer);
}
