// `bpftrace-ts -- command`: a new command traced from its execve to its exit.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson, summary } = require('../helpers');

const dir = tempDir();
const FILE_SIZE = 12345;
const file = path.join(dir, 'known-file');
fs.writeFileSync(file, Buffer.alloc(FILE_SIZE, 'x'));

/** Checks the trace of `cat file` (stdout a pipe, so cat uses read and write). */
function checkCatTrace(calls, catPid) {
  assert.ok(calls.length > 10, 'a whole run of cat is traced');
  assert.is(calls[0].syscall, 'execve', 'the first call is the execve');
  assert.is(calls[0].ret, 0);
  assert.is(calls[0].comm, 'cat', 'named after the command already at its execve');
  assert.is(calls[calls.length - 1].syscall, 'exit_group', 'the last call is exit_group');
  assert.is(calls[calls.length - 1].ret, null);
  for (const call of calls) assert.is(call.pid, catPid, 'only the command is traced');

  // The file's read of FILE_SIZE bytes, and from there back to its openat.
  const readIndex = calls.findIndex((c) => c.syscall === 'read' && c.ret === FILE_SIZE);
  assert.ok(readIndex > 0, 'the file is read whole');
  const fd = calls[readIndex].args.fd;
  const openIndex = calls.map((c, i) => (c.syscall === 'openat' && c.ret === fd && i < readIndex ? i : -1)).filter((i) => i >= 0).pop();
  assert.ok(openIndex !== undefined, 'openat returned the fd that is read');
  const rest = calls.slice(openIndex);
  const order = rest.filter((c) => (c.args?.fd === fd || c.args?.fd === 1) && ['read', 'write', 'close'].includes(c.syscall) || c === calls[openIndex]);
  const summaryOf = (c) => `${c.syscall}:${c.args?.fd ?? ''}:${c.ret}`;
  assert.equal(order.slice(0, 5).map(summaryOf), [
    `openat::${fd}`, `read:${fd}:${FILE_SIZE}`, `write:1:${FILE_SIZE}`, `read:${fd}:0`, `close:${fd}:0`,
  ]);
  assert.is(calls[readIndex].args.count >= FILE_SIZE, true);
  const write = rest.find((c) => c.syscall === 'write');
  assert.is(write.args.count, FILE_SIZE);

  // Calls of more than three arguments carry all six (the eBPF entries of three-argument
  // calls are shorter): the loader's anonymous and file mappings, and its ELF header reads.
  assert.ok(calls.some((c) => c.syscall === 'mmap' && c.args.fd === -1 && c.args.len > 0), 'an anonymous mmap: fd -1 (the 5th)');
  assert.ok(calls.some((c) => c.syscall === 'mmap' && c.args.fd >= 0 && c.args.off > 0), 'a file mmap at an offset (the 6th)');
  assert.ok(calls.some((c) => c.syscall === 'pread64' && c.args.pos === 64), 'pread64 of the program headers at 64 (the 4th)');
}

test('cat of a known file: execve first, its open/read/write/close in order, exit_group last', async () => {
  const out = path.join(dir, 'cat.json');
  const run = await runTracer(['--format', 'json', '-o', out, '--', 'cat', file]);
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout.length, FILE_SIZE, 'the command kept its stdout');
  const calls = readJson(out);
  checkCatTrace(calls, calls[0].pid);
  const s = summary(run.stderr);
  assert.is(s.lost, 0);
  assert.is(s.attachMode, 'tp_btf');
  assert.ok(s.events >= calls.length * 2 - 2, 'events count enters and exits');
});

for (const mode of ['raw_tp', 'tracepoint']) {
  test(`the ${mode} fallback traces the same calls`, async () => {
    const out = path.join(dir, `cat-${mode}.json`);
    const run = await runTracer(['--attach', mode, '-v', '--format', 'json', '-o', out, '--', 'cat', file]);
    assert.is(run.status, 0, run.stderr);
    assert.match(run.stderr, `attached with ${mode}`);
    const calls = readJson(out);
    checkCatTrace(calls, calls[0].pid);
  });
}

for (const mode of ['tp_btf', 'raw_tp', 'tracepoint']) {
  test(`${mode}: each call carries its thread's name at the call, through renames and moves between CPUs`, async () => {
    const out = path.join(dir, `renames-${mode}.json`);
    const rounds = 8;
    const run = await runTracer(['--attach', mode, '-e', 'close,getppid,prctl', '--format', 'json', '-o', out, '--', fixture('renames'), String(rounds)]);
    assert.is(run.status, 0, run.stderr);
    const calls = readJson(out);
    const seen = new Map(); // "thread-round" -> calls checked
    for (const call of calls) {
      if (call.syscall !== 'close' || call.args.fd > -1000) continue;
      const thread = Math.floor(-call.args.fd / 1000), round = -call.args.fd % 1000;
      assert.is(call.comm, `t${thread}-${round % 2 ? 'odd' : 'even'}`, `thread ${thread}, round ${round}`);
      seen.set(`${thread}-${round}`, (seen.get(`${thread}-${round}`) ?? 0) + 1);
    }
    assert.is(seen.size, 2 * rounds, 'every round of both threads is traced');
    for (const [key, count] of seen) assert.is(count, 3, `three calls in ${key}`);
    // The getppid before each close: same thread, same name.
    const byTid = new Map();
    for (const call of calls) {
      if (call.syscall === 'getppid') byTid.set(call.tid, call.comm);
      else if (call.syscall === 'close' && call.args.fd <= -1000) assert.is(byTid.get(call.tid), call.comm);
    }
  });
}

test('json lines carry every documented field', async () => {
  const out = path.join(dir, 'fields.json');
  const run = await runTracer(['--format', 'json', '-o', out, '--', 'cat', path.join(dir, 'missing')]);
  assert.is(run.status, 1, 'cat fails, and its status is ours');
  const calls = readJson(out);
  const fields = ['ts_ns', 'dur_ns', 'pid', 'tid', 'comm', 'syscall', 'nr', 'args', 'data', 'ret', 'errno'];
  for (const call of calls)
    assert.equal(Object.keys(call), fields.filter((field) => field !== 'data' || 'data' in call));
  const missing = JSON.stringify(path.join(dir, 'missing'));
  const failed = calls.find((c) => c.syscall === 'openat' && c.errno === 'ENOENT' && c.data?.filename === missing);
  assert.ok(failed, 'the missing file fails with ENOENT');
  assert.is(failed.ret, -2);
  assert.is(failed.args.dfd, -100);
  assert.match(failed.args.filename, /^0x[0-9a-f]+$/, 'args keep the raw pointer; data has the path');
  assert.ok(failed.dur_ns >= 0 && failed.ts_ns > 0);
  assert.is(failed.comm, 'cat');
});

test('perf-style lines: time, duration, comm/tid, named args, result, errno text', async () => {
  const run = await runTracer(['--', 'cat', path.join(dir, 'missing')]);
  const lines = run.stdout.split('\n').filter(Boolean);
  const failed = lines.find((l) => l.includes(' openat(') && l.includes('ENOENT') && l.includes(dir));
  const quoted = JSON.stringify(path.join(dir, 'missing')).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  assert.match(failed, new RegExp(`^ +\\d+\\.\\d{3} \\( *\\d+\\.\\d{3} ms\\): cat/\\d+ openat\\(dfd: CWD, filename: ${quoted}, flags: RDONLY(\\|CLOEXEC)?, mode: 0\\) = -1 ENOENT \\(No such file or directory\\)$`));
  assert.match(lines[lines.length - 1], /: cat\/\d+ exit_group\(error_code: 1\) = \?$/);
});

test('the exit status is the command\'s own, also when a signal killed it', async () => {
  assert.is((await runTracer(['-o', '/dev/null', '--', 'sh', '-c', 'exit 3'])).status, 3);
  assert.is((await runTracer(['-o', '/dev/null', '--', 'sh', '-c', 'kill -TERM $$'])).status, 128 + 15);
});

test('a command that ends at once, traced 25 times: every trace ends normally', async () => {
  // The drain thread can see the command end before the session's start has returned (it
  // once read the tracer the thread had already freed, and crashed about one run in five).
  for (let i = 0; i < 25; i++) {
    const run = await runTracer(['-o', '/dev/null', '--', 'true']);
    assert.is(run.status, 0, `run ${i}: ${run.stderr}`);
  }
});

test('a blocking call is shown when it starts and completed as [continued]', async () => {
  const run = await runTracer(['-e', 'clock_nanosleep', '--', 'sleep', '0.3']);
  const lines = run.stdout.split('\n').filter(Boolean);
  assert.is(lines.length, 2, run.stdout);
  assert.match(lines[0], /\(         \): sleep\/\d+ clock_nanosleep\(.*\) \.\.\.$/);
  assert.match(lines[1], /\( *\d+\.\d{3} ms\): sleep\/\d+  \.\.\. \[continued\]: clock_nanosleep\(\)\) = 0$/);
  const ms = Number(/\( *(\d+\.\d{3}) ms\)/.exec(lines[1])[1]);
  assert.ok(ms >= 300, 'the duration covers the whole sleep');
});

test('--max-events stops after that many calls', async () => {
  const out = path.join(dir, 'max-events.json');
  const run = await runTracer(['--max-events', '5', '--format', 'json', '-o', out, '--', 'cat', file]);
  assert.is(run.status, 0, run.stderr);
  const calls = readJson(out);
  assert.is(calls.length, 5);
  assert.is(calls[0].syscall, 'execve');
});

test('the launched command gets default signal dispositions (SIGPIPE is not ignored)', async () => {
  const statusFile = path.join(dir, 'sigpipe');
  const run = await runTracer(['-o', '/dev/null', '--', 'sh', '-c', `grep SigIgn /proc/self/status > ${statusFile}`]);
  assert.is(run.status, 0);
  assert.match(fs.readFileSync(statusFile, 'utf8'), /SigIgn:\s+0+\n/);
});

test('BPFTRACE_TS_STARTUP_TIMES=1: one line of start-up marks, in the order they happen', async () => {
  const run = await runTracer(['-o', '/dev/null', '--', 'true'], { env: { ...process.env, BPFTRACE_TS_STARTUP_TIMES: '1' } });
  assert.is(run.status, 0, run.stderr);
  const line = /^bpftrace-ts: start-up ms: (.*)$/m.exec(run.stderr);
  assert.ok(line, `a start-up line: ${run.stderr}`);
  const marks = Object.fromEntries([...line[1].matchAll(/([a-z-]+) (\S+)/g)].map(([, name, value]) => [name, Number(value)]));
  assert.equal(Object.keys(marks), ['node', 'modules', 'before-session', 'load', 'attach', 'load-wait', 'started', 'first-event']);
  for (const [name, value] of Object.entries(marks)) assert.ok(Number.isFinite(value) && value >= 0, `${name}: ${value}`);
  // The load ran on its own thread, between the spec (before-session) and the start.
  assert.ok(marks.node <= marks.modules && marks.modules <= marks['before-session'] &&
    marks['before-session'] <= marks.started && marks.started <= marks['first-event'], line[0]);
  assert.ok(marks.load > 0, 'the programs loaded on the native thread');
  assert.ok(marks.load <= marks.started - marks['before-session'] + 1, 'the load fell between the spec and the start');
  const without = await runTracer(['-o', '/dev/null', '--', 'true']);
  assert.not.match(without.stderr, /start-up ms/, 'no line without the variable');
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
