/**
 * Model card and engine interfaces. A model is a folder holding `model.json` (the card,
 * this schema) and the weight files it names.
 */

/** One class of the model's global class list; its id is its position in `ModelCard.classes`. */
export interface ClassInfo {
  name: string;
  /** Palette colour, RGB 0-255. */
  color: [number, number, number];
}

/** One output tensor of the network and how its argmax maps to global class ids. */
export interface HeadInfo {
  /** Output tensor name (ONNX output name; for TF.js the output index is used in order). */
  output: string;
  /**
   * `classes[i]` is the global class id for channel i of this head; `null` means
   * "no class here, keep what earlier heads said". Heads are applied in order.
   */
  classes: (number | null)[];
}

/** Input preprocessing of a model: resize to a fixed size, then (pixel*scale - mean) / std. */
export interface InputSpec {
  width: number;
  height: number;
  /** Channel order the network expects. */
  channelOrder: 'RGB' | 'BGR';
  /** Multiplier applied to 0-255 pixel values before mean/std (usually 1/255). */
  scale: number;
  mean: [number, number, number];
  std: [number, number, number];
  /**
   * How frames meet the network: `stretch`, every frame resized to `width` x `height` whatever its
   * aspect; `aspect`, each run picks a size of its source's aspect at about `width * height`
   * pixels, sides multiples of {@link InputSpec.multiple} (see `inputSizeFor`), for a network
   * with free height and width.
   */
  resize: 'stretch' | 'aspect';
  /** With `resize: "aspect"`: both sides of a run's size are multiples of this (the net's total stride). */
  multiple?: number;
}

/** Files and layout for one engine. */
export interface EngineFileSpec {
  /** File path relative to the model folder. */
  file: string;
  /** Tensor layout the network takes and returns. */
  layout: 'NCHW' | 'NHWC';
  /** ONNX input name (ignored by TF.js). */
  inputName?: string;
  /** TF.js: `layers` (tf.loadLayersModel) or `graph` (tf.loadGraphModel). */
  format?: 'layers' | 'graph';
}

/** The model card (`model.json` in a model folder). */
export interface ModelCard {
  name: string;
  description?: string;
  version?: string;
  input: InputSpec;
  engines: { onnx?: EngineFileSpec; tfjs?: EngineFileSpec };
  heads: HeadInfo[];
  /**
   * Where output pixel `j` of the heads lies, in output pixels: its centre is at `j + 0.5 + outputOffset`
   * of the output map when the map is laid over the input (0, the default: the half-pixel grid). A
   * stride-2 network trained against labels resized nearest with half-pixel centres learnt label
   * pixel `2j + 1`, i.e. 0.25. Used when the scores are resized to the frame (`classMapAt`).
   */
  outputOffset?: number;
  classes: ClassInfo[];
  /** Class names with a role: drivable area, road and vehicles (painted by the default overlay). */
  roles: { freeSpace: string[]; road: string[]; vehicle: string[] };
  /** Free text: training data, licence, measured accuracy and speed. */
  training?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  licence?: string;
}

/** A model card with its folder resolved and roles turned into class ids. */
export interface LoadedModel {
  card: ModelCard;
  /** Absolute path of the model folder. */
  dir: string;
  /** Absolute paths of weight files per engine. */
  files: { onnx?: string; tfjs?: string };
  freeSpaceIds: number[];
  roadIds: number[];
  vehicleIds: number[];
}

/** The engine names the project knows. */
export type EngineName = 'onnx' | 'tfjs';
/** Where inference runs. */
export type DeviceName = 'cpu' | 'cuda' | 'webgpu';

/** Options to create an engine. */
export interface EngineOptions {
  device?: DeviceName;
  /** Threads for CPU inference (ONNX intra-op); default: all cores. */
  threads?: number;
  /**
   * Let idle ONNX Runtime threads spin (lower latency for the model alone, but it takes CPU from
   * the other stages). Default false.
   */
  spin?: boolean;
}

/**
 * An inference engine: takes a batch of preprocessed inputs at the model's fixed size and
 * returns one class map per input at the model's output size.
 */
export interface Engine {
  readonly name: EngineName;
  /** What actually runs the network, e.g. `onnxruntime cpu`, `tfjs wasm`, `tfjs tensorflow (cuda)`. */
  readonly backend: string;
  readonly model: LoadedModel;
  /**
   * Runs a batch. Each input is a Float32Array of `3 * H * W` values in the layout the engine
   * reports by {@link Engine.inputLayout}, already normalised.
   */
  run(inputs: Float32Array[], options?: EngineRunOptions): Promise<EngineOutput[]>;
  /** Layout the preprocessor must produce for this engine. */
  readonly inputLayout: 'NCHW' | 'NHWC';
  /** Frees native sessions and tensors. Idempotent. */
  dispose(): Promise<void>;
  /**
   * Present on engines that host post-network steps ({@link EngineRunOptions.post}): forgets the
   * step of `stream` once its run has ended.
   */
  endStream?(stream: number): void;
  /**
   * Present on engines that run on another thread: an input buffer of `length` values that a
   * run with {@link EngineRunOptions.transferInputs} moved there and the engine has finished with
   * (moved back with the results), for the caller to fill with a later input instead of
   * allocating one; undefined when none is free. A few are kept at most.
   */
  takeSpareInput?(length: number): Float32Array | undefined;
}

/** Per-call options of {@link Engine.run}. */
export interface EngineRunOptions {
  /**
   * Global class ids whose softmax probabilities are summed into {@link EngineOutput.probability}
   * (e.g. `model.roadIds`). Absent: no probability map is computed (the default, and the cost of
   * a plain run is unchanged).
   *
   * With several heads the probability follows the heads' own rule: a head's channel mapped to
   * `null` ("keep what earlier heads said") passes on the earlier heads' probability, so per pixel
   * `P = Σ softmax(head)[c ∈ ids] + Σ softmax(head)[c = null] × P_before`, starting at 0.
   */
  probabilities?: readonly number[];
  /**
   * The caller will not touch the inputs again: an engine on another thread may move their
   * buffers there instead of copying them (they are detached afterwards). Engines on the calling
   * thread ignore it.
   */
  transferInputs?: boolean;
  /**
   * Also return each head's raw output for every input ({@link EngineOutput.scores}), e.g. for
   * temporal smoothing. Default false.
   */
  scores?: boolean;
  /**
   * `false` lets the engine skip the per-head argmax ({@link EngineOutput.classMap} may then be all
   * zeros), for callers that make their own class map from `scores`. Default true.
   */
  argmax?: boolean;
  /**
   * Only for engines with {@link Engine.endStream}: run the post-network step exported (as
   * `createPostStep`, see `post-step.ts`) by `module` (a URL) on this batch, right after the
   * network and where it runs, as the next frames of `stream` (one step per stream, made from
   * `params` on the stream's first run; `params` must survive a structured clone). A stream's
   * batches must be run in source order.
   */
  post?: { module: string; stream: number; params?: unknown };
}

/** A network's raw outputs for one input: one tensor per head, `channels * width * height` values each. */
export interface EngineScores {
  /** Layout of each head's values (the network's output layout). */
  layout: 'NCHW' | 'NHWC';
  heads: Float32Array[];
}

/** Engine result for one input. */
export interface EngineOutput {
  /** Global class id per pixel at `width * height` (the network's output size). */
  classMap: Uint8Array;
  width: number;
  height: number;
  /**
   * Only when {@link EngineRunOptions.probabilities} was given: per pixel (same size as
   * `classMap`), the softmax probability of those classes, 0..1.
   */
  probability?: Float32Array;
  /** Only when {@link EngineRunOptions.scores} was set: the raw head outputs of this input. */
  scores?: EngineScores;
  /** Per-pixel planes (same size as `classMap`) added by a post-network step ({@link EngineRunOptions.post}), by name. */
  planes?: Record<string, Uint8Array>;
}
