// The native session on its own, without the CLI around it: its lifetime, and the errors of a
// session started on a process that is gone. (The error on a refused spec, before anything is
// loaded: test/unit/addon-errors.test.js.)
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const addonPath = path.join(__dirname, '..', '..', 'build', 'Release', 'bpftrace_ts.node');

test('a running session survives JavaScript dropping every reference to it (no deadlock at GC)', () => {
  const script = `
    const addon = require(${JSON.stringify(addonPath)});
    (function () {
      const session = new addon.TraceSession({ all: false, followChildren: true, ringBytes: 1 << 20, verbose: false,
        command: { path: '/bin/sleep', argv: ['sleep', '0.3'], env: [] } });
      session.start(() => {}, (end) => process.stdout.write('end ' + end.reason + ' ' + end.exitCode));
    })();
    for (let i = 0; i < 20; i++) setTimeout(() => globalThis.gc(), i * 25);`;
  const run = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 20000 });
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout.trim(), 'end command-exited 0');
});

test('errors carry their kind (enum NativeErrorKind of proto/batch.proto); a process that cannot be traced, its pid', () => {
  const { loadAddon } = require('../../dist/session/native-addon');
  const { NativeErrorKind } = require('../../dist/generated/batch').bpftrace_ts;
  const addon = loadAddon();
  const spec = { all: false, followChildren: true, ringBytes: 1 << 20, verbose: false };
  try {
    new addon.TraceSession({ ...spec, attachMode: 'nonsense' });
    assert.unreachable('an unknown attach mode is refused');
  } catch (error) {
    assert.is(error.kind, NativeErrorKind.ERROR_OTHER);
    assert.is(error.pid, undefined);
  }
  const gone = spawnSync('/bin/true').pid; // exited and reaped: no such process
  for (const Session of [addon.PtraceSession, addon.TraceSession]) {
    try {
      new Session({ ...spec, pids: [gone] }).start(() => {}, () => {});
      assert.unreachable(`${Session.name}: a process that is gone is refused`);
    } catch (error) {
      assert.is(error.kind, NativeErrorKind.ERROR_PROCESS, Session.name);
      assert.is(error.pid, gone, Session.name);
      assert.is(error.code, 'ESRCH', Session.name);
      assert.is(error.errnoMessage, 'No such process', Session.name);
      assert.is(error.message, `process ${gone}: No such process`, Session.name);
    }
  }
});

test.run();
