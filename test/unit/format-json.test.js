// JSON lines of calls: each object says what its own call was, though the formatter reuses
// the texts of a syscall's last call while its thread, arguments or result repeat.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { JsonFormatter } = require('../../dist/render/format-json');
const { syscallByName } = require('../../dist/syscalls/syscall-table');
const { bpftrace_ts } = require('../../dist/generated/batch');

const { CaptureKind, CaptureFlag } = bpftrace_ts;
const WRITE = syscallByName('write').nr;
const OPENAT = syscallByName('openat').nr;

function call(fields) {
  return {
    state: 'returned', tsNs: 1000, durNs: 10, pid: 50, tid: 50, comm: 'app', nr: WRITE, args: [1, 4096, 3, 0, 0, 0], ret: 3,
    announced: false, captures: null, tampered: 0, ...fields,
  };
}

const formatter = () => new JsonFormatter({ stringLimit: 32, hex: 'none', absoluteTime: 0, relativeTime: false, epochNsAtStart: () => 0 });

test('calls of one syscall in a row: each object has its own thread, arguments, data, result and tampering', () => {
  const json = formatter();
  const data = (text) => [{ arg: 1, kind: CaptureKind.CAPTURE_BYTES, flags: 0, data: Buffer.from(text) }];
  const calls = [
    call({ captures: data('abc') }),
    call({ tsNs: 2000, captures: data('a"\\') }), // the same thread, arguments and result
    call({ tsNs: 3000, tid: 51, comm: 'worker', args: [2, 4096, 3, 0, 0, 0], ret: -9 }),
    call({ tsNs: 4000, tid: 51, comm: 'worker', args: [2, 8192, 3, 0, 0, 0], ret: -9, tampered: 1 }),
    call({ tsNs: 5000, pid: 60, tid: 51, comm: 'worker', args: [2, 8192, 3, 0, 0, 0], ret: 3 }),
    call({ tsNs: 6000, state: 'unfinished', durNs: null, ret: null }),
    call({ tsNs: 7000, args: null }),
  ];
  const objects = calls.map((c) => JSON.parse(json.format(c)));
  assert.equal(objects.map((o) => [o.ts_ns, o.pid, o.tid, o.comm, o.syscall]),
    [[1000, 50, 50, 'app', 'write'], [2000, 50, 50, 'app', 'write'], [3000, 50, 51, 'worker', 'write'], [4000, 50, 51, 'worker', 'write'],
      [5000, 60, 51, 'worker', 'write'], [6000, 50, 50, 'app', 'write'], [7000, 50, 50, 'app', 'write']]);
  assert.equal(objects.map((o) => o.args), [
    { fd: 1, buf: '0x1000', count: 3 }, { fd: 1, buf: '0x1000', count: 3 }, { fd: 2, buf: '0x1000', count: 3 },
    { fd: 2, buf: '0x2000', count: 3 }, { fd: 2, buf: '0x2000', count: 3 }, { fd: 1, buf: '0x1000', count: 3 }, null]);
  assert.equal(objects.map((o) => o.data), [{ buf: '"abc"' }, { buf: '"a\\"\\\\"' }, undefined, undefined, undefined, undefined, undefined]);
  assert.equal(objects.map((o) => [o.dur_ns, o.ret, o.errno, o.injected]), [
    [10, 3, null, undefined], [10, 3, null, undefined], [10, -9, 'EBADF', undefined], [10, -9, 'EBADF', true],
    [10, 3, null, undefined], [null, null, null, undefined], [10, 3, null, undefined]]);
});

test('data of several arguments, and of one whose copy failed', () => {
  const json = formatter();
  const path = { arg: 1, kind: CaptureKind.CAPTURE_STRING, flags: 0, data: Buffer.from('/etc/hosts') };
  const failed = { arg: 1, kind: CaptureKind.CAPTURE_STRING, flags: CaptureFlag.CAPTURE_FAULT, data: Buffer.alloc(0) };
  const opened = JSON.parse(json.format(call({ nr: OPENAT, args: [-100, 4096, 0, 0, 0, 0], captures: [path] })));
  assert.equal(opened.data, { filename: '"/etc/hosts"' });
  const faulted = JSON.parse(json.format(call({ nr: OPENAT, args: [-100, 4096, 0, 0, 0, 0], captures: [failed], ret: -14 })));
  assert.is(faulted.data, undefined);
  assert.is(faulted.errno, 'EFAULT');
});

test.run();
