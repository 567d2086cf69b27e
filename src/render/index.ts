export { resizeToTensor, resizeI420ToTensor, resizeI420ToTensorExact, linearAxisTable, type TensorLayout, type LinearAxisTable } from './resize.js';
export { upscaleClassMap, nearestIndexTable } from './upscale.js';
export {
  buildClassLut,
  resolveClassSelection,
  defaultClassSelection,
  CLASS_ROLES,
  LUT_CLASSES,
  type ClassRole,
} from './palette.js';
export { blendOverlay, blendOverlayI420 } from './overlay.js';
export { frameByteLength, chromaSize, i420ToRgb24, rgbToYuv } from './yuv.js';
export { encodePng, freeSpaceMask, crc32, type PngColor, type PngOptions } from './png.js';
