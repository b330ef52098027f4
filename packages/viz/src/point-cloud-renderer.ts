/**
 * A small WebGL2 viewer for D4RT results: a coloured point cloud, camera frustums and 3D tracks,
 * seen through an {@link OrbitCamera}. Plain WebGL2, one tiny shader program, no dependencies.
 *
 * Data stays plain typed arrays (what `scene.pointCloud()`, `scene.cameras()` and
 * `scene.track(..., { frame: 'world' })` return); the renderer uploads them to GPU buffers and
 * frees them in {@link PointCloudRenderer.dispose}. Everything is in the world frame of d4rt-js
 * (OpenCV axes, world = camera of frame 0); the default view is the first camera's.
 *
 * @packageDocumentation
 */

import type { Intrinsics } from '@d4rt/geometry';
import type { Rgb } from './colormap.js';
import { defaultFrustumScale, frustumLinesFor } from './frustum.js';
import { finiteSegments, trackSegments, type ColoredSegments } from './line-segments.js';
import { OrbitCamera, type OrbitCameraOptions } from './orbit-camera.js';
import { trackColors } from './track-colors.js';
import { assertArray, assertLength, assertMinLength, assertNumber, assertObject, assertRgb, assertRgba, describe } from './validate.js';

/** Options of the {@link PointCloudRenderer} constructor. */
export interface PointCloudRendererOptions {
  /** Point size in drawing-buffer pixels (> 0; clamped to what the GPU supports); default 2. */
  pointSize?: number;
  /** Clear colour, RGBA in [0, 255]; default `[17, 19, 24, 255]`. */
  background?: readonly [number, number, number, number];
  /** Colour of the camera frustums, RGB in [0, 255]; default `[255, 176, 0]`. */
  frustumColor?: Rgb;
  /** Colour of the highlighted frustum, RGB in [0, 255]; default `[255, 48, 96]`. */
  highlightColor?: Rgb;
  /** Colour of the points when the cloud has no colours, RGB in [0, 255]; default `[200, 200, 200]`. */
  pointColor?: Rgb;
  /** Multisampled anti-aliasing of the drawing buffer; default true. */
  antialias?: boolean;
  /** Keep the drawing buffer after it is shown (for `toDataURL` at any time); default false. */
  preserveDrawingBuffer?: boolean;
  /** The camera to view through, or options for a new one; default `new OrbitCamera()` (the first camera's view). */
  camera?: OrbitCamera | OrbitCameraOptions;
}

/** A point cloud for {@link PointCloudRenderer.setPointCloud} (as `scene.pointCloud()` returns). */
export interface RendererPointCloud {
  /** Interleaved xyz, world coordinates, at least `count * 3`. */
  positions: Float32Array;
  /** RGB bytes per point, at least `count * 3`; default `pointColor` for every point. */
  colors?: Uint8Array | Uint8ClampedArray;
  /** Number of points (integer >= 0); default `positions.length / 3`. */
  count?: number;
}

/** Cameras for {@link PointCloudRenderer.setCameras} (as `scene.cameras()` returns, plus display options). */
export interface RendererCameras {
  /** Camera-to-world per camera (`mat4`, column-major). NaN-filled poses are skipped. */
  cameraToWorld: readonly ArrayLike<number>[];
  /** Intrinsics per camera in pixels of a `width x height` image. */
  intrinsics: readonly Intrinsics[];
  /** Image width in pixels. */
  width: number;
  /** Image height in pixels. */
  height: number;
  /** Index of a camera drawn in `highlightColor` (e.g. the current frame); default none. */
  highlight?: number;
  /** Depth of the frustums' far rectangle, world units (> 0); default a tenth of the scene's size. */
  scale?: number;
}

/** 3D tracks for {@link PointCloudRenderer.setTracks}: frame-major, as core's `Tracks` in the world frame. */
export interface RendererTracks {
  /** Positions, `frames * points * 3`; point `i` at frame `t` at `3 (t * points + i)`. */
  xyz: ArrayLike<number>;
  /** Number of frames (integer >= 1). */
  frames: number;
  /** Number of points (integer >= 0). */
  points: number;
  /** Visibility, `frames * points`; segments are drawn only between visible (`> 0.5`) ends. Default all visible. */
  visible?: ArrayLike<number>;
  /** RGB per point, at least `points * 3`; default `trackColors(points)`. */
  colors?: Uint8Array | Uint8ClampedArray;
}

/** Pixels read back by {@link PointCloudRenderer.readPixels}. */
export interface RendererPixels {
  /** RGBA, top row first, `width * height * 4`. */
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
}

const VERTEX_SHADER = `#version 300 es
layout(location = 0) in vec3 aPosition;
layout(location = 1) in vec3 aColor;
uniform mat4 uView;
uniform mat4 uProjection;
uniform float uPointSize;
out vec3 vColor;
void main() {
  gl_Position = uProjection * (uView * vec4(aPosition, 1.0));
  gl_PointSize = uPointSize;
  vColor = aColor;
}`;

const FRAGMENT_SHADER = `#version 300 es
precision mediump float;
in vec3 vColor;
out vec4 outColor;
void main() {
  outColor = vec4(vColor, 1.0);
}`;

const POSITION = 0;
const COLOR = 1;

/** One drawable: a vertex array with positions and (optional) colours. */
interface Layer {
  vao: WebGLVertexArrayObject;
  positions: WebGLBuffer;
  colors: WebGLBuffer;
  count: number;
  hasColors: boolean;
}

interface GlState {
  gl: WebGL2RenderingContext;
  program: WebGLProgram;
  uView: WebGLUniformLocation | null;
  uProjection: WebGLUniformLocation | null;
  uPointSize: WebGLUniformLocation | null;
  points: Layer;
  frustums: Layer;
  tracks: Layer;
  maxPointSize: number;
}

/** A canvas the renderer can draw into. */
export type AnyCanvas = HTMLCanvasElement | OffscreenCanvas;

/**
 * Draws a point cloud, camera frustums and 3D tracks with WebGL2.
 *
 * ```ts
 * const renderer = new PointCloudRenderer(canvas, { pointSize: 2 });
 * renderer.setPointCloud(cloud);   // { positions, colors, count }
 * renderer.setCameras(cams);       // { cameraToWorld, intrinsics, width, height }
 * renderer.frame().render();
 * const detach = attachOrbitControls(canvas, { renderer });
 * ```
 *
 * The setters upload copies of the data to the GPU (the renderer keeps a view of the cloud's
 * `positions` for {@link frame}, and the camera arrays until their frustums are built at the next
 * render). Nothing is drawn until {@link render}. After {@link dispose} every method throws.
 */
export class PointCloudRenderer {
  /** The canvas drawn into. */
  readonly canvas: AnyCanvas;
  /** The view; change it and call {@link render} (the orbit controls do both). */
  readonly camera: OrbitCamera;
  #state: GlState | null;
  #pointSize: number;
  readonly #background: readonly number[];
  readonly #frustumColor: Rgb;
  readonly #highlightColor: Rgb;
  readonly #pointColor: Rgb;
  #cloud: Float32Array | null = null;
  #cameras: RendererCameras | null = null;
  #camerasDirty = false;
  readonly #view = new Float32Array(16);
  readonly #projection = new Float32Array(16);

  /**
   * Creates a WebGL2 context on `canvas` and the renderer's program and buffers.
   *
   * @param canvas - an `HTMLCanvasElement` or `OffscreenCanvas` (its current size is the drawing size)
   * @param options - point size, colours, context attributes, camera
   * @throws TypeError for arguments of the wrong type; RangeError for values out of range; Error
   *   (message starting `PointCloudRenderer:`) when WebGL2 is not available or the shaders fail
   */
  constructor(canvas: AnyCanvas, options: PointCloudRendererOptions = {}) {
    const fn = 'PointCloudRenderer';
    if (typeof canvas !== 'object' || canvas === null || typeof (canvas as { getContext?: unknown }).getContext !== 'function') {
      throw new TypeError(`${fn}: canvas (${describe(canvas)}) must be an HTMLCanvasElement or OffscreenCanvas`);
    }
    assertObject(fn, 'options', options);
    const {
      pointSize = 2,
      background = [17, 19, 24, 255],
      frustumColor = [255, 176, 0],
      highlightColor = [255, 48, 96],
      pointColor = [200, 200, 200],
      antialias = true,
      preserveDrawingBuffer = false,
      camera,
    } = options;
    assertNumber(fn, 'options.pointSize', pointSize, { min: 0, exclusiveMin: true });
    assertRgba(fn, 'options.background', background);
    assertRgb(fn, 'options.frustumColor', frustumColor);
    assertRgb(fn, 'options.highlightColor', highlightColor);
    assertRgb(fn, 'options.pointColor', pointColor);
    if (camera !== undefined && !(camera instanceof OrbitCamera)) assertObject(fn, 'options.camera', camera);
    this.camera = camera instanceof OrbitCamera ? camera : new OrbitCamera(camera);
    this.canvas = canvas;
    this.#pointSize = pointSize;
    this.#background = Array.from(background, (c) => c / 255);
    this.#frustumColor = frustumColor;
    this.#highlightColor = highlightColor;
    this.#pointColor = pointColor;

    const attributes: WebGLContextAttributes = { antialias: Boolean(antialias), preserveDrawingBuffer: Boolean(preserveDrawingBuffer), alpha: true, premultipliedAlpha: false, depth: true };
    let gl: WebGL2RenderingContext | null = null;
    try {
      gl = (canvas as HTMLCanvasElement).getContext('webgl2', attributes);
    } catch (error) {
      throw new Error(`${fn}: WebGL2 is not available (getContext('webgl2') threw: ${(error as Error)?.message ?? String(error)})`, { cause: error });
    }
    if (gl === null || gl === undefined) {
      throw new Error(`${fn}: WebGL2 is not available on this canvas (getContext('webgl2') returned null: no WebGL2 support, the GPU is blocklisted, or the canvas already has another context)`);
    }
    this.#state = createGlState(gl);
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.#state === null;
  }

  /** Point size in drawing-buffer pixels (> 0). */
  get pointSize(): number {
    return this.#pointSize;
  }

  set pointSize(value: number) {
    assertNumber('PointCloudRenderer.pointSize', 'value', value, { min: 0, exclusiveMin: true });
    this.#pointSize = value;
  }

  #alive(method: string): GlState {
    if (this.#state === null) throw new Error(`PointCloudRenderer.${method}: the renderer was disposed`);
    return this.#state;
  }

  /**
   * Uploads a point cloud (replacing the previous one); `null` removes it.
   *
   * @param cloud - `{ positions, colors?, count? }`, world coordinates, RGB bytes
   * @returns `this`
   * @throws TypeError for arguments of the wrong type; RangeError for lengths that do not fit
   *   `count`; Error when disposed
   */
  setPointCloud(cloud: RendererPointCloud | null): this {
    const fn = 'PointCloudRenderer.setPointCloud';
    const state = this.#alive('setPointCloud');
    if (cloud === null) {
      upload(state.gl, state.points, new Float32Array(0), null);
      this.#cloud = null;
      this.#camerasDirty = true;
      return this;
    }
    assertObject(fn, 'cloud', cloud);
    const { positions, colors } = cloud;
    if (!(positions instanceof Float32Array)) throw new TypeError(`${fn}: cloud.positions (${describe(positions)}) must be a Float32Array (interleaved xyz)`);
    const count = cloud.count ?? Math.floor(positions.length / 3);
    assertNumber(fn, 'cloud.count', count, { integer: true, min: 0 });
    assertMinLength(fn, 'cloud.positions', positions, 3 * count, 'cloud.count * 3');
    if (colors !== undefined) {
      if (!(colors instanceof Uint8Array || colors instanceof Uint8ClampedArray)) {
        throw new TypeError(`${fn}: cloud.colors (${describe(colors)}) must be a Uint8Array or Uint8ClampedArray (RGB bytes)`);
      }
      assertMinLength(fn, 'cloud.colors', colors, 3 * count, 'cloud.count * 3');
    }
    const xyz = positions.subarray(0, 3 * count);
    upload(state.gl, state.points, xyz, colors === undefined ? null : colors.subarray(0, 3 * count));
    this.#cloud = xyz;
    this.#camerasDirty = true;
    return this;
  }

  /**
   * Sets the cameras drawn as frustums (replacing the previous ones); `null` removes them. The
   * frustum lines are built and uploaded at the next {@link render}; cameras with a non-finite
   * pose are skipped.
   *
   * @param cameras - poses, intrinsics, image size, optional highlight and scale
   * @returns `this`
   * @throws TypeError / RangeError for bad cameras (as {@link frustumLines}) or a highlight that is
   *   not a camera index; Error when disposed
   */
  setCameras(cameras: RendererCameras | null): this {
    const fn = 'PointCloudRenderer.setCameras';
    this.#alive('setCameras');
    if (cameras !== null) {
      assertObject(fn, 'cameras', cameras);
      if (cameras.highlight !== undefined) {
        assertNumber(fn, 'cameras.highlight', cameras.highlight, { integer: true, min: 0, max: Math.max(0, (cameras.cameraToWorld?.length ?? 0) - 1) });
      }
      // Check everything now, so render() does not throw.
      frustumLinesFor(fn, 'cameras', { cameraToWorld: cameras.cameraToWorld, intrinsics: cameras.intrinsics, width: cameras.width, height: cameras.height, scale: cameras.scale ?? 1 });
    }
    this.#cameras = cameras;
    this.#camerasDirty = true;
    return this;
  }

  /**
   * Uploads 3D tracks drawn as lines (replacing the previous ones); `null` removes them. Each
   * point's track is a polyline through its positions at consecutive frames, with the segments
   * whose ends are not both visible and finite left out (so one track may be several pieces).
   *
   * @param tracks - `{ xyz, frames, points, visible?, colors? }`, frame-major, world coordinates
   * @returns `this`
   * @throws TypeError for arguments of the wrong type; RangeError for wrong lengths; Error when disposed
   */
  setTracks(tracks: RendererTracks | null): this {
    const fn = 'PointCloudRenderer.setTracks';
    const state = this.#alive('setTracks');
    if (tracks === null) {
      upload(state.gl, state.tracks, new Float32Array(0), new Uint8Array(0));
      return this;
    }
    assertObject(fn, 'tracks', tracks);
    const { xyz, frames, points, visible } = tracks;
    assertNumber(fn, 'tracks.frames', frames, { integer: true, min: 1 });
    assertNumber(fn, 'tracks.points', points, { integer: true, min: 0 });
    assertArray(fn, 'tracks.xyz', xyz);
    assertLength(fn, 'tracks.xyz', xyz, frames * points * 3, 'tracks.frames * tracks.points * 3');
    if (visible !== undefined) {
      assertArray(fn, 'tracks.visible', visible);
      assertLength(fn, 'tracks.visible', visible, frames * points, 'tracks.frames * tracks.points');
    }
    let colors = tracks.colors;
    if (colors === undefined) colors = trackColors(points);
    else {
      if (!(colors instanceof Uint8Array || colors instanceof Uint8ClampedArray)) {
        throw new TypeError(`${fn}: tracks.colors (${describe(colors)}) must be a Uint8Array or Uint8ClampedArray (RGB bytes)`);
      }
      assertMinLength(fn, 'tracks.colors', colors, 3 * points, 'tracks.points * 3');
    }
    const segments = trackSegments(xyz, frames, points, visible, colors);
    upload(state.gl, state.tracks, segments.positions, segments.colors);
    return this;
  }

  /**
   * Fits the view to the point cloud (robust percentile bounds, see {@link OrbitCamera.frameBounds}),
   * keeping the current yaw and pitch; without a cloud, to the frustums; with neither, does nothing.
   *
   * @returns `this`
   * @throws Error when disposed
   */
  frame(): this {
    const state = this.#alive('frame');
    const aspect = aspectOf(state.gl);
    if (this.#cloud !== null && this.#cloud.length > 0) {
      this.camera.frameBounds(this.#cloud, { aspect });
    } else {
      const frustums = this.#frustumSegments();
      if (frustums !== null && frustums.count > 0) this.camera.frameBounds(frustums.positions, { aspect, percentiles: [0, 100] });
    }
    return this;
  }

  /**
   * Draws the scene into the canvas' drawing buffer: clears to the background, then the points,
   * the frustums and the tracks with depth testing. Builds the frustum lines first when the
   * cameras (or, for the default scale, the cloud) changed.
   *
   * @throws Error when disposed
   */
  render(): void {
    const state = this.#alive('render');
    const { gl } = state;
    if (this.#camerasDirty) {
      const segments = this.#frustumSegments();
      upload(gl, state.frustums, segments?.positions ?? new Float32Array(0), segments?.colors ?? new Uint8Array(0));
      this.#camerasDirty = false;
    }
    const width = gl.drawingBufferWidth;
    const height = gl.drawingBufferHeight;
    gl.viewport(0, 0, width, height);
    const [r, g, b, a] = this.#background as [number, number, number, number];
    gl.clearColor(r, g, b, a);
    gl.clearDepth(1);
    gl.enable(gl.DEPTH_TEST);
    gl.depthFunc(gl.LEQUAL);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.useProgram(state.program);
    this.camera.viewMatrix(this.#view);
    this.camera.projectionMatrix(this.#projection, width / Math.max(1, height));
    gl.uniformMatrix4fv(state.uView, false, this.#view);
    gl.uniformMatrix4fv(state.uProjection, false, this.#projection);
    gl.uniform1f(state.uPointSize, Math.min(this.#pointSize, state.maxPointSize));
    const [pr, pg, pb] = this.#pointColor;
    draw(gl, state.points, gl.POINTS, pr / 255, pg / 255, pb / 255);
    draw(gl, state.frustums, gl.LINES, 1, 1, 1);
    draw(gl, state.tracks, gl.LINES, 1, 1, 1);
    gl.bindVertexArray(null);
  }

  /**
   * Renders and reads the drawing buffer back (works without `preserveDrawingBuffer`: the read
   * follows the render in the same task). For tests, thumbnails and screenshots.
   *
   * Returns a **new** `Uint8ClampedArray` (or fills `out`), top row first as `ImageData` holds it.
   *
   * @param out - receives the pixels (`width * height * 4`), or undefined to allocate
   * @returns the pixels and their size
   * @throws RangeError when `out` has the wrong length; Error when disposed
   */
  readPixels(out?: Uint8ClampedArray): RendererPixels {
    const fn = 'PointCloudRenderer.readPixels';
    const { gl } = this.#alive('readPixels');
    const width = gl.drawingBufferWidth;
    const height = gl.drawingBufferHeight;
    const rowBytes = width * 4;
    const rgba = out ?? new Uint8ClampedArray(rowBytes * height);
    if (!(rgba instanceof Uint8ClampedArray)) throw new TypeError(`${fn}: out (${describe(out)}) must be a Uint8ClampedArray`);
    assertLength(fn, 'out', rgba, rowBytes * height, 'drawing buffer width * height * 4');
    this.render();
    const raw = new Uint8Array(rowBytes * height);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.pixelStorei(gl.PACK_ALIGNMENT, 1);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, raw);
    // WebGL rows are bottom-up.
    for (let y = 0; y < height; y++) rgba.set(raw.subarray((height - 1 - y) * rowBytes, (height - y) * rowBytes), y * rowBytes);
    return { rgba, width, height };
  }

  /**
   * Sets the canvas' drawing-buffer size (its `width` and `height` attributes; CSS size is the
   * caller's). Call {@link render} after.
   *
   * @param width - pixels (integer >= 1)
   * @param height - pixels (integer >= 1)
   * @returns `this`
   * @throws RangeError for a size that is not an integer >= 1; Error when disposed
   */
  resize(width: number, height: number): this {
    const fn = 'PointCloudRenderer.resize';
    this.#alive('resize');
    assertNumber(fn, 'width', width, { integer: true, min: 1 });
    assertNumber(fn, 'height', height, { integer: true, min: 1 });
    this.canvas.width = width;
    this.canvas.height = height;
    return this;
  }

  /**
   * Frees every GPU resource of the renderer (buffers, vertex arrays, the program) and drops its
   * references to the data; every later method call throws. The canvas and its context stay (a
   * context cannot be released from script). Calling it twice is harmless.
   */
  dispose(): void {
    const state = this.#state;
    if (state === null) return;
    const { gl } = state;
    for (const layer of [state.points, state.frustums, state.tracks]) {
      gl.deleteVertexArray(layer.vao);
      gl.deleteBuffer(layer.positions);
      gl.deleteBuffer(layer.colors);
    }
    gl.useProgram(null);
    gl.deleteProgram(state.program);
    this.#state = null;
    this.#cloud = null;
    this.#cameras = null;
  }

  /** The finite frustum segments of the current cameras with their colours, or null. */
  #frustumSegments(): ColoredSegments | null {
    const cams = this.#cameras;
    if (cams === null) return null;
    const n = cams.cameraToWorld.length;
    const scale = cams.scale ?? this.#defaultFrustumScale();
    const positions = frustumLinesFor('PointCloudRenderer.render', 'cameras', { cameraToWorld: cams.cameraToWorld, intrinsics: cams.intrinsics, width: cams.width, height: cams.height, scale });
    const per = n > 0 ? positions.length / 3 / n : 0;
    const colors = new Uint8Array(positions.length);
    for (let c = 0; c < n; c++) {
      const [r, g, b] = c === cams.highlight ? this.#highlightColor : this.#frustumColor;
      for (let v = c * per; v < (c + 1) * per; v++) {
        colors[3 * v] = r;
        colors[3 * v + 1] = g;
        colors[3 * v + 2] = b;
      }
    }
    return finiteSegments(positions, colors);
  }

  /** The default frustum depth: {@link defaultFrustumScale} of the cloud, else of the camera centres. */
  #defaultFrustumScale(): number {
    const cams = this.#cameras;
    return defaultFrustumScale(this.#cloud, cams?.cameraToWorld ?? []);
  }
}

function aspectOf(gl: WebGL2RenderingContext): number {
  return gl.drawingBufferWidth / Math.max(1, gl.drawingBufferHeight);
}

function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type);
  if (shader === null) throw new Error('PointCloudRenderer: could not create a shader (is the WebGL context lost?)');
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    const log = gl.getShaderInfoLog(shader);
    gl.deleteShader(shader);
    throw new Error(`PointCloudRenderer: shader compilation failed: ${log}`);
  }
  return shader;
}

function createLayer(gl: WebGL2RenderingContext): Layer {
  const vao = gl.createVertexArray();
  const positions = gl.createBuffer();
  const colors = gl.createBuffer();
  if (vao === null || positions === null || colors === null) throw new Error('PointCloudRenderer: could not create GPU buffers (is the WebGL context lost?)');
  gl.bindVertexArray(vao);
  gl.bindBuffer(gl.ARRAY_BUFFER, positions);
  gl.enableVertexAttribArray(POSITION);
  gl.vertexAttribPointer(POSITION, 3, gl.FLOAT, false, 0, 0);
  gl.bindBuffer(gl.ARRAY_BUFFER, colors);
  gl.vertexAttribPointer(COLOR, 3, gl.UNSIGNED_BYTE, true, 0, 0);
  gl.bindVertexArray(null);
  gl.bindBuffer(gl.ARRAY_BUFFER, null);
  return { vao, positions, colors, count: 0, hasColors: false };
}

function createGlState(gl: WebGL2RenderingContext): GlState {
  const vs = compile(gl, gl.VERTEX_SHADER, VERTEX_SHADER);
  const fs = compile(gl, gl.FRAGMENT_SHADER, FRAGMENT_SHADER);
  const program = gl.createProgram();
  if (program === null) throw new Error('PointCloudRenderer: could not create a program (is the WebGL context lost?)');
  gl.attachShader(program, vs);
  gl.attachShader(program, fs);
  gl.linkProgram(program);
  // The program keeps what it needs; the shaders can go now.
  gl.detachShader(program, vs);
  gl.detachShader(program, fs);
  gl.deleteShader(vs);
  gl.deleteShader(fs);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
    const log = gl.getProgramInfoLog(program);
    gl.deleteProgram(program);
    throw new Error(`PointCloudRenderer: program link failed: ${log}`);
  }
  const range = gl.getParameter(gl.ALIASED_POINT_SIZE_RANGE) as Float32Array | null;
  return {
    gl,
    program,
    uView: gl.getUniformLocation(program, 'uView'),
    uProjection: gl.getUniformLocation(program, 'uProjection'),
    uPointSize: gl.getUniformLocation(program, 'uPointSize'),
    points: createLayer(gl),
    frustums: createLayer(gl),
    tracks: createLayer(gl),
    maxPointSize: range?.[1] ?? 1,
  };
}

/** Replaces a layer's vertices (copies to the GPU); `colors` null = one constant colour. */
function upload(gl: WebGL2RenderingContext, layer: Layer, positions: Float32Array, colors: Uint8Array | Uint8ClampedArray | null): void {
  gl.bindVertexArray(layer.vao);
  gl.bindBuffer(gl.ARRAY_BUFFER, layer.positions);
  gl.bufferData(gl.ARRAY_BUFFER, positions, gl.STATIC_DRAW);
  gl.bindBuffer(gl.ARRAY_BUFFER, layer.colors);
  if (colors === null) {
    gl.bufferData(gl.ARRAY_BUFFER, 0, gl.STATIC_DRAW);
    gl.disableVertexAttribArray(COLOR);
  } else {
    gl.bufferData(gl.ARRAY_BUFFER, colors, gl.STATIC_DRAW);
    gl.enableVertexAttribArray(COLOR);
  }
  gl.bindVertexArray(null);
  gl.bindBuffer(gl.ARRAY_BUFFER, null);
  layer.count = positions.length / 3;
  layer.hasColors = colors !== null;
}

/** Draws a layer; without per-vertex colours it uses the constant (r, g, b). */
function draw(gl: WebGL2RenderingContext, layer: Layer, mode: number, r: number, g: number, b: number): void {
  if (layer.count === 0) return;
  if (!layer.hasColors) gl.vertexAttrib4f(COLOR, r, g, b, 1);
  gl.bindVertexArray(layer.vao);
  gl.drawArrays(mode, 0, layer.count);
}

