// record --flight-recorder: the last window of batches kept in memory, a dump written when a
// trigger fires, and report of the dump.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson, waitFor } = require('../helpers');

const dir = tempDir();
const WINDOW_NS = 2e9;
/** A batch closes every few tens of ms; a dump reaches back the window and one batch more. */
const BATCH_SLACK_NS = 500e6;

async function report(args) {
  const run = await runTracer(['report', ...args]);
  assert.is(run.status, 0, run.stderr);
  return run;
}

/** The dump's calls and its trigger, from report --format json. */
async function jsonReport(file, options = []) {
  const out = path.join(dir, `${path.basename(file)}.json`);
  await report(['--format', 'json', ...options, '-o', out, file]);
  const objects = readJson(out);
  const triggers = objects.filter((o) => o.event === 'trigger');
  assert.is(triggers.length, 1, 'one trigger mark');
  return { calls: objects.filter((o) => o.syscall !== undefined && o.event === undefined), trigger: triggers[0], objects };
}

test('a program killed by SIGSEGV: the dump holds its last calls, the signal and the trigger, and nothing older than the window', async () => {
  const file = path.join(dir, 'crash.bpt');
  // 100 000 getppid calls, a 30 ms pause after each 1000: longer than the 2 s window.
  const run = await runTracer(['record', '--flight-recorder', '2s', '-o', file, '--', fixture('crash_after_calls'), '100000', '30', '1000'],
    { timeoutMs: 120000 });
  assert.is(run.status, 139, run.stderr); // 128 + SIGSEGV, as the shell reports it
  assert.ok(run.stderr.includes(`flight recorder: wrote ${file}`), run.stderr);
  assert.is(fs.statSync(file).mode & 0o777, 0o600);

  const strace = (await report(['--format', 'strace', file]));
  const lines = strace.stdout.split('\n').filter(Boolean);
  const signal = lines.findIndex((l) => l.startsWith('--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=NULL} ---'));
  assert.ok(signal > 0, strace.stdout.slice(-2000));
  assert.is(lines[signal + 1], '+++ killed by SIGSEGV +++');
  assert.ok(lines[signal + 2].startsWith('^^^ flight recorder trigger: fatal: crash_after_cal/'), lines[signal + 2]);
  // Its last calls: the 1000 getppid after the next-to-last pause, then the last pause.
  const before = lines.slice(0, signal);
  const pauses = before.map((l, i) => (/^clock_nanosleep\(/.test(l) ? i : -1)).filter((i) => i >= 0);
  const lastBurst = before.slice(pauses[pauses.length - 2] + 1, pauses[pauses.length - 1]);
  assert.is(lastBurst.filter((l) => /^getppid\(\) += \d+$/.test(l)).length, 1000, lastBurst.slice(0, 5).join('\n'));
  assert.match(strace.stderr, /flight recorder dump \(the last 2s before the trigger, 1 s after\): fatal: crash_after_cal\/\d+ \(pid \d+\) killed by SIGSEGV/);

  const { calls, trigger } = await jsonReport(file);
  assert.is(trigger.trigger, 'fatal');
  assert.is(trigger.signal, 'SIGSEGV');
  assert.is(trigger.comm, 'crash_after_cal');
  assert.ok(calls.length > 0 && calls.every((c) => c.pid === trigger.pid), 'the calls are the crashed process\'s');
  // Only the window: not every call, none older than the window before the trigger.
  const getppids = calls.filter((c) => c.syscall === 'getppid').length;
  assert.ok(getppids >= 1000 && getppids < 100000, `${getppids} getppid calls`);
  const oldest = Math.min(...calls.map((c) => c.ts_ns));
  assert.ok(oldest >= trigger.ts_ns - WINDOW_NS - BATCH_SLACK_NS, `a call ${(trigger.ts_ns - oldest) / 1e6} ms before the trigger`);
  assert.not.ok(calls.some((c) => c.syscall === 'execve'), 'the exec, long before the window, is not kept');
});

test('errno=ENOSPC,EMFILE: a write to /dev/full writes a dump whose failed write is marked', async () => {
  const file = path.join(dir, 'enospc.bpt');
  const run = await runTracer(['record', '--flight-recorder', '2s', '--dump-on', 'errno=ENOSPC,EMFILE', '-o', file, '--', fixture('fail_one_write')]);
  assert.is(run.status, 0, run.stderr);
  const perf = await report([file]);
  const lines = perf.stdout.split('\n');
  const mark = lines.findIndex((l) => l.startsWith('^^^ flight recorder trigger: errno: write of fail_one_write/'));
  assert.ok(mark > 0, perf.stdout.slice(-1500));
  assert.match(lines[mark - 1], /fail_one_write\/\d+ write\(fd: 3, buf: "x", count: 1\) = -1 ENOSPC \(No space left on device\)/);
  const { calls, trigger } = await jsonReport(file);
  assert.is(trigger.trigger, 'errno');
  assert.is(trigger.syscall, 'write');
  assert.is(trigger.errno, 'ENOSPC');
  const failed = calls.filter((c) => c.errno === 'ENOSPC');
  assert.is(failed.length, 1);
  assert.is(failed[0].ts_ns, trigger.call_ts_ns);
  assert.is(failed[0].tid, trigger.tid);
  // The calls after it (its --after) are there too.
  assert.ok(calls.filter((c) => c.syscall === 'getppid' && c.ts_ns > trigger.ts_ns).length >= 1000);
});

test('slow=200ms: a 300 ms sleep writes a dump naming the sleep', async () => {
  const file = path.join(dir, 'slow.bpt');
  const run = await runTracer(['record', '--flight-recorder', '2s', '--dump-on', 'slow=200ms', '-o', file, '--', 'sleep', '0.3']);
  assert.is(run.status, 0, run.stderr);
  const { calls, trigger } = await jsonReport(file);
  assert.is(trigger.trigger, 'slow');
  assert.is(trigger.syscall, 'clock_nanosleep');
  assert.ok(trigger.duration_ns >= 200e6, String(trigger.duration_ns));
  const sleep = calls.find((c) => c.syscall === 'clock_nanosleep' && c.tid === trigger.tid);
  assert.ok(sleep, 'the sleep is in the dump');
  assert.ok(sleep.dur_ns >= 300e6);
  assert.is(sleep.ts_ns, trigger.call_ts_ns);
});

/** The tracer on argv, its stderr as it comes; resolves with its exit. */
function startTracer(argv) {
  const child = spawn(path.join(__dirname, '..', '..', 'bin', 'bpftrace-ts'), argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('close', (status) => resolve(status)));
  return { child, stderr: () => stderr, exited };
}

test('SIGUSR1 to the tracer writes a dump of -p; then FILE.1.bpt..., a name taken is not written, up to --max-dumps', async () => {
  const target = spawn(fixture('paced_calls'), ['100000', '100000'], { stdio: 'ignore' });
  const file = path.join(dir, 'usr1.bpt');
  const kept = path.join(dir, 'usr1-kept');
  fs.writeFileSync(kept, 'keep');
  const tracer = startTracer(['record', '--flight-recorder', '1s', '--after', '100ms', '--max-dumps', '3', '-o', file, '-p', String(target.pid)]);
  const dumps = [file, path.join(dir, 'usr1.2.bpt')];
  try {
    await waitFor(() => tracer.stderr().includes(`Process ${target.pid} attached`), 'the attach');
    const usr1 = async (line) => {
      tracer.child.kill('SIGUSR1');
      await waitFor(() => tracer.stderr().includes(line), line);
    };
    await usr1(`wrote ${file} (`);
    // A symlink planted at the next name: not followed, that dump is lost, the trace goes on.
    fs.symlinkSync(kept, path.join(dir, 'usr1.1.bpt'));
    await usr1(`cannot write '${path.join(dir, 'usr1.1.bpt')}': it exists: a dump never replaces a file: the dump is lost`);
    await usr1(`wrote ${dumps[1]} (`);
    await usr1('not written, --max-dumps 3 were written already');
  } finally {
    tracer.child.kill('SIGINT');
    await tracer.exited;
    target.kill('SIGKILL');
  }
  assert.is(fs.readFileSync(kept, 'utf8'), 'keep');
  assert.not.ok(fs.existsSync(path.join(dir, 'usr1.3.bpt')));
  assert.match(tracer.stderr(), /flight recorder: 2 dumps written, 1 lost, \d+ events lost/);
  for (const name of dumps) {
    const { calls, trigger } = await jsonReport(name);
    assert.is(trigger.trigger, 'usr1');
    assert.ok(calls.some((c) => c.syscall === 'getppid' && c.pid === target.pid), 'the target\'s calls');
  }
});

test('-a --comm with exit: only a process of that name exiting non-zero writes a dump', async () => {
  const file = path.join(dir, 'exit.bpt');
  const tracer = startTracer(['record', '--flight-recorder', '2s', '--dump-on', 'exit', '--after', '100ms', '-a', '--comm', 'false', '-o', file]);
  try {
    // Until the tracer is attached (it says nothing before), run false until a dump appears;
    // true, of another name and exiting 0, never writes one.
    await waitFor(() => {
      spawn('/bin/true', { stdio: 'ignore' });
      spawn('/bin/false', { stdio: 'ignore' });
      return tracer.stderr().includes(`wrote ${file}`);
    }, 'the dump');
  } finally {
    tracer.child.kill('SIGINT');
    await tracer.exited;
  }
  const { calls, trigger } = await jsonReport(file);
  assert.is(trigger.trigger, 'exit');
  assert.is(trigger.exit_code, 1);
  assert.is(trigger.comm, 'false');
  assert.ok(calls.length > 0 && calls.every((c) => c.comm === 'false'), 'only the processes named false');
});

test('mistakes in the options: one line naming the option, and no file is ever replaced', async () => {
  const cases = [
    [['--flight-recorder', '2x'], /^bpftrace-ts: --flight-recorder takes a time span \(30s, 500ms, 2m\) or a size \(256M, 1G\), not '2x'\n$/],
    [['--flight-recorder', '2s', '--dump-on', 'crash'], /^bpftrace-ts: --dump-on: unknown trigger 'crash'/],
    [['--flight-recorder', '2s', '--dump-on', 'errno=ENOSPC,EFOO'], /^bpftrace-ts: unknown errno 'EFOO' in --dump-on errno=/],
    [['--flight-recorder', '2s', '--dump-on', 'slow=fast'], /^bpftrace-ts: --dump-on slow= takes a duration/],
    [['--flight-recorder', '2s', '--after', '1'], /^bpftrace-ts: --after takes a duration/],
    [['--flight-recorder', '2s', '--max-dumps', '0'], /^bpftrace-ts: --max-dumps takes 1 to/],
    [['--dump-on', 'fatal'], /^bpftrace-ts: --dump-on goes with record --flight-recorder\n$/],
  ];
  for (const [args, message] of cases) {
    const run = await runTracer(['record', ...args, '-o', path.join(dir, 'never.bpt'), '--', 'true']);
    assert.is(run.status, 2, args.join(' '));
    assert.match(run.stderr, message);
  }
  const existing = path.join(dir, 'existing.bpt');
  fs.writeFileSync(existing, 'keep');
  const link = path.join(dir, 'link.bpt');
  fs.symlinkSync(existing, link);
  for (const name of [existing, link]) {
    const run = await runTracer(['record', '--flight-recorder', '2s', '-o', name, '--', 'true']);
    assert.is(run.status, 1);
    assert.is(run.stderr, `bpftrace-ts: cannot write '${name}': it exists: a dump never replaces a file\n`);
  }
  assert.is(fs.readFileSync(existing, 'utf8'), 'keep');
  assert.not.ok(fs.existsSync(path.join(dir, 'never.bpt')));
});

/** The processes pid forked, from whichever of its threads. */
function childrenOf(pid) {
  const pids = [];
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`))
      pids.push(...fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch {
    // it has ended
  }
  return pids;
}

function vmRssKiB(pid) {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

test('RSS stays flat: 60 s at 200 000 calls/s under a 2 s window', async () => {
  const file = path.join(dir, 'rss.bpt');
  const tracer = startTracer(['record', '--flight-recorder', '2s', '--after', '100ms', '-o', file, '--', fixture('rate_calls'), '200000', '90']);
  const samples = [];
  try {
    // The dump is asked for during the run (a tracer behind on its queue hears SIGUSR1 late):
    // its size is the window's.
    for (let s = 1; s <= 58; s++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      samples.push(vmRssKiB(tracer.child.pid));
      if (s === 40) tracer.child.kill('SIGUSR1');
    }
    await waitFor(() => tracer.stderr().includes(`wrote ${file}`), 'the dump', 10000);
  } finally {
    // The command (asked for longer than the samples take, so that it runs through them)
    // outlives a stopped trace: it is ended with it.
    const command = childrenOf(tracer.child.pid);
    tracer.child.kill('SIGINT');
    await tracer.exited;
    for (const pid of command) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // it had ended
      }
    }
  }
  const windowKiB = fs.statSync(file).size / 1024;
  // The early plateau, once the ring buffer and the window have filled; what the tracer may
  // hold besides the window: the batches queued for JavaScript while it falls behind (at most
  // 256, of up to 8192 events: about 60 MiB of these calls), and as much again of batches
  // already handled that V8 has not collected yet (external memory, collected by the 64 MiB).
  const early = Math.max(...samples.slice(10, 20));
  const late = Math.max(...samples.slice(30));
  const FIXED_KIB = 128 * 1024;
  process.stdout.write(`\n  RSS (MiB) each second: ${samples.map((k) => Math.round(k / 1024)).join(' ')}; window ${Math.round(windowKiB)} KiB\n`);
  assert.ok(late <= early + windowKiB + FIXED_KIB, `RSS grew from ${early} KiB to ${late} KiB (window ${windowKiB} KiB)`);
  // What the dump holds is the window: the last 2 s of calls, not the minute (its first call
  // is enough: the calls are in time order).
  const { calls, trigger } = await jsonReport(file, ['--max-events', '1']);
  const oldest = Math.min(...calls.map((c) => c.ts_ns));
  assert.ok(oldest >= trigger.ts_ns - WINDOW_NS - BATCH_SLACK_NS, `a call ${(trigger.ts_ns - oldest) / 1e6} ms before the trigger`);
});

test.run();
