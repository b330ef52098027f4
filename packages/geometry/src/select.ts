/**
 * Order statistics on `Float64Array` scratch buffers: quickselect and the median.
 *
 * Helpers for the robust fits and metrics; they reorder the buffer they are given. Not re-exported
 * from the index; the other d4rt packages import them from the subpath `@d4rt/geometry/select`.
 *
 * @packageDocumentation
 */

/**
 * Partially sorts `a[lo..hi]` in place so that `a[k]` holds the value it would hold if that range
 * were sorted, everything before it is `<=` and everything after it is `>=` (Hoare / Floyd-Rivest
 * style quickselect with a median-of-three pivot; expected O(n)).
 *
 * @param a - the buffer, reordered in place (NaN must not occur)
 * @param k - the rank wanted, `lo <= k <= hi`
 * @param lo - first index of the range (inclusive)
 * @param hi - last index of the range (inclusive)
 * @returns the k-th smallest value of the range
 */
export function quickselect(a: Float64Array, k: number, lo: number, hi: number): number {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot, moved to a[mid].
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * Median of the first `n` values of a buffer (mean of the two middle values when `n` is even, as
 * NumPy's `median`). Reorders those values.
 *
 * @param a - the buffer, reordered in place (NaN must not occur)
 * @param n - how many leading values to use; `n <= a.length`
 * @returns the median, or `NaN` when `n` is 0
 */
export function medianInPlace(a: Float64Array, n: number): number {
  if (n <= 0) return Number.NaN;
  const h = n >>> 1;
  const upper = quickselect(a, h, 0, n - 1);
  if (n % 2 === 1) return upper;
  // After selecting rank h, ranks < h are in a[0..h-1]; their maximum is rank h-1.
  let lower = a[0]!;
  for (let i = 1; i < h; i++) if (a[i]! > lower) lower = a[i]!;
  return 0.5 * (lower + upper);
}
