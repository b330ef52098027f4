/**
 * Serves the built site (`.vitepress/dist`) on http://127.0.0.1:4173 with the cross-origin
 * isolation headers the demo's wasm threads need, and the site's 404 page for unknown URLs
 * (`pnpm docs:preview`). PORT overrides the port.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveSite } from './site-server.mjs';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.vitepress/dist');
const server = await serveSite(dist, { port: Number(process.env.PORT ?? 4173) });
console.log(`d4rt-js docs at ${server.url}/ (demo: ${server.url}/demo); Ctrl-C to stop`);
