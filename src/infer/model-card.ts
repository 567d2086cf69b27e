/**
 * Finding and loading model folders: a folder with a `model.json` card, or a built-in model
 * shipped in the package's `models/<name>/` folder.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, SegStreamError, invalidOption } from '../errors.js';
import { validateCard } from './card-validate.js';
import { checkTfjsFiles } from './tfjs-io.js';
import type { LoadedModel, ModelCard } from './types.js';

/** Name of the built-in model used when none is given. */
export const DEFAULT_MODEL = 'camvid-default';

/** File name of the card inside a model folder. */
export const CARD_FILE = 'model.json';

/** Options of {@link loadModel} and {@link listModels}. */
export interface ModelLookupOptions {
  /** Folder holding the built-in models; default: `models/` in the package root. */
  modelsDir?: string;
}

/** A built-in model as listed by {@link listModels}. */
export interface BuiltinModel {
  name: string;
  dir: string;
  card: ModelCard;
  files: LoadedModel['files'];
}

/**
 * The package root: this file is `src/infer/model-card.ts` or `dist/infer/model-card.js`,
 * two levels below it.
 */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** The folder of built-in models (`<package root>/models`). */
export function builtinModelsDir(): string {
  return path.join(packageRoot(), 'models');
}

const notFound = (message: string) =>
  new SegStreamError(ErrorCodes.MODEL_NOT_FOUND, message, { context: { stage: 'model' } });
const invalid = (message: string, cause?: unknown) =>
  new SegStreamError(ErrorCodes.MODEL_INVALID, message, { cause, context: { stage: 'model' } });

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

/** Names of the folders under `modelsDir` that hold a card (not validated), sorted. */
async function builtinNames(modelsDir: string): Promise<string[]> {
  const entries = await readdir(modelsDir, { withFileTypes: true }).catch(() => []);
  const names: string[] = [];
  for (const e of entries) {
    if ((e.isDirectory() || e.isSymbolicLink()) && (await isFile(path.join(modelsDir, e.name, CARD_FILE))))
      names.push(e.name);
  }
  return names.sort();
}

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes('\\') || s === '.' || s === '..' || s.endsWith('.json');
}

/**
 * Loads a model: `nameOrDir` is a folder holding `model.json` (or the path of that
 * `model.json`), or the name of a built-in model. The card is validated, weight files are
 * checked to exist and role class names are resolved to class ids.
 *
 * A bare name (no `/`) is looked up among the built-in models first, then as a folder
 * relative to the working directory.
 *
 * @example
 * ```ts
 * const model = await loadModel(DEFAULT_MODEL);
 * const mine = await loadModel('./models/twinlitenet');
 * ```
 * @throws SegStreamError MODEL_NOT_FOUND when the folder, its card, or the built-in model
 *   does not exist (the message lists the built-in models); MODEL_INVALID when the card is
 *   malformed or names weight files that do not exist; INVALID_OPTION when `nameOrDir` is
 *   not a non-empty string.
 */
export async function loadModel(nameOrDir: string, options: ModelLookupOptions = {}): Promise<LoadedModel> {
  if (typeof nameOrDir !== 'string' || nameOrDir.trim() === '') {
    throw invalidOption('model', 'a built-in model name or a model folder path', nameOrDir);
  }
  const modelsDir = options.modelsDir ?? builtinModelsDir();
  if (!looksLikePath(nameOrDir)) {
    const builtin = path.join(modelsDir, nameOrDir);
    if (await isFile(path.join(builtin, CARD_FILE))) return loadModelDir(builtin, modelsDir);
    if (!(await isDir(path.resolve(nameOrDir)))) {
      const names = await builtinNames(modelsDir);
      const list = names.length > 0 ? names.join(', ') : `none are installed in ${modelsDir}`;
      throw notFound(
        `No built-in model named "${nameOrDir}" (built-in models: ${list}). ` +
          'Pass one of those names, or the path of a folder that holds a model.json card and its weight files.',
      );
    }
  }
  let dir = path.resolve(nameOrDir);
  if (nameOrDir.endsWith('.json') && (await isFile(dir))) dir = path.dirname(dir);
  return loadModelDir(dir, modelsDir);
}

async function loadModelDir(dir: string, modelsDir: string): Promise<LoadedModel> {
  if (!(await isDir(dir))) {
    const names = await builtinNames(modelsDir);
    throw notFound(
      `Model folder ${dir} does not exist. Pass a folder that holds a model.json card and its weight files` +
        (names.length > 0 ? `, or a built-in model: ${names.join(', ')}.` : '.'),
    );
  }
  const cardPath = path.join(dir, CARD_FILE);
  let text: string;
  try {
    text = await readFile(cardPath, 'utf8');
  } catch {
    throw notFound(
      `No model card at ${cardPath}. A model folder needs a model.json card (name, input, engines, heads, classes, roles) next to its weight files.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(
      `Invalid model card ${cardPath}: not valid JSON (${(err as Error).message}). Fix the card and try again.`,
      err,
    );
  }
  const card = validateCard(raw, cardPath);

  const files: LoadedModel['files'] = {};
  for (const engine of ['onnx', 'tfjs'] as const) {
    const spec = card.engines[engine];
    if (!spec) continue;
    const file = path.resolve(dir, spec.file);
    if (!(await isFile(file))) {
      throw invalid(
        `The weight file ${file} named by engines.${engine}.file in ${cardPath} does not exist. Put it in the model folder or fix the path.`,
      );
    }
    if (engine === 'tfjs') await checkTfjsFiles(file);
    files[engine] = file;
  }

  const idsOf = (names: string[]) => names.map((n) => card.classes.findIndex((c) => c.name === n));
  return {
    card,
    dir,
    files,
    freeSpaceIds: idsOf(card.roles.freeSpace),
    roadIds: idsOf(card.roles.road),
    vehicleIds: idsOf(card.roles.vehicle),
  };
}

/**
 * Lists the built-in models, each loaded and validated.
 * @throws SegStreamError MODEL_INVALID when a built-in model's card is broken (a packaging bug).
 */
export async function listModels(options: ModelLookupOptions = {}): Promise<BuiltinModel[]> {
  const modelsDir = options.modelsDir ?? builtinModelsDir();
  const out: BuiltinModel[] = [];
  for (const name of await builtinNames(modelsDir)) {
    const m = await loadModelDir(path.join(modelsDir, name), modelsDir);
    out.push({ name, dir: m.dir, card: m.card, files: m.files });
  }
  return out;
}
