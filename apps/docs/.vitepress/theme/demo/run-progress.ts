/**
 * One progress indicator for a whole demo run: five steps, each with a fraction done in [0, 1],
 * weighted into one overall fraction. A step's fraction never goes down (late or repeated events of
 * an earlier phase are ignored), so the overall fraction only moves forward. The label names the
 * first unfinished step ("Step 2 of 5: downloading the model, 12.0 of 24.6 MB").
 */

export type StepId = 'video' | 'model' | 'encode' | 'depth' | 'outputs';

export const STEPS: readonly { id: StepId; label: string }[] = [
  { id: 'video', label: 'decoding the video' },
  { id: 'model', label: 'downloading the model' },
  { id: 'encode', label: 'encoding the video (once)' },
  { id: 'depth', label: 'depth' },
  { id: 'outputs', label: 'tracks, cameras and point cloud' },
];

export interface ProgressView {
  /** 1-based number of the step the label names (STEPS.length + 1 once all are done). */
  step: number;
  /** Overall fraction done, in [0, 1]. */
  overall: number;
  /** "Step 2 of 5: downloading the model, 40 %". */
  text: string;
}

export class RunProgress {
  readonly #weights: Record<StepId, number>;
  readonly #done: Record<StepId, number> = { video: 0, model: 0, encode: 0, depth: 0, outputs: 0 };
  readonly #detail: Partial<Record<StepId, string>> = {};

  /** `weights`: each step's share of the bar (e.g. 0 for the download when the model is already loaded). */
  constructor(weights: Record<StepId, number>) {
    for (const s of STEPS) {
      const w = weights[s.id];
      if (!(w >= 0)) throw new RangeError(`RunProgress: weights.${s.id} (${String(w)}) must be a number >= 0`);
    }
    this.#weights = { ...weights };
  }

  /**
   * Sets step `id` to `fraction` (clamped to [0, 1]; a value below the current one is ignored) and,
   * optionally, the words after its label (e.g. "12.0 of 24.6 MB"; default the percentage).
   */
  set(id: StepId, fraction: number, detail?: string): void {
    const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
    if (f >= this.#done[id]) {
      this.#done[id] = f;
      if (detail !== undefined) this.#detail[id] = detail;
      else delete this.#detail[id];
    }
  }

  /** Marks step `id` done. */
  finish(id: StepId): void {
    this.set(id, 1);
  }

  fraction(id: StepId): number {
    return this.#done[id];
  }

  view(): ProgressView {
    let sum = 0;
    let total = 0;
    for (const s of STEPS) {
      sum += this.#weights[s.id] * this.#done[s.id];
      total += this.#weights[s.id];
    }
    const overall = total > 0 ? sum / total : 1;
    const index = STEPS.findIndex((s) => this.#done[s.id] < 1);
    if (index < 0) return { step: STEPS.length + 1, overall: 1, text: `All ${STEPS.length} steps done` };
    const s = STEPS[index]!;
    const detail = this.#detail[s.id] ?? `${Math.floor(this.#done[s.id] * 100)} %`;
    return { step: index + 1, overall, text: `Step ${index + 1} of ${STEPS.length}: ${s.label}, ${detail}` };
  }
}
