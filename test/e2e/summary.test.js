// -S: the per-process syscall table, checked against the exact calls of the same trace. (The
// latency buckets and percentiles on their own: test/unit/histograms.test.js.)
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');
const { fixture, tempDir, runTracer, readJson, waitFor } = require('../helpers');

const dir = tempDir();

/** Parses the -S table rows of one process: name -> numbers. */
function tableRows(text) {
  const rows = new Map();
  for (const line of text.split('\n')) {
    const m = /^ {3}(\w+) +(\d+) +(\d+) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+)% +([\d.]+) +([\d.]+)$/.exec(line);
    if (m) rows.set(m[1], { calls: +m[2], errors: +m[3], total: +m[4], min: +m[5], avg: +m[6], max: +m[7], p50: +m[9], p99: +m[10] });
  }
  return rows;
}

function exactPercentile(sorted, p) {
  return sorted[Math.ceil((p / 100) * sorted.length) - 1];
}

test('-S on known calls: exact counts, min/max/total from the calls, p50/p99 within 25%', async () => {
  const out = path.join(dir, 'known.json');
  const run = await runTracer(['-S', '--format', 'json', '-o', out, '--', fixture('known_calls')]);
  assert.is(run.status, 0, run.stderr);
  const rows = tableRows(run.stderr);
  const calls = readJson(out);
  assert.is(rows.get('nanosleep').calls, 60);
  assert.is(rows.get('getppid').calls, 10000);
  for (const name of ['nanosleep', 'getppid']) {
    const row = rows.get(name);
    const durations = calls.filter((c) => c.syscall === name).map((c) => c.dur_ns).sort((a, b) => a - b);
    const ms = (ns) => Number((ns / 1e6).toFixed(3));
    assert.is(row.errors, 0);
    assert.is(row.min, ms(durations[0]), `${name} min`);
    assert.is(row.max, ms(durations[durations.length - 1]), `${name} max`);
    assert.is(row.total, ms(durations.reduce((a, b) => a + b, 0)), `${name} total`);
    for (const [p, shown] of [[50, row.p50], [99, row.p99]]) {
      const exact = exactPercentile(durations, p) / 1e6;
      assert.ok(Math.abs(shown - exact) <= 0.25 * exact + 0.001, `${name} p${p}: ${shown} vs exact ${exact}`);
    }
  }
  // The 1 ms sleeps and the 10 ms sleeps: p50 among the first, p99 among the second.
  assert.ok(rows.get('nanosleep').p50 >= 0.75 && rows.get('nanosleep').p99 >= 7.5);
  assert.match(run.stderr, /known_calls \(\d+\), \d+ calls/);
});

test('-S --summary-by none: one table for a command and its children, in the trace output', async () => {
  const out = path.join(dir, 'tree.txt');
  const run = await runTracer(['-S', '--summary-by', 'none', '-o', out, '--', 'sh', '-c', 'cat /etc/os-release | wc -l']);
  assert.is(run.status, 0, run.stderr);
  const text = fs.readFileSync(out, 'utf8');
  assert.is(text.match(/ all traced processes, \d+ calls, 100\.0%/g).length, 1);
  const rows = tableRows(text);
  assert.ok(rows.get('execve').calls >= 3, 'sh, cat and wc each exec');
});

test('-S --summary-by thread: a table per thread', async () => {
  const out = path.join(dir, 'threads.txt');
  const run = await runTracer(['-S', '--summary-by', 'thread', '-e', 'getppid', '-o', out, '--', fixture('threads'), '16']);
  assert.is(run.status, 0, run.stderr);
  const tids = run.stdout.split('\n').filter(Boolean);
  const text = fs.readFileSync(out, 'utf8');
  for (const tid of tids) assert.match(text, new RegExp(`^ threads \\(${tid}\\), 3 calls, `, 'm'));
  const getppidRows = text.split('\n').filter((line) => /^ {3}getppid +3 +0 /.test(line));
  assert.is(getppidRows.length, 16);
});

// Both backends, with a command and with -p: -S (from the stream) and --summary-only (in the
// kernel on eBPF, from the stream on ptrace) count exactly the fixture's known calls.
const BACKENDS = { bpf: ['--backend', 'bpf'], ptrace: ['--ptrace'] };

/** A shell blocked on a FIFO that then execs known_calls: -p attaches before the calls. */
function gatedKnownCalls(name) {
  const gate = path.join(dir, `${name}.gate`);
  execFileSync('mkfifo', [gate]);
  const shell = spawn('sh', ['-c', `read line < ${gate}; exec ${fixture('known_calls')}`], { stdio: 'ignore' });
  return { shell, open: () => fs.writeFileSync(gate, 'go\n') };
}

for (const [backend, backendArgs] of Object.entries(BACKENDS)) {
  for (const mode of ['-S', '--summary-only']) {
    for (const target of ['command', 'pid']) {
      test(`${backend} ${mode} with ${target === 'pid' ? '-p' : 'a command'}: the known calls counted exactly`, async () => {
        const out = path.join(dir, `known-${backend}${mode}-${target}.txt`);
        const args = [...backendArgs, '-v', mode, '-o', out];
        let run;
        if (target === 'command') {
          run = await runTracer([...args, '--', fixture('known_calls')]);
        } else {
          const gated = gatedKnownCalls(`${backend}${mode}`);
          let stderr = '';
          const running = runTracer([...args, '-p', String(gated.shell.pid)], {
            started: (child) => child.stderr.on('data', (d) => (stderr += d)),
          });
          await waitFor(() => /attached with|backend ptrace/.test(stderr), 'the tracer to attach');
          gated.open();
          run = await running;
        }
        assert.is(run.status, 0, run.stderr);
        const rows = tableRows(fs.readFileSync(out, 'utf8'));
        assert.is(rows.get('nanosleep')?.calls, 60, `${mode} nanosleep row: ${fs.readFileSync(out, 'utf8')}`);
        assert.is(rows.get('getppid')?.calls, 10000);
        assert.is(rows.get('nanosleep').errors + rows.get('getppid').errors, 0);
        // Sleeps never return early: the 1 ms ones hold the median, the 10 ms ones the 99th.
        assert.ok(rows.get('nanosleep').p50 >= 0.75 && rows.get('nanosleep').p99 >= 7.5, JSON.stringify(rows.get('nanosleep')));
      });
    }
  }
}

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
