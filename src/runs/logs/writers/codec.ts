/** What every message family of a written log provides (see messages.ts). */

/** A schema as an MCAP Schema record takes it. */
export interface SchemaInfo {
  name: string;
  encoding: string;
  data: Uint8Array;
  /** MCAP message encoding of the channels that use it (`ros1`, `cdr`, `protobuf`, `json`). */
  messageEncoding: string;
}

/** Where and when an output message belongs: the source message's header, copied exactly. */
export interface Stamp {
  stampNs: bigint;
  frameId: string;
}

/** How one family writes its messages. */
export interface MessageCodec {
  /** MCAP profile of a file of this family. */
  profile: string;
  image: SchemaInfo;
  compressed: SchemaInfo;
  text: SchemaInfo;
  /** ROS 1 md5sums of the three schemas (bag connection headers / channel metadata). */
  md5?: { image: string; compressed: string; text: string };
  /** An 8-bit single-channel image (`mono8`) of `width x height`, `data` row by row. */
  mono8(at: Stamp, width: number, height: number, data: Uint8Array): Uint8Array;
  /** A JPEG image. */
  jpeg(at: Stamp, data: Uint8Array): Uint8Array;
  /** A text message holding `json`. */
  json(json: string): Uint8Array;
}
