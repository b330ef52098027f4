// A stand-in worker for the runner's test: each case id's index says how the case ends.
process.on('message', (m) => {
  if (m.type === 'init') process.send({ type: 'ready' });
  else if (m.type === 'exit') process.exit(0);
  else if (m.type === 'run') {
    const n = Number(m.id.split(':')[1]);
    const done = (outcome, partial = []) => process.send({ type: 'done', id: m.id, outcome, partial, detail: `case ${n}`, ms: 1 });
    process.send({ type: 'note', id: m.id, text: `case ${n}` });
    if (n === 0) done({ kind: 'result' });
    else if (n === 1) done({ kind: 'named', name: 'InvalidQueryError' });
    else if (n === 2) done({ kind: 'unnamed', name: 'TypeError', message: 'x is not a function' });
    else if (n === 3) done({ kind: 'result' }, ['out/', 'out/.d4rt-tmp-1']);
    else if (n === 4) process.exit(9); // dies in the case
    else if (n === 5) setTimeout(() => { throw new Error('uncaught'); }); // crashes without reporting
    else if (n === 6) done({ kind: 'crash', message: 'the CLI was killed by SIGSEGV' });
    // else: never answers (a hang)
  }
});
process.on('disconnect', () => process.exit(0));
