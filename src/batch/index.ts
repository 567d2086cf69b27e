/** Frame folders and datasets: layouts, the resumable run, free-space boundary, KITTI road maps. */
export { segmentFolder } from './segment-folder.js';
export { DEFAULT_FOLDER_OPTIONS, resolveFolderOptions, type SegmentFolderOptions, type ResolvedFolderOptions } from './options.js';
export { findSequences, isImageName, LAYOUT_HELP, type FindSequencesOptions, type FrameEntry, type LabelFormat, type LayoutName, type Sequence } from './layouts.js';
export { expandGlob, globToRegExp, isGlob } from './glob.js';
export { freeSpaceBoundary, freeSpaceLine, NO_FREE_SPACE, type FreeSpaceBoundary, type FreeSpaceLine } from './free-space-boundary.js';
export { roadMapName } from './road-map.js';
export { OutputPlan, type FrameOutputKind } from './outputs.js';
export { FreeSpaceJsonl } from './jsonl-store.js';
export { defaultManifestPath, type FolderRunSummary, type SequenceSummary } from './manifest.js';
export { RunScores, type RoadMetrics, type ScoreReport } from './scores.js';
