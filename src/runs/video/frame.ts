/** The frame of a video run. */
import type { LiveFrame } from '../../ingest/live/source.js';
import type { Frame } from '../../types.js';

/** A decoded frame of a video run (live frames know their place among the frames received). */
export type VideoFrame = Frame & Partial<Pick<LiveFrame, 'sourceIndex'>>;
