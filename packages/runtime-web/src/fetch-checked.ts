/**
 * `fetch` with the SDK's error messages: a network failure or an HTTP error becomes the caller's
 * error type with a message naming what was fetched; an abort rethrows the signal's reason.
 *
 * @module
 * @internal
 */

/** Options of {@link fetchChecked}. */
export interface FetchCheckedOptions {
  /** The `fetch` to use (default `globalThis.fetch`). */
  fetch?: typeof fetch | undefined;
  /** Request settings (the signal goes in `signal`). */
  init?: RequestInit;
  signal?: AbortSignal | undefined;
  /** Appended to the HTTP-error message, e.g. `'; is the model folder served at that URL?'`. */
  httpHint?: string;
}

/**
 * Fetches `url`; resolves to an OK response.
 * @param subject - how messages start, e.g. `"loadModel: manifest 'https://…/manifest.json'"`
 * @param fail - makes the error to throw from a message (and, for a network error, its cause)
 * @throws `fail(...)` for a network error (`"<subject> could not be downloaded (…)"`) or an HTTP
 *   status outside 200-299 (`"<subject> answered HTTP 404 Not Found<hint>"`); the signal's reason on abort
 */
export async function fetchChecked(url: string, subject: string, fail: (message: string, options?: { cause: unknown }) => Error, options: FetchCheckedOptions = {}): Promise<Response> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const { signal } = options;
  let res: Response;
  try {
    res = await doFetch(url, { ...options.init, ...(signal !== undefined && { signal }) });
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    throw fail(`${subject} could not be downloaded (${(error as Error).message})`, { cause: error });
  }
  if (!res.ok) throw fail(`${subject} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${options.httpHint ?? ''}`);
  return res;
}
