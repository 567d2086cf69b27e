/**
 * Transfer lists: which ArrayBuffers to move with a message.
 *
 * A buffer may appear once in a transfer list (duplicates throw), a SharedArrayBuffer cannot be
 * transferred (it is already shared, so it is left out), and transferring a view's buffer moves
 * the whole buffer, so only views that own their buffer entirely should be moved.
 */

/** True when `view` spans its whole, non-shared ArrayBuffer, so moving the buffer moves exactly it. */
export function ownsBuffer(view: ArrayBufferView): boolean {
  return view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}

/** The distinct transferable ArrayBuffers behind `views` (shared and missing ones skipped). */
export function transferListOf(...views: (ArrayBufferView | null | undefined)[]): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const v of views) {
    if (v == null) continue;
    const buf = v.buffer;
    if (buf instanceof ArrayBuffer && !list.includes(buf)) list.push(buf);
  }
  return list;
}
