/** Pixel work: resampling tables and kernel, the colour matrix, preprocessing, class maps, resizes. */
export { resizeToTensor, resizeI420ToTensor, resizeI420ToTensorExact, type TensorLayout } from './tensor.js';
export { linearAxisTable, nearestIndexTable, type LinearAxisTable } from './sampler.js';
export { upscaleClassMap, freeSpaceMask } from './class-map.js';
export { resizeRgb24, probabilityToBytes } from './resample.js';
export { frameByteLength, chromaSize, i420ToRgb24 } from './yuv.js';
export { rgbToYuv } from './colour.js';
