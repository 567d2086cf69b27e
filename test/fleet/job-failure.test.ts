/** A failed job's coded error as BullMQ keeps it (no Redis needed): JSON in, the same error out. */
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, SegStreamError } from '../../src/errors.js';
import { failureError, readFailure } from '../../src/fleet/job-failure.js';

describe('fleet job failures', () => {
  it('keeps code, message and context as JSON; fails at once unless retrying may help', () => {
    const unwritable = failureError(
      new SegStreamError(ErrorCodes.OUTPUT_UNWRITABLE, 'cannot write `masks` folder "/out/m"', {
        context: { option: 'masks' },
      }),
    );
    expect(unwritable).toBeInstanceOf(UnrecoverableError);
    expect(readFailure(unwritable.message)).toEqual({
      code: ErrorCodes.OUTPUT_UNWRITABLE,
      message: 'cannot write `masks` folder "/out/m"',
      context: { option: 'masks' },
    });
    const crashed = failureError(
      new SegStreamError(ErrorCodes.FFMPEG_CRASHED, 'ffmpeg crashed reading rtsp://user:secret@cam/s', {
        context: { command: 'ffmpeg -i rtsp://user:secret@cam/s' },
      }),
    );
    expect(crashed).not.toBeInstanceOf(UnrecoverableError);
    expect(crashed.message).not.toContain('secret');
    expect(readFailure(crashed.message)).toMatchObject({
      code: ErrorCodes.FFMPEG_CRASHED,
      context: { command: 'ffmpeg -i rtsp://***@cam/s' },
    });
  });

  it('never takes a code apart from text: a reason that is not one of ours is INTERNAL with the reason as message', () => {
    expect(readFailure('job stalled more than allowable limit')).toEqual({
      code: ErrorCodes.INTERNAL,
      message: 'job stalled more than allowable limit',
    });
    expect(readFailure('SEGSTREAM_ERR_INPUT_CORRUPT: looks coded')).toEqual({
      code: ErrorCodes.INTERNAL,
      message: 'SEGSTREAM_ERR_INPUT_CORRUPT: looks coded',
    });
    expect(readFailure('{"code":"NOT_A_CODE","message":"x"}')).toMatchObject({ code: ErrorCodes.INTERNAL });
  });
});
