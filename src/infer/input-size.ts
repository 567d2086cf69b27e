/**
 * The network input size of one run. A card with `input.resize: "stretch"` has one size, and
 * every frame is stretched to it. A card with `input.resize: "aspect"` (a fully convolutional
 * net exported with free height and width) names a nominal size whose pixel count is the budget:
 * each run picks a size of its source's aspect at about that many pixels, both sides multiples of
 * `input.multiple` (the net's total stride), and keeps it for the whole run so the engine sees one
 * fixed shape. Frames of another aspect later in the run (a live camera that changes size, a
 * folder that mixes sizes) are stretched to the run's size.
 */
import type { InputSpec, LoadedModel } from './types.js';

/** A network input size in pixels. */
export interface InputSize {
  width: number;
  height: number;
}

/**
 * The input size for a source of `source.width` x `source.height` under the card's policy:
 * `stretch`, the card's size; `aspect`, the shorter side rounded to a multiple of
 * `input.multiple` from `sqrt(budget / aspect)` first, then the longer side from the aspect (so
 * a source and its rotation get transposed sizes, and a 4:3 source gets 480x352 from the default
 * card's 480x352 budget). Same rule as `input_size_for` in training/aspect.py.
 *
 * @example
 * ```ts
 * inputSizeFor(model.card.input, { width: 1242, height: 375 }); // { width: 736, height: 224 }
 * ```
 */
export function inputSizeFor(spec: InputSpec, source: InputSize): InputSize {
  if (spec.resize !== 'aspect' || !(source.width > 0) || !(source.height > 0))
    return { width: spec.width, height: spec.height };
  const m = spec.multiple ?? 1;
  const budget = spec.width * spec.height;
  const aspect = source.width / source.height;
  const snap = (v: number) => Math.max(m, Math.round(v / m) * m);
  if (aspect >= 1) {
    const height = snap(Math.sqrt(budget / aspect));
    return { width: snap(height * aspect), height };
  }
  const width = snap(Math.sqrt(budget * aspect));
  return { width, height: snap(width / aspect) };
}

/**
 * `model` with its card's input set to `size` (what the engines and the preprocessing read), or
 * `model` itself when the size is already the card's.
 */
export function modelAtSize(model: LoadedModel, size: InputSize): LoadedModel {
  const { input } = model.card;
  if (input.width === size.width && input.height === size.height) return model;
  return { ...model, card: { ...model.card, input: { ...input, width: size.width, height: size.height } } };
}

/** `model` at the input size its card's policy picks for a source of this size ({@link inputSizeFor}). */
export function modelForSource(model: LoadedModel, source: InputSize): LoadedModel {
  return modelAtSize(model, inputSizeFor(model.card.input, source));
}

/** The network input size of a run, as its summaries report it. */
export interface NetworkInput extends InputSize {
  /** How the card chose it: `aspect`, from the source's aspect; `stretch`, the card's one size. */
  resize: InputSpec['resize'];
}

/** The {@link NetworkInput} of a run's model (as `RunContext.sizeFor` left it). */
export function networkInputOf(model: LoadedModel): NetworkInput {
  const { width, height, resize } = model.card.input;
  return { width, height, resize };
}

/** `network input 576x288 (aspect)` for a run summary's line, or `` when no engine ran. */
export function networkInputText(input: NetworkInput | undefined): string {
  return input ? `network input ${input.width}x${input.height} (${input.resize})` : '';
}

/** The end of an engine's shape-mismatch message for a card with `resize: "aspect"` (else ``). */
export function aspectHint(model: LoadedModel): string {
  return model.card.input.resize === 'aspect'
    ? ' The card says "resize": "aspect", so the run picked this size from its source: the network needs free height and width (export it with dynamic height and width axes), or set "resize": "stretch".'
    : '';
}
