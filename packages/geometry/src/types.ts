/**
 * Shared array types of `@d4rt/geometry`.
 *
 * @packageDocumentation
 */

/**
 * A floating-point typed array that functions write into (`out` arguments).
 *
 * `Float32Array` is the storage type of the SDK (depth maps, point clouds, poses);
 * `Float64Array` is accepted wherever full precision is wanted.
 */
export type FloatArray = Float32Array | Float64Array;

/**
 * Any read-only list of numbers: a typed array or a plain `number[]`.
 *
 * Functions only read from arguments of this type and never keep a reference to them.
 */
export type NumberArray = ArrayLike<number>;
