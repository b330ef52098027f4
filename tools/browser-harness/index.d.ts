import type { BrowserContext, Page } from 'playwright-core';

/** Headers that make a page cross-origin isolated (SharedArrayBuffer, wasm threads). */
export declare const ISOLATION_HEADERS: Readonly<Record<string, string>>;
/** Where Debian installs Chromium (`D4RT_CHROMIUM` overrides). */
export declare const CHROMIUM_PATH: string;
/** The flags d4rt-js runs headless Chromium with. */
export declare const CHROMIUM_ARGS: readonly string[];
/** Whether the Chromium executable exists. */
export declare function hasChromium(): boolean;
export interface ServeOptions {
  /** URL prefix -> folder, e.g. `{ '/models/': '.../d4rt-tiny/' }`. */
  mounts?: Record<string, string>;
  /** Send COOP/COEP/CORP (default true). */
  isolate?: boolean;
  port?: number;
}
/** Serves `root` on 127.0.0.1 (random port) with isolation headers. */
export declare function serveStatic(root: string, options?: ServeOptions): Promise<{ url: string; close(): Promise<void> }>;
export interface LaunchOptions {
  /** Adds `--enable-unsafe-webgpu` (software adapter). */
  webgpu?: boolean;
  args?: string[];
  viewport?: { width: number; height: number };
}
/** Launches Debian Chromium headless with a fresh profile. */
export declare function launchChromium(options?: LaunchOptions): Promise<{ context: BrowserContext; close(): Promise<void> }>;
/** Collects console messages and page errors. */
export declare function recordConsole(page: Page): string[];
