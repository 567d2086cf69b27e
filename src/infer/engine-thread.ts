/**
 * The inference thread: one worker that owns an engine and runs the requests of a
 * {@link createThreadedEngine} handle. onnxruntime-node's `session.run()` computes on the calling
 * thread, so on the main thread it would stall the event loop (pipe reads and writes, worker
 * messages) for the whole of every inference; here it stalls only this thread.
 *
 * Messages in: `{ type: 'run', id, inputs, options }`, `{ type: 'end-stream', stream }`,
 * `{ type: 'dispose' }`. Runs with `options.post` get their post-network step here, right after
 * the network (see `post-step.ts`).
 * Messages out: `{ type: 'ready', backend, inputLayout }` or `{ type: 'failed', error }` once,
 * then `{ type: 'result', id, outputs }` / `{ type: 'error', id, error }` per run, and
 * `{ type: 'disposed' }` before the thread ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine } from './engine.js';
import { serializeError } from '../errors.js';
import { PostStepHost } from './post-step.js';
import type { ThreadMessage, ThreadRequest, ThreadStart } from './threaded-engine.js';
import type { Engine } from './types.js';

const port = parentPort!;
const start = workerData as ThreadStart;
const post = (msg: ThreadMessage, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

let engine: Engine | undefined;
let host: PostStepHost | undefined;
try {
  engine = await createEngine(start.model, { ...start.options, engine: start.engine });
  host = new PostStepHost(engine);
  post({ type: 'ready', backend: engine.backend, inputLayout: engine.inputLayout });
} catch (err) {
  post({ type: 'failed', error: serializeError(err) });
  port.close();
}

// Runs execute one at a time, in arrival order: the engine's own threads do the parallel work.
let queue: Promise<void> = Promise.resolve();

port.on('message', (msg: ThreadRequest) => {
  queue = queue.then(() => handle(msg));
});

async function handle(msg: ThreadRequest): Promise<void> {
  if (msg.type === 'dispose') {
    const e = engine;
    engine = undefined;
    host = undefined;
    await e?.dispose().catch(() => undefined);
    post({ type: 'disposed' });
    port.close();
    return;
  }
  if (msg.type === 'end-stream') {
    host?.end(msg.stream);
    return;
  }
  try {
    if (!engine || !host) throw new Error('the engine was disposed');
    const outputs = await host.run(msg.inputs, msg.options);
    const transfer = new Set<ArrayBuffer>();
    // The network is done with the inputs: they go back to be refilled instead of reallocated.
    const inputs = msg.returnInputs ? ownInputs(msg.inputs) : undefined;
    for (const i of inputs ?? []) transfer.add(i.buffer as ArrayBuffer);
    for (const o of outputs) {
      transfer.add(o.classMap.buffer as ArrayBuffer);
      if (o.probability) transfer.add(o.probability.buffer as ArrayBuffer);
      for (const plane of Object.values(o.planes ?? {})) transfer.add(plane.buffer as ArrayBuffer);
      for (const h of o.scores?.heads ?? []) transfer.add(h.buffer as ArrayBuffer);
    }
    post({ type: 'result', id: msg.id, outputs, inputs }, [...transfer]);
  } catch (err) {
    post({ type: 'error', id: msg.id, error: serializeError(err) });
  }
}

/** The inputs that own their whole buffer, each buffer once (a buffer may be refilled by one input only). */
function ownInputs(inputs: Float32Array[]): Float32Array[] {
  const seen = new Set<ArrayBufferLike>();
  return inputs.filter((i) => {
    const owns =
      i.buffer instanceof ArrayBuffer &&
      i.byteOffset === 0 &&
      i.byteLength === i.buffer.byteLength &&
      !seen.has(i.buffer);
    seen.add(i.buffer);
    return owns;
  });
}
