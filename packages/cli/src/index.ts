/**
 * `@d4rt/cli`: the `d4rt` command line, and the evaluation it runs, as a library.
 *
 * @packageDocumentation
 */
export { main } from './main.js';
export { METRIC_KEYS, evaluateScene, evaluateSequence, formatTable, meanMetrics } from './evaluate.js';
export type { EvalMetrics, EvalOptions, EvalResult, EvalSequence } from './evaluate.js';
export { fixturesPath, heldoutFixtures } from './demo-eval.js';
