// Imported before the worker entry by crash-worker.js, so this listener runs first: the message
// { op: 'test-crash' } throws an uncaught error in the worker, as a real worker does when something
// fails outside a request (e.g. onnxruntime running out of memory in a callback). The worker entry
// never sees that message.
self.addEventListener('message', (event) => {
  if (event.data?.op !== 'test-crash') return;
  event.stopImmediatePropagation();
  throw new RangeError(`test crash: ${event.data.message}`);
});
