/**
 * Line-segment lists (`gl.LINES` layout: vertices `2k, 2k + 1` are segment `k`, interleaved xyz)
 * shared by the renderer and the glTF exporter (internal).
 *
 * @module
 * @internal
 */

/** Segments with their vertex colours. */
export interface ColoredSegments {
  /** Interleaved xyz, 2 vertices per segment. */
  positions: Float32Array;
  /** RGB per vertex. */
  colors: Uint8Array;
  /** Number of vertices (`positions.length / 3`). */
  count: number;
}

/**
 * Keeps the segments whose two ends are finite (e.g. drops the frustums of cameras whose pose
 * fit failed). Returns **new** arrays (copies), or the inputs themselves when every segment is
 * finite.
 *
 * @param positions - interleaved xyz, an even number of vertices
 * @param colors - RGB per vertex (`positions.length` long)
 * @returns the finite segments and their colours
 */
export function finiteSegments(positions: Float32Array, colors: Uint8Array): ColoredSegments {
  const segments = positions.length / 6;
  const keep = new Uint8Array(segments);
  let kept = 0;
  for (let s = 0; s < segments; s++) {
    let ok = true;
    // x - x is NaN for NaN and +-Infinity.
    for (let j = 6 * s; j < 6 * s + 6; j++) if (positions[j]! - positions[j]! !== 0) ok = false;
    if (ok) {
      keep[s] = 1;
      kept++;
    }
  }
  if (kept === segments) return { positions, colors, count: 2 * segments };
  const p = new Float32Array(kept * 6);
  const c = new Uint8Array(kept * 6);
  for (let s = 0, o = 0; s < segments; s++) {
    if (keep[s] === 0) continue;
    p.set(positions.subarray(6 * s, 6 * s + 6), o);
    c.set(colors.subarray(6 * s, 6 * s + 6), o);
    o += 6;
  }
  return { positions: p, colors: c, count: 2 * kept };
}

/**
 * 3D tracks as segments: for each point, the segments between consecutive frames where both ends
 * are visible (`visible > 0.5`, or every frame when `visible` is absent) and finite, coloured with
 * the point's colour. Tracks are frame-major (`xyz[3 (t * points + i)]`).
 *
 * Returns **new** arrays.
 *
 * @param xyz - positions, `frames * points * 3`
 * @param frames - number of frames
 * @param points - number of points
 * @param visible - visibility, `frames * points`, or undefined
 * @param colors - RGB per point, `points * 3`
 * @returns the segments and their vertex colours
 */
export function trackSegments(
  xyz: ArrayLike<number>,
  frames: number,
  points: number,
  visible: ArrayLike<number> | undefined,
  colors: ArrayLike<number>,
): ColoredSegments {
  const ok = (t: number, i: number): boolean => {
    const k = t * points + i;
    if (visible !== undefined && !(visible[k]! > 0.5)) return false;
    const x = xyz[3 * k]!, y = xyz[3 * k + 1]!, z = xyz[3 * k + 2]!;
    return x - x === 0 && y - y === 0 && z - z === 0;
  };
  let count = 0;
  for (let i = 0; i < points; i++) for (let t = 1; t < frames; t++) if (ok(t - 1, i) && ok(t, i)) count += 2;
  const positions = new Float32Array(count * 3);
  const rgb = new Uint8Array(count * 3);
  let o = 0;
  const put = (k: number, i: number): void => {
    positions[o] = xyz[3 * k]!;
    positions[o + 1] = xyz[3 * k + 1]!;
    positions[o + 2] = xyz[3 * k + 2]!;
    rgb[o] = colors[3 * i]!;
    rgb[o + 1] = colors[3 * i + 1]!;
    rgb[o + 2] = colors[3 * i + 2]!;
    o += 3;
  };
  for (let i = 0; i < points; i++) {
    for (let t = 1; t < frames; t++) {
      if (!ok(t - 1, i) || !ok(t, i)) continue;
      put((t - 1) * points + i, i);
      put(t * points + i, i);
    }
  }
  return { positions, colors: rgb, count };
}
