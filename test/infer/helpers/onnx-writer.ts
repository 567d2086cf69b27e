/**
 * A minimal ONNX (protobuf) writer for tests: builds small networks of 1x1 convolutions with
 * known weights, so expected class maps can be computed by hand. No dependency needed.
 */

type Dim = number | string;

/** One output head: a 1x1 Conv from the RGB input, weights[c] = [wr, wg, wb], bias[c]. */
export interface ConvHead {
  name: string;
  weights: [number, number, number][];
  bias: number[];
  /** Conv stride (output is input / stride). Default 1. */
  stride?: number;
}

export interface TestOnnxModel {
  inputName?: string;
  /** NCHW input shape, e.g. ['batch', 3, 8, 12]. */
  inputShape: Dim[];
  heads: ConvHead[];
}

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const vInt = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const vBytes = (field: number, bytes: number[] | Uint8Array) => [...key(field, 2), ...varint(bytes.length), ...bytes];
const vStr = (field: number, s: string) => vBytes(field, [...Buffer.from(s, 'utf8')]);

function dimProto(d: Dim): number[] {
  return typeof d === 'number' ? vInt(1, d) : vStr(2, d);
}

function valueInfo(name: string, shape: Dim[]): number[] {
  const shapeProto = shape.flatMap((d) => vBytes(1, dimProto(d)));
  const tensorType = [...vInt(1, 1), ...vBytes(2, shapeProto)]; // elem_type FLOAT
  return [...vStr(1, name), ...vBytes(2, vBytes(1, tensorType))];
}

function tensor(name: string, dims: number[], values: number[]): number[] {
  const raw = new Uint8Array(new Float32Array(values).buffer);
  return [...dims.flatMap((d) => vInt(1, d)), ...vInt(2, 1), ...vStr(8, name), ...vBytes(9, raw)];
}

function intsAttr(name: string, ints: number[]): number[] {
  return [...vStr(1, name), ...ints.flatMap((i) => vInt(8, i)), ...vInt(20, 7)]; // type INTS
}

/** Serialises a model of 1x1 Conv heads to ONNX bytes (opset 13). */
export function buildConvModel(m: TestOnnxModel): Uint8Array {
  const input = m.inputName ?? 'input';
  const [n, , h, w] = m.inputShape;
  const nodes: number[] = [];
  const inits: number[] = [];
  const outputs: number[] = [];
  for (const head of m.heads) {
    const c = head.weights.length;
    const s = head.stride ?? 1;
    inits.push(...vBytes(5, tensor(`${head.name}_W`, [c, 3, 1, 1], head.weights.flat())));
    inits.push(...vBytes(5, tensor(`${head.name}_B`, [c], head.bias)));
    const node = [
      ...vStr(1, input),
      ...vStr(1, `${head.name}_W`),
      ...vStr(1, `${head.name}_B`),
      ...vStr(2, head.name),
      ...vStr(3, `conv_${head.name}`),
      ...vStr(4, 'Conv'),
      ...vBytes(5, intsAttr('kernel_shape', [1, 1])),
      ...vBytes(5, intsAttr('strides', [s, s])),
    ];
    nodes.push(...vBytes(1, node));
    const outDim = (d: Dim | undefined) => (typeof d === 'number' ? Math.floor((d - 1) / s) + 1 : `${String(d)}_out`);
    outputs.push(...vBytes(12, valueInfo(head.name, [n ?? 1, c, outDim(h), outDim(w)])));
  }
  const graph = [...nodes, ...vStr(2, 'test'), ...inits, ...vBytes(11, valueInfo(input, m.inputShape)), ...outputs];
  const opset = [...vStr(1, ''), ...vInt(2, 13)];
  const model = [...vInt(1, 7), ...vStr(2, 'seg-stream-test'), ...vBytes(7, graph), ...vBytes(8, opset)];
  return Uint8Array.from(model);
}

/**
 * The class map such a model gives, computed by hand: NCHW input (normalised values), heads
 * applied in order with `classes` (null = keep), ties to the lower channel.
 */
export function expectedConvClassMap(
  input: Float32Array,
  width: number,
  height: number,
  heads: (ConvHead & { classes: (number | null)[] })[],
): { classMap: Uint8Array; width: number; height: number } {
  const s = heads[0]?.stride ?? 1;
  const ow = Math.floor((width - 1) / s) + 1;
  const oh = Math.floor((height - 1) / s) + 1;
  const classMap = new Uint8Array(ow * oh);
  const plane = width * height;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const p = y * s * width + x * s;
      const rgb = [input[p], input[plane + p], input[2 * plane + p]];
      for (const head of heads) {
        let best = -Infinity;
        let win = 0;
        head.weights.forEach((wt, c) => {
          const v = Math.fround(wt[0] * rgb[0] + wt[1] * rgb[1] + wt[2] * rgb[2] + head.bias[c]);
          if (v > best) {
            best = v;
            win = c;
          }
        });
        const id = head.classes[win];
        if (id !== null && id !== undefined) classMap[y * ow + x] = id;
      }
    }
  }
  return { classMap, width: ow, height: oh };
}
