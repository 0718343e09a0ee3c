// strace's line discipline in --format strace, as the renderer (pipeline/trace-output) writes it
// for synthetic events: where several tasks' lines meet, a call's line begins when the call
// starts and is split into <unfinished ...> / <... resumed> exactly when another task's line
// comes between its entry and its exit; the lines are in time order; [pid N] while several
// tasks are alive, `PID ` on every line with -f -o FILE. Real programs on both backends:
// test/e2e/strace-lines.test.js.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { loadAddon } = require('../../dist/session/native-addon');
const { TraceOutput } = require('../../dist/pipeline/trace-output');

const NR = { read: 0, write: 1, close: 3, getpid: 39, vfork: 58, execve: 59, exit_group: 231 };
const ENTER = 0, EXIT = 1, PROCESS_EXIT = 5, CHILD_RETURN = 7;

/** The lines TraceOutput writes for synthetic batches (arrays of events), as one text. */
function render(batches, options = {}, writes = []) {
  let text = '';
  const sink = {
    write: (line) => writes.push(`line ${line}`) && (text += line + '\n'),
    begin: (part) => writes.push(`begin ${part}`) && ((text += part), true),
    flush() {},
    close() {},
  };
  const output = new TraceOutput(sink, {
    format: 'strace', stringLimit: 32, hex: 'none', absoluteTime: 0, relativeTime: false, callDuration: false,
    alwaysShowPid: false, pidColumn: false, stack: false, filePerTask: false, quiet: 0, color: false, minDurationNs: null,
    commOf: () => '?', epochNsAtStart: () => 0, live: false, fromPtrace: () => false, ...options,
  }, () => {});
  for (const batch of batches) output.add(loadAddon().encodeBatch(batch));
  output.finish(null);
  return text;
}

const enter = (tsNs, tid, nr, args = [0, 0, 0, 0, 0, 0], pid = tid) => ({ kind: ENTER, tsNs, tid, pid, nr, comm: 'x', args });
const exit = (tsNs, tid, nr, ret, pid = tid) => ({ kind: EXIT, tsNs, tid, pid, nr, ret });
const ended = (tsNs, pid, status = 0) => ({ kind: PROCESS_EXIT, tsNs, tid: pid, pid, nr: 0, comm: 'x', ret: status });
const unpadded = (text) => text.replace(/\) +=( |$)/gm, ') =$1');

test('renderer: a call is split when another task\'s line comes between its entry and its exit, and only then', () => {
  const text = render([[
    enter(100, 7, NR.close, [3, 0, 0, 0, 0, 0]), exit(110, 7, NR.close, 0), // 7 alone: whole
    enter(120, 8, NR.getpid), exit(130, 8, NR.getpid, 8),                    // 8 appears
    enter(200, 7, NR.close, [4, 0, 0, 0, 0, 0]),
    enter(210, 8, NR.getpid), exit(220, 8, NR.getpid, 8),                    // between 7's halves
    exit(300, 7, NR.close, 0),
    enter(310, 7, NR.close, [5, 0, 0, 0, 0, 0]), exit(320, 7, NR.close, -9), // nothing between: whole
  ]]);
  assert.is(unpadded(text), [
    'close(3) = 0',
    '[pid     8] getpid() = 8',
    '[pid     7] close(4 <unfinished ...>',
    '[pid     8] getpid() = 8',
    '[pid     7] <... close resumed>) = 0',
    '[pid     7] close(5) = -1 EBADF (Bad file descriptor)',
    '',
  ].join('\n'));
});

test('renderer: a call is never split while no other line comes, however long it blocks; the line so far is shown while it blocks', () => {
  // Batches end while the read blocks, the second with a new task's first return, which
  // strace does not show: two seconds after the read's entry.
  const writes = [];
  const text = render([[enter(100, 7, NR.read, [0, 0x1000, 16, 0, 0, 0])],
    [{ kind: CHILD_RETURN, tsNs: 2e9, tid: 9, pid: 9, nr: NR.vfork, comm: 'x', ret: 0 }],
    [exit(3e9, 7, NR.read, 0), ended(3.1e9, 7)]], {}, writes);
  assert.is(unpadded(text), 'read(0, 0x1000, 16) = 0\n[pid     7] +++ exited with 0 +++\n');
  assert.equal(writes.slice(0, 2).map(unpadded), ['begin read(0, ', 'line 0x1000, 16) = 0'], 'begun while it blocked, ended when it returned');
});

test('renderer: a vforked child\'s lines come after its parent\'s vfork line, which resumes after them; the child\'s end carries its pid while the parent lives', () => {
  const text = render([[
    enter(100, 7, NR.vfork),
    { kind: CHILD_RETURN, tsNs: 110, tid: 8, pid: 8, nr: NR.vfork, comm: 'x', ret: 0 },
    enter(120, 8, NR.getpid), exit(130, 8, NR.getpid, 8),
    enter(140, 8, NR.exit_group),
    ended(150, 8),
    exit(160, 7, NR.vfork, 8),
    enter(170, 7, NR.getpid), exit(180, 7, NR.getpid, 7),
    ended(190, 7),
  ]]);
  assert.is(unpadded(text), [
    'vfork( <unfinished ...>',
    '[pid     8] getpid() = 8',
    '[pid     8] exit_group(0) = ?',
    '[pid     8] +++ exited with 0 +++',
    '<... vfork resumed>) = 8',
    'getpid() = 7',
    '+++ exited with 0 +++',
    '',
  ].join('\n'));
});

test('renderer: a sleep split shows its remaining-time pointer after "resumed", as strace prints it at the exit', () => {
  const NR_CLOCK_NANOSLEEP = 230;
  const text = render([[enter(100, 7, NR_CLOCK_NANOSLEEP, [0, 0, 0x1000, 0x2000, 0, 0]), enter(110, 8, NR.getpid), exit(120, 8, NR.getpid, 8),
    exit(130, 7, NR_CLOCK_NANOSLEEP, 0)]]);
  assert.is(unpadded(text), 'clock_nanosleep(CLOCK_REALTIME, 0, 0x1000,  <unfinished ...>\n[pid     8] getpid() = 8\n' +
    '[pid     7] <... clock_nanosleep resumed>0x2000) = 0\n');
});

test('renderer: events queued out of time order (another CPU stamped its event first) are shown in time order', () => {
  const text = render([[enter(200, 8, NR.getpid), exit(210, 8, NR.getpid, 8), enter(150, 7, NR.close, [3, 0, 0, 0, 0, 0]), exit(160, 7, NR.close, 0)]]);
  assert.is(unpadded(text), 'close(3) = 0\n[pid     8] getpid() = 8\n');
});

test('renderer: -f -o FILE: every line starts with the pid column, split or not', () => {
  const text = render([[enter(100, 7, NR.getpid), enter(110, 8, NR.getpid), exit(120, 8, NR.getpid, 8), exit(130, 7, NR.getpid, 7)]],
    { alwaysShowPid: true, pidColumn: true });
  assert.is(unpadded(text), '7     getpid( <unfinished ...>\n8     getpid() = 8\n7     <... getpid resumed>) = 7\n');
});

test.run();
