// --color: failed calls, slow calls and signals stand out on a terminal, as strace 7 colours
// them; never in a file or a pipe unless asked, never with NO_COLOR.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { TRACER, fixture, tempDir, runTracer, waitFor, debianProgram } = require('../helpers');

const dir = tempDir();
const ESC = '\x1b[';
const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const MAGENTA = '\x1b[35m';

test('--color always: a failed call red, a slow one yellow, the others plain', async () => {
  const run = await runTracer(['--color', 'always', '-e', 'openat,clock_nanosleep', '--', 'sh', '-c', 'cat /nonexistent-bpftrace-ts; sleep 0.02']);
  const lines = run.stdout.split('\n');
  const failed = lines.find((l) => l.includes('/nonexistent-bpftrace-ts'));
  assert.ok(failed.startsWith(RED) && failed.endsWith('\x1b[0m'), JSON.stringify(failed));
  const slow = lines.find((l) => /clock_nanosleep\(/.test(l) && / = 0/.test(l));
  assert.ok(slow.startsWith(YELLOW), JSON.stringify(slow));
  const plain = lines.find((l) => /openat\(.* = \d+$/.test(l));
  assert.ok(plain && !plain.includes(ESC), JSON.stringify(plain));
});

test('--color always: a signal stands out (ptrace, perf format)', async () => {
  const run = await runTracer(['--ptrace', '--color', 'always', '--', fixture('signal_self')]);
  const signal = run.stdout.split('\n').find((l) => l.includes('--- SIGUSR1'));
  assert.ok(signal && signal.startsWith(MAGENTA), run.stdout);
});

test('by default, to a pipe or a file: no colour', async () => {
  const run = await runTracer(['-e', 'openat', '--', 'cat', '/nonexistent-bpftrace-ts']);
  assert.ok(run.stdout.includes('ENOENT'));
  assert.not.ok(run.stdout.includes(ESC), 'a pipe');
  const file = path.join(dir, 'trace.txt');
  await runTracer(['--color', 'auto', '-o', file, '-e', 'openat', '--', 'cat', '/nonexistent-bpftrace-ts']);
  assert.not.ok(fs.readFileSync(file, 'utf8').includes(ESC), 'a file');
});

test('by default on a terminal (tmux): coloured, unless NO_COLOR is set', async () => {
  const tmux = (...args) => execFileSync(debianProgram('tmux', 'tmux'), ['-L', `bpftrace-ts-color-${process.pid}`, ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const shown = async (env, name) => {
    const log = path.join(dir, `${name}.log`);
    const done = path.join(dir, `${name}.done`);
    // The trace starts once the pane's output is piped to the log: at the Enter sent after.
    tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '50',
      `read go; ${env} ${TRACER} -e openat -- cat /nonexistent-bpftrace-ts; touch ${done}; sleep 60`);
    tmux('pipe-pane', '-t', name, '-o', `cat >> ${log}`);
    tmux('send-keys', '-t', name, 'Enter');
    try {
      await waitFor(() => fs.existsSync(done), 'the trace to end');
      await waitFor(() => fs.existsSync(log) && fs.readFileSync(log, 'latin1').includes('ENOENT'), 'the pane to show it');
      return fs.readFileSync(log, 'latin1');
    } finally {
      tmux('kill-session', '-t', name);
    }
  };
  try {
    assert.ok((await shown('', 'auto')).includes(`${RED}`), 'coloured on a terminal');
    assert.not.ok((await shown('NO_COLOR=1', 'nocolor')).includes(`${RED}`), 'NO_COLOR');
  } finally {
    try { tmux('kill-server'); } catch {}
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
