/**
 * One camera message to rgb24 pixels: JPEG and PNG through sharp (libvips), raw images through
 * raw-image.ts. Pure and thread-safe: usable inside a piscina worker (it loads no log reader or
 * deserialiser). Video (`h264`, `h265`) needs the frames before it and is decoded per topic by
 * video-topic.ts.
 */
import sharp from 'sharp';
import { ErrorCodes, SegStreamError } from '../../errors.js';
import { unsupportedText } from './readers/camera.js';
import { RAW_BYTES_PER_PIXEL, rawToRgb } from './raw-image.js';
import type { LogImageMessage } from './types.js';

/** What {@link decodeLogImage} needs of a message. */
export type DecodableImage = Pick<
  LogImageMessage,
  'encoding' | 'width' | 'height' | 'step' | 'isBigEndian' | 'data' | 'topic'
>;

/**
 * Decodes a camera message to packed rgb24 (`rgb` owns its buffer: transferable).
 *
 * @example
 * ```ts
 * const { width, height, rgb } = await decodeLogImage(message);
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_DECODE_FAILED` for bytes that do not decode or sizes that
 *   disagree with the data; `SEGSTREAM_ERR_LOG_ENCODING_UNSUPPORTED` for any other encoding (video included)
 */
export async function decodeLogImage(msg: DecodableImage): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  if (msg.encoding === 'jpeg' || msg.encoding === 'png') return decodeCompressed(msg);
  if (RAW_BYTES_PER_PIXEL[msg.encoding] !== undefined) return decodeRaw(msg);
  const text = unsupportedText(msg.topic, msg.encoding).replace(`${ErrorCodes.LOG_ENCODING_UNSUPPORTED}: `, '');
  const video = msg.encoding === 'h264' || msg.encoding === 'h265';
  throw new SegStreamError(
    ErrorCodes.LOG_ENCODING_UNSUPPORTED,
    video ? `topic ${msg.topic}: ${msg.encoding} video is decoded per topic (openVideoTopic), not per message` : text,
    {
      context: { stage: 'decode' },
    },
  );
}

async function decodeCompressed(msg: DecodableImage): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  try {
    const { data, info } = await sharp(msg.data, { failOn: 'error' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after conversion`);
    const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    return { width: info.width, height: info.height, rgb: own ? new Uint8Array(data.buffer) : new Uint8Array(data) };
  } catch (err) {
    throw new SegStreamError(
      ErrorCodes.DECODE_FAILED,
      `topic ${msg.topic}: a ${msg.encoding} image does not decode (${(err as Error).message}); the message is damaged`,
      {
        cause: err,
        context: { stage: 'decode' },
      },
    );
  }
}

function decodeRaw(msg: DecodableImage): { width: number; height: number; rgb: Uint8Array } {
  const width = msg.width ?? 0;
  const height = msg.height ?? 0;
  const minStep = Math.ceil(width * RAW_BYTES_PER_PIXEL[msg.encoding]);
  const step = msg.step || minStep;
  const evenWidth = !/^(yuv422|uyvy|yuyv)/.test(msg.encoding) || width % 2 === 0;
  if (!(width > 0 && height > 0 && step >= minStep && msg.data.length >= step * (height - 1) + minStep && evenWidth)) {
    throw new SegStreamError(
      ErrorCodes.DECODE_FAILED,
      `topic ${msg.topic}: a ${msg.encoding} image of ${width}x${height} (step ${msg.step}) does not fit its ${msg.data.length} bytes; the message is damaged`,
      { context: { stage: 'decode' } },
    );
  }
  return {
    width,
    height,
    rgb: rawToRgb({
      encoding: msg.encoding,
      width,
      height,
      step,
      isBigEndian: msg.isBigEndian ?? false,
      data: msg.data,
    }),
  };
}
