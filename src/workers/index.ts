export { createWorkerPool, tasksModulePath, type WorkerPool, type WorkerPoolOptions, type WorkerRunOptions } from './pool.js';
export { preprocessFrame, renderFrame } from './tasks.js';
export type { PreprocessTask, PreprocessResult, RenderTask, RenderResult } from './types.js';
