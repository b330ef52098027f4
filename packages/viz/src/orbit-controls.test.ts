import { describe, expect, it, vi } from 'vitest';
import { OrbitCamera } from './orbit-camera.js';
import { attachOrbitControls, type OrbitControlsElement } from './orbit-controls.js';

/** An EventTarget with what the controls touch (Node has no DOM elements or PointerEvent). */
class FakeElement extends EventTarget {
  clientHeight = 200;
  style = { touchAction: 'auto' };
  captured: number[] = [];
  setPointerCapture(id: number): void {
    this.captured.push(id);
  }
  releasePointerCapture(id: number): void {
    this.captured = this.captured.filter((c) => c !== id);
  }
}

function fire(el: EventTarget, type: string, props: Record<string, unknown> = {}): Event {
  const event = Object.assign(new Event(type, { cancelable: true }), { pointerId: 1, button: 0, shiftKey: false, clientX: 0, clientY: 0, deltaY: 0, deltaMode: 0, ...props });
  el.dispatchEvent(event);
  return event;
}

describe('attachOrbitControls', () => {
  it('drag rotates, shift-drag and right-drag pan, wheel zooms; each change calls onChange', () => {
    const el = new FakeElement();
    const camera = new OrbitCamera({ target: [0, 0, 5], distance: 5 });
    const onChange = vi.fn();
    const detach = attachOrbitControls(el as unknown as OrbitControlsElement, { camera, onChange, rotateSpeed: 0.01 });
    expect(el.style.touchAction).toBe('none');

    fire(el, 'pointerdown', { clientX: 10, clientY: 10 });
    expect(el.captured).toEqual([1]);
    fire(el, 'pointermove', { clientX: 30, clientY: 15 });
    expect(camera.yaw).toBeCloseTo(0.2);
    expect(camera.pitch).toBeCloseTo(0.05);
    fire(el, 'pointermove', { pointerId: 2, clientX: 90, clientY: 90 }); // another pointer: ignored
    expect(camera.yaw).toBeCloseTo(0.2);
    fire(el, 'pointerup');
    expect(el.captured).toEqual([]);
    expect(onChange).toHaveBeenCalledTimes(1);

    camera.yaw = 0;
    camera.pitch = 0;
    fire(el, 'pointerdown', { clientX: 0, clientY: 0, shiftKey: true });
    fire(el, 'pointermove', { clientX: 20, clientY: 0 });
    fire(el, 'pointerup');
    // dragging right moves the scene right: the target moves left by 20 / 200 of the view height
    const h = 2 * 5 * Math.tan(camera.fov / 2);
    expect(camera.target[0]).toBeCloseTo(-0.1 * h);
    fire(el, 'pointerdown', { button: 2 });
    fire(el, 'pointermove', { clientX: 0, clientY: 20 });
    fire(el, 'pointerup');
    expect(camera.target[1]).toBeCloseTo(-0.1 * h);
    expect(camera.yaw).toBe(0);

    const wheel = fire(el, 'wheel', { deltaY: 100 });
    expect(wheel.defaultPrevented).toBe(true);
    expect(camera.distance).toBeCloseTo(5 * Math.exp(0.15));
    fire(el, 'wheel', { deltaY: -1, deltaMode: 1 }); // lines count as 16 pixels
    expect(camera.distance).toBeCloseTo(5 * Math.exp(0.15 - 0.024));
    expect(fire(el, 'contextmenu').defaultPrevented).toBe(true);
    expect(onChange).toHaveBeenCalledTimes(5);

    detach();
    detach(); // harmless
    expect(el.style.touchAction).toBe('auto');
    fire(el, 'pointerdown');
    fire(el, 'pointermove', { clientX: 50 });
    fire(el, 'wheel', { deltaY: 100 });
    expect(onChange).toHaveBeenCalledTimes(5);
    expect(fire(el, 'contextmenu').defaultPrevented).toBe(false);
  });

  it('re-renders a renderer, and stops once it is disposed', () => {
    const el = new FakeElement();
    const renderer = { camera: new OrbitCamera(), render: vi.fn(), disposed: false };
    attachOrbitControls(el as unknown as OrbitControlsElement, { renderer });
    fire(el, 'wheel', { deltaY: 10 });
    expect(renderer.render).toHaveBeenCalledTimes(1);
    renderer.disposed = true;
    fire(el, 'wheel', { deltaY: 10 });
    expect(renderer.render).toHaveBeenCalledTimes(1);
  });

  it('throws TypeError without a camera or an element', () => {
    const el = new FakeElement() as unknown as OrbitControlsElement;
    expect(() => attachOrbitControls(el, {})).toThrow(new TypeError('attachOrbitControls: options.renderer.camera or options.camera (undefined) must be an OrbitCamera'));
    expect(() => attachOrbitControls(null as unknown as OrbitControlsElement, { camera: new OrbitCamera() })).toThrow(TypeError);
    expect(() => attachOrbitControls(el, { camera: new OrbitCamera(), zoomSpeed: 0 })).toThrow(new RangeError('attachOrbitControls: options.zoomSpeed (0) must be > 0'));
  });
});
