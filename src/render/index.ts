export {
  buildClassLut,
  resolveClassSelection,
  defaultClassSelection,
  CLASS_ROLES,
  LUT_CLASSES,
  type ClassRole,
} from './palette.js';
export { blendOverlay, blendOverlayI420 } from './overlay.js';
