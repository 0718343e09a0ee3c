// Rendering changes nothing: the descriptor table learns from every call in its own step
// (src/track/), before calls are selected and shown, and the formatters only read what it
// noted on each call. The same calls rendered twice give the same text, in every format.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { PerfFormatter } = require('../../dist/render/format-perf');
const { StraceFormatter } = require('../../dist/render/format-strace');
const { JsonFormatter } = require('../../dist/render/format-json');
const { FdTable } = require('../../dist/track/fd-table');
const { CallTracker } = require('../../dist/track/call-tracker');
const { syscallByName } = require('../../dist/syscalls/syscall-table');

const nr = (name) => syscallByName(name).nr;
const AF_INET = 2, SOCK_STREAM = 1;

/** One task: a socket (3), dup2 to 5, 3 closed, a read from 5, 5 closed. */
function calls() {
  const call = (tsNs, name, args, ret) => ({
    state: 'returned', tsNs, durNs: 10, pid: 50, tid: 50, comm: 'app', nr: nr(name), args: [...args, 0, 0, 0, 0, 0, 0].slice(0, 6), ret,
    announced: false, captures: null, tampered: 0,
  });
  return [
    call(1000, 'socket', [AF_INET, SOCK_STREAM, 0], 3),
    call(2000, 'dup2', [3, 5], 5),
    call(3000, 'close', [3], 0),
    call(4000, 'read', [5, 0x1000, 16], 0),
    call(5000, 'close', [5], 0),
  ];
}

const times = { absoluteTime: 0, relativeTime: false, epochNsAtStart: () => 0 };
const FORMATTERS = {
  perf: () => new PerfFormatter({ stringLimit: 32, hex: 'none', ...times }),
  strace: () => new StraceFormatter({ stringLimit: 32, hex: 'none', ...times, callDuration: false, pidPrefix: 'several-tasks' }),
  json: () => new JsonFormatter({ stringLimit: 32, hex: 'none', ...times }),
};

for (const [format, make] of Object.entries(FORMATTERS)) {
  test(`${format}: the same calls rendered twice give the same text (-yy: what each descriptor was is noted once, by the tracker)`, () => {
    const tracked = calls();
    const tracker = new CallTracker(new FdTable(true, false));
    for (const call of tracked) tracker.track(call, true);
    const formatter = make();
    // Each call rendered twice in a row: a close() rendered once more still names what it closed.
    const first = [];
    for (const call of tracked) {
      const text = formatter.format(call);
      assert.is(formatter.format(call), text);
      first.push(text);
    }
    // All of them once more, after the table learned the last call.
    assert.is(tracked.map((call) => formatter.format(call)).join('\n'), first.join('\n'));
    if (format === 'json') return;
    const text = first.join('\n');
    // The arguments as they were before each call, the result as after it.
    const fd = format === 'perf' ? 'fd: ' : '';
    assert.ok(text.includes(`close(${fd}3<TCP:[?]>)`), text);
    assert.ok(text.includes(`) = 3<TCP:[?]>`), text);
    assert.ok(text.includes(`read(${fd}5<TCP:[?]>`), text);
  });
}

test('a call rendered before or after later calls were tracked reads the same notes', () => {
  const tracked = calls();
  const tracker = new CallTracker(new FdTable(true, false));
  tracker.track(tracked[0], true);
  tracker.track(tracked[1], true);
  tracker.track(tracked[2], true);
  const strace = FORMATTERS.strace();
  const before = strace.format(tracked[2]);
  tracker.track(tracked[3], true);
  tracker.track(tracked[4], true);
  assert.is(strace.format(tracked[2]), before);
  assert.match(before, /^close\(3<TCP:\[\?\]>\) += 0$/);
});

test.run();
