/**
 * Mouse / pen / touch controls for an {@link OrbitCamera}: drag to orbit, shift-drag or
 * right-drag (or middle-drag) to pan, wheel to zoom. Pointer events only, so one finger orbits on
 * touch screens (no pinch gesture).
 *
 * @packageDocumentation
 */

import { OrbitCamera } from './orbit-camera.js';
import { assertNumber, assertObject, describe } from './validate.js';

/** Anything with an orbit camera that can redraw itself, e.g. a {@link PointCloudRenderer}. */
export interface OrbitControlsRenderer {
  readonly camera: OrbitCamera;
  render(): void;
  /** When true, the controls stop redrawing (a disposed renderer). */
  readonly disposed?: boolean;
}

/** Options of {@link attachOrbitControls}: a `renderer`, or a `camera` with `onChange`. */
export interface OrbitControlsOptions {
  /** Its camera is moved and it is re-rendered (once per animation frame) after each change. */
  renderer?: OrbitControlsRenderer;
  /** The camera to move, when there is no `renderer`. */
  camera?: OrbitCamera;
  /** Called after each change (after the renderer's render, once per animation frame). */
  onChange?: () => void;
  /** Radians of orbit per dragged pixel (> 0); default 0.005. */
  rotateSpeed?: number;
  /** Zoom per wheel pixel: `distance *= exp(deltaY * zoomSpeed)` (> 0); default 0.0015. */
  zoomSpeed?: number;
}

/** The element the controls listen on (an `HTMLElement` such as the canvas). */
export type OrbitControlsElement = Pick<HTMLElement, 'addEventListener' | 'removeEventListener' | 'clientHeight'> & {
  setPointerCapture?(pointerId: number): void;
  releasePointerCapture?(pointerId: number): void;
  style?: { touchAction: string };
};

/**
 * Wires pointer and wheel events of `element` to an orbit camera.
 *
 * - Drag with the primary button (or one finger): `camera.rotate(dx * rotateSpeed, dy * rotateSpeed)`
 *   (drag right: the scene turns right; drag down: the eye rises).
 * - Drag with shift held, or with the right or middle button: pan, the scene follows the pointer.
 * - Wheel: zoom, `distance *= exp(deltaY * zoomSpeed)` (line and page deltas count as 16 pixels
 *   and as the element's height).
 *
 * Sets `element.style.touchAction = 'none'` (restored by `detach`) and suppresses the context
 * menu while attached, so right-drag pans.
 *
 * @param element - the element to listen on (usually the canvas)
 * @param options - `{ renderer }` or `{ camera, onChange }`, speeds
 * @returns `detach()`: removes every listener and cancels a pending redraw; calling it again does nothing
 * @throws TypeError when `element` cannot take event listeners, or neither a renderer nor a camera
 *   is given; RangeError for speeds that are not > 0
 */
export function attachOrbitControls(element: OrbitControlsElement, options: OrbitControlsOptions): () => void {
  const fn = 'attachOrbitControls';
  if (typeof element !== 'object' || element === null || typeof element.addEventListener !== 'function') {
    throw new TypeError(`${fn}: element (${describe(element)}) must be an HTMLElement (an event target)`);
  }
  const opts: unknown = options;
  assertObject(fn, 'options', opts);
  const { renderer, onChange, rotateSpeed = 0.005, zoomSpeed = 0.0015 } = options;
  const camera = renderer?.camera ?? options.camera;
  if (!(camera instanceof OrbitCamera)) {
    throw new TypeError(`${fn}: options.renderer.camera or options.camera (${describe(camera)}) must be an OrbitCamera`);
  }
  if (onChange !== undefined && typeof onChange !== 'function') throw new TypeError(`${fn}: options.onChange (${describe(onChange)}) must be a function`);
  assertNumber(fn, 'options.rotateSpeed', rotateSpeed, { min: 0, exclusiveMin: true });
  assertNumber(fn, 'options.zoomSpeed', zoomSpeed, { min: 0, exclusiveMin: true });

  const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : null;
  let pending: number | null = null;
  const flush = (): void => {
    pending = null;
    if (renderer !== undefined && renderer.disposed !== true) renderer.render();
    onChange?.();
  };
  const changed = (): void => {
    if (raf === null) flush();
    else if (pending === null) pending = raf(flush);
  };

  let drag: { id: number; x: number; y: number; pan: boolean } | null = null;
  const onDown = (e: PointerEvent): void => {
    if (drag !== null) return;
    drag = { id: e.pointerId, x: e.clientX, y: e.clientY, pan: e.shiftKey || e.button === 1 || e.button === 2 };
    element.setPointerCapture?.(e.pointerId);
    e.preventDefault();
  };
  const onMove = (e: PointerEvent): void => {
    if (drag === null || e.pointerId !== drag.id) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    drag.x = e.clientX;
    drag.y = e.clientY;
    if (dx === 0 && dy === 0) return;
    if (drag.pan) {
      const h = element.clientHeight || 1;
      camera.pan(-dx / h, -dy / h);
    } else {
      camera.rotate(dx * rotateSpeed, dy * rotateSpeed);
    }
    changed();
  };
  const onUp = (e: PointerEvent): void => {
    if (drag === null || e.pointerId !== drag.id) return;
    element.releasePointerCapture?.(e.pointerId);
    drag = null;
  };
  const onWheel = (e: WheelEvent): void => {
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? element.clientHeight || 800 : 1;
    const delta = e.deltaY * unit;
    if (!(delta !== 0 && Number.isFinite(delta))) return;
    camera.zoom(Math.exp(delta * zoomSpeed));
    changed();
  };
  const onContextMenu = (e: Event): void => e.preventDefault();

  const listeners: [string, (e: never) => void, AddEventListenerOptions?][] = [
    ['pointerdown', onDown],
    ['pointermove', onMove],
    ['pointerup', onUp],
    ['pointercancel', onUp],
    ['wheel', onWheel, { passive: false }],
    ['contextmenu', onContextMenu],
  ];
  for (const [type, listener, opts] of listeners) element.addEventListener(type, listener as EventListener, opts);
  const style = element.style;
  const touchAction = style?.touchAction;
  if (style !== undefined) style.touchAction = 'none';

  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    for (const [type, listener] of listeners) element.removeEventListener(type, listener as EventListener);
    if (style !== undefined && touchAction !== undefined) style.touchAction = touchAction;
    if (pending !== null && typeof cancelAnimationFrame === 'function') cancelAnimationFrame(pending);
    pending = null;
    drag = null;
  };
}
