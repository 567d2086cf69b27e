/**
 * Reading TF.js model files (`model.json` + weight shards) straight from disk: no fetch, no
 * `file://` handler from tfjs-node. Imports TF.js types only, so checking a model folder does
 * not load TF.js.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { io } from '@tensorflow/tfjs-core';
import { ErrorCodes, SegStreamError } from '../errors.js';

/** The parts of a TF.js `model.json` this project reads. */
export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: io.WeightsManifestEntry[] }[];
  signature?: Record<string, unknown>;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: Record<string, unknown>;
  trainingConfig?: io.TrainingConfig;
}

function invalid(message: string, cause?: unknown): SegStreamError {
  return new SegStreamError(ErrorCodes.MODEL_INVALID, message, { cause, context: { stage: 'model' } });
}

/**
 * Reads and checks a TF.js `model.json`.
 * @throws SegStreamError MODEL_INVALID when the file is unreadable, not JSON, or lacks
 *   `modelTopology` / `weightsManifest`.
 */
export async function readTfjsModelJson(file: string): Promise<TfjsModelJson> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw invalid(`Cannot read the TF.js model file ${file}: ${(err as Error).message}.`, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(
      `The TF.js model file ${file} is not valid JSON (${(err as Error).message}). Re-export it with tensorflowjs_converter.`,
      err,
    );
  }
  const j = json as Partial<TfjsModelJson>;
  if (typeof j !== 'object' || j === null || typeof j.modelTopology !== 'object' || j.modelTopology === null) {
    throw invalid(`The TF.js model file ${file} has no "modelTopology"; expected a TF.js layers or graph model.json.`);
  }
  const manifest = j.weightsManifest;
  const manifestOk =
    Array.isArray(manifest) &&
    manifest.every(
      (g) =>
        typeof g === 'object' &&
        g !== null &&
        Array.isArray(g.paths) &&
        g.paths.every((p) => typeof p === 'string') &&
        Array.isArray(g.weights),
    );
  if (!manifestOk) {
    throw invalid(`The TF.js model file ${file} has no valid "weightsManifest" (an array of {paths, weights}).`);
  }
  return j as TfjsModelJson;
}

/** The format a TF.js model.json declares: `layers`, `graph`, or undefined when it cannot tell. */
export function tfjsFormatOf(json: TfjsModelJson): 'layers' | 'graph' | undefined {
  if (json.format === 'layers-model') return 'layers';
  if (json.format === 'graph-model') return 'graph';
  if (Array.isArray((json.modelTopology as { node?: unknown }).node)) return 'graph';
  if ('model_config' in json.modelTopology || 'class_name' in json.modelTopology) return 'layers';
  return undefined;
}

/** Absolute paths of the weight shards a model.json names, in manifest order. */
export function tfjsShardPaths(json: TfjsModelJson, modelFile: string): string[] {
  const dir = path.dirname(modelFile);
  return json.weightsManifest.flatMap((g) => g.paths.map((p) => path.resolve(dir, p)));
}

/**
 * Checks that a TF.js model.json parses and that every weight shard it names exists.
 * @throws SegStreamError MODEL_INVALID naming the first missing shard.
 */
export async function checkTfjsFiles(modelFile: string): Promise<void> {
  const json = await readTfjsModelJson(modelFile);
  for (const shard of tfjsShardPaths(json, modelFile)) {
    const s = await stat(shard).catch(() => undefined);
    if (!s?.isFile()) {
      throw invalid(
        `The weight shard ${shard} named by the weightsManifest of ${modelFile} does not exist. Copy every file tensorflowjs_converter wrote next to model.json.`,
      );
    }
  }
}

/**
 * A TF.js IOHandler that loads `model.json` and its shards from the local disk, for
 * `tf.loadLayersModel` / `tf.loadGraphModel`.
 *
 * @example
 * ```ts
 * const model = await tf.loadGraphModel(fileIOHandler('/models/x/tfjs/model.json'));
 * ```
 */
export function fileIOHandler(modelFile: string): io.IOHandler {
  return {
    async load(): Promise<io.ModelArtifacts> {
      const json = await readTfjsModelJson(modelFile);
      const shards = tfjsShardPaths(json, modelFile);
      const buffers: Buffer[] = [];
      for (const shard of shards) {
        try {
          buffers.push(await readFile(shard));
        } catch (err) {
          throw invalid(`Cannot read the weight shard ${shard} of ${modelFile}: ${(err as Error).message}.`, err);
        }
      }
      const all = Buffer.concat(buffers);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      const artifacts: io.ModelArtifacts = {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy ?? null,
      };
      if (json.signature) artifacts.signature = json.signature;
      if (json.userDefinedMetadata) artifacts.userDefinedMetadata = json.userDefinedMetadata as Record<string, object>;
      if (json.modelInitializer) artifacts.modelInitializer = json.modelInitializer;
      if (json.trainingConfig) artifacts.trainingConfig = json.trainingConfig;
      return artifacts;
    },
  };
}
