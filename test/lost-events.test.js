// Nothing is lost silently: under a storm into a small ring buffer, seen + lost == made.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { fixture, runTracer, summary } = require('./helpers');

test('a 1 MiB buffer under a storm of a known number of calls: lost > 0 and seen + lost == expected', async () => {
  // One storm per core, so the consumer competes with the producers for CPU.
  const perStorm = 2_000_000;
  const run = await runTracer(['--buffer-size', '1', '-e', 'getppid', '--format', 'json', '-o', '/dev/null', '--',
    fixture('storm'), String(perStorm), '2']);
  assert.is(run.status, 0, run.stderr);
  const { events, lost } = summary(run.stderr);
  assert.ok(lost > 0, `the storm overflows 1 MiB: ${run.stderr}`);
  assert.is(events + lost, 2 * 2 * perStorm, 'every enter and exit is either seen or counted as lost');
});

test('the default buffer keeps up with a moderate storm: nothing lost', async () => {
  const calls = 100_000;
  const run = await runTracer(['-e', 'getppid', '--format', 'json', '-o', '/dev/null', '--', fixture('storm'), String(calls)]);
  assert.is(run.status, 0, run.stderr);
  assert.equal(summary(run.stderr), { events: 2 * calls, lost: 0, attachMode: 'tp_btf' });
});

test.run();
