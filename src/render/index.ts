export { resizeToTensor, linearAxisTable, type TensorLayout, type LinearAxisTable } from './resize.js';
export { upscaleClassMap, nearestIndexTable } from './upscale.js';
export {
  buildClassLut,
  resolveClassSelection,
  defaultClassSelection,
  CLASS_ROLES,
  LUT_CLASSES,
  type ClassRole,
} from './palette.js';
export { blendOverlay } from './overlay.js';
export { encodePng, freeSpaceMask, crc32, type PngColor, type PngOptions } from './png.js';
