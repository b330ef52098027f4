import { describe, expect, it } from 'vitest';
import { OrbitCamera } from './orbit-camera.js';
import { PointCloudRenderer } from './point-cloud-renderer.js';

// The drawing itself is tested in a real browser: test/renderer.browser.test.ts.
describe('PointCloudRenderer (without a GPU)', () => {
  it('throws an Error starting with "PointCloudRenderer:" when WebGL2 is unavailable', () => {
    const canvas = { width: 10, height: 10, getContext: () => null } as unknown as OffscreenCanvas;
    expect(() => new PointCloudRenderer(canvas)).toThrow(/^PointCloudRenderer: WebGL2 is not available/);
    const throwing = {
      getContext: () => {
        throw new Error('boom');
      },
    } as unknown as OffscreenCanvas;
    expect(() => new PointCloudRenderer(throwing)).toThrow(/^PointCloudRenderer: WebGL2 is not available \(getContext\('webgl2'\) threw: boom\)/);
  });

  it('checks its arguments before touching the canvas', () => {
    let asked = 0;
    const canvas = {
      getContext: () => {
        asked++;
        return null;
      },
    } as unknown as OffscreenCanvas;
    expect(() => new PointCloudRenderer({} as OffscreenCanvas)).toThrow(new TypeError('PointCloudRenderer: canvas (Object) must be an HTMLCanvasElement or OffscreenCanvas'));
    expect(() => new PointCloudRenderer(canvas, { pointSize: 0 })).toThrow(new RangeError('PointCloudRenderer: options.pointSize (0) must be > 0'));
    expect(() => new PointCloudRenderer(canvas, { frustumColor: [0, 0] as unknown as [number, number, number] })).toThrow(
      new RangeError('PointCloudRenderer: options.frustumColor.length (2) must equal 3 (r, g, b) (3)'),
    );
    expect(() => new PointCloudRenderer(canvas, { camera: { distance: -1 } })).toThrow(new RangeError('OrbitCamera: options.distance (-1) must be > 0'));
    expect(asked).toBe(0);
    expect(() => new PointCloudRenderer(canvas, { camera: new OrbitCamera() })).toThrow(/^PointCloudRenderer:/);
    expect(asked).toBe(1);
  });
});
