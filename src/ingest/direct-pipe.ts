/**
 * A child's stdout read straight into the reader's own buffers. A pipe read hands Node a new
 * chunk per read (64 KiB at most, a dozen per 960x540 frame), which is then copied into the frame:
 * the main thread's largest garbage. Here a Unix-domain socket pair takes the pipe's place: the
 * child writes to one end (its stdout), and the other end reads with Node's `onread`, which fills
 * whatever buffer the reader names, e.g. the rest of the frame being assembled: no chunk is
 * allocated and no byte copied. Not on Windows (a plain pipe is used there).
 */
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Both ends: `childEnd` goes into `spawn`'s stdio and is destroyed here once spawned; `reader` is ours. */
export interface DirectPipe {
  childEnd: net.Socket;
  reader: net.Socket;
}

let made = 0;

/**
 * A connected socket pair whose reading end fills `target()` and reports each read to `read`
 * (false pauses it); null where none can be made (Windows, a long temporary path, a socket
 * error): the caller then uses a pipe. The socket file is removed before this returns.
 */
export async function openDirectPipe(
  target: () => Uint8Array,
  read: (bytes: number) => boolean,
): Promise<DirectPipe | null> {
  if (process.platform === 'win32') return null;
  const where = path.join(tmpdir(), `seg-stream-${process.pid}-${++made}.sock`);
  if (Buffer.byteLength(where) > 100) return null;
  const server = net.createServer();
  let reader: net.Socket | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(where, resolve);
    });
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const r = (reader = net.connect({ path: where, onread: { buffer: target, callback: read } }));
    await new Promise<void>((resolve, reject) => {
      r.once('connect', resolve);
      r.once('error', reject);
    });
    const childEnd = await accepted;
    return { childEnd, reader: r };
  } catch {
    reader?.destroy();
    return null;
  } finally {
    // Closing the listener removes the socket file; the connection stays.
    server.close();
  }
}
