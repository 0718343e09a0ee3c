// The ptrace backend on its own: same calls as eBPF (differential), argument capture, the
// automatic fallback for an unprivileged user, signals and exits, attach and detach that
// leave every tracee where it was, the seccomp filter of -e, and what it refuses.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson, waitFor, summary, missingLines } = require('../helpers');
const { loadAddon } = require('../../dist/session/native-addon');
const { decodeBatch, EventKind } = require('../../dist/wire/batch-decoder');
const { nativeCaptureRules } = require('../../dist/syscalls/capture-rules');
const { syscallByName } = require('../../dist/syscalls/syscall-table');

const dir = tempDir();
fs.chmodSync(dir, 0o755);
let n = 0;
const outFile = (ext = 'json') => path.join(dir, `trace-${n++}.${ext}`);

/** Calls whose result differs from run to run (addresses, process ids). */
const VARYING_RESULT = new Set(['mmap', 'brk', 'mremap', 'set_tid_address', 'getpid', 'gettid', 'getppid', 'clone', 'clone3', 'fork', 'vfork', 'wait4']);

async function callSequence(backendArgs, command) {
  const out = outFile();
  const run = await runTracer([...backendArgs, '--format', 'json', '-o', out, '--', ...command]);
  assert.is(run.status, 0, run.stderr);
  const calls = readJson(out).filter((r) => r.syscall !== undefined);
  // From the first execve's return: both backends start there for a launched command.
  const start = calls.findIndex((c) => c.syscall === 'execve' && c.ret === 0);
  return calls.slice(start).map((c) => (VARYING_RESULT.has(c.syscall) ? c.syscall : `${c.syscall}=${c.ret}`));
}

const fixedDir = path.join(dir, 'fixed');
fs.mkdirSync(fixedDir);
for (const name of ['a', 'b', 'c']) fs.writeFileSync(path.join(fixedDir, name), name.repeat(100));

for (const [label, command] of [
  ['cat of a file', ['cat', path.join(fixedDir, 'a')]],
  ['ls of a fixed directory', ['ls', '-1', fixedDir]],
  ['a fixture making known calls', [fixture('known_calls')]],
]) {
  test(`differential: ${label}: both backends report the same calls and results`, async () => {
    const bpf = await callSequence(['--backend', 'bpf'], command);
    const ptrace = await callSequence(['--ptrace'], command);
    assert.ok(bpf.length > 5);
    assert.equal(ptrace, bpf);
  });
}

/** The calls of a PtraceSession run with the capture rules, each with its items. */
function tracedWithCaptures(command, stringLimit) {
  const { PtraceSession } = loadAddon();
  const session = new PtraceSession({
    all: false, followChildren: true, ringBytes: 0, verbose: false,
    command: { path: command[0], argv: command, env: [] }, captures: nativeCaptureRules(stringLimit),
  });
  return new Promise((resolve) => {
    const calls = [];
    const lastOfThread = new Map();
    session.start((bytes) => {
      const batch = decodeBatch(bytes);
      const byEvent = new Map();
      for (let i = 0; i < batch.kind.length; i++) {
        const kind = batch.kind[i];
        if (kind === EventKind.ENTER || kind === EventKind.CALL) {
          const call = { nr: batch.nr[i], items: [] };
          calls.push(call);
          lastOfThread.set(batch.tid[i], call);
          byEvent.set(i, call);
        } else if (kind === EventKind.EXIT) {
          byEvent.set(i, lastOfThread.get(batch.tid[i]));
        }
      }
      batch.captureEvent.forEach((event, j) => byEvent.get(event)?.items.push({
        arg: batch.captureArg[j], kind: batch.captureKind[j], flags: batch.captureFlags[j], data: Buffer.from(batch.captureData[j]),
      }));
    }, (end) => resolve({ end, calls }));
  });
}

const KIND = { STRING: 0, BYTES: 1, STRUCT: 2, STRING_ARRAY: 3, COUNT: 4 };
const FLAG = { AT_EXIT: 1, TRUNCATED: 2, FAULT: 4 };

test('capture: strings, buffers (cut at -s), structs and iovecs, at entry or exit, and faults', async () => {
  const binary = fixture('capture_calls');
  const { end, calls } = await tracedWithCaptures([binary, 'first-arg'], 16);
  assert.is(end.exitCode, 0);
  const nr = (name) => syscallByName(name).nr;
  const item = (call, arg, kind) => call?.items.find((i) => i.arg === arg && i.kind === kind);

  const execve = calls.find((c) => c.nr === nr('execve'));
  const argv = item(execve, 1, KIND.STRING_ARRAY);
  // Each element up to -s + 1 bytes: one more than -s says it was cut.
  assert.is(argv.data.toString(), `${binary.slice(0, 17)}\0first-arg\0`);
  assert.is(item(execve, 2, KIND.COUNT).data.readUInt32LE(0), 0, 'an empty environment');
  assert.is(item(execve, 0, KIND.STRING).data.toString(), binary);

  const write = calls.find((c) => c.nr === nr('write') && item(c, 1, KIND.BYTES)?.data.length === 16);
  assert.ok(write, 'the 100-byte write is cut at -s 16');
  assert.is(item(write, 1, KIND.BYTES).data.toString(), 'a'.repeat(16));
  assert.is(item(write, 1, KIND.BYTES).flags, 0, 'its length is in the arguments: no flag');

  const opened = calls.filter((c) => c.nr === nr('openat')).map((c) => item(c, 1, KIND.STRING)?.data.toString());
  assert.ok(opened.includes('/nonexistent/capture-path'), 'a path, whole');

  const pipe = calls.find((c) => c.nr === nr('pipe2') || c.nr === nr('pipe'));
  const fds = item(pipe, 0, KIND.STRUCT);
  assert.is(fds.flags, FLAG.AT_EXIT);
  assert.is(fds.data.length, 8);

  const read = calls.find((c) => c.nr === nr('read') && item(c, 1, KIND.BYTES)?.data.toString() === 'hello');
  assert.ok(read, 'what read() returned is copied at its exit');
  assert.is(item(read, 1, KIND.BYTES).flags, FLAG.AT_EXIT);

  const writev = calls.find((c) => c.nr === nr('writev'));
  assert.is(item(writev, 1, KIND.STRUCT).data.length, 32, 'two iovecs');
  assert.is(item(writev, 1, KIND.BYTES).data.toString(), 'abcdefg');

  const faulted = calls.filter((c) => c.nr === nr('openat')).map((c) => item(c, 1, KIND.STRING)).find((i) => i.flags & FLAG.FAULT);
  assert.ok(faulted, 'an unreadable pointer gives a FAULT item');
  assert.is(faulted.data.length, 0);
});

// The strace corpus (test/fixtures/corpus, see strace-format.test.js) with the ptrace
// backend's captures: every line strace prints must appear, in order.
for (const name of ['files', 'net', 'process', 'misc']) {
  test(`capture rendered: corpus ${name} in --format strace, every line strace prints`, async () => {
    const work = fs.mkdtempSync(path.join(dir, `corpus-${name}-`));
    const expectedFile = path.join(work, 'expected');
    const traceFile = path.join(work, 'trace');
    const run = await runTracer(['--ptrace', '--format', 'strace', '-o', traceFile, '--', fixture(`corpus/${name}`), expectedFile, work]);
    assert.is(run.status, 0, run.stderr);
    const expected = fs.readFileSync(expectedFile, 'utf8').split('\n').filter(Boolean);
    const trace = fs.readFileSync(traceFile, 'utf8').split('\n');
    assert.equal(missingLines(expected, trace), [], `lines missing; the trace:\n${trace.join('\n')}`);
  });
}

const TEST_USER = 'bpftrace-ts-test';

/** uid and gid of the unprivileged test user, created if missing. */
function unprivilegedUser() {
  try {
    execFileSync('id', ['-u', TEST_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', TEST_USER]);
  }
  const id = (flag) => Number(execFileSync('id', [flag, TEST_USER], { encoding: 'utf8' }));
  return { uid: id('-u'), gid: id('-g') };
}

test('an unprivileged user: the automatic fallback says why, and the trace is complete', async () => {
  const { uid, gid } = unprivilegedUser();
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpftrace-ts-user-'));
  try {
    fs.chownSync(userDir, uid, gid);
    const data = path.join(userDir, 'data');
    fs.writeFileSync(data, 'x'.repeat(777));
    fs.chownSync(data, uid, gid);
    const out = path.join(userDir, 'trace.json');
    const { TRACER } = require('../helpers');
    const run = await new Promise((resolve) => {
      const child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', TRACER, '--format', 'json', '-o', out, '--', 'cat', data],
        { env: { PATH: process.env.PATH, HOME: userDir }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
    assert.is(run.status, 0, run.stderr);
    // The notice names the capabilities an unprivileged user lacks (src/session/capabilities.ts).
    assert.match(run.stderr, /^bpftrace-ts: eBPF unavailable \(missing CAP_BPF and CAP_PERFMON: [^\n]*\); using the ptrace backend$/m);
    assert.is(summary(run.stderr).attachMode, 'ptrace');
    const records = readJson(out);
    const calls = records.filter((r) => r.syscall !== undefined);
    assert.is(calls[0].syscall, 'execve');
    assert.is(calls[calls.length - 1].syscall, 'exit_group');
    assert.ok(calls.some((c) => c.syscall === 'read' && c.ret === 777), 'the file is read');
    assert.ok(calls.some((c) => c.syscall === 'write' && c.args.fd === 1 && c.ret === 777), 'and written');
    assert.equal(records[records.length - 1].event, 'exit');
    assert.is(run.stdout, 'x'.repeat(777));
  } finally {
    fs.rmSync(userDir, { recursive: true, force: true });
  }
});

test('--backend bpf fails with the reason instead of falling back', async () => {
  const { uid, gid } = unprivilegedUser();
  const { TRACER } = require('../helpers');
  const result = await new Promise((resolve) => {
    const child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', TRACER, '--backend', 'bpf', '--', 'true'],
      { env: { PATH: process.env.PATH }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stderr }));
  });
  assert.is(result.status, 1);
  assert.match(result.stderr, /^bpftrace-ts: cannot load the eBPF programs: missing CAP_BPF and CAP_PERFMON: /);
  assert.is(result.stderr.trim().split('\n').length, 1, 'one line');
});

/** Started fixtures, killed after each test so a failed one cannot hang the run. */
const started = new Set();
function startFixture(name, args = [], stdin = 'ignore') {
  const child = spawn(fixture(name), args, { stdio: [stdin, 'pipe', 'inherit'] });
  started.add(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => { started.delete(child); resolve({ code, signal }); }));
  return { child, exited, output: () => output };
}

test('-p two processes blocked in read() on pipes: shown, detached, then they read their data and exit 0', async () => {
  const readers = [startFixture('pipe_reader', [], 'pipe'), startFixture('pipe_reader', [], 'pipe')];
  for (const r of readers) await waitFor(() => r.output().includes('ready'), 'the reader to start');
  const out = outFile('txt');
  let tracer;
  const run = runTracer(['--ptrace', '-p', readers.map((r) => r.child.pid).join(','), '-o', out], { started: (c) => (tracer = c) });
  await waitFor(() => readers.every((r) => fs.readFileSync(out, 'utf8').includes(`pipe_reader/${r.child.pid} read(fd: 0`)), 'both blocked reads');
  tracer.kill('SIGINT');
  const result = await run;
  assert.is(result.status, 0, result.stderr);
  for (const r of readers) {
    assert.match(fs.readFileSync(`/proc/${r.child.pid}/status`, 'utf8'), /TracerPid:\s+0\n/);
    r.child.stdin.end('hello');
    assert.equal(await r.exited, { code: 0, signal: null });
    assert.is(r.output(), `ready ${r.child.pid}\nread hello\n`);
  }
});

test('the tracer killed with SIGKILL while attached: the tracee runs on', async () => {
  const reader = startFixture('pipe_reader', [], 'pipe');
  await waitFor(() => reader.output().includes('ready'), 'the reader to start');
  const out = outFile('txt');
  let tracer;
  const run = runTracer(['--ptrace', '-p', String(reader.child.pid), '-o', out], { started: (c) => (tracer = c) });
  await waitFor(() => fs.readFileSync(out, 'utf8').includes('read(fd: 0'), 'the blocked read');
  tracer.kill('SIGKILL');
  assert.is((await run).signal, 'SIGKILL');
  await waitFor(() => /TracerPid:\s+0\n/.test(fs.readFileSync(`/proc/${reader.child.pid}/status`, 'utf8')), 'the kernel to detach it');
  reader.child.stdin.end('hello');
  assert.equal(await reader.exited, { code: 0, signal: null });
});

test('a process busy making calls, attached then detached: it runs on to a normal exit (no stray SIGSTOP or SIGTRAP)', async () => {
  const storm = startFixture('storm', ['5000000']);
  const out = outFile('txt');
  let tracer;
  const run = runTracer(['--ptrace', '-p', String(storm.child.pid), '-o', out], { started: (c) => (tracer = c) });
  await waitFor(() => (fs.readFileSync(out, 'utf8').match(/getppid\(\) = /g) ?? []).length > 100, 'its calls to be traced');
  tracer.kill('SIGINT');
  assert.is((await run).status, 0);
  const status = fs.readFileSync(`/proc/${storm.child.pid}/status`, 'utf8');
  assert.match(status, /TracerPid:\s+0\n/);
  assert.match(status, /State:\s+[RS]/, 'running, not stopped');
  assert.match(status, /SigPnd:\s+0+\n/, 'no signal left pending for it');
  assert.equal(await storm.exited, { code: 0, signal: null });
});

test('a stopped process attached and detached stays stopped, then continues on SIGCONT', async () => {
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  started.add(sleeper);
  const state = () => /State:\s+(\S)/.exec(fs.readFileSync(`/proc/${sleeper.pid}/status`, 'utf8'))[1];
  await waitFor(() => fs.readFileSync(`/proc/${sleeper.pid}/comm`, 'utf8').startsWith('sleep'), 'sleep to exec');
  sleeper.kill('SIGSTOP');
  await waitFor(() => state() === 'T', 'the stop');
  let tracer;
  const out = outFile('txt');
  const run = runTracer(['--ptrace', '-p', String(sleeper.pid), '-o', out], { started: (c) => (tracer = c) });
  await waitFor(() => /TracerPid:\s+[1-9]/.test(fs.readFileSync(`/proc/${sleeper.pid}/status`, 'utf8')), 'the attach');
  tracer.kill('SIGINT');
  assert.is((await run).status, 0);
  assert.is(state(), 'T', 'still stopped');
  assert.match(fs.readFileSync(`/proc/${sleeper.pid}/status`, 'utf8'), /TracerPid:\s+0\n/);
  sleeper.kill('SIGCONT');
  await waitFor(() => state() === 'S', 'sleep to run on');
  sleeper.kill('SIGKILL');
});

test('signals as strace shows them, delivered unchanged; exits and kills', async () => {
  const out = outFile('txt');
  const run = await runTracer(['--ptrace', '-o', out, '--', fixture('signal_self')]);
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout, 'handled 10\n', 'the handler ran');
  const text = fs.readFileSync(out, 'utf8');
  const pid = /signal_self\/(\d+) execve/.exec(text)[1];
  assert.match(text, new RegExp(`signal_self/${pid} --- SIGUSR1 \\{si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=${pid}, si_uid=0\\} ---\n`));
  assert.match(text, /signal_self\/\d+ \+\+\+ exited with 0 \+\+\+\n$/);

  const killed = outFile('txt');
  const run2 = await runTracer(['--ptrace', '-o', killed, '--', 'sh', '-c', 'kill -9 $$']);
  assert.is(run2.status, 137);
  // The call that killed its caller never returns: unfinished, then the end, as strace shows it.
  assert.match(fs.readFileSync(killed, 'utf8'), /sh\/\d+ kill\(pid: \d+, sig: KILL\) <unfinished \.\.\.>\n.*sh\/\d+ \+\+\+ killed by SIGKILL \+\+\+\n$/);
});

test('SIGCHLD: who exited, in JSON too', async () => {
  const out = outFile();
  const run = await runTracer(['--ptrace', '--format', 'json', '-o', out, '--', 'sh', '-c', '/bin/true; exit 4']);
  assert.is(run.status, 4);
  const records = readJson(out);
  const child = records.find((r) => r.event === 'exit' && r.pid !== records[0].pid);
  assert.ok(records.some((r) => r.syscall === 'execve' && r.ret === 0 && r.pid === child.pid), 'the child exec\'d true');
  const sigchld = records.find((r) => r.event === 'signal' && r.signal === 'SIGCHLD');
  assert.equal(sigchld.siginfo, { si_signo: 'SIGCHLD', si_code: 'CLD_EXITED', si_pid: child.pid, si_uid: 0, si_status: 0,
    si_utime: sigchld.siginfo.si_utime, si_stime: sigchld.siginfo.si_stime });
  const exits = records.filter((r) => r.event === 'exit').map((r) => [r.pid, r.exit_code, r.killed_by]);
  assert.equal(exits, [[child.pid, 0, null], [records[0].pid, 4, null]]);
});

test('-e on a launched command: a seccomp filter stops only the selected calls', async () => {
  const helper = path.join(dir, 'seccomp-marker-missing');
  const out = outFile('txt');
  let tracer;
  const run = runTracer(['--ptrace', '-e', 'openat', '-o', out, '--', fixture('signal_helper'), helper], { started: (c) => (tracer = c) });
  // The command is the tracer's child.
  let pid;
  const commandPid = () => execFileSync('pgrep', ['-P', String(tracer.pid), '-x', 'signal_helper'], { encoding: 'utf8' }).trim();
  await waitFor(() => (pid = commandPid()) && fs.readFileSync(`/proc/${pid}/status`, 'utf8').includes('State:\tS'), 'the command to wait');
  assert.match(fs.readFileSync(`/proc/${pid}/status`, 'utf8'), /Seccomp:\s+2\n/, 'in seccomp filter mode');
  process.kill(Number(pid), 'SIGUSR1');
  await waitFor(() => fs.readFileSync(out, 'utf8').includes(path.basename(helper)) || /openat\(.*ENOENT/.test(fs.readFileSync(out, 'utf8')), 'the openat');
  process.kill(Number(pid), 'SIGUSR2');
  const result = await run;
  assert.is(result.status, 7, result.stderr);
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
  const callLines = lines.filter((l) => !/ (---|\+\+\+) /.test(l));
  assert.ok(callLines.length >= 1);
  for (const line of callLines) assert.match(line, / openat\(/);
  assert.ok(lines.some((l) => l.includes('--- SIGUSR1 ')), 'signals are shown whatever -e');
});

test('what the ptrace backend refuses, in one line each; --summary-only is computed from the stream', async () => {
  for (const args of [['-a'], ['--hist', '--', 'true'], ['--top', '--', 'true'], ['--backend', 'bpf', '--', 'true']]) {
    const run = await runTracer(['--ptrace', ...args]);
    assert.is(run.status, 2, args.join(' '));
    assert.is(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /^bpftrace-ts: /);
  }
  const out = outFile('txt');
  const run = await runTracer(['--ptrace', '--summary-only', '-o', out, '--', fixture('known_calls')]);
  assert.is(run.status, 0, run.stderr);
  const text = fs.readFileSync(out, 'utf8');
  assert.match(text, /^\s+getppid\s+10000\s+0\s/m);
  assert.not.match(text, /getppid\(\)/, 'no call lines');
});

test.after.each(() => {
  for (const child of started) child.kill('SIGKILL');
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
