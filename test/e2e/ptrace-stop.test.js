// Ctrl-C during a --ptrace -e trace of a launched command: under the seccomp filter the
// command cannot be let go (its selected calls would fail without a tracer), so it is
// killed, and stderr says so and names the flag that avoids it; with --no-seccomp-bpf it
// runs on.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const { runTracer, waitFor } = require('../helpers');

/** Traces `sleep 30` with args until its sleep is shown, then sends SIGINT to the tracer. */
async function interruptedSleep(args) {
  let shown = '';
  let tracer;
  const run = runTracer(['--ptrace', '-e', 'clock_nanosleep', ...args, '--', 'sleep', '30'], {
    started: (child) => {
      tracer = child;
      child.stdout.on('data', (d) => (shown += d));
    },
  });
  await waitFor(() => shown.includes('clock_nanosleep('), 'the sleep to be shown');
  tracer.kill('SIGINT');
  return run;
}

const sleepPid = (stdout) => Number(/sleep\/(\d+) clock_nanosleep/.exec(stdout)[1]);

test('under the seccomp filter: the command is killed, and stderr says which and why', async () => {
  const run = await interruptedSleep([]);
  const pid = sleepPid(run.stdout);
  assert.not.ok(fs.existsSync(`/proc/${pid}`), 'killed');
  const line = run.stderr.split('\n').find((l) => l.startsWith('bpftrace-ts: killed '));
  assert.ok(line, run.stderr);
  assert.ok(line.startsWith(`bpftrace-ts: killed ${pid} when the trace stopped: under the -e seccomp filter`), line);
  assert.match(line, /--no-seccomp-bpf/);
});

test('--no-seccomp-bpf: the command runs on after the trace stops', async () => {
  const run = await interruptedSleep(['--no-seccomp-bpf']);
  assert.is(run.status, 0, run.stderr);
  const pid = sleepPid(run.stdout);
  try {
    assert.ok(fs.existsSync(`/proc/${pid}`), 'still running');
    assert.not.match(run.stderr, /killed/);
  } finally {
    try { process.kill(pid, 'SIGKILL'); } catch {}
  }
});

test.run();
