/**
 * `@d4rt/oracle` (private, test-only): an exact oracle backend for D4RT models on long synthetic
 * clips, and the whole-video evaluation built on it.
 *
 * @packageDocumentation
 */
export { RayCaster, emptyAnswer } from './ray-cast.js';
export type { CastScene, ExactAnswer, PrimitiveType } from './ray-cast.js';
export { ORACLE_FORMAT, readOracleClip } from './oracle-clip.js';
export type { OracleClip, ReferenceAnswers } from './oracle-clip.js';
export { createOracleBackend, createOracleModel, tinyManifest } from './oracle-backend.js';
export type { OracleNoise, OracleOptions } from './oracle-backend.js';
export { evaluateLongRun, evaluateSingleWindow, trackGrid } from './evaluate-long.js';
export type { LongEvalFigures, LongEvalOptions } from './evaluate-long.js';
