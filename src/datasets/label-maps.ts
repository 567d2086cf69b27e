/**
 * Label spaces: how the pixel values of a dataset's label PNGs and the class ids a model
 * predicts both become indices into one list of evaluated classes.
 *
 * * `camvid-11` — the 11 CamVid classes in their usual order (`CAMVID_CLASSES`); label value
 *   11 (Unlabelled) and anything above is ignored. Used for CamVid labels when the model has at
 *   least one class named like a CamVid class, and always for Cityscapes labels (mapped by
 *   {@link CITYSCAPES_TO_CAMVID}). Model classes are matched to CamVid classes by name
 *   (case-insensitive); a model class with no CamVid namesake predicts "none of the evaluated
 *   classes" (it can only be wrong).
 * * `model` — a CamVid-layout folder labelled in the model's own class ids (label value = index
 *   in the card's `classes`; values at or above the class count, e.g. 11 or 255, are ignored).
 *   Used when none of the model's class names is a CamVid class (test models, custom models).
 * * `idd-level1` — the 7 IDD level-1 groups (`IDD_GROUPS`, IDD-Lite label ids 0..6, 255 void):
 *   the model's CamVid-named classes are mapped to groups by {@link CAMVID_TO_IDD}.
 */
import { ErrorCodes, SegStreamError } from '../errors.js';
import type { LoadedModel } from '../infer/types.js';

/** The CamVid-11 classes, in label order (label value = index); 11 is Unlabelled. */
export const CAMVID_CLASSES = Object.freeze([
  'Sky',
  'Building',
  'Pole',
  'Road',
  'Pavement',
  'Tree',
  'SignSymbol',
  'Fence',
  'Car',
  'Pedestrian',
  'Bicyclist',
] as const);

/** CamVid label value of Unlabelled (ignored in metrics). */
export const CAMVID_UNLABELLED = 11;

/** LUT value meaning "ignore this label pixel". */
export const IGNORE = 255;

/**
 * Cityscapes `labelIds` (gtFine `*_gtFine_labelIds.png`) → CamVid-11 class name. Ids not listed
 * are ignored (unlabelled, ego vehicle, rectification border, out of roi, static, dynamic,
 * ground, parking, rail track, guard rail, bridge, tunnel, polegroup, caravan, trailer, licence
 * plate): they have no CamVid counterpart, or an ambiguous one.
 *
 * Choices: wall and fence are both CamVid `Fence` (CamVid has no wall class; its "Fence"
 * covers low walls); traffic lights and signs are `SignSymbol`; terrain (grass, soil) joins
 * vegetation as `Tree`, as CamVid labels roadside grass; riders and two-wheelers are
 * `Bicyclist` (CamVid's class covers rider plus bicycle, and motorcycles); all four-wheeled or
 * larger vehicles, trains (trams) included, are `Car`.
 */
export const CITYSCAPES_TO_CAMVID: Readonly<Record<number, (typeof CAMVID_CLASSES)[number]>> = Object.freeze({
  7: 'Road', // road
  8: 'Pavement', // sidewalk
  11: 'Building', // building
  12: 'Fence', // wall
  13: 'Fence', // fence
  17: 'Pole', // pole
  19: 'SignSymbol', // traffic light
  20: 'SignSymbol', // traffic sign
  21: 'Tree', // vegetation
  22: 'Tree', // terrain
  23: 'Sky', // sky
  24: 'Pedestrian', // person
  25: 'Bicyclist', // rider
  26: 'Car', // car
  27: 'Car', // truck
  28: 'Car', // bus
  31: 'Car', // train
  32: 'Bicyclist', // motorcycle
  33: 'Bicyclist', // bicycle
});

/**
 * The IDD level-1 groups in label order (IDD-Lite `*_label.png` value = index; 255 is void).
 * The same table is in training/idd.py (a test compares them).
 */
export const IDD_GROUPS = Object.freeze([
  'drivable',
  'non-drivable',
  'living things',
  'vehicles',
  'road-side objects',
  'far objects',
  'sky',
] as const);

/**
 * CamVid-11 class → IDD level-1 group, for scoring a CamVid-class model on IDD labels (and, in
 * training/idd.py, for the partial-label loss on IDD pixels).
 *
 * Choices: Pavement is non-drivable (IDD's sidewalk); Fence, Pole and SignSymbol are road-side
 * objects (IDD's wall, fence, guard rail, pole, sign, traffic light, billboard); Building and Tree
 * are far objects (building, bridge, vegetation); Pedestrian is living things. Bicyclist goes to
 * vehicles, like Car: CamVid's Bicyclist paints rider and two-wheeler as one, the model's
 * `vehicle` role already holds it, and the two-wheeler under the rider is IDD vehicles; the
 * rider's own pixels are IDD living things, so a rider painted Bicyclist counts against living
 * things (and as a vehicles false positive).
 */
export const CAMVID_TO_IDD: Readonly<Record<(typeof CAMVID_CLASSES)[number], (typeof IDD_GROUPS)[number]>> =
  Object.freeze({
    Sky: 'sky',
    Building: 'far objects',
    Pole: 'road-side objects',
    Road: 'drivable',
    Pavement: 'non-drivable',
    Tree: 'far objects',
    SignSymbol: 'road-side objects',
    Fence: 'road-side objects',
    Car: 'vehicles',
    Pedestrian: 'living things',
    Bicyclist: 'vehicles',
  });

/** Label layouts the evaluator reads. */
export type DatasetFormat = 'camvid' | 'cityscapes' | 'idd';

/** The evaluated classes and the two lookups into them. */
export interface LabelSpace {
  /** `camvid-11`, `model` or `idd-level1` (see the module comment). */
  name: 'camvid-11' | 'model' | 'idd-level1';
  /** Evaluated class names; a class's index is its row in the confusion matrix. */
  classes: string[];
  /** Label pixel value → evaluated class index, or {@link IGNORE}. 256 entries. */
  labelLut: Uint8Array;
  /** Model class id → evaluated class index, or `classes.length` for "none of them". 256 entries. */
  predictionLut: Uint8Array;
  /** Evaluated class indices of the model's free-space role classes (matched by name). */
  freeSpace: number[];
}

const norm = (s: string) => s.toLowerCase();

/**
 * Builds the label space for evaluating `model` on labels in `format`.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` for Cityscapes or IDD labels and a
 *   model with no CamVid-named class (there would be nothing to compare)
 * @example
 * ```ts
 * const space = labelSpaceFor('cityscapes', model);
 * const evalClass = space.labelLut[26]; // 8 (Car)
 * ```
 */
export function labelSpaceFor(format: DatasetFormat, model: LoadedModel): LabelSpace {
  const modelNames = model.card.classes.map((c) => c.name);
  const camvidIndex = new Map<string, number>(CAMVID_CLASSES.map((n, i) => [norm(n), i]));
  const overlapsCamvid = modelNames.some((n) => camvidIndex.has(norm(n)));
  const labelLut = new Uint8Array(256).fill(IGNORE);
  const predictionLut = new Uint8Array(256);

  if (!overlapsCamvid) {
    if (format !== 'camvid') {
      const how =
        format === 'idd'
          ? 'scored as IDD level-1 groups through the CamVid-11 classes'
          : 'evaluated as the CamVid-11 classes';
      throw new SegStreamError(
        ErrorCodes.INVALID_OPTION,
        `${format === 'idd' ? 'IDD' : 'Cityscapes'} labels are ${how} (${CAMVID_CLASSES.join(', ')}), but model "${model.card.name}" has none of them (its classes: ${modelNames.join(', ')}); use a CamVid-class model or a CamVid-layout folder labelled in the model's class ids`,
      );
    }
    const k = modelNames.length;
    for (let v = 0; v < k && v < 255; v++) labelLut[v] = v;
    for (let id = 0; id < 256; id++) predictionLut[id] = id < k ? id : k;
    const freeSpace = model.freeSpaceIds.filter((id) => id < k);
    return { name: 'model', classes: modelNames, labelLut, predictionLut, freeSpace };
  }

  if (format === 'idd') return iddSpace(model, camvidIndex);
  const k = CAMVID_CLASSES.length;
  if (format === 'camvid') {
    for (let v = 0; v < k; v++) labelLut[v] = v;
  } else {
    for (const [id, name] of Object.entries(CITYSCAPES_TO_CAMVID)) labelLut[Number(id)] = camvidIndex.get(norm(name))!;
  }
  predictionLut.fill(k);
  modelNames.forEach((n, id) => {
    const i = camvidIndex.get(norm(n));
    if (i !== undefined && id < 256) predictionLut[id] = i;
  });
  const freeNames = new Set(model.card.roles.freeSpace.map(norm));
  const freeSpace = CAMVID_CLASSES.flatMap((n, i) => (freeNames.has(norm(n)) ? [i] : []));
  return { name: 'camvid-11', classes: [...CAMVID_CLASSES], labelLut, predictionLut, freeSpace };
}

/** IDD labels: groups 0..6 as labelled; each CamVid-named model class predicts its group. */
function iddSpace(model: LoadedModel, camvidIndex: Map<string, number>): LabelSpace {
  const k = IDD_GROUPS.length;
  const labelLut = new Uint8Array(256).fill(IGNORE);
  for (let v = 0; v < k; v++) labelLut[v] = v;
  const groupOf = (name: string) => {
    const i = camvidIndex.get(norm(name));
    return i === undefined ? undefined : IDD_GROUPS.indexOf(CAMVID_TO_IDD[CAMVID_CLASSES[i]]);
  };
  const predictionLut = new Uint8Array(256).fill(k);
  model.card.classes.forEach((c, id) => {
    const g = groupOf(c.name);
    if (g !== undefined && id < 256) predictionLut[id] = g;
  });
  const freeSpace = [...new Set(model.card.roles.freeSpace.flatMap((n) => groupOf(n) ?? []))].sort((a, b) => a - b);
  return { name: 'idd-level1', classes: [...IDD_GROUPS], labelLut, predictionLut, freeSpace };
}
