/**
 * The parts of TF.js the `tfjs` engine uses, as one namespace: tensors and ops
 * (`@tensorflow/tfjs-core`), the pure-JS `cpu` backend as the last fallback, layers models
 * (`@tensorflow/tfjs-layers`) and graph models (`@tensorflow/tfjs-converter`). The
 * `@tensorflow/tfjs` umbrella would add the WebGL backend and tfjs-data, which Node never uses.
 */
import * as core from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { loadLayersModel } from '@tensorflow/tfjs-layers';

/** The TF.js namespace the engine calls (tfjs-node's namespace is a superset of it). */
export type Tf = typeof core & { loadLayersModel: typeof loadLayersModel; loadGraphModel: typeof loadGraphModel };

/** Core ops plus the two model loaders. */
export const tfjs: Tf = { ...core, loadLayersModel, loadGraphModel };
