// Nothing is lost silently: under a storm into a small ring buffer, seen + lost == made,
// for several buffer sizes.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, summary, waitFor } = require('../helpers');

const dir = tempDir();

test('a 1 MiB buffer under a storm of a known number of calls: lost > 0 and seen + lost == expected', async () => {
  // One storm per core, so the consumer competes with the producers for CPU.
  const perStorm = 2_000_000;
  const run = await runTracer(['--buffer-size', '1', '-e', 'getppid', '--format', 'json', '-o', '/dev/null', '--',
    fixture('storm'), String(perStorm), '2']);
  assert.is(run.status, 0, run.stderr);
  const { events, lost } = summary(run.stderr);
  assert.ok(lost > 0, `the storm overflows 1 MiB: ${run.stderr}`);
  assert.is(events + lost, 2 * 2 * perStorm, 'every enter and exit is either seen or counted as lost');
  assert.match(run.stderr, /\nbpftrace-ts: events were lost: .* a larger --buffer-size .*, --nice 0 /, 'what keeps more');
});

// The consumer is stopped (SIGSTOP on the tracer) for exactly the storm, so the ring must
// overflow: each storm makes more events than the buffer holds (an enter record takes
// 96 bytes of ring, an exit 40, plus 8 of header each). Loss is certain, not a race.
for (const [mib, format] of [[1, 'json'], [2, 'perf'], [8, 'strace']]) {
  test(`a ${mib} MiB buffer whose consumer is stopped during a storm: lost > 0 and seen + lost == made, marked in the ${format} trace where it was seen`, async () => {
    const perStorm = 100_000 * mib; // 2 x 2 x perStorm events x >= 48 bytes = 19 x the buffer
    const gate = path.join(dir, `gate-${mib}`);
    execFileSync('mkfifo', [gate]);
    let tracer;
    let stdout = '';
    let stderr = '';
    const out = path.join(dir, `stopped-${mib}.${format}`);
    const running = runTracer(['-v', '--buffer-size', String(mib), '-e', 'getppid', '--format', format, '-o', out, '--',
      fixture('storm'), String(perStorm), '2', gate], {
      started: (child) => {
        tracer = child;
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
      },
    });
    await waitFor(() => stderr.includes('attached with'), 'the tracer to attach');
    process.kill(tracer.pid, 'SIGSTOP');
    try {
      fs.writeFileSync(gate, 'go'); // blocks until the storm opens its end
      await waitFor(() => stdout.includes('stormed'), 'the storm to finish', 60000);
    } finally {
      process.kill(tracer.pid, 'SIGCONT');
    }
    const run = await running;
    assert.is(run.status, 0, run.stderr);
    const { events, lost } = summary(run.stderr);
    assert.ok(lost > 0, `a stopped consumer under ${mib} MiB loses events: ${run.stderr}`);
    assert.ok(events > 0, `what the ring held is seen: ${run.stderr}`);
    assert.is(events + lost, 2 * 2 * perStorm, 'every enter and exit is either seen or counted as lost');
    // In the stream, where the drain thread found them missing: perf trace's words, and in
    // JSON a record of its own. The markers add up to the total.
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    const marked = format === 'json'
      ? lines.filter(Boolean).map((l) => JSON.parse(l)).filter((o) => o.event === 'lost').map((o) => o.lost)
      : lines.map((l) => /^(?:\+\+\+ )?LOST (\d+) events!(?: \+\+\+)?$/.exec(l)?.[1]).filter(Boolean).map(Number);
    assert.ok(marked.length >= 1, 'a marker in the trace');
    assert.is(marked.reduce((a, b) => a + b, 0), lost, `the markers count every lost event: ${marked}`);
    const firstMarker = lines.findIndex((l) => /LOST|"event":"lost"/.test(l));
    assert.ok(firstMarker > 0 && firstMarker < lines.length - 2, 'inside the trace, not only at its end');
  });
}

test('the default buffer keeps up with a moderate storm: nothing lost', async () => {
  const calls = 100_000;
  const run = await runTracer(['-e', 'getppid', '--format', 'json', '-o', '/dev/null', '--', fixture('storm'), String(calls)]);
  assert.is(run.status, 0, run.stderr);
  assert.equal(summary(run.stderr), { events: 2 * calls, lost: 0, attachMode: 'tp_btf' });
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
