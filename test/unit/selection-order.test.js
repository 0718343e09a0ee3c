// One selection order for every path to the output (src/select/call-selection.ts): what a
// descriptor is does not depend on which filter left the call that made it out. A thread the
// output leaves out by --comm opens a socket (a file) its process's shown thread then reads:
// the read shows the socket (-yy) and is selected by -P as when -e leaves the opening call out.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { loadAddon } = require('../../dist/session/native-addon');
const { TraceOutput } = require('../../dist/pipeline/trace-output');
const { syscallByName } = require('../../dist/syscalls/syscall-table');
const { bpftrace_ts } = require('../../dist/generated/batch');

const ENTER = 0, EXIT = 1;
const AF_INET = 2, SOCK_STREAM = 1;
const NR = { socket: syscallByName('socket').nr, read: syscallByName('read').nr, openat: syscallByName('openat').nr };
const AT_FDCWD = -100;

/** The lines TraceOutput writes for one synthetic batch, as one text. */
function render(events, options) {
  return renderBytes(loadAddon().encodeBatch(events), options);
}

function renderBytes(bytes, options) {
  let text = '';
  const sink = { write: (line) => (text += line + '\n'), flush() {}, close() {} };
  const output = new TraceOutput(sink, {
    format: 'strace', stringLimit: 32, hex: 'none', absoluteTime: 0, relativeTime: false, callDuration: false,
    alwaysShowPid: false, pidColumn: false, stack: false, filePerTask: false, quiet: 0, color: false, minDurationNs: null,
    decodeFds: 'sockets', commOf: () => '?', epochNsAtStart: () => 0, live: false, fromPtrace: () => false, ...options,
  }, () => {});
  output.add(bytes);
  output.finish(null);
  return text.replace(/\) +=( |$)/gm, ') =$1');
}

// Process 10: its thread 11 ("worker") makes socket 3, its main thread ("main") reads from it.
const events = [
  { kind: ENTER, tsNs: 100, tid: 11, pid: 10, nr: NR.socket, comm: 'worker', args: [AF_INET, SOCK_STREAM, 0, 0, 0, 0] },
  { kind: EXIT, tsNs: 110, tid: 11, pid: 10, nr: NR.socket, ret: 3 },
  { kind: ENTER, tsNs: 200, tid: 10, pid: 10, nr: NR.read, comm: 'main', args: [3, 0x1000, 16, 0, 0, 0] },
  { kind: EXIT, tsNs: 210, tid: 10, pid: 10, nr: NR.read, ret: 0 },
];

test('-yy: a descriptor made by a call --comm leaves out is named as when -e leaves it out', () => {
  const bySyscall = render(events, { onlySyscalls: new Set([NR.read]) });
  const byComm = render(events, { comm: 'main' });
  assert.is(bySyscall, 'read(3<TCP:[?]>, 0x1000, 16) = 0\n');
  assert.is(byComm, bySyscall);
});

test('-yy: with both filters, and with a status filter (a line shown whole), the same line', () => {
  const expected = 'read(3<TCP:[?]>, 0x1000, 16) = 0\n';
  assert.is(render(events, { comm: 'main', onlySyscalls: new Set([NR.read]) }), expected);
  assert.is(render(events, { comm: 'main', status: { only: 'successful' } }), expected);
  assert.is(render(events, { onlyPids: new Set([10]), onlySyscalls: new Set([NR.read]) }), expected);
});

// Process 10: its thread 11 ("worker") opens /tmp/sel-x as 3 (the path copied at the entry),
// its main thread ("main") reads from 3.
const openThenRead = bpftrace_ts.Batch.encode({
  baseTsNs: 0, flushTsNs: 300, kind: [ENTER, EXIT, ENTER, EXIT], tsDeltaNs: [100, 10, 90, 10], tid: [11, 11, 10, 10],
  nr: [NR.openat, NR.openat, NR.read, NR.read], pid: [10, 10, 10, 10], commIndex: [0, 1], comms: ['worker', 'main'],
  arg0: [AT_FDCWD, 3], arg1: [0x5000, 0x1000], arg2: [0, 16], arg3: [0, 0], arg4: [0, 0], arg5: [0, 0], ret: [3, 0],
  captureEvent: [0], captureArg: [1], captureKind: [bpftrace_ts.CaptureKind.CAPTURE_STRING], captureFlags: [0],
  captureData: [Buffer.from('/tmp/sel-x')],
}).finish();

test('-P: a read of a descriptor opened by a call --comm leaves out is selected as when -e leaves it out', () => {
  const options = { decodeFds: undefined, paths: ['/tmp/sel-x'] };
  const bySyscall = renderBytes(openThenRead, { ...options, onlySyscalls: new Set([NR.read]) });
  assert.is(bySyscall, 'read(3, 0x1000, 16) = 0\n');
  assert.is(renderBytes(openThenRead, { ...options, comm: 'main' }), bySyscall);
  assert.is(renderBytes(openThenRead, { ...options, comm: 'main', status: { only: 'successful' } }), bySyscall);
});

test.run();
