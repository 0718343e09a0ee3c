// record / --record and report: a recording renders as the live trace of the same events did.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson, waitFor } = require('../helpers');
const { frames } = require('../recording-frames');

const dir = tempDir();
const file = path.join(dir, 'known-file');
fs.writeFileSync(file, 'some bytes\n');
const lines = (text) => text.split('\n').filter(Boolean);

/** A live trace of args that also records; its output and the recording's path. */
async function liveAndRecording(name, args) {
  const live = path.join(dir, `${name}.live`);
  const recording = path.join(dir, `${name}.bpt`);
  const run = await runTracer([...args.display, '-o', live, '--record', recording, '--', ...args.command]);
  assert.ok(run.status === 0 || run.status === 1, run.stderr);
  return { live: fs.readFileSync(live, 'utf8'), liveStderr: run.stderr, recording };
}

async function report(args) {
  const run = await runTracer(['report', ...args]);
  assert.is(run.status, 0, run.stderr);
  return run;
}

for (const backend of ['bpf', 'ptrace'])
test(`report --format json of a recording equals the live json of the same events, -S table included (${backend})`, async () => {
  const { live, liveStderr, recording } = await liveAndRecording(`json-${backend}`, {
    display: ['--backend', backend, '--format', 'json', '-S'], command: ['sh', '-c', `cat ${file} ${file}.missing; cat ${file}`],
  });
  const run = await report(['--format', 'json', '-S', recording]);
  assert.ok(lines(live).length > 50, 'a whole shell run was traced');
  assert.is(run.stdout, live);
  const table = (stderr) => stderr.slice(stderr.indexOf(' Summary of syscalls'), stderr.lastIndexOf('bpftrace-ts:'));
  assert.ok(table(liveStderr).includes('openat'));
  assert.is(table(run.stderr), table(liveStderr));
  const events = (stderr) => /bpftrace-ts: (\d+) events, 0 lost/.exec(stderr)[1];
  assert.is(events(run.stderr), events(liveStderr));
  assert.match(run.stderr, backend === 'ptrace' ? /recorded with backend ptrace/ : /recorded with backend bpf \(tp_btf\)/);
});

test('report in perf format equals the live lines, blocked calls announced at the same points', async () => {
  const { live, recording } = await liveAndRecording('perf', { display: ['-S'], command: ['sh', '-c', 'sleep 0.2; echo done'] });
  assert.match(live, /clock_nanosleep\(.*\) \.\.\.\n/, 'the sleep is announced while blocked');
  assert.is((await report(['-S', recording])).stdout, live);
});

for (const backend of ['bpf', 'ptrace'])
test(`report --format strace with -tt -T -s equals the live strace lines, down to the exit line (${backend})`, async () => {
  const { live, recording } = await liveAndRecording(`strace-${backend}`, {
    display: ['--backend', backend, '--format', 'strace', '-tt', '-T', '-s', '8'],
    command: ['sh', '-c', `cat ${file} ${file}.missing; trap : USR1; kill -USR1 $$; exit 0`],
  });
  assert.match(live, /openat\(AT_FDCWD, "[^"]*known-file", O_RDONLY\) = 3 <[\d.]+>\n/, 'captured paths shown whole');
  assert.match(live, /\+\+\+ exited with 0 \+\+\+\n$/);
  if (backend === 'ptrace') assert.match(live, /--- SIGUSR1 \{si_signo=SIGUSR1, /, 'the signal the ptrace backend records');
  assert.is((await report(['--format', 'strace', '-tt', '-T', '-s', '8', recording])).stdout, live);
});

test('report -e, --pid, --failure and --duration show what live tracing with them shows', async () => {
  const { live, recording } = await liveAndRecording('filters', {
    display: ['--format', 'json'], command: ['sh', '-c', `cat ${file}; cat ${file}.missing; sleep 0.05`],
  });
  const all = lines(live).map((l) => JSON.parse(l));
  const shown = async (...args) => lines((await report(['--format', 'json', ...args, recording])).stdout).map((l) => JSON.parse(l));
  const expect = (keep) => all.filter(keep);

  assert.equal(await shown('-e', 'openat,read'), expect((c) => c.syscall === 'openat' || c.syscall === 'read'));
  assert.ok(expect((c) => c.syscall === 'openat').length > 2);
  const catPid = all.find((c) => c.comm === 'cat').pid;
  assert.equal(await shown('--pid', String(catPid)), expect((c) => c.pid === catPid));
  const failed = await shown('--failure');
  assert.equal(failed, expect((c) => c.errno !== null));
  assert.ok(failed.some((c) => c.syscall === 'openat' && c.errno === 'ENOENT'));
  assert.equal(await shown('--duration', '10'), expect((c) => c.dur_ns !== null && c.dur_ns >= 10e6));
  assert.ok(expect((c) => c.dur_ns >= 10e6).some((c) => c.syscall === 'clock_nanosleep'));
  assert.equal(await shown('--max-events', '7'), all.slice(0, 7));
});

test('record -o: a header, batches and a trailer; report --hist counts the recorded calls', async () => {
  const recording = path.join(dir, 'known.bpt');
  const run = await runTracer(['record', '-o', recording, '--', fixture('known_calls')]);
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stderr, /bpftrace-ts: recorded \d+ messages \(\d+ bytes\), 0 events lost/);
  assert.is(run.stdout, '', 'record shows nothing');
  const records = frames(fs.readFileSync(recording));
  assert.is(records[0].field, 1, 'header first');
  assert.is(records[records.length - 1].field, 4, 'trailer last');
  assert.ok(records.slice(1, -1).every((r) => r.field === 5), 'batches between, deflated');
  assert.is(fs.statSync(recording).mode & 0o777, 0o600, 'readable by its owner only');

  const hist = (await report(['--hist', '-e', 'getppid,nanosleep', recording])).stdout;
  assert.match(hist, /^@getppid: 10000 calls, 0 errors, total [\d.]+ [mun]?s, p50 /m);
  assert.match(hist, /^@nanosleep: 60 calls, 0 errors/m);
  assert.match(hist, /^\[8M, 16M\) +10 \|@+ *\|$/m, 'the 10 ms sleeps');
  const bars = hist.split('\n').filter((l) => /^\[\S+, \S+\) +\d+ \|/.test(l));
  assert.is(bars.reduce((a, l) => a + Number(/\) +(\d+) \|/.exec(l)[1]), 0), 10060);

  const verbose = await report(['-v', '-o', '/dev/null', recording]);
  assert.match(verbose.stderr, new RegExp(`recorded on \\S+ \\(kernel \\S+, x86_64\\) at .*, backend bpf \\(tp_btf\\): bpftrace-ts record -o ${recording} -- `));
});

test('record --summary-only: the kernel\'s tables are recorded and reported as they were counted', async () => {
  const recording = path.join(dir, 'summary.bpt');
  const run = await runTracer(['record', '--summary-only', '-o', recording, '--', fixture('known_calls')]);
  assert.is(run.status, 0, run.stderr);
  assert.ok(frames(fs.readFileSync(recording)).slice(1, -1).every((r) => r.field === 3), 'aggregates between');
  const shown = await report([recording]);
  assert.match(shown.stdout, /^ {3}getppid +10000 +0 /m);
  assert.match(shown.stdout, /^ {3}nanosleep +60 +0 /m);
  assert.match(shown.stderr, /bpftrace-ts: \d+ calls counted in the kernel, 0 not counted/);
  const misuse = await runTracer(['report', '--format', 'json', recording]);
  assert.is(misuse.status, 2);
  assert.match(misuse.stderr, /^bpftrace-ts: --format applies to streamed calls; this recording holds counts made in the kernel \(--summary-only\)\n$/);
});

test('a recording cut at any byte reports its whole records and says it was cut', async () => {
  const { recording } = await liveAndRecording('cut', { display: ['--format', 'json'], command: [fixture('known_calls')] });
  const bytes = fs.readFileSync(recording);
  const records = frames(bytes);
  const full = lines((await report(['--format', 'json', recording])).stdout);
  // Cuts inside batches, at a record boundary, and inside the trailer.
  const cuts = [records[2].start + 5, records[3].start, records[records.length - 2].end - 1, bytes.length - 1];
  for (const cut of cuts) {
    const cutFile = path.join(dir, `cut-${cut}.bpt`);
    fs.writeFileSync(cutFile, bytes.subarray(0, cut));
    const whole = records.filter((r) => r.end <= cut && r.field !== 1 && r.field !== 4).length;
    const run = await report(['--format', 'json', cutFile]);
    assert.match(run.stderr, new RegExp(`the recording was cut short \\((it ends inside the record at byte \\d+|it ends without its trailer)\\): shown up to its last whole record, ${whole} records\\n`));
    const shown = lines(run.stdout);
    // The calls of the whole records, as the full report shows them; then the calls the cut
    // left without an exit, as a trace that ends does.
    let same = 0;
    while (same < shown.length && shown[same] === full[same]) same++;
    assert.ok(same > 0 || whole === 0, `cut at ${cut}: the first calls are shown`);
    for (const rest of shown.slice(same).map((l) => JSON.parse(l))) assert.is(rest.ret, null, `cut at ${cut}: ${JSON.stringify(rest)}`);
  }
  const header = path.join(dir, 'cut-header.bpt');
  fs.writeFileSync(header, bytes.subarray(0, records[0].end - 1));
  const run = await runTracer(['report', header]);
  assert.is(run.status, 1);
  assert.is(run.stderr, `bpftrace-ts: ${header}: the recording was cut before its header: nothing to report\n`);
  fs.writeFileSync(header, bytes.subarray(0, 3));
  assert.match((await runTracer(['report', header])).stderr, /^bpftrace-ts: .*: not a bpftrace-ts recording \(it does not start with BPTSREC\)\n$/);
});

test('a recorder killed with SIGKILL leaves a recording that reports up to its cut', async () => {
  const storm = spawn(fixture('paced_calls'), ['100000', '100000'], { stdio: 'ignore' });
  const recording = path.join(dir, 'killed.bpt');
  let tracer;
  const run = runTracer(['record', '-o', recording, '-p', String(storm.pid)], { started: (child) => (tracer = child) });
  try {
    await waitFor(() => fs.existsSync(recording) && fs.statSync(recording).size > 4096, 'the recording to grow');
  } finally {
    tracer.kill('SIGKILL');
    await run;
  }
  assert.is(storm.exitCode, null, 'the traced process lives on');
  storm.kill('SIGKILL');
  const shown = await report(['--format', 'json', recording]);
  const calls = lines(shown.stdout).map((l) => JSON.parse(l));
  assert.ok(calls.filter((c) => c.syscall === 'getppid' && c.pid === storm.pid).length > 10, shown.stderr);
  assert.match(shown.stderr, /the recording was cut short/);
});

const badInputs = [
  [['record', '--', 'true'], 2, /^bpftrace-ts: record needs -o FILE: where to write the recording$/],
  [['record', '-o', `${dir}/x.bpt`, '--format', 'json', '--', 'true'], 2, /--format chooses what is shown: give it to bpftrace-ts report/],
  [['report', `${dir}/no-such.bpt`], 1, /^bpftrace-ts: cannot read '.*no-such.bpt': no such file or directory$/],
  [['report', '--format', 'yaml', `${dir}/no-such.bpt`], 2, /option '--format <format>' argument 'yaml' is invalid/],
  [['report', '--top', '3', `${dir}/no-such.bpt`], 2, /--top goes with --hist/],
];
for (const [args, status, message] of badInputs) {
  test(`bad input: ${args.join(' ')}`, async () => {
    const run = await runTracer(args);
    assert.is(run.status, status, run.stderr);
    assert.match(run.stderr.trimEnd(), message);
    assert.is(run.stderr.trim().split('\n').length, 1);
  });
}

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
