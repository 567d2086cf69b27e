/** Temporal stability: the flicker figure and the causal, motion-aware smoother. */
export { StabilityMeter, STATIC_LUMA_THRESHOLD, type StabilitySummary } from './stability.js';
export { TemporalSmoother, DEFAULT_SMOOTH_STRENGTH, smoothingWeight, type HeadScores } from './smoother.js';
export { TemporalStage, checkSmooth } from './stage.js';
export { SequenceStability } from './sequence-stability.js';
export { lumaOfInput, resizeLuma, lumaChange } from './luma.js';
