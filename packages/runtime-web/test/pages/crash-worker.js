// The test build's worker (worker.js) with a way to crash it: see crash-hook.js.
import './crash-hook.js';
import './worker.js';
