/**
 * `@d4rt/cli`: the `d4rt` command line, and the evaluation it runs, as a library.
 *
 * @packageDocumentation
 */
export { main } from './main.js';
export {
  BASELINE_KEYS,
  BLANK_BYTE,
  METRIC_KEYS,
  RAMP_K,
  blankVideo,
  evaluateScene,
  evaluateSequence,
  formatTable,
  inputDependence,
  meanMetrics,
  meanResult,
} from './evaluate.js';
export type { EvalBaselines, EvalMetrics, EvalOptions, EvalOutputs, EvalResult, EvalSceneOptions, EvalSequence } from './evaluate.js';
export { FIGURE_COLUMNS, composeFigure, figureRow, writeFigure } from './figure.js';
export type { FigurePanel, FigureRow } from './figure.js';
export { fixturesPath, heldoutFixtures } from './demo-eval.js';
