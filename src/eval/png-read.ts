/**
 * Reading dataset PNGs through the resolved ffmpeg binary as a raw `rgb24` or `gray` pipe, at the
 * size their header gives (`readPngHeader` in `src/codecs/header.ts`).
 */
import { ErrorCodes, SegStreamError } from '../errors.js';
import { spawnManaged } from '../util/child.js';

/** Options of {@link decodePng}. */
export interface DecodePngOptions {
  /** The ffmpeg binary. */
  ffmpeg: string;
  /** Expected size (from `readPngHeader`); the output must be exactly this many pixels. */
  width: number;
  height: number;
  /** Aborting kills ffmpeg and rejects with `SEGSTREAM_ERR_ABORTED`. */
  signal?: AbortSignal;
}

/**
 * Decodes a PNG to packed RGB24 (`rgb`) or one byte per pixel (`gray`) with ffmpeg
 * (`-f png_pipe -i file:<path> -f rawvideo -pix_fmt rgb24|gray pipe:1`). For an 8-bit grey
 * PNG, `gray` returns the stored bytes unchanged (label values survive exactly).
 *
 * @returns a Uint8Array that owns its whole buffer (safe to transfer to a worker)
 * @throws {SegStreamError} `SEGSTREAM_ERR_DECODE_FAILED` (with ffmpeg's stderr tail) when ffmpeg
 *   fails or returns the wrong number of bytes; `SEGSTREAM_ERR_ABORTED` on abort
 * @example
 * ```ts
 * const h = await readPngHeader(file);
 * const rgb = await decodePng(file, 'rgb', { ffmpeg: resolveFfmpeg().ffmpeg.path, width: h.width, height: h.height });
 * ```
 */
export async function decodePng(file: string, color: 'rgb' | 'gray', options: DecodePngOptions): Promise<Uint8Array> {
  const { signal } = options;
  const size = options.width * options.height * (color === 'rgb' ? 3 : 1);
  if (signal?.aborted) throw aborted(file);
  const child = spawnManaged(options.ffmpeg, ['-v', 'error', '-nostdin', '-f', 'png_pipe', '-i', `file:${file}`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', color === 'rgb' ? 'rgb24' : 'gray', 'pipe:1']);
  const onAbort = () => void child.kill(200);
  signal?.addEventListener('abort', onAbort, { once: true });
  const out = new Uint8Array(size);
  let filled = 0;
  let overflow = false;
  const stdout = child.process.stdout!;
  stdout.on('data', (chunk: Buffer) => {
    if (filled + chunk.length > size) {
      overflow = true;
      return;
    }
    out.set(chunk, filled);
    filled += chunk.length;
  });
  try {
    const [{ code, signal: killedBy }] = await Promise.all([child.exited, closed(stdout), closed(child.process.stderr!)]);
    if (signal?.aborted) throw aborted(file);
    const context = { stage: 'decode', stderrTail: child.stderrTail(), command: child.command };
    if (code !== 0) {
      throw new SegStreamError(ErrorCodes.DECODE_FAILED, `ffmpeg could not decode ${file} (exit ${code ?? killedBy}): ${child.stderrTail().split('\n').pop() ?? ''}`.trim(), { context });
    }
    if (overflow || filled !== size) {
      throw new SegStreamError(ErrorCodes.DECODE_FAILED, `ffmpeg decoded ${file} to ${overflow ? 'more than' : filled} bytes, expected ${size} (${options.width}x${options.height} ${color}); is the file damaged?`, { context });
    }
    return out;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await child.kill(200);
  }
}

/** Resolves once a stream has closed (all its data delivered). */
function closed(stream: NodeJS.ReadableStream & { closed?: boolean }): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
}

function aborted(file: string): SegStreamError {
  return new SegStreamError(ErrorCodes.ABORTED, `decoding ${file} was aborted`, { context: { stage: 'decode' } });
}
