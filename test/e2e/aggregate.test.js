// --summary-only and --hist: calls counted in the kernel, read per interval or at the end.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, waitFor, readJson } = require('../helpers');

const dir = tempDir();

/** Rows of the summary tables in text: [{name, calls, errors, p50, p99}] in order. */
function rows(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^ {3}(\w+) +(\d+) +(\d+) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+)% +([\d.]+) +([\d.]+)$/.exec(line);
    if (m) out.push({ name: m[1], calls: +m[2], errors: +m[3], p50: +m[9], p99: +m[10] });
  }
  return out;
}

function totals(stderr) {
  const m = /bpftrace-ts: (\d+) calls counted in the kernel, (\d+) not counted/.exec(stderr);
  assert.ok(m, stderr);
  return { counted: +m[1], uncounted: +m[2] };
}

test('--summary-only counts in the kernel what -S counts from the stream', async () => {
  const kernel = await runTracer(['--summary-only', '--', fixture('known_calls')]);
  const streamedFile = path.join(dir, 'streamed.txt');
  const streamed = await runTracer(['-S', '-o', streamedFile, '--', fixture('known_calls')]);
  assert.is(kernel.status, 0, kernel.stderr);
  assert.is(streamed.status, 0, streamed.stderr);
  const counts = (text) => new Map(rows(text).map((r) => [r.name, [r.calls, r.errors]]));
  const k = counts(kernel.stdout);
  assert.equal(k.get('nanosleep'), [60, 0]);
  assert.equal(k.get('getppid'), [10000, 0]);
  // Same calls, so the same counts and errors per syscall, whichever way they were counted.
  assert.equal(k, counts(fs.readFileSync(streamedFile, 'utf8')));
  // Sleeps never return early: the 1 ms ones hold the median, the 10 ms ones the 99th.
  const sleeps = rows(kernel.stdout).find((r) => r.name === 'nanosleep');
  assert.ok(sleeps.p50 >= 0.75 && sleeps.p99 >= 7.5, JSON.stringify(sleeps));
  assert.is(totals(kernel.stderr).uncounted, 0);
});

test('--summary-only and --hist: a call that blocks while other threads make calls on its CPU, and returns on another CPU, is counted once with its whole time', async () => {
  // The kernel keeps a call that does not leave its CPU in the CPU's line and moves it to the
  // task when the task is switched out: here every sleep is switched out, and its CPU's line
  // is taken by a spinner's getppid meanwhile.
  for (const mode of ['--summary-only', '--hist']) {
    const run = await runTracer([mode, '-e', 'getppid,nanosleep', '--', fixture('switch_calls')]);
    assert.is(run.status, 0, run.stderr);
    const spun = Number(/^getppid (\d+)$/m.exec(run.stdout)[1]);
    if (mode === '--hist') {
      assert.match(run.stdout, /^@nanosleep: 20 calls, 0 errors/m);
      assert.match(run.stdout, new RegExp(`^@getppid: ${spun} calls, 0 errors`, 'm'));
    } else {
      const table = new Map(rows(run.stdout).map((r) => [r.name, r]));
      assert.equal([table.get('nanosleep')?.calls, table.get('getppid')?.calls], [20, spun], run.stdout);
      // 5 ms sleeps never end early: each was timed from its own entry.
      assert.ok(table.get('nanosleep').p50 >= 4.5, run.stdout);
    }
    assert.equal(totals(run.stderr), { counted: 20 + spun, uncounted: 0 });
  }
});

test('--summary-only: an execve by a thread other than the leader, which returns with the leader\'s tid, is counted', async () => {
  const run = await runTracer(['--summary-only', '-e', 'execve', '--', fixture('midcall'), 'exec-thread']);
  assert.is(run.status, 0, run.stderr);
  assert.is(rows(run.stdout).find((r) => r.name === 'execve')?.calls, 2, run.stdout);
  assert.equal(totals(run.stderr), { counted: 2, uncounted: 0 });
});

test('-i: interval tables of their own calls, adding up to all of them', async () => {
  const run = await runTracer(['--summary-only', '-i', '0.5', '-e', 'getppid', '--', fixture('paced_calls'), '600', '1600']);
  assert.is(run.status, 0, run.stderr);
  const intervals = run.stdout.match(/^--- [\d.]+ s to [\d.]+ s: (\d+) calls ---$/gm);
  assert.ok(intervals.length >= 3, run.stdout);
  const sum = intervals.map((line) => Number(/: (\d+) calls/.exec(line)[1])).reduce((a, b) => a + b, 0);
  assert.is(sum, 600);
  assert.is(rows(run.stdout).reduce((a, r) => a + r.calls, 0), 600, 'the tables hold the same calls');
  assert.is(totals(run.stderr).counted, 600);
});

test('--hist: a histogram per syscall with its count and percentiles', async () => {
  const run = await runTracer(['--hist', '-e', 'getppid,nanosleep', '--', fixture('known_calls')]);
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /^@getppid: 10000 calls, 0 errors, total [\d.]+ [mun]?s, p50 [\d.]+ [mun]?s, p90 .*, p99 .*, p99\.9 .*$/m);
  assert.match(run.stdout, /^@nanosleep: 60 calls, 0 errors/m);
  // Its rows hold its 60 calls, and the 10 ms sleeps are at 8 ms or more: a sleep never ends
  // early, though on a busy machine any sleep may end late (no row is exact but the sum).
  const section = run.stdout.split('@nanosleep:')[1].split('\n\n')[0];
  const rows = [...section.matchAll(/^\[(\d+)([KMG]?), [^)]+\) +(\d+) \|/gm)]
    .map(([, from, unit, calls]) => ({ from: Number(from) * { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[unit], calls: Number(calls) }));
  assert.is(rows.reduce((sum, r) => sum + r.calls, 0), 60, section);
  assert.ok(rows.filter((r) => r.from >= 8 << 20).reduce((sum, r) => sum + r.calls, 0) >= 10, section);
  const bars = run.stdout.split('\n').filter((l) => /^\[\S+, \S+\) +\d+ \|/.test(l));
  const counted = bars.reduce((a, l) => a + Number(/\) +(\d+) \|/.exec(l)[1]), 0);
  assert.is(counted, 10060, 'every call is in one row');
});

const CGROUP_ROOT = '/sys/fs/cgroup/unified';

/** -a --cgroup CG plus args, with one storm of 3000 calls inside CG and one of 5000 outside. */
async function stormsInAndOutOfCgroup(args) {
  const cgroup = path.join(fs.existsSync(CGROUP_ROOT) ? CGROUP_ROOT : '/sys/fs/cgroup', `bpftrace-ts-test-${process.pid}`);
  fs.mkdirSync(cgroup);
  let tracer;
  try {
    let attached = false;
    const run = runTracer(['-v', '-a', '--cgroup', cgroup, '-e', 'getppid', ...args], {
      started: (child) => {
        tracer = child;
        child.stderr.on('data', (d) => (attached ||= String(d).includes('attached with')));
      },
    });
    await waitFor(() => attached, 'the tracer to attach');
    const storm = fixture('storm');
    const inside = spawn('sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec ${storm} 3000`]);
    const outside = spawn(storm, ['5000']);
    await Promise.all([inside, outside].map((p) => new Promise((resolve) => p.on('exit', resolve))));
    tracer.kill('SIGINT');
    const result = await run;
    assert.is(result.status, 0, result.stderr);
    return { result, inside: inside.pid, outside: outside.pid };
  } finally {
    fs.rmdirSync(cgroup);
  }
}

test('--cgroup: a process in the cgroup is counted, one outside is not', async () => {
  const out = path.join(dir, 'cgroup.txt');
  const { result, inside, outside } = await stormsInAndOutOfCgroup(['--summary-only', '--summary-by', 'process', '-o', out]);
  const text = fs.readFileSync(out, 'utf8');
  assert.match(text, new RegExp(`^ storm \\(${inside}\\), 3000 calls`, 'm'));
  assert.not.match(text, new RegExp(`\\(${outside}\\)`));
  assert.is(totals(result.stderr).counted, 3000);
});

test('--cgroup on streamed calls: every call of the process in the cgroup, none of the one outside', async () => {
  const out = path.join(dir, 'cgroup.json');
  const { inside } = await stormsInAndOutOfCgroup(['--format', 'json', '-o', out]);
  const calls = readJson(out).filter((r) => r.syscall === 'getppid');
  assert.is(calls.length, 3000);
  assert.ok(calls.every((c) => c.pid === inside), 'only the storm in the cgroup');
});

test('--top: each interval, the busiest syscalls and processes (plain text off a terminal)', async () => {
  const out = path.join(dir, 'top.txt');
  let tracer;
  let attached = false;
  const run = runTracer(['-v', '-a', '--top', '3', '-i', '0.2', '--comm', 'storm', '-o', out], {
    started: (child) => {
      tracer = child;
      child.stderr.on('data', (d) => (attached ||= String(d).includes('attached with')));
    },
  });
  let storm;
  try {
    await waitFor(() => attached, 'the tracer to attach');
    storm = spawn(fixture('storm'), ['200000']);
    await new Promise((resolve) => storm.on('exit', resolve));
    const stormRow = new RegExp(`^  storm +${storm.pid} `, 'm');
    await waitFor(() => stormRow.test(fs.readFileSync(out, 'utf8')), 'a view with the storm');
  } finally {
    tracer.kill('SIGINT');
  }
  const result = await run;
  assert.is(result.status, 0, result.stderr);
  const text = fs.readFileSync(out, 'utf8');
  assert.not.match(text, /\x1b\[/, 'no terminal control codes in a file');
  assert.ok(text.match(/^bpftrace-ts --top .* over [\d.]+ s: [\d.]+ calls\/s/gm).length >= 2, 'a view per interval');
  assert.match(text, /^  getppid +[\d.]+ +0\.0 +[\d.]+ [mun]?s$/m);
  assert.match(text, new RegExp(`^  storm +${storm.pid} +[\\d.]+ +[\\d.]+ +[\\d.]+ [mun]?s  getppid$`, 'm'));
  assert.is(totals(result.stderr).uncounted, 0);
});

const badInputs = [
  [['--top', '--summary-only', '-a'], /--top shows its own view: not with --summary-only/],
  [['-i', '1', '--', 'true'], /-i goes with --summary-only or --hist/],
  [['--summary-only', '--hist', '--', 'true'], /not both/],
  [['--summary-only', '--format', 'json', '--', 'true'], /--format json applies to streamed calls/],
  [['--hist', '--cgroup', '/nonexistent-cgroup', '-a'], /no such cgroup: \/nonexistent-cgroup/],
  [['--hist', '--cgroup', '/tmp', '-a'], /not a cgroup v2 directory: \/tmp/],
];
for (const [args, message] of badInputs) {
  test(`bad input: ${args.join(' ')}`, async () => {
    const run = await runTracer(args);
    assert.ok(run.status === 1 || run.status === 2, run.stderr);
    assert.match(run.stderr, message);
    assert.is(run.stderr.trim().split('\n').length, 1);
  });
}

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
