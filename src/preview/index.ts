export { PreviewServer, DEFAULT_PREVIEW_OPTIONS, type PreviewServerOptions } from './server.js';
export { parsePreviewAddress, isLoopbackHost, DEFAULT_PREVIEW_HOST, type PreviewAddress } from './address.js';
export { PREVIEW_VIEWS, type PreviewView, type PixelShares } from './paint.js';
export type { PreviewSnapshot, PreviewState, LatencyPoint } from './run-stats.js';
