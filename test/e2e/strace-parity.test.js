// strace's everyday options, each on both backends unless ptrace-only: -P (by name and by
// descriptor), --errno / -z / -Z, -ff -o (a file per process), -e inject (ptrace), -q/-qq,
// -t/-tt/-ttt/-r in the perf and JSON formats, and -P / --errno on a recording (report).
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson, waitFor } = require('../helpers');

const dir = tempDir();
const BACKENDS = { bpf: ['--backend', 'bpf'], ptrace: ['--ptrace'] };
let n = 0;

async function traceJson(backend, args, command) {
  const out = path.join(dir, `trace-${n++}.json`);
  const run = await runTracer([...BACKENDS[backend], '--format', 'json', '-o', out, ...args, '--', ...command]);
  return { run, records: readJson(out), calls: readJson(out).filter((r) => r.syscall !== undefined) };
}

/** The path a call names, as JSON shows it ("\"/x\"" -> /x), or undefined. */
function named(call, arg = 'filename') {
  const text = call.data?.[arg];
  return text === undefined ? undefined : JSON.parse(text);
}

for (const backend of Object.keys(BACKENDS)) {
  test(`${backend}: -P shows the calls that touch the path, by name and by descriptor, and none of another file's`, async () => {
    const first = path.join(dir, `first-${backend}`);
    const second = path.join(dir, `second-${backend}`);
    const { run, calls } = await traceJson(backend, ['-P', first], [fixture('path_calls'), first, second]);
    assert.is(run.status, 0, run.stderr);
    const shown = calls.map((c) => c.syscall.replace(/^fstat$/, 'newfstatat'));
    // open by name, the descriptor's calls, then open relative to the directory's descriptor.
    assert.equal(shown, ['openat', 'write', 'lseek', 'read', 'newfstatat', 'close', 'openat', 'close'], JSON.stringify(calls));
    assert.is(named(calls[0]), first);
    const fd = calls[0].ret;
    for (const call of calls.slice(1, 6)) assert.is(call.args.fd ?? call.args.dfd, fd, `${call.syscall} is on the first file's descriptor`);
    assert.is(named(calls[6]), path.basename(first), 'openat(dirfd, "first-...") resolves to the first file');
    for (const call of calls) assert.not.ok(JSON.stringify(call).includes(path.basename(second)), `nothing of the second file: ${JSON.stringify(call)}`);
  });

  test(`${backend}: --errno shows only calls failing with those errors; -z only successes; -Z only failures`, async () => {
    const missing = path.join(dir, 'missing');
    const command = ['cat', '/etc/os-release', missing];
    const enoent = await traceJson(backend, ['--errno', 'ENOENT'], command);
    assert.is(enoent.run.status, 1, 'cat of a missing file fails');
    assert.ok(enoent.calls.some((c) => c.syscall === 'openat' && named(c) === missing), 'the open of the missing file');
    for (const call of enoent.calls) assert.is(call.errno, 'ENOENT', JSON.stringify(call));

    const other = await traceJson(backend, ['--errno', 'EACCES,EPERM'], command);
    for (const call of other.calls) assert.ok(['EACCES', 'EPERM'].includes(call.errno), JSON.stringify(call));
    assert.not.ok(other.calls.some((c) => named(c) === missing));

    const successful = await traceJson(backend, ['-z'], command);
    assert.ok(successful.calls.some((c) => c.syscall === 'read' && c.ret > 0));
    for (const call of successful.calls) {
      assert.is(call.errno, null, JSON.stringify(call));
      assert.ok(call.ret !== null, `${call.syscall} returned`);
    }
    assert.not.ok(successful.calls.some((c) => c.syscall === 'exit_group'), 'a call that never returns has no status');

    const failed = await traceJson(backend, ['-Z'], command);
    assert.ok(failed.calls.some((c) => named(c) === missing));
    for (const call of failed.calls) assert.ok(call.errno !== null, JSON.stringify(call));
  });

  test(`${backend}: -ff -o writes each process's calls to PREFIX.PID, without [pid N]`, async () => {
    const work = fs.mkdtempSync(path.join(dir, 'ff-'));
    const prefix = path.join(work, 'trace');
    const run = await runTracer([...BACKENDS[backend], '--format', 'strace', '-ff', '-o', prefix, '--', fixture('fork_children'), work]);
    assert.is(run.status, 0, run.stderr);
    const children = run.stdout.trim().split('\n').map(Number);
    assert.is(children.length, 2, run.stdout);
    const files = fs.readdirSync(work).filter((f) => f.startsWith('trace.'));
    assert.is(files.length, 3, `the parent and two children: ${files}`);
    assert.not.ok(fs.existsSync(prefix), 'no file is named after the prefix alone');
    const text = (pid) => fs.readFileSync(`${prefix}.${pid}`, 'utf8');
    children.forEach((pid, i) => {
      const lines = text(pid).split('\n');
      const own = `"${path.join(work, `child-${i + 1}`)}"`;
      const other = `"${path.join(work, `child-${2 - i}`)}"`;
      assert.ok(lines.some((l) => l.startsWith('openat(AT_FDCWD, ' + own)), `child ${pid} opens its file:\n${text(pid)}`);
      assert.ok(lines.some((l) => l.startsWith(`write(3, "child ${i + 1}", 7)`)), `child ${pid} writes its text`);
      assert.not.ok(text(pid).includes(other), `child ${pid}'s file holds nothing of the other child`);
      assert.not.ok(text(pid).includes('"parent"'));
      assert.is(fs.statSync(`${prefix}.${pid}`).mode & 0o777, 0o600);
    });
    const parent = files.map((f) => Number(f.slice('trace.'.length))).find((pid) => !children.includes(pid));
    assert.match(text(parent), /^execve\(/);
    assert.match(text(parent), /openat\(AT_FDCWD, ".*\/parent", /);
    assert.not.ok(text(parent).includes('child-'), 'the parent opens no child file');
    for (const file of files) assert.not.ok(fs.readFileSync(path.join(work, file), 'utf8').includes('[pid'), file);
  });

  test(`${backend}: -p says "Process N attached" and "detached"; -q does not`, async () => {
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      for (const quiet of [[], ['-q']]) {
        // -v says when the trace is under way (not a notice -q silences): then Ctrl-C.
        const run = runTracer([...BACKENDS[backend], ...quiet, '-v', '-o', '/dev/null', '-p', String(sleeper.pid)], {
          started(child) {
            let stderr = '';
            child.stderr.on('data', (d) => (stderr += d));
            waitFor(() => /backend (bpf, attached|ptrace)/.test(stderr), 'the tracer to attach').then(() => child.kill('SIGINT'), () => child.kill('SIGKILL'));
          },
        });
        const { status, stderr } = await run;
        assert.is(status, 0, stderr);
        const said = quiet.length === 0;
        assert.is(stderr.includes(`bpftrace-ts: Process ${sleeper.pid} attached\n`), said, stderr);
        assert.is(stderr.includes(`bpftrace-ts: Process ${sleeper.pid} detached\n`), said, stderr);
      }
      assert.is(sleeper.exitCode, null, 'the traced process runs on');
    } finally {
      sleeper.kill();
    }
  });

  test(`${backend}: -qq leaves out "+++ exited with N +++"; -t/-tt/-ttt/-r set the perf and JSON time columns`, async () => {
    const out = path.join(dir, `strace-${backend}`);
    for (const [args, shown] of [[[], true], [['-qq'], false]]) {
      const run = await runTracer([...BACKENDS[backend], ...args, '--format', 'strace', '-e', 'exit_group', '-o', out, '--', 'sh', '-c', 'exit 3']);
      assert.is(run.status, 3, run.stderr);
      assert.is(fs.readFileSync(out, 'utf8').includes('+++ exited with 3 +++'), shown, fs.readFileSync(out, 'utf8'));
    }
    const perf = path.join(dir, `perf-${backend}`);
    for (const [flag, column] of [['-t', /^\d\d:\d\d:\d\d \(/], ['-tt', /^\d\d:\d\d:\d\d\.\d{6} \(/], ['-ttt', /^\d{10}\.\d{6} \(/], ['-r', /^ +\d+\.\d{3} \(/]]) {
      const run = await runTracer([...BACKENDS[backend], flag, '-e', 'openat', '-o', perf, '--', 'cat', '/dev/null']);
      assert.is(run.status, 0, run.stderr);
      const lines = fs.readFileSync(perf, 'utf8').split('\n').filter((l) => l.includes('openat('));
      assert.ok(lines.length > 0);
      for (const line of lines) assert.match(line, column, `${flag}: ${line}`);
    }
    const { calls } = await traceJson(backend, ['-ttt', '-r', '-e', 'openat,close'], ['cat', '/dev/null']);
    assert.ok(calls.length >= 2);
    assert.is(calls[0].since_last_ns, 0, 'the first line has none before it');
    for (const call of calls) {
      assert.match(call.time, /^\d{10}\.\d{6}$/);
      assert.ok(call.since_last_ns >= 0);
    }
  });
}

test('ptrace: -e inject=write:error=ENOSPC:when=2 fails the second write only, marked INJECTED', async () => {
  const file = path.join(dir, 'written');
  const { run, calls } = await traceJson('ptrace', ['-e', 'inject=write:error=ENOSPC:when=2'], [fixture('write_thrice'), file]);
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout, 'write 1: 1\nwrite 2: ENOSPC\nwrite 3: 1\n');
  const fd = calls.find((c) => c.syscall === 'openat' && named(c) === file).ret;
  const writes = calls.filter((c) => c.syscall === 'write' && c.args.fd === fd);
  assert.equal(writes.map((c) => [c.ret, c.errno, c.injected === true]), [[1, null, false], [-28, 'ENOSPC', true], [1, null, false]]);
  assert.is(fs.readFileSync(file, 'utf8'), 'xx', 'the injected write did not run');

  // Under the seccomp filter of -e, write stops for the injection though it is not traced.
  const filtered = await traceJson('ptrace', ['-e', 'trace=openat', '-e', 'inject=write:error=ENOSPC:when=2'], [fixture('write_thrice'), file]);
  assert.is(filtered.run.stdout, 'write 1: 1\nwrite 2: ENOSPC\nwrite 3: 1\n');
  assert.ok(filtered.calls.length > 0);
  assert.ok(filtered.calls.every((c) => c.syscall === 'openat'), 'only the traced calls are shown');

  // when=2+: the second and every later one, the fixture's report to stdout too.
  const later = await traceJson('ptrace', ['-e', 'inject=write:error=EIO:when=2+'], [fixture('write_thrice'), file]);
  assert.is(later.run.stdout, '', 'the 4th write, to stdout, failed as well');
  assert.equal(later.calls.filter((c) => c.syscall === 'write').map((c) => c.errno), [null, 'EIO', 'EIO', 'EIO']);
});

test('ptrace: --inject retval= and when=FIRST+STEP; strace format says (INJECTED), delay_enter (DELAYED)', async () => {
  const file = path.join(dir, 'written-retval');
  const out = path.join(dir, 'inject.strace');
  const run = await runTracer(['--ptrace', '--format', 'strace', '-e', 'write', '--inject', 'write:retval=42:when=1+2', '-o', out, '--', fixture('write_thrice'), file]);
  assert.is(run.status, 0, run.stderr);
  // Writes 1 and 3 to the file get 42 without running; the 4th (stdout) would too, had it
  // not been the 4th: 1+2 is the 1st, 3rd, 5th...
  assert.is(run.stdout, 'write 1: 42\nwrite 2: 1\nwrite 3: 42\n');
  const lines = fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('write(3,'));
  assert.equal(lines.map((l) => l.replace(/^.*= /, '')), ['42 (INJECTED)', '1', '42 (INJECTED)']);
  assert.is(fs.readFileSync(file, 'utf8'), 'x');

  const delayed = await traceJson('ptrace', ['-e', 'inject=write:delay_enter=1000:when=3'], [fixture('write_thrice'), file]);
  assert.is(delayed.run.stdout, 'write 1: 1\nwrite 2: 1\nwrite 3: 1\n', 'a delayed call still runs');
  const writes = delayed.calls.filter((c) => c.syscall === 'write');
  assert.equal(writes.map((c) => c.delayed === true), [false, false, true, false]);
});

test('report: -P and --errno filter a recording as they filter a live trace', async () => {
  const first = path.join(dir, 'recorded-first');
  const second = path.join(dir, 'recorded-second');
  const recording = path.join(dir, 'parity.bpt');
  const record = await runTracer(['record', '-o', recording, '--', fixture('path_calls'), first, second]);
  assert.is(record.status, 0, record.stderr);
  const out = path.join(dir, 'report.json');
  const report = await runTracer(['report', '--format', 'json', '-P', first, '-o', out, recording]);
  assert.is(report.status, 0, report.stderr);
  const calls = readJson(out);
  assert.is(calls.length, 8, JSON.stringify(calls));
  assert.is(named(calls[0]), first);
  for (const call of calls) assert.not.ok(JSON.stringify(call).includes(path.basename(second)));
  // The descriptor is known from the open that -e leaves out.
  const onFd = await runTracer(['report', '--format', 'json', '-e', 'read,write', '-P', first, '-o', out, recording]);
  assert.is(onFd.status, 0, onFd.stderr);
  assert.equal(readJson(out).map((c) => [c.syscall, c.args.fd]), [['write', calls[0].ret], ['read', calls[0].ret]]);
  const failed = await runTracer(['report', '--format', 'json', '--errno', 'ENOENT', '-o', out, recording]);
  assert.is(failed.status, 0, failed.stderr);
  for (const call of readJson(out)) assert.is(call.errno, 'ENOENT');
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
