// strace's line discipline in --format strace on real programs, on both backends: where
// several tasks' lines meet, a call's line begins when the call starts and is split into
// <unfinished ...> / <... resumed> only when another task's line comes between its entry and
// its exit; the lines are in time order; [pid N] while several tasks are alive, `PID ` on
// every line with -f -o FILE; a task traced alone, or in a file of its own (-ff), never has a
// call split. These give invariants (their interleaving depends on timing); the exact lines
// for synthetic events are in test/unit/trace-output.test.js.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { runTracer, tempDir, waitFor } = require('../helpers');

const dir = tempDir();
const BACKENDS = { bpf: ['--backend', 'bpf'], ptrace: ['--ptrace'] };

/** Each line's task (the [pid N] prefix or the PID column; '' without) and the rest. */
function parse(line) {
  const m = /^(?:\[pid +(\d+)\] |(\d+) +)?(.*)$/.exec(line);
  return { pid: m[1] ?? m[2] ?? '', rest: m[3] };
}

/** strace's invariants of a trace's lines (an array): a list of what breaks them. */
function disciplineErrors(lines) {
  const errors = [];
  let lastUs = -1;
  const open = new Map(); // pid -> syscall name of its line ended <unfinished ...>
  lines.forEach((line, i) => {
    const { pid, rest } = parse(line);
    const time = /^(\d\d):(\d\d):(\d\d)\.(\d{6}) /.exec(rest);
    if (time) {
      const us = ((Number(time[1]) * 60 + Number(time[2])) * 60 + Number(time[3])) * 1e6 + Number(time[4]);
      if (us < lastUs) errors.push(`line ${i + 1} goes back in time: ${line}`);
      lastUs = us;
    }
    const body = time ? rest.slice(time[0].length) : rest;
    const resumed = /^<\.\.\. (\w+) resumed>/.exec(body);
    if (resumed) {
      if (open.get(pid) !== resumed[1]) errors.push(`line ${i + 1} resumes a call not shown unfinished: ${line}`);
      open.delete(pid);
    } else if (open.has(pid) && !body.startsWith('+++') && !body.startsWith('---')) {
      errors.push(`line ${i + 1}: a new call of ${pid} before its ${open.get(pid)} resumed`);
    }
    if (body.endsWith(' <unfinished ...>')) {
      open.set(pid, /^(\w+)\(/.exec(body)?.[1]);
      if (i + 1 < lines.length && parse(lines[i + 1]).pid === pid) errors.push(`line ${i + 1} is split with no other task's line next: ${line}`);
    }
  });
  return errors;
}

const SHELL = ['sh', '-c', 'sleep 0.2 & cat /etc/hostname >/dev/null; wait'];

for (const [backend, args] of Object.entries(BACKENDS)) {
  test(`${backend}: -f -tt -o FILE: lines in time order, a call split only around another task's line, a vforked child after its parent's vfork, PID on every line`, async () => {
    const out = path.join(dir, `shell-${backend}.txt`);
    const run = await runTracer([...args, '--format', 'strace', '-f', '-tt', '-o', out, '--', ...SHELL]);
    assert.is(run.status, 0, run.stderr);
    const lines = fs.readFileSync(out, 'utf8').split('\n').filter(Boolean);
    assert.equal(disciplineErrors(lines), [], lines.join('\n'));
    assert.ok(lines.every((line) => /^\d+ +\d\d:/.test(line) && /^\d{5,} |^\d{1,4} +/.test(line)), 'every line starts with `PID `');
    // sh vforks cat: cat's first line comes after sh's vfork line.
    const vfork = lines.findIndex((line) => /^\d+ +\S+ vfork\(/.test(line));
    const forked = Number(/<\.\.\. vfork resumed>\) = (\d+)|vfork\(\) += (\d+)/.exec(lines.join('\n'))?.slice(1).find(Boolean));
    assert.ok(vfork >= 0 && forked > 0, lines.join('\n'));
    assert.ok(lines.findIndex((line) => parse(line).pid === String(forked)) > vfork, `cat's lines after sh's vfork:\n${lines.join('\n')}`);
  });

  test(`${backend}: on the terminal, [pid N] while several tasks live: a child's end carries it, the last task's end does not`, async () => {
    const run = await runTracer([...args, '--format', 'strace', '-f', '--', ...SHELL]);
    assert.is(run.status, 0, run.stderr);
    const lines = run.stdout.split('\n').filter(Boolean);
    const children = lines.filter((line) => /^\[pid +\d+\] \+\+\+ exited with 0 \+\+\+$/.test(line)).map((line) => parse(line).pid);
    assert.is(children.length, 2, `both children's ends with their pid:\n${lines.join('\n')}`);
    assert.is(lines[lines.length - 1], '+++ exited with 0 +++', 'the shell\'s own end, alone by then');
    // From a child's first line to its end, every line names its task.
    for (const child of children) {
      const first = lines.findIndex((line) => parse(line).pid === child);
      const last = lines.findIndex((line) => line === `[pid ${child.padStart(5)}] +++ exited with 0 +++`);
      const bare = lines.slice(first, last + 1).filter((line) => parse(line).pid === '');
      assert.equal(bare, [], `lines while ${child} lives:\n${lines.join('\n')}`);
    }
  });

  test(`${backend}: a task traced alone is never split, even blocked in a read`, async () => {
    const out = path.join(dir, `alone-${backend}.txt`);
    // cat blocks in read until the shell, not traced, writes a second later.
    const feeder = spawn('sh', ['-c', `sleep 1; echo hi`], { stdio: ['ignore', 'pipe', 'ignore'] });
    const run = await new Promise((resolve, reject) => {
      const child = spawn(require('../helpers').TRACER, [...args, '--format', 'strace', '-e', 'read', '-o', out, '--', 'cat'],
        { stdio: [feeder.stdout, 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stderr }));
    });
    assert.is(run.status, 0, run.stderr);
    const text = fs.readFileSync(out, 'utf8');
    assert.not.match(text, /unfinished|resumed/, text);
    assert.match(text, /^read\(0, "hi\\n", \d+\) += 3$/m, text);
  });

  test(`${backend}: -ff: a call is never split in its task's file`, async () => {
    const prefix = path.join(dir, `ff-${backend}`);
    const run = await runTracer([...args, '--format', 'strace', '-ff', '-o', prefix, '--', 'sh', '-c', 'sleep 0.2 & (sleep 0.1; echo x) | cat; wait']);
    assert.is(run.status, 0, run.stderr);
    const files = fs.readdirSync(dir).filter((name) => name.startsWith(`ff-${backend}.`));
    assert.ok(files.length >= 4, files.join(' '));
    const text = files.map((name) => fs.readFileSync(path.join(dir, name), 'utf8')).join('');
    assert.not.match(text, /unfinished \.\.\.>$|resumed>/m, text);
    assert.match(text, /^clock_nanosleep\(CLOCK_REALTIME, 0, \{tv_sec=0, tv_nsec=200000000\}, .*\) += 0$/m);
  });

  test(`${backend}: -p on a threaded process: the main thread's lines carry [pid N] like the others'`, async () => {
    // A thread blocked for good, and the main thread calling every 20 ms.
    const program = 'import threading, time\nthreading.Thread(target=threading.Event().wait, daemon=True).start()\n' +
      'print("ready", flush=True)\nwhile True:\n    time.sleep(0.02)\n';
    const target = spawn('python3', ['-c', program], { stdio: ['ignore', 'pipe', 'ignore'] });
    let ready = '';
    target.stdout.on('data', (d) => (ready += d));
    let tracer;
    let seen = '';
    try {
      await waitFor(() => ready.includes('ready'), 'the threads to start');
      const running = runTracer([...args, '--format', 'strace', '-e', 'clock_nanosleep', '-p', String(target.pid)], {
        started: (child) => {
          tracer = child;
          child.stdout.on('data', (d) => (seen += d));
        },
      });
      await waitFor(() => (seen.match(/clock_nanosleep/g) ?? []).length >= 6, 'the main thread\'s calls');
      tracer.kill('SIGINT');
      const run = await running;
      const lines = run.stdout.split('\n').filter(Boolean);
      const main = lines.filter((line) => line.includes('clock_nanosleep(CLOCK_MONOTONIC'));
      assert.ok(main.length >= 5, run.stdout + run.stderr);
      assert.ok(main.every((line) => line.startsWith(`[pid ${String(target.pid).padStart(5)}] `)), run.stdout);
    } finally {
      target.kill('SIGKILL');
    }
  });
}

test.run();
