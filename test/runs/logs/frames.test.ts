/**
 * What a camera message's payload costs on its way to a decoding worker: a payload whose buffer
 * holds only its message (an MCAP message, a deserialised view into it) is moved as it is; a view
 * into a larger buffer (a bag chunk, Node's shared pool) is copied so nothing else moves with it.
 */
import { describe, expect, it } from 'vitest';
import { movable } from '../../../src/runs/logs/frames.js';

describe('movable', () => {
  it('moves a payload that owns its buffer (or shares it only with its message header) without a copy', () => {
    const message = new Uint8Array(200_000);
    const jpeg = message.subarray(64);
    expect(movable(jpeg)).toBe(jpeg);
    expect(movable(message)).toBe(message);
  });

  it("copies a view into a larger buffer (a whole chunk; Node's pool)", () => {
    const chunk = new Uint8Array(4 << 20);
    const payload = chunk.subarray(1000, 201_000);
    const moved = movable(payload);
    expect(moved).not.toBe(payload);
    expect(moved.buffer.byteLength).toBe(200_000);
    const pooled = Buffer.from('a small payload from the pool');
    expect(movable(pooled).buffer).not.toBe(pooled.buffer);
  });
});
