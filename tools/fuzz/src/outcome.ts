/**
 * How a case ended, and which errors count as named.
 *
 * Named: an instance of a `D4rtError` subclass whose `name` is its own (`InvalidQueryError`, ...);
 * the case's own error coming back (the `signal.reason` of an abort it asked for, the error of a
 * callback it made fail); the CLI's `UsageError` (read from its output); and, unless `strict`, the
 * argument errors the SDK raises on purpose: a plain `TypeError` or `RangeError` whose message has
 * the SDK's form `fn: argument (value) must ...` (errors.ts: "argument type/range mistakes are
 * TypeError / RangeError as in the platform"), and only from a case that passed such an argument
 * (a corrupt file given by a valid path must not end in one). Anything else is unnamed: an engine
 * `TypeError` ("Cannot read properties of undefined"), a `RangeError` from a typed array or a
 * `DataView`, an onnxruntime, sharp or file-system error, a bare `Error`.
 *
 * @module
 */
import { D4rtError } from '@d4rt/core';

/** The end of one case. */
export type Outcome =
  | { kind: 'result' }
  | { kind: 'named'; name: string; message?: string }
  | { kind: 'unnamed'; name: string; message: string }
  /** A child process the case started (the CLI) died: a signal, an uncaught error's stack, an odd exit code. */
  | { kind: 'crash'; message: string };

/** The SDK's own argument messages start with the function that raised them: `Scene.query: ...`. */
const SDK_MESSAGE = /^[A-Za-z_$][\w$]*(?:\.[\w$#]+)*: \S/;

/** Options of {@link classifyError}. */
export interface ClassifyOptions {
  /** Count the SDK's own TypeError / RangeError argument errors as unnamed too. */
  strict?: boolean;
  /** The case passed an argument the API does not allow (see `CaseContext.badArgument`). */
  badArgument?: boolean;
  /** The case's own error (an abort reason, a failing callback's error): rejecting with it is expected. */
  ownError?: unknown;
}

/** Whether `error` is one of the SDK's deliberate argument errors (see the module notes). */
export function isSdkArgumentError(error: unknown): error is TypeError | RangeError {
  if (!(error instanceof TypeError || error instanceof RangeError)) return false;
  const plain = Object.getPrototypeOf(error) === TypeError.prototype || Object.getPrototypeOf(error) === RangeError.prototype;
  return plain && SDK_MESSAGE.test(error.message);
}

/** Classifies an error a case threw (see the module notes). */
export function classifyError(error: unknown, options: ClassifyOptions = {}): Outcome {
  if (options.ownError !== undefined && error === options.ownError) {
    return { kind: 'named', name: `own ${(error as Error)?.name ?? 'error'}` };
  }
  if (error instanceof D4rtError) {
    const own = error.constructor !== D4rtError && error.name !== 'Error' && error.name !== 'D4rtError';
    if (own) return { kind: 'named', name: error.name, message: error.message.slice(0, 300) };
  }
  if (!options.strict && options.badArgument && isSdkArgumentError(error)) return { kind: 'named', name: `${error.name} (argument)`, message: error.message.slice(0, 300) };
  const e = error as { name?: unknown; message?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : typeof error;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return { kind: 'unnamed', name, message: message.slice(0, 500) };
}
