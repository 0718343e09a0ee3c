// Which processes are traced: children across fork+exec, every thread, --pid, -a.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { TRACER, fixture, tempDir, runTracer, readJson, waitFor, bpfObjectsOf, stillLoaded } = require('../helpers');

const dir = tempDir();

test('children are followed across fork and exec (sh -c "cat x | wc")', async () => {
  const out = path.join(dir, 'pipeline.json');
  const run = await runTracer(['--format', 'json', '-o', out, '--', 'sh', '-c', 'cat /etc/os-release | wc -l']);
  assert.is(run.status, 0, run.stderr);
  const calls = readJson(out);
  const execs = calls.filter((c) => c.syscall === 'execve' && c.ret === 0);
  const byPid = new Map(execs.map((c) => [c.pid, c]));
  assert.ok(byPid.size >= 3, `sh, cat and wc each exec in their own process: ${execs.map((c) => c.pid)}`);
  const comms = new Set(calls.map((c) => c.comm));
  for (const comm of ['sh', 'cat', 'wc']) assert.ok(comms.has(comm), comm);
  const wcRead = calls.find((c) => c.comm === 'wc' && c.syscall === 'read' && c.ret > 0);
  assert.ok(wcRead, 'wc reads the pipe');
});

test('--no-inherit: children are not followed', async () => {
  const out = path.join(dir, 'no-inherit.json');
  const run = await runTracer(['--no-inherit', '--format', 'json', '-o', out, '--', 'sh', '-c', 'cat /etc/os-release | wc -l']);
  assert.is(run.status, 0, run.stderr);
  const pids = new Set(readJson(out).map((c) => c.pid));
  assert.is(pids.size, 1, 'only the shell');
});

test('a 16-thread program: every thread is seen', async () => {
  const out = path.join(dir, 'threads.json');
  const run = await runTracer(['-e', 'getppid', '--format', 'json', '-o', out, '--', fixture('threads'), '16']);
  assert.is(run.status, 0, run.stderr);
  const tids = run.stdout.split('\n').filter(Boolean).map(Number);
  assert.is(tids.length, 16);
  const calls = readJson(out);
  for (const tid of tids) assert.is(calls.filter((c) => c.tid === tid).length, 3, `thread ${tid} made 3 getppid calls`);
  assert.is(calls.length, 48);
});

/** Helpers still running; killed after each test so a failed test cannot hang the run. */
const helpers = new Set();

function startHelper(marker) {
  const helper = spawn(fixture('signal_helper'), [marker], { stdio: ['ignore', 'pipe', 'inherit'] });
  helpers.add(helper);
  helper.on('exit', () => helpers.delete(helper));
  let output = '';
  helper.stdout.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => helper.on('exit', (code, signal) => resolve({ code, signal })));
  return { helper, exited, output: () => output };
}

test('--pid: attach, see its calls and what it blocks in, detach; it runs on and exits normally', async () => {
  const marker = path.join(dir, 'pid-marker-missing');
  const { helper, exited, output } = startHelper(marker);
  await waitFor(() => output().includes('ready'), 'the helper to start');
  const out = path.join(dir, 'pid.txt');
  let tracer;
  const run = runTracer(['-p', String(helper.pid), '-o', out], { started: (child) => (tracer = child) });
  // Attached when the blocked call is reported: the helper waits in rt_sigsuspend.
  await waitFor(() => fs.readFileSync(out, 'utf8').includes('rt_sigsuspend('), 'the blocked call to be shown');
  helper.kill('SIGUSR1');
  await waitFor(() => output().includes('opened -1'), 'the helper to make its call');
  await waitFor(() => /openat\(.*\) = -1 ENOENT/.test(fs.readFileSync(out, 'utf8')), 'its openat to be traced');
  tracer.kill('SIGINT');
  const result = await run;
  assert.is(result.status, 0, result.stderr);
  const status = fs.readFileSync(`/proc/${helper.pid}/status`, 'utf8');
  assert.match(status, /TracerPid:\s+0\n/);
  assert.match(status, /State:\s+S/, 'still waiting, not stopped');
  helper.kill('SIGUSR2');
  assert.equal(await exited, { code: 7, signal: null });
  const lines = fs.readFileSync(out, 'utf8').split('\n');
  assert.match(lines[0], new RegExp(`^ +\\d+\\.\\d{3} \\(         \\): signal_helper/${helper.pid} rt_sigsuspend\\(.*\\) \\.\\.\\.$`));
  assert.ok(lines.some((l) => l.includes('... [continued]: rt_sigsuspend()) = ? ERESTARTNOHAND')), 'the blocked call completes');
  assert.ok(lines.some((l) => / rt_sigreturn\(\) = -1 EINTR/.test(l)), 'rt_sigreturn pairs with its exit');
});

test('--pid: the tracer exits when its targets have exited', async () => {
  const { helper, exited, output } = startHelper(path.join(dir, 'missing'));
  await waitFor(() => output().includes('ready'), 'the helper to start');
  const out = path.join(dir, 'pid-exit.txt');
  const run = runTracer(['-p', String(helper.pid), '-o', out]);
  await waitFor(() => fs.readFileSync(out, 'utf8').includes('rt_sigsuspend('), 'the tracer to attach');
  helper.kill('SIGUSR1');
  await waitFor(() => output().includes('opened'), 'its call');
  helper.kill('SIGUSR2');
  assert.equal(await exited, { code: 7, signal: null });
  const result = await run;
  assert.is(result.status, 0, result.stderr);
  assert.match(fs.readFileSync(out, 'utf8'), /exit_group\(error_code: 7\) = \?/);
});

test('-a: sees other processes\' calls, never its own', async () => {
  const out = path.join(dir, 'all.json');
  let tracer;
  const run = runTracer(['-a', '--format', 'json', '-o', out], { started: (child) => (tracer = child) });
  await waitFor(() => fs.existsSync(out), 'the trace file');
  // The tracer writes its own output meanwhile; a separate process makes a marked call,
  // again at each check until one is traced (the tracer may still be attaching).
  const marker = path.join(dir, 'all-marker-missing');
  await waitFor(() => {
    spawn('cat', [marker], { stdio: 'ignore' });
    return fs.readFileSync(out, 'utf8').includes('"comm":"cat"');
  }, 'another process to be traced', 20000);
  tracer.kill('SIGINT');
  const result = await run;
  assert.is(result.status, 0, result.stderr);
  const calls = readJson(out);
  assert.ok(calls.some((c) => c.comm === 'cat' && c.syscall === 'openat' && c.errno === 'ENOENT'));
  assert.not.ok(calls.some((c) => c.pid === tracer.pid), 'never the tracer itself');
  const early = calls.filter((c) => c.ts_ns < 0);
  assert.equal(early, [], 'nothing before time 0, while the programs were still being attached');
});

test('Ctrl-C stops a tracer that cannot keep up: it ends with its totals while the target runs on', async () => {
  // yes makes calls faster than the JSON output can be written, so the ring never empties
  // and the queue to JavaScript stays full: the stop must still be heard, and the trace end.
  const target = spawn('yes', [], { stdio: ['ignore', fs.openSync('/dev/null', 'w'), 'ignore'] });
  try {
    let tracer;
    const run = runTracer(['-p', String(target.pid), '--format', 'json', '-o', '/dev/null'], { started: (child) => (tracer = child) });
    let stderr = '';
    tracer.stderr.on('data', (d) => (stderr += d));
    await waitFor(() => stderr.includes(`Process ${target.pid} attached`), 'the tracer to attach');
    await new Promise((resolve) => setTimeout(resolve, 500)); // the queue and the ring fill up
    tracer.kill('SIGINT');
    const result = await run;
    assert.is(result.status, 0, result.stderr);
    assert.match(result.stderr, /bpftrace-ts: \d+ events, \d+ lost/);
    assert.is(target.exitCode, null, 'the target runs on');
    assert.is(target.signalCode, null);
  } finally {
    target.kill('SIGKILL');
  }
});

test('the tracer killed with SIGKILL: the command runs on to its end, and nothing of ours stays in the kernel', async () => {
  const started = path.join(dir, 'started');
  const done = path.join(dir, 'survived');
  let tracer;
  const run = runTracer(['-o', '/dev/null', '--', 'sh', '-c', `touch ${started}; sleep 0.5; echo ok > ${done}`], { started: (child) => (tracer = child) });
  await waitFor(() => fs.existsSync(started), 'the command to run traced');
  const held = bpfObjectsOf(tracer.pid); // other tracers may run meanwhile: only this one's
  assert.ok(held.prog.size >= 4, 'the tracer holds its programs');
  tracer.kill('SIGKILL');
  const result = await run;
  assert.is(result.signal, 'SIGKILL');
  await waitFor(() => fs.existsSync(done), 'the command to finish on its own');
  assert.is(fs.readFileSync(done, 'utf8'), 'ok\n');
  await waitFor(() => stillLoaded(held).length === 0, 'the kernel to drop this tracer\'s programs, maps and links');
});

test('output closed early: the tracer stops quietly and the command is not harmed', async () => {
  const done = path.join(dir, 'unharmed');
  const tracer = spawn(TRACER, ['--', 'sh', '-c', `sleep 0.5; echo ok > ${done}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  tracer.stdout.destroy(); // the reader went away, like "| head -1" after its line
  let stderr = '';
  tracer.stderr.on('data', (d) => (stderr += d));
  const [status] = await new Promise((resolve) => tracer.on('close', (...a) => resolve(a)));
  assert.is(status, 0, stderr);
  assert.not.match(stderr, /error|at /);
  await waitFor(() => fs.existsSync(done), 'the command to finish on its own');
});

test.after.each(() => {
  for (const helper of helpers) helper.kill('SIGKILL');
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
