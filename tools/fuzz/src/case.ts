/**
 * What a fuzz target gets for one case and what it hands back.
 *
 * @module
 */
import type { Outcome } from './outcome.js';
import type { Rng } from './rng.js';

/** One case's inputs. */
export interface CaseContext {
  /** `<target>:<index>`. */
  readonly id: string;
  /** This case's own generator (see `Rng.forCase`). */
  readonly rng: Rng;
  /** A fresh empty folder for this case's files; removed after the case unless `--keep`. */
  readonly dir: string;
  /** The folder of the shared seed files (read-only). */
  readonly seeds: string;
  /** `--strict-names`: the SDK's own argument TypeError / RangeError count as unnamed too. */
  readonly strict: boolean;
  /** Records what the case did, for the failure report (call it before the risky call). */
  describe(text: string): void;
  /**
   * Declares an error the case itself puts into the SDK (the reason of an abort it asks for, the
   * error of a callback it makes fail): rejecting with that very error is an expected end.
   */
  expectOwnError(error: unknown): void;
  /**
   * Declares that the case passes an argument the API does not allow (a wrong type, a value out of
   * range). Only then may the SDK's own argument TypeError / RangeError come back: from a case
   * whose arguments are all allowed (a bad file is not a bad argument), one is unnamed.
   */
  badArgument(): void;
  /** Reports files or folders the SDK left on disk that should not be there (a partial output). */
  leftover(paths: readonly string[]): void;
}

/** What a case hands back when it returns (a thrown error is classified by the runner). */
export interface CaseEnd {
  /** How it ended, when the target decided itself (the CLI reads exit codes and stderr); default a result. */
  outcome?: Outcome;
}

/** A fuzz target: one kind of input. */
export type CaseRunner = (ctx: CaseContext) => Promise<CaseEnd | void>;
