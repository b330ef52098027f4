/**
 * One graph run at a time: onnxruntime's JavaScript sessions are not re-entrant. onnxruntime-web
 * keeps a run's inputs on the WebAssembly stack across `await`s, so a second run started before the
 * first settles can overwrite them (wrong answers, or a hang), and this holds across every session
 * of one WebAssembly instance; releasing a session while its run is under way is unsafe in both
 * runtimes (onnxruntime-node rejects the run with a raw `Error`, onnxruntime-web may never settle).
 * A {@link RunQueue} serialises the runs handed to it, first come first served, and lets the
 * caller wait until none is under way.
 *
 * @module
 */

/** A first-in first-out queue of asynchronous tasks that runs one task at a time. */
export class RunQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  /** Tasks queued or running. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Runs `task` after every task queued before it has settled (fulfilled or rejected).
   * @param task - started when its turn comes; a task that throws does not stop the queue
   * @returns what `task` resolves to, or its error
   */
  run<T>(task: () => Promise<T> | T): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(task).finally(() => {
      this.#pending--;
    });
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves once every task queued so far has settled (never rejects). */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}
