import { describe, expect, it } from 'vitest';
import { checkCallOptions } from './progress.js';

describe('checkCallOptions', () => {
  // found by pnpm -s fuzz: an onProgress that is not a function failed later as the engine's
  // "onProgress is not a function", options null as "Cannot destructure", a junk signal was ignored
  it('names options that are not an object, an onProgress that is not a function, a signal that is not one', () => {
    expect(() => checkCallOptions('Scene.query', undefined)).not.toThrow();
    expect(() => checkCallOptions('Scene.query', {})).not.toThrow();
    expect(() => checkCallOptions('Scene.query', { onProgress: () => undefined, signal: new AbortController().signal })).not.toThrow();
    expect(() => checkCallOptions('Scene.query', { signal: { aborted: false } })).not.toThrow();
    expect(() => checkCallOptions('Scene.query', null)).toThrow(new TypeError('Scene.query: options (null) must be an object'));
    expect(() => checkCallOptions('Scene.query', 5)).toThrow(new TypeError('Scene.query: options (5) must be an object'));
    expect(() => checkCallOptions('Scene.depth', { onProgress: true })).toThrow(
      new TypeError('Scene.depth: options.onProgress (true) must be a function ({ stage, done, total }) => void'),
    );
    expect(() => checkCallOptions('D4rtModel.encode', { signal: {} })).toThrow(new TypeError('D4rtModel.encode: options.signal (Object) must be an AbortSignal'));
    expect(() => checkCallOptions('D4rtModel.encode', { signal: 'stop' })).toThrow(new TypeError('D4rtModel.encode: options.signal ("stop") must be an AbortSignal'));
  });
});
