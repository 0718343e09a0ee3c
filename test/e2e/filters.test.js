// What is shown: -e (names, !exclusions, classes, globs), --failure, --duration, --comm.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const path = require('node:path');
const fs = require('node:fs');
const { tempDir, runTracer, readJson } = require('../helpers');
const { SYSCALLS } = require('../../dist/generated/syscalls');

const dir = tempDir();
let n = 0;

async function traceJson(args, command = ['cat', '/etc/os-release', path.join(dir, 'missing')]) {
  const out = path.join(dir, `trace-${n++}.json`);
  const run = await runTracer(['--format', 'json', '-o', out, ...args, '--', ...command]);
  return { run, calls: readJson(out) };
}

test('-e names: only those syscalls', async () => {
  const { calls } = await traceJson(['-e', 'openat,close']);
  assert.ok(calls.length >= 4);
  assert.equal([...new Set(calls.map((c) => c.syscall))].sort(), ['close', 'openat']);
});

test('-e !name: everything but those', async () => {
  const { calls } = await traceJson(['-e', '!mmap,!mprotect,!close']);
  const names = new Set(calls.map((c) => c.syscall));
  for (const excluded of ['mmap', 'mprotect', 'close']) assert.not.ok(names.has(excluded), excluded);
  for (const kept of ['execve', 'openat', 'read', 'exit_group']) assert.ok(names.has(kept), kept);
});

test('-e %class: only members of the class', async () => {
  const { calls } = await traceJson(['-e', '%file']);
  const fileClass = new Set(SYSCALLS.filter((s) => s && s.classes.includes('%file')).map((s) => s.name));
  assert.ok(calls.some((c) => c.syscall === 'openat'));
  for (const call of calls) assert.ok(fileClass.has(call.syscall), `${call.syscall} is in %file`);
});

test('-e glob: matching names', async () => {
  const { calls } = await traceJson(['-e', 'open*,*stat*']);
  assert.ok(calls.length > 0);
  for (const call of calls) assert.match(call.syscall, /^open|stat/);
});

test('--failure: only failed calls', async () => {
  const { run, calls } = await traceJson(['--failure']);
  assert.is(run.status, 1, 'cat of a missing file fails');
  assert.ok(calls.some((c) => c.syscall === 'openat' && c.errno === 'ENOENT'));
  for (const call of calls) {
    assert.ok(call.errno !== null, `${call.syscall} failed`);
    assert.ok(call.ret < 0);
  }
});

test('--duration: only calls at least that long', async () => {
  const { calls } = await traceJson(['--duration', '50'], ['sleep', '0.2']);
  assert.is(calls.length, 1, JSON.stringify(calls));
  assert.is(calls[0].syscall, 'clock_nanosleep');
  assert.ok(calls[0].dur_ns >= 50e6);
});

test('--comm: only tasks of that name (in the kernel)', async () => {
  const { calls } = await traceJson(['--comm', 'cat'], ['sh', '-c', 'cat /etc/os-release >/dev/null; true']);
  assert.ok(calls.length > 0);
  for (const call of calls) assert.is(call.comm, 'cat');
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
