// The traced program exits, execs, forks or is killed while its threads are inside system
// calls: those calls are reported as unfinished (never as returned with the -ERESTART*
// the kernel hands a dying thread), and the trace ends with the program's status.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson, summary } = require('../helpers');

const dir = tempDir();
/** The fixture's ways (test/fixtures/midcall.c) and the exit status each ends with. */
const WAYS = { exit: 3, exec: 0, 'exec-thread': 0, fork: 0, killed: 128 + 9 };
const BACKENDS = { bpf: ['--backend', 'bpf'], ptrace: ['--ptrace'] };
const INTERRUPTED = new Set(['EINTR', 'ERESTARTSYS', 'ERESTARTNOINTR', 'ERESTARTNOHAND', 'ERESTART_RESTARTBLOCK']);

const backendOf = (args) => (args.includes('--ptrace') ? 'ptrace' : 'bpf');

async function traceWay(way, where, extraArgs = []) {
  const out = path.join(dir, `${way}-${where}${extraArgs.join('')}.json`);
  const args = [fixture('midcall'), way, ...(where === 'child' ? ['child'] : [])];
  const run = await runTracer([...extraArgs, '--format', 'json', '-o', out, '--', ...args]);
  assert.is(run.status, WAYS[way], run.stderr);
  assert.is(summary(run.stderr).lost, 0);
  const blocked = [...run.stdout.matchAll(/^blocked (\d+)$/gm)].map((m) => Number(m[1]));
  assert.ok(blocked.length > 0, run.stdout);
  const calls = readJson(out);
  const restarted = new Set();
  for (const tid of blocked) {
    // The fixture's blocking read is the only 1-byte read its tasks make. On ptrace a signal
    // the thread lives through (SIGCHLD of the killed child, if it lands on this thread)
    // stops it and interrupts the read, which then restarts: strace shows the same.
    const reads = calls.filter((c) => c.tid === tid && c.syscall === 'read' && c.args?.count === 1);
    const last = reads.at(-1);
    assert.ok(last, `task ${tid}: its blocking read`);
    for (const read of reads.slice(0, -1)) {
      assert.ok(backendOf(extraArgs) === 'ptrace' && INTERRUPTED.has(read.errno), `task ${tid}: one blocking read in ${JSON.stringify(reads)}`);
      restarted.add(read);
    }
    assert.is(last.ret, null, `task ${tid}: the read is unfinished, not returned: ${JSON.stringify(last)}`);
    assert.is(last.dur_ns, null);
    assert.is(last.errno, null);
  }
  const interrupted = calls.filter((c) => INTERRUPTED.has(c.errno) && !restarted.has(c));
  assert.equal(interrupted, [], 'no call of a dying thread is shown as returned');
  return calls;
}

for (const [backend, backendArgs] of Object.entries(BACKENDS)) {
  test(`${backend}: an execve by a thread other than the leader returns under the id it entered with`, async () => {
    const calls = await traceWay('exec-thread', 'process', backendArgs);
    const execs = calls.filter((c) => c.syscall === 'execve');
    assert.is(execs.length, 2, 'the command\'s own execve, then the thread\'s');
    const [, threadExec] = execs;
    assert.is(threadExec.ret, 0, JSON.stringify(threadExec));
    assert.ok(threadExec.dur_ns > 0 && threadExec.args !== null);
    assert.is.not(threadExec.tid, threadExec.pid, 'reported under the thread that called it');
  });

  for (const way of Object.keys(WAYS)) {
    for (const where of ['process', 'child']) {
      test(`${backend}: ${way} (in the ${where === 'child' ? 'traced command\'s child' : 'traced command'}): blocked calls are unfinished`, async () => {
        await traceWay(way, where, backendArgs);
      });
    }
  }

  test(`${backend}: --summary-only leaves the calls of dying threads out, as -S does`, async () => {
    const readRow = async (mode) => {
      const out = path.join(dir, `summary-${backend}${mode}.txt`);
      const run = await runTracer([...backendArgs, mode, '-e', 'read', '-o', out, '--', fixture('midcall'), 'killed']);
      assert.is(run.status, WAYS.killed, run.stderr);
      const row = /^ +read +(\d+) +(\d+) /m.exec(require('node:fs').readFileSync(out, 'utf8'));
      assert.ok(row, `a read row in the ${mode} table`);
      // The fixture reads /proc until its threads block, as often as the host's load makes
      // it, and prints how many reads that took: those are left out so two runs compare.
      const procReads = [...run.stdout.matchAll(/^proc_reads (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
      assert.ok(procReads > 0, run.stdout);
      return { calls: Number(row[1]) - procReads, errors: Number(row[2]) };
    };
    const streamed = await readRow('-S');
    assert.is(streamed.errors, 0, 'the two blocked reads are not counted as failed');
    assert.equal(await readRow('--summary-only'), streamed);
  });
}

for (const mode of ['raw_tp', 'tracepoint']) {
  test(`the ${mode} fallback also reports a killed process's calls as unfinished`, async () => {
    await traceWay('killed', 'process', ['--attach', mode]);
  });
}

// A call interrupted by a handled signal, whose thread lives on, still returns with its
// ERESTART* result: processes.test.js checks that on rt_sigsuspend.

test.after(() => require('node:fs').rmSync(dir, { recursive: true, force: true }));
test.run();
