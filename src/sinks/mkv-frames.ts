/**
 * A minimal Matroska stream of raw I420 frames, each with its own timestamp, for the encoder's
 * stdin: raw video on a pipe has no timestamps, and variable-frame-rate sources need theirs kept.
 * One track (`V_UNCOMPRESSED`, colour space `I420`, or `RGB\x18` for RGB24 frames), microsecond timestamps (TimecodeScale
 * 1000 ns), one cluster per frame so every block's relative time is 0.
 */
import type { PixelFormat } from '../types.js';

const ID = {
  EBML: [0x1a, 0x45, 0xdf, 0xa3],
  EBMLVersion: [0x42, 0x86],
  EBMLReadVersion: [0x42, 0xf7],
  EBMLMaxIDLength: [0x42, 0xf2],
  EBMLMaxSizeLength: [0x42, 0xf3],
  DocType: [0x42, 0x82],
  DocTypeVersion: [0x42, 0x87],
  DocTypeReadVersion: [0x42, 0x85],
  Segment: [0x18, 0x53, 0x80, 0x67],
  Info: [0x15, 0x49, 0xa9, 0x66],
  TimecodeScale: [0x2a, 0xd7, 0xb1],
  MuxingApp: [0x4d, 0x80],
  WritingApp: [0x57, 0x41],
  Tracks: [0x16, 0x54, 0xae, 0x6b],
  TrackEntry: [0xae],
  TrackNumber: [0xd7],
  TrackUID: [0x73, 0xc5],
  TrackType: [0x83],
  CodecID: [0x86],
  Video: [0xe0],
  PixelWidth: [0xb0],
  PixelHeight: [0xba],
  ColourSpace: [0x2e, 0xb5, 0x24],
  Cluster: [0x1f, 0x43, 0xb6, 0x75],
  Timecode: [0xe7],
  SimpleBlock: [0xa3],
} as const;

/** An EBML size as 8 bytes (0x01 marker + 7 bytes), valid for any size up to 2^56 - 2. */
function size8(n: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x01;
  b.writeUIntBE(n, 2, 6);
  return b;
}

function element(id: readonly number[], body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(id), size8(body.length), body]);
}

function uint(id: readonly number[], value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return element(id, b);
}

function text(id: readonly number[], value: string): Buffer {
  return element(id, Buffer.from(value, 'latin1'));
}

/** Colour-space FourCC of the track per pixel format (ffmpeg's raw pixel-format tags). */
const FOURCC: Record<PixelFormat, Buffer> = {
  yuv420p: Buffer.from('I420', 'latin1'),
  rgb24: Buffer.from([0x52, 0x47, 0x42, 24]),
};

/** The stream header: EBML header, a Segment of unknown size, Info and the one video track (frames in `format`). */
export function mkvHeader(width: number, height: number, format: PixelFormat = 'yuv420p'): Buffer {
  const ebml = element(
    ID.EBML,
    Buffer.concat([
      uint(ID.EBMLVersion, 1),
      uint(ID.EBMLReadVersion, 1),
      uint(ID.EBMLMaxIDLength, 4),
      uint(ID.EBMLMaxSizeLength, 8),
      text(ID.DocType, 'matroska'),
      uint(ID.DocTypeVersion, 4),
      uint(ID.DocTypeReadVersion, 2),
    ]),
  );
  const info = element(
    ID.Info,
    Buffer.concat([uint(ID.TimecodeScale, 1000), text(ID.MuxingApp, 'seg-stream'), text(ID.WritingApp, 'seg-stream')]),
  );
  const video = element(
    ID.Video,
    Buffer.concat([uint(ID.PixelWidth, width), uint(ID.PixelHeight, height), element(ID.ColourSpace, FOURCC[format])]),
  );
  const track = element(
    ID.TrackEntry,
    Buffer.concat([
      uint(ID.TrackNumber, 1),
      uint(ID.TrackUID, 1),
      uint(ID.TrackType, 1),
      text(ID.CodecID, 'V_UNCOMPRESSED'),
      video,
    ]),
  );
  const unknownSize = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  return Buffer.concat([ebml, Buffer.from(ID.Segment), unknownSize, info, element(ID.Tracks, track)]);
}

/** The bytes that go before a frame's pixels: a Cluster at `micros` holding one key-frame SimpleBlock. */
export function mkvFramePrefix(micros: number, frameBytes: number): Buffer {
  const timecode = uint(ID.Timecode, micros);
  // SimpleBlock body: track 1 (vint 0x81), relative time 0 (int16), flags 0x80 (key frame), pixels.
  const blockBody = 4 + frameBytes;
  const blockHead = Buffer.concat([
    Buffer.from(ID.SimpleBlock),
    size8(blockBody),
    Buffer.from([0x81, 0x00, 0x00, 0x80]),
  ]);
  const clusterBody = timecode.length + blockHead.length + frameBytes;
  return Buffer.concat([Buffer.from(ID.Cluster), size8(clusterBody), timecode, blockHead]);
}
