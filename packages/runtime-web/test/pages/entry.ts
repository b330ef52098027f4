// Test page entry: puts the package's API on `window.d4rt` for the browser tests to drive.
import * as d4rt from '../../src/index.js';

(window as unknown as { d4rt: typeof d4rt }).d4rt = d4rt;
document.title = 'ready';
