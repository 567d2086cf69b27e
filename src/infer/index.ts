/** Inference: model cards and engines. */
export type {
  ClassInfo,
  DeviceName,
  Engine,
  EngineFileSpec,
  EngineName,
  EngineOptions,
  EngineOutput,
  EngineRunOptions,
  HeadInfo,
  InputSpec,
  LoadedModel,
  ModelCard,
} from './types.js';
export { CARD_FILE, DEFAULT_MODEL, builtinModelsDir, listModels, loadModel, packageRoot } from './model-card.js';
export type { BuiltinModel, ModelLookupOptions } from './model-card.js';
export { INPUT_DEFAULTS, LAYOUT_DEFAULTS, ROLE_NAMES, validateCard } from './card-validate.js';
export { ENGINE_DEFAULTS, createEngine, describeEngines, resolveEngineOptions } from './engine.js';
export type { CreateEngineOptions } from './engine.js';
export { ORT_CUDA_ADVICE, createOnnxEngine, ortCudaInstalled, ortVersion } from './onnx-engine.js';
export { TFJS_CUDA_ADVICE, selectTfjsBackend } from './tfjs-backend.js';
export type { TfjsBackend } from './tfjs-backend.js';
export { createTfjsEngine } from './tfjs-engine.js';
