/**
 * A JSON-lines file written under a temporary name and renamed into place when finished, with
 * back-pressure (a slow disk slows the sink, it never grows a buffer).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename } from 'node:fs/promises';
import { ErrorCodes, SegStreamError } from '../../../errors.js';
import { trackTemporary, untrackTemporary } from '../../../process/temp-files.js';
import { removeQuietly, temporaryPathFor } from '../../../sinks/atomic-file.js';

/** See the module comment. */
export class JsonlFile {
  readonly temporary: string;
  #stream: WriteStream | undefined;
  #error: Error | undefined;
  #closing: Promise<void> | undefined;

  constructor(
    readonly file: string,
    readonly option: string,
  ) {
    this.temporary = temporaryPathFor(file);
  }

  #open(): WriteStream {
    if (!this.#stream) {
      trackTemporary(this.temporary);
      this.#stream = createWriteStream(this.temporary, { flags: 'wx' });
      this.#stream.on('error', (err) => (this.#error = err));
    }
    return this.#stream;
  }

  /** Appends one line (`bigint` values are written as strings). */
  async write(line: object): Promise<void> {
    const stream = this.#open();
    if (this.#error) throw this.#failure(this.#error);
    if (!stream.write(`${JSON.stringify(line, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`))
      await once(stream, 'drain');
  }

  /** Closes the file and renames it into place (an empty file when nothing was written). */
  finish(): Promise<void> {
    this.#closing ??= (async () => {
      const stream = this.#open();
      stream.end();
      await once(stream, 'close').catch(() => {});
      try {
        if (this.#error) throw this.#error;
        await rename(this.temporary, this.file);
      } catch (err) {
        await removeQuietly(this.temporary);
        throw this.#failure(err as Error);
      }
    })().finally(() => untrackTemporary(this.temporary));
    return this.#closing;
  }

  abort(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stream?.destroy();
      if (this.#stream) await once(this.#stream, 'close').catch(() => {});
      await removeQuietly(this.temporary);
    })().finally(() => untrackTemporary(this.temporary));
    return this.#closing.catch(() => {});
  }

  #failure(cause: Error): SegStreamError {
    return new SegStreamError(
      ErrorCodes.OUTPUT_UNWRITABLE,
      `cannot write ${this.option} ${JSON.stringify(this.file)}: ${cause.message}`,
      { cause },
    );
  }
}
