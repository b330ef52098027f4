/**
 * @internal The counts behind the TAP-Vid family of metrics, shared by the 2D (TAP-Vid) and 3D
 * (TAPVid-3D) versions: per threshold, points within it among the gt-visible ones, true positives
 * and false positives of the Jaccard index, plus occlusion accuracy.
 *
 * @packageDocumentation
 */

/** @internal Per-threshold fractions and their means. */
export interface TapSummary {
  averagePtsWithin: number;
  averageJaccard: number;
  occlusionAccuracy: number;
  ptsWithin: number[];
  jaccard: number[];
}

/**
 * @internal Accumulates points one at a time (no allocation per point); whole sets of counts can
 * be added with a weight (the weighted sums of tapnet's `local_neighborhood` protocol).
 */
export class TapCounts {
  private readonly within: Float64Array;
  private readonly truePos: Float64Array;
  private readonly falsePos: Float64Array;
  private gtVisible = 0;
  private occCorrect = 0;
  /** Points added so far (their total weight once {@link TapCounts.addWeighted} was used). */
  count = 0;

  constructor(private readonly thresholds: number) {
    this.within = new Float64Array(thresholds);
    this.truePos = new Float64Array(thresholds);
    this.falsePos = new Float64Array(thresholds);
  }

  /**
   * Adds one point: `d2` is its squared error, `tau2[k]` the squared threshold k (same units),
   * `visG` / `visP` its ground-truth and predicted visibility.
   */
  add(d2: number, tau2: ArrayLike<number>, visG: boolean, visP: boolean): void {
    this.count++;
    if (visG) this.gtVisible++;
    if (visG === visP) this.occCorrect++;
    for (let k = 0; k < this.thresholds; k++) {
      const isWithin = d2 < tau2[k]!;
      if (isWithin && visG) {
        this.within[k]!++;
        if (visP) this.truePos[k]!++;
      }
      if (visP && (!visG || !isWithin)) this.falsePos[k]!++;
    }
  }

  /** Adds every count of `other` times `weight` (a weight of 0 adds zeros: the ratios stay 0 / 0). */
  addWeighted(other: TapCounts, weight: number): void {
    this.count += weight * other.count;
    this.gtVisible += weight * other.gtVisible;
    this.occCorrect += weight * other.occCorrect;
    for (let k = 0; k < this.thresholds; k++) {
      this.within[k]! += weight * other.within[k]!;
      this.truePos[k]! += weight * other.truePos[k]!;
      this.falsePos[k]! += weight * other.falsePos[k]!;
    }
  }

  /** Number of gt-visible points added (weighted like {@link TapCounts.count}). */
  get visibleCount(): number {
    return this.gtVisible;
  }

  /** Sets every count back to 0. */
  reset(): void {
    this.count = 0;
    this.gtVisible = 0;
    this.occCorrect = 0;
    this.within.fill(0);
    this.truePos.fill(0);
    this.falsePos.fill(0);
  }

  /** Fractions per threshold (Jaccard = TP / (gt visible + FP)) and their means; 0 / 0 is NaN. */
  summary(): TapSummary {
    const ptsWithin: number[] = [];
    const jaccard: number[] = [];
    for (let k = 0; k < this.thresholds; k++) {
      ptsWithin.push(this.within[k]! / this.gtVisible);
      jaccard.push(this.truePos[k]! / (this.gtVisible + this.falsePos[k]!));
    }
    const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
    return {
      averagePtsWithin: mean(ptsWithin),
      averageJaccard: mean(jaccard),
      occlusionAccuracy: this.occCorrect / this.count,
      ptsWithin,
      jaccard,
    };
  }
}
