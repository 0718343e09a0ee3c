// The pairer on batches made by the production encoder: what it emits does not depend on
// where the batches were cut, nor on whether the tasks still exist when they are read; its table
// of pending calls stays bounded.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { loadAddon } = require('../../dist/session/native-addon');
const { decodeBatch } = require('../../dist/wire/batch-decoder');
const { CallPairer } = require('../../dist/pair/call-pairer');

const NR_WAIT4 = 61;
const SIGCHLD = 17;
const batchOf = (events) => decodeBatch(loadAddon().encodeBatch(events));

test('a signal and a process exit are named by their own event, not by the last call batched before them', () => {
  // sh waits in wait4 while its child runs: the wait4 enters in one batch; its return, the
  // SIGCHLD, the child's end and sh's end come in later ones, with no call of sh before them.
  const batches = [
    [{ kind: 0, tsNs: 100, tid: 7, pid: 7, nr: NR_WAIT4, comm: 'sh', args: [-1, 0, 0, 0, 0, 0] },
      { kind: 0, tsNs: 150, tid: 8, pid: 8, nr: 0, comm: 'cat', args: [3, 0, 4096, 0, 0, 0] }],
    [{ kind: 1, tsNs: 160, tid: 8, pid: 8, nr: 0, ret: 0 },
      { kind: 5, tsNs: 170, tid: 8, pid: 8, nr: 0, comm: 'cat', ret: 0 },
      { kind: 1, tsNs: 200, tid: 7, pid: 7, nr: NR_WAIT4, ret: 8 }],
    [{ kind: 4, tsNs: 210, tid: 7, pid: 7, nr: SIGCHLD, comm: 'sh' },
      { kind: 5, tsNs: 300, tid: 7, pid: 7, nr: 0, comm: 'sh', ret: 0 }],
  ];
  const events = [];
  const calls = [];
  // The tasks are gone when the batches are read (a recording, or a slow reader).
  const pairer = new CallPairer((call) => calls.push({ ...call }), { announceAfterNs: null, maxPending: 16, commOf: () => '?' },
    (event) => events.push(`${event.type} ${event.pid} ${event.comm}`));
  for (const batch of batches) pairer.addBatch(batchOf(batch));
  pairer.finish();
  assert.equal(events, ['exit 8 cat', 'signal 7 sh', 'exit 7 sh']);
  assert.equal(calls.map((c) => `${c.comm} ${c.nr} = ${c.ret}`), ['cat 0 = 0', `sh ${NR_WAIT4} = 8`]);
});

test('a signal the kernel discarded as ignored follows the call its thread was in (strace sees it on the return to user mode); a second standard one merges', () => {
  const SIGTERM = 15;
  const SIGRTMIN = 34;
  const batches = [
    // sh waits in wait4; the child's end sends it SIGCHLD (ignored) twice, and a real-time one.
    [{ kind: 0, tsNs: 100, tid: 7, pid: 7, nr: NR_WAIT4, comm: 'sh', args: [-1, 0, 0, 0, 0, 0] },
      { kind: 4, tsNs: 110, tid: 7, pid: 7, nr: SIGCHLD, comm: 'sh', ignored: true },
      { kind: 4, tsNs: 115, tid: 7, pid: 7, nr: SIGCHLD, comm: 'sh', ignored: true },
      { kind: 4, tsNs: 116, tid: 7, pid: 7, nr: SIGRTMIN, comm: 'sh', ignored: true },
      { kind: 4, tsNs: 117, tid: 7, pid: 7, nr: SIGRTMIN, comm: 'sh', ignored: true }],
    [{ kind: 1, tsNs: 200, tid: 7, pid: 7, nr: NR_WAIT4, ret: 8 },
      // Not in a call: shown where it came. A delivered signal is never held.
      { kind: 4, tsNs: 210, tid: 7, pid: 7, nr: SIGTERM, comm: 'sh', ignored: true },
      { kind: 0, tsNs: 220, tid: 7, pid: 7, nr: 0, comm: 'sh', args: [0, 0, 1, 0, 0, 0] },
      { kind: 4, tsNs: 230, tid: 7, pid: 7, nr: SIGTERM, comm: 'sh' }],
    // The read never returns (the trace ends): its held signal follows its unfinished line.
    [{ kind: 4, tsNs: 240, tid: 7, pid: 7, nr: SIGCHLD, comm: 'sh', ignored: true }],
  ];
  const lines = [];
  const times = [];
  const pairer = new CallPairer((call) => {
    lines.push(`${call.state} ${call.nr}`);
    times.push(call.durNs === null ? call.tsNs : call.tsNs + call.durNs);
  }, { announceAfterNs: null, maxPending: 16, commOf: () => '?' }, (event) => {
    lines.push(`signal ${event.signo}`);
    times.push(event.tsNs);
  });
  for (const batch of batches) pairer.addBatch(batchOf(batch));
  pairer.finish();
  assert.equal(lines, [`returned ${NR_WAIT4}`, `signal ${SIGCHLD}`, `signal ${SIGRTMIN}`, `signal ${SIGRTMIN}`,
    `signal ${SIGTERM}`, `signal ${SIGTERM}`, 'unfinished 0', `signal ${SIGCHLD}`]);
  // Shown when strace sees them, at the call's return: the wait4's, then later lines' times.
  assert.equal(times.slice(0, 6), [200, 200, 200, 200, 210, 230]);
});

test('a new task\'s return from fork is named by its event, wherever the batch was cut and whatever the task is named now', () => {
  const NR_VFORK = 58;
  const calls = [];
  // By the time it is read, the child has exec'd: its name is no longer the one it returned with.
  const pairer = new CallPairer((call) => calls.push({ ...call }), { announceAfterNs: null, maxPending: 16, commOf: () => 'cat' });
  pairer.addBatch(batchOf([{ kind: 0, tsNs: 100, tid: 7, pid: 7, nr: NR_VFORK, comm: 'sh', args: [0, 0, 0, 0, 0, 0] },
    { kind: 7, tsNs: 110, tid: 8, pid: 8, nr: NR_VFORK, comm: 'sh' }]));
  pairer.addBatch(batchOf([{ kind: 0, tsNs: 120, tid: 8, pid: 8, nr: 59, comm: 'sh', args: [0, 0, 0, 0, 0, 0] }]));
  assert.equal(calls.map((c) => `${c.tid} ${c.comm} ${c.nr} = ${c.ret} ${c.durNs}`), [`8 sh ${NR_VFORK} = 0 null`]);
  assert.is(pairer.eventsSeen, 3);
});

test('a call is announced as blocked by the time of the batch\'s events, not of its close: a batch closed late (a busy ring) holds no blocked 0 us call', () => {
  // The batch closes 5 ms after time 0 (the encoder's flush time), its events end at 200 ns:
  // the read's exit, 100 ns after its entry, was still in the ring.
  const calls = [];
  const pairer = new CallPairer((call) => calls.push({ ...call }), { announceAfterNs: 1e6, maxPending: 16, commOf: () => '?' });
  pairer.addBatch(batchOf([{ kind: 0, tsNs: 100, tid: 7, pid: 7, nr: 0, comm: 'cat', args: [3, 0, 4096, 0, 0, 0] },
    { kind: 0, tsNs: 200, tid: 8, pid: 8, nr: 39, comm: 'sh', args: [0, 0, 0, 0, 0, 0] }]));
  pairer.addBatch(batchOf([{ kind: 1, tsNs: 200, tid: 7, pid: 7, nr: 0, ret: 5 }]));
  assert.equal(calls.map((c) => `${c.tid} ${c.state} ${c.announced} ${c.durNs}`), ['7 returned false 100']);
});

test('after lost events, a call shown as blocked whose exit never came is closed as unfinished, in the perf and strace formats', () => {
  const { PerfFormatter } = require('../../dist/render/format-perf');
  const { StraceFormatter } = require('../../dist/render/format-strace');
  const calls = [];
  const lost = [];
  const pairer = new CallPairer((call) => calls.push({ ...call }), { announceAfterNs: 1e6, maxPending: 16, commOf: () => '?',
    onLost: (tsNs, count) => lost.push(count) });
  // dd reads (blocked past 1 ms by the other task's event); the read's exit is lost; dd's next call.
  pairer.addBatch(batchOf([{ kind: 0, tsNs: 100, tid: 7, pid: 7, nr: 0, comm: 'dd', args: [0, 0, 1, 0, 0, 0] },
    { kind: 0, tsNs: 2e6, tid: 8, pid: 8, nr: 39, comm: 'sh', args: [0, 0, 0, 0, 0, 0] },
    { kind: 8, tsNs: 3e6, tid: 0, pid: 0, nr: 0, ret: 12 }]));
  pairer.addBatch(batchOf([{ kind: 0, tsNs: 4e6, tid: 7, pid: 7, nr: 1, comm: 'dd', args: [1, 0, 1, 0, 0, 0] }]));
  // The trace ends with the launched command (pid 7) gone, its end lost too: its write never returns.
  pairer.finish((pid) => pid === 7);
  assert.equal(lost, [12]);
  assert.equal(calls.map((c) => `${c.nr} ${c.state} ${c.announced} ${c.atTraceEnd}`),
    ['0 started true undefined', '0 unfinished true undefined', '39 started true undefined', '39 unfinished true true', '1 unfinished false false']);
  const perf = new PerfFormatter({ stringLimit: 32, hex: 0, absoluteTime: 0, relativeTime: false, epochNsAtStart: () => 0 });
  assert.match(perf.format(calls[1]), /dd\/7  \.\.\. \[continued\]: read\(\)\) = \?$/);
  const strace = new StraceFormatter({ stringLimit: 32, hex: 0, absoluteTime: 0, relativeTime: false, epochNsAtStart: () => 0,
    callDuration: false, pidPrefix: 'never' });
  assert.match(strace.format(calls[1]), /^<\.\.\. read resumed> <unfinished \.\.\.>\) += \?$/);
  assert.is(perf.format({ ...calls[1], atTraceEnd: true }), null, 'at the end of a trace it may still return: nothing more is said');
});

test('the pending-call table is bounded: past its size the oldest call is reported unfinished and counted', () => {
  const threads = 1000;
  const maxPending = 100;
  // Every thread enters a read that never returns (all its threads killed, say).
  const events = Array.from({ length: threads }, (_, i) => ({ kind: 0, tsNs: i, tid: 1000 + i, pid: 1000, nr: 0, comm: 'storm', args: [0, 0, 0, 0, 0, 0] }));
  const calls = [];
  const pairer = new CallPairer((call) => calls.push({ ...call }), { announceAfterNs: null, maxPending, commOf: () => '?' });
  pairer.addBatch(decodeBatch(loadAddon().encodeBatch(events)));
  assert.is(pairer.evicted, threads - maxPending);
  assert.equal(calls.map((c) => c.tid), events.slice(0, threads - maxPending).map((e) => e.tid), 'the oldest first');
  assert.ok(calls.every((c) => c.state === 'unfinished'));
  pairer.finish();
  assert.is(calls.length, threads, 'the rest when the trace ends');
  assert.ok(calls.every((c) => c.state === 'unfinished' && c.nr === 0));
});

test.run();
