/** Image files: PNG writing and reading, headers (PNG and JPEG), and the one image read path. */
export { encodePng, crc32, type PngColor, type PngOptions } from './png-encode.js';
export { decodePngBytes, toRgb24, type DecodedPng } from './png-decode.js';
export { imageSize, readPngHeader, type PngHeader } from './header.js';
