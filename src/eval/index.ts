/** Accuracy evaluation on labelled datasets (CamVid, Cityscapes). */
export { EVAL_DEFAULTS, EVAL_METHOD, evaluateDataset } from './evaluate.js';
export type { EvalResult, EvaluateOptions } from './evaluate.js';
export { DATASET_SPLITS, listDataset, naturalCompare } from './datasets.js';
export type { Dataset, DatasetSample, DatasetSplit, ListDatasetOptions } from './datasets.js';
export { CAMVID_CLASSES, CAMVID_UNLABELLED, CITYSCAPES_TO_CAMVID, IGNORE, labelSpaceFor } from './label-maps.js';
export type { DatasetFormat, LabelSpace } from './label-maps.js';
export { ConfusionMatrix, classIoU, computeMetrics } from './metrics.js';
export type { SegmentationMetrics } from './metrics.js';
export { readCardMetrics } from './card-metrics.js';
export type { CardMetrics } from './card-metrics.js';
export { decodePng } from './png-read.js';
export type { DecodePngOptions } from './png-read.js';
