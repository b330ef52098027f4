/** Types of site-server.mjs (the docs site's static server). */
export declare const ISOLATION_HEADERS: Readonly<Record<string, string>>;
export declare function serveSite(root: string, options?: { port?: number; host?: string }): Promise<{ url: string; close(): Promise<void> }>;
