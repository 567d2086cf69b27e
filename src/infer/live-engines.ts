/**
 * Inference threads alive in this process. An abort (a second Ctrl-C) disposes them before the
 * process exits: ending the process while onnxruntime-node has a call in flight on such a thread
 * makes the addon throw from its completion callback into a dying environment
 * (`terminate called after throwing an instance of 'Napi::Error'`, SIGABRT).
 */

/** Something that can be disposed. */
interface Disposable {
  dispose(): Promise<void>;
}

const live = new Set<Disposable>();

/** Registers a running inference thread. */
export function registerLiveEngine(engine: Disposable): void {
  live.add(engine);
}

/** Forgets an inference thread that has ended. */
export function unregisterLiveEngine(engine: Disposable): void {
  live.delete(engine);
}

/**
 * Disposes every inference thread (the call in flight finishes first, new calls are refused);
 * resolves when all have ended or after `capMs`.
 */
export async function disposeLiveEngines(capMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([...live].map((e) => e.dispose())),
    new Promise((resolve) => (timer = setTimeout(resolve, capMs))),
  ]);
  clearTimeout(timer);
}
