/** Which file names a run takes as frames. */

const IMAGE_RE = /\.(png|jpe?g)$/i;

/** True for the file names taken as frames: `.png`, `.jpg`, `.jpeg` (any case), not hidden. */
export const isImageName = (name: string): boolean => IMAGE_RE.test(name) && !name.startsWith('.');
