/**
 * Choosing the TF.js backend at run time: `@tensorflow/tfjs-node-gpu` (CUDA) →
 * `@tensorflow/tfjs-node` (native CPU) → `@tensorflow/tfjs-backend-wasm` → the pure-JS `cpu`
 * backend. The native packages are optional dependencies that download binaries at install
 * time, so they are imported dynamically and their absence is normal.
 *
 * TF.js keeps one active backend per process: the first selection wins until another device
 * is asked for.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { ErrorCodes, SegStreamError } from '../errors.js';
import type { Tf } from './tfjs-namespace.js';
import type { DeviceName } from './types.js';

export type { Tf };

/** The backend that runs TF.js models in this process. */
export interface TfjsBackend {
  tf: Tf;
  /** TF.js backend name: `tensorflow`, `wasm` or `cpu`. */
  name: 'tensorflow' | 'wasm' | 'cpu';
  /** Human-readable, e.g. `tfjs 4.22.0 wasm (simd)`, `tfjs-node-gpu 4.22.0 tensorflow (cuda)`. */
  description: string;
}

/** What to install for the CUDA path of the tfjs engine. */
export const TFJS_CUDA_ADVICE =
  'The tfjs engine runs on CUDA only through @tensorflow/tfjs-node-gpu (Linux x64, CUDA 11.2 + cuDNN 8.1, TensorFlow 2.9 binaries downloaded at install time): ' +
  'run `npm install @tensorflow/tfjs-node-gpu` on a machine with internet access, or use --engine onnx --device cuda, or --device cpu.';

const selections = new Map<DeviceName, Promise<TfjsBackend>>();

/** Imports a package that may not be installed; resolves to undefined when it is absent or fails to load. */
async function optionalImport(specifier: string): Promise<Record<string, unknown> | undefined> {
  try {
    const ns = (await import(specifier)) as { default?: Record<string, unknown> } & Record<string, unknown>;
    // CommonJS packages: the namespace's default export is module.exports.
    return typeof ns.default?.setBackend === 'function' ? ns.default : ns;
  } catch {
    return undefined;
  }
}

function versionOf(tf: Tf): string {
  return tf.version_core ?? 'unknown';
}

async function tryNative(
  pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node',
  device: DeviceName,
): Promise<TfjsBackend | undefined> {
  const mod = await optionalImport(pkg);
  if (!mod || typeof mod.setBackend !== 'function') return undefined;
  const tf = mod as unknown as Tf;
  if (!(await tf.setBackend('tensorflow').catch(() => false))) return undefined;
  await tf.ready();
  const short = pkg.replace('@tensorflow/', '');
  return {
    tf,
    name: 'tensorflow',
    description: `${short} ${versionOf(tf)} tensorflow (${device === 'cuda' ? 'cuda' : 'native cpu'})`,
  };
}

/** Directory of the wasm binaries shipped in @tensorflow/tfjs-backend-wasm, with a trailing slash. */
export function wasmBinaryDir(): string {
  const req = createRequire(import.meta.url);
  return path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep;
}

async function tryWasm(tf: Tf): Promise<TfjsBackend | undefined> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the wasm files are read from disk: point TF.js at the installed package's dist folder.
    wasm.setWasmPaths(wasmBinaryDir());
    if (!(await tf.setBackend('wasm'))) return undefined;
    await tf.ready();
    const features = [
      tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'simd' : 'no simd',
      tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'threads' : undefined,
    ].filter(Boolean);
    return { tf, name: 'wasm', description: `tfjs ${versionOf(tf)} wasm (${features.join(', ')})` };
  } catch {
    return undefined;
  }
}

async function select(device: DeviceName): Promise<TfjsBackend> {
  if (device === 'webgpu') {
    throw new SegStreamError(
      ErrorCodes.DEVICE_UNAVAILABLE,
      'TF.js has no WebGPU backend in Node.js; WebGPU runs on the onnx engine (engine onnx, device webgpu).',
    );
  }
  if (device === 'cuda') {
    const gpu = await tryNative('@tensorflow/tfjs-node-gpu', 'cuda');
    if (gpu) return gpu;
    throw new SegStreamError(
      ErrorCodes.DEVICE_UNAVAILABLE,
      `@tensorflow/tfjs-node-gpu is not installed or does not load. ${TFJS_CUDA_ADVICE}`,
    );
  }
  const native = await tryNative('@tensorflow/tfjs-node', 'cpu');
  if (native) return native;
  const { tfjs: tf } = await import('./tfjs-namespace.js');
  const wasm = await tryWasm(tf);
  if (wasm) return wasm;
  if (!(await tf.setBackend('cpu'))) {
    throw new SegStreamError(
      ErrorCodes.ENGINE_UNAVAILABLE,
      'No TF.js backend could start (tried tfjs-node, wasm and cpu). Use --engine onnx.',
    );
  }
  await tf.ready();
  return {
    tf,
    name: 'cpu',
    description: `tfjs ${versionOf(tf)} cpu (pure JS, slow: install @tensorflow/tfjs-node or make the wasm backend load)`,
  };
}

/**
 * Selects (once per device per process) and activates the best TF.js backend for `device`.
 * @throws SegStreamError DEVICE_UNAVAILABLE for `cuda` without a loadable tfjs-node-gpu.
 */
export async function selectTfjsBackend(device: DeviceName = 'cpu'): Promise<TfjsBackend> {
  let p = selections.get(device);
  if (!p) {
    p = select(device);
    selections.set(device, p);
    p.catch(() => selections.delete(device));
  }
  const backend = await p;
  // Another device may have switched the process-wide backend since: switch it back.
  if (backend.tf.getBackend() !== backend.name) await backend.tf.setBackend(backend.name);
  return backend;
}
