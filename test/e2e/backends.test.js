// The same functional cases on both backends: each case of the table runs once with the
// eBPF backend (--backend bpf) and once with --ptrace, and must hold on both.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson, waitFor, summary } = require('../helpers');

const dir = tempDir();
const FILE_SIZE = 12345;
const file = path.join(dir, 'known-file');
fs.writeFileSync(file, Buffer.alloc(FILE_SIZE, 'x'));
const BACKENDS = { bpf: ['--backend', 'bpf'], ptrace: ['--ptrace'] };

/** Calls and process events (ptrace: signals, exits) of a JSON trace, apart. */
function split(records) {
  return { calls: records.filter((r) => r.syscall !== undefined), events: records.filter((r) => r.event !== undefined) };
}

let n = 0;
async function traceJson(backend, args, command) {
  const out = path.join(dir, `trace-${n++}.json`);
  const run = await runTracer([...BACKENDS[backend], '--format', 'json', '-o', out, ...args, '--', ...command]);
  return { run, ...split(readJson(out)) };
}

const CASES = [
  {
    name: 'cat of a known file: execve first, open/read/write/close in order, exit_group last',
    args: [], command: ['cat', file],
    check({ run, calls }) {
      assert.is(run.status, 0, run.stderr);
      assert.is(run.stdout.length, FILE_SIZE, 'the command kept its stdout');
      assert.is(calls[0].syscall, 'execve');
      assert.is(calls[0].ret, 0);
      assert.is(calls[0].comm, 'cat');
      assert.is(calls[calls.length - 1].syscall, 'exit_group');
      for (const call of calls) assert.is(call.pid, calls[0].pid, 'only the command');
      const read = calls.findIndex((c) => c.syscall === 'read' && c.ret === FILE_SIZE);
      assert.ok(read > 0, 'the file is read whole');
      const fd = calls[read].args.fd;
      const after = calls.slice(read).filter((c) => ['read', 'write', 'close'].includes(c.syscall) && [fd, 1].includes(c.args.fd));
      assert.equal(after.slice(0, 4).map((c) => `${c.syscall}:${c.args.fd}:${c.ret}`),
        [`read:${fd}:${FILE_SIZE}`, `write:1:${FILE_SIZE}`, `read:${fd}:0`, `close:${fd}:0`]);
      const s = summary(run.stderr);
      assert.is(s.lost, 0);
      assert.ok(s.events >= calls.length * 2 - 2, 'events count enters and exits');
    },
  },
  {
    name: 'children are followed across fork and exec',
    args: [], command: ['sh', '-c', 'cat /etc/os-release | wc -l'],
    check({ run, calls }) {
      assert.is(run.status, 0, run.stderr);
      const execs = new Set(calls.filter((c) => c.syscall === 'execve' && c.ret === 0).map((c) => c.pid));
      assert.ok(execs.size >= 3, 'sh, cat and wc each exec in their own process');
      for (const comm of ['sh', 'cat', 'wc']) assert.ok(calls.some((c) => c.comm === comm), comm);
      assert.ok(calls.some((c) => c.comm === 'wc' && c.syscall === 'read' && c.ret > 0), 'wc reads the pipe');
    },
  },
  {
    name: '--no-inherit: children are not followed',
    args: ['--no-inherit'], command: ['sh', '-c', 'cat /etc/os-release | wc -l'],
    check({ run, calls }) {
      assert.is(run.status, 0, run.stderr);
      assert.is(new Set(calls.map((c) => c.pid)).size, 1, 'only the shell');
    },
  },
  {
    name: 'a 16-thread program with -e getppid: every thread\'s three calls',
    args: ['-e', 'getppid'], command: [fixture('threads'), '16'],
    check({ run, calls }) {
      assert.is(run.status, 0, run.stderr);
      const tids = run.stdout.split('\n').filter(Boolean).map(Number);
      assert.is(tids.length, 16);
      for (const tid of tids) assert.is(calls.filter((c) => c.tid === tid).length, 3, `thread ${tid}`);
      assert.is(calls.length, 48);
    },
  },
  {
    name: '-e names: only those syscalls',
    args: ['-e', 'openat,close'], command: ['cat', '/etc/os-release'],
    check({ calls }) {
      assert.ok(calls.length >= 4);
      assert.equal([...new Set(calls.map((c) => c.syscall))].sort(), ['close', 'openat']);
    },
  },
  {
    name: '-e !name: everything but those',
    args: ['-e', '!mmap,!mprotect,!close'], command: ['cat', '/etc/os-release'],
    check({ calls }) {
      const names = new Set(calls.map((c) => c.syscall));
      for (const excluded of ['mmap', 'mprotect', 'close']) assert.not.ok(names.has(excluded), excluded);
      for (const kept of ['execve', 'openat', 'read', 'exit_group']) assert.ok(names.has(kept), kept);
    },
  },
  {
    name: '--failure: only failed calls',
    args: ['--failure'], command: ['cat', path.join(dir, 'missing')],
    check({ run, calls }) {
      assert.is(run.status, 1, 'cat fails, and its status is ours');
      assert.ok(calls.some((c) => c.syscall === 'openat' && c.errno === 'ENOENT'));
      for (const call of calls) assert.ok(call.errno !== null && call.ret < 0, `${call.syscall} failed`);
    },
  },
  {
    name: '--duration: only calls at least that long',
    args: ['--duration', '50'], command: ['sleep', '0.2'],
    check({ calls }) {
      assert.is(calls.length, 1, JSON.stringify(calls));
      assert.is(calls[0].syscall, 'clock_nanosleep');
      assert.ok(calls[0].dur_ns >= 50e6);
    },
  },
  {
    name: '--comm: only tasks of that name',
    args: ['--comm', 'cat'], command: ['sh', '-c', 'cat /etc/os-release >/dev/null; true'],
    check({ calls }) {
      assert.ok(calls.length > 0);
      for (const call of calls) assert.is(call.comm, 'cat');
    },
  },
  {
    name: '--max-events: that many calls',
    args: ['--max-events', '5'], command: ['cat', file],
    check({ run, calls }) {
      assert.is(run.status, 0, run.stderr);
      assert.is(calls.length, 5);
      assert.is(calls[0].syscall, 'execve');
    },
  },
  {
    name: 'the command\'s exit status is ours (exit 3; killed by SIGKILL: 137)',
    args: [], command: ['sh', '-c', 'sh -c "kill -9 \\$\\$"; exit 3'],
    check({ run, calls }) {
      assert.is(run.status, 3, run.stderr);
      // ptrace sees no exit of a call that killed its own caller: ret 0 or none.
      assert.ok(calls.some((c) => c.syscall === 'kill' && c.args.sig === 9 && c.ret !== -1));
    },
  },
  {
    name: '200 children each exec true: all 201 processes traced to their exit',
    args: [], command: ['sh', '-c', 'i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done'],
    check({ run, calls }) {
      assert.is(run.status, 0, run.stderr);
      const execs = new Set(calls.filter((c) => c.syscall === 'execve' && c.ret === 0).map((c) => c.pid));
      const exits = new Set(calls.filter((c) => c.syscall === 'exit_group').map((c) => c.pid));
      assert.is(execs.size, 201);
      assert.is(exits.size, 201);
    },
  },
];

for (const c of CASES) {
  for (const backend of Object.keys(BACKENDS)) {
    test(`${backend}: ${c.name}`, async () => c.check(await traceJson(backend, c.args, c.command)));
  }
}

for (const backend of Object.keys(BACKENDS)) {
  test(`${backend}: -S after the trace: the latency table counts every call`, async () => {
    const run = await runTracer([...BACKENDS[backend], '-S', '-e', 'getppid', '-o', path.join(dir, `summary-${backend}.txt`), '--', fixture('known_calls')]);
    assert.is(run.status, 0, run.stderr);
    const table = fs.readFileSync(path.join(dir, `summary-${backend}.txt`), 'utf8');
    assert.match(table, /^\s+getppid\s+10000\s+0\s/m);
  });

  test(`${backend}: --pid: attach, see the blocked call and the next one, detach; it runs on`, async () => {
    const helper = spawn(fixture('signal_helper'), [path.join(dir, 'pid-marker-missing')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    helper.stdout.on('data', (d) => (output += d));
    const exited = new Promise((resolve) => helper.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      await waitFor(() => output.includes('ready'), 'the helper to start');
      const out = path.join(dir, `pid-${backend}.txt`);
      let tracer;
      const run = runTracer([...BACKENDS[backend], '-p', String(helper.pid), '-o', out], { started: (child) => (tracer = child) });
      await waitFor(() => fs.readFileSync(out, 'utf8').includes('rt_sigsuspend('), 'the blocked call to be shown');
      helper.kill('SIGUSR1');
      await waitFor(() => /openat\(.*\) = -1 ENOENT/.test(fs.readFileSync(out, 'utf8')), 'its openat to be traced');
      tracer.kill('SIGINT');
      const result = await run;
      assert.is(result.status, 0, result.stderr);
      const status = fs.readFileSync(`/proc/${helper.pid}/status`, 'utf8');
      assert.match(status, /TracerPid:\s+0\n/);
      assert.match(status, /State:\s+S/, 'still waiting, not stopped');
      helper.kill('SIGUSR2');
      assert.equal(await exited, { code: 7, signal: null });
    } finally {
      helper.kill('SIGKILL');
    }
  });
}

for (const backend of Object.keys(BACKENDS)) {
  test(`${backend}: the tracer killed with SIGKILL: the command runs on to its end`, async () => {
    const started = path.join(dir, `started-${backend}`);
    const done = path.join(dir, `survived-${backend}`);
    let tracer;
    const run = runTracer([...BACKENDS[backend], '-o', '/dev/null', '--', 'sh', '-c', `touch ${started}; sleep 0.5; echo ok > ${done}`],
      { started: (child) => (tracer = child) });
    await waitFor(() => fs.existsSync(started), 'the command to run traced');
    tracer.kill('SIGKILL');
    assert.is((await run).signal, 'SIGKILL');
    await waitFor(() => fs.existsSync(done), 'the command to finish on its own');
    assert.is(fs.readFileSync(done, 'utf8'), 'ok\n');
  });
}

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
