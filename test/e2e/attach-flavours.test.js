// Each attach flavour (--attach tp_btf, raw_tp, tracepoint) shows a call the same: every
// argument, result and entry copy of a call that returns at once, and a blocked call while it
// blocks, not only once it returns. What a change in how the programs send a call (one record
// per call instead of an entry and an exit, say) must keep.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson, summary, waitFor } = require('../helpers');

const dir = tempDir();
const FLAVOURS = ['tp_btf', 'raw_tp', 'tracepoint'];
const ROUNDS = 200;

for (const mode of FLAVOURS) {
  test(`${mode}: calls that return at once keep every argument, their result and the write's data`, async () => {
    const out = path.join(dir, `calls-${mode}.json`);
    const run = await runTracer(['--attach', mode, '-e', 'mmap,lseek,write,getppid', '--format', 'json', '-o', out, '--',
      fixture('recognisable_calls'), String(ROUNDS)]);
    assert.is(run.status, 0, run.stderr);
    const totals = summary(run.stderr);
    assert.is(totals.lost, 0);
    assert.is(totals.attachMode, mode);
    const calls = readJson(out).filter((c) => c.args && (c.args.fd === 986 || c.args.fd === 987 || c.args.addr === '0x7a000000' || c.syscall === 'getppid'));
    const count = (name) => calls.filter((c) => c.syscall === name).length;
    assert.equal([count('mmap'), count('lseek'), count('write'), count('getppid')], [ROUNDS, ROUNDS, ROUNDS, ROUNDS]);
    for (const c of calls) {
      assert.ok(c.dur_ns !== null && c.dur_ns >= 0 && c.comm === 'recognisable_ca', JSON.stringify(c));
      if (c.syscall === 'mmap') {
        assert.equal(c.args, { addr: '0x7a000000', len: 0x2000, prot: 0, flags: 0x100022, fd: -1, off: 0x5000 }, JSON.stringify(c));
      } else if (c.syscall === 'lseek') {
        assert.equal([c.args.fd, c.args.offset, c.args.whence, c.errno], [987, 12345, 1, 'EBADF'], JSON.stringify(c));
      } else if (c.syscall === 'write') {
        assert.equal([c.args.fd, c.args.count, c.errno, c.data?.buf], [986, 5, 'EBADF', '"whole"'], JSON.stringify(c));
      } else {
        assert.ok(c.ret > 0, JSON.stringify(c));
      }
    }
  });

  test(`${mode}: a blocked call is shown while it blocks, and ends unfinished when its task is killed`, async () => {
    // pause() copies nothing and blocks until a signal: a call whose entry the programs could
    // keep until its exit, where a call with copies at its entry (clock_nanosleep's timespec)
    // would not show such a change.
    const out = path.join(dir, `blocked-${mode}.txt`);
    const run = runTracer(['--attach', mode, '-e', 'pause,getppid', '-o', out, '--', fixture('recognisable_calls'), '1', 'pause']);
    const shown = () => /\(         \): recognisable_ca\/(\d+) pause\(\) \.\.\.$/m.exec(fs.readFileSync(out, 'utf8'));
    // Until the call returns, only its entry, sent at the entry or when it blocked, can show it.
    await waitFor(() => shown(), 'the blocked pause to be shown while it blocks');
    assert.not.match(fs.readFileSync(out, 'utf8'), /\[continued\]/, 'shown before it returned');
    process.kill(Number(shown()[1]), 'SIGKILL');
    const result = await run;
    assert.is(result.status, 128 + 9, result.stderr);
    assert.match(fs.readFileSync(out, 'utf8'), /\.\.\. \[continued\]: pause\(\)\) = \?$/m);
  });
}

test.run();
