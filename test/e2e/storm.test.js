// Storms of short-lived tasks under -a: 10,000 threads and 2,000 processes. The tracer
// keeps every task's calls, its tables stay within their bounds, and what does not fit
// is counted and reported, never a crash. (The pairer's own bound on pending calls:
// test/unit/call-pairer.test.js.)
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson, summary, waitFor } = require('../helpers');

const dir = tempDir();
const STORMS = { threads: { count: 10000, wave: 100 }, processes: { count: 2000, wave: 50 } };
/** Rows of the kernel's stats hash (bpf/syscall_event.h AGGREGATE_MAX_ROWS). */
const AGGREGATE_MAX_ROWS = 8192;

/** Runs the task storm while a tracer with args runs (it must take -v), then stops the
 * tracer with SIGINT. Resolves with the tracer's result and the storm's task ids. */
async function underTracer(kind, args, { cgroup } = {}) {
  let tracer;
  let attached = false;
  const run = runTracer(['-v', ...args], {
    started: (child) => {
      tracer = child;
      child.stderr.on('data', (d) => (attached ||= String(d).includes('attached with')));
    },
  });
  await waitFor(() => attached, 'the tracer to attach');
  const { count, wave } = STORMS[kind];
  const storm = `${fixture('task_storm')} ${kind} ${count} ${wave}`;
  const child = spawn('sh', ['-c', cgroup ? `echo $$ > ${cgroup}/cgroup.procs && exec ${storm}` : `exec ${storm}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const status = await new Promise((resolve) => child.on('close', resolve));
  assert.is(status, 0, 'the storm ran');
  tracer.kill('SIGINT');
  const result = await run;
  assert.is(result.status, 0, result.stderr);
  return { result, stormPid: child.pid, ids: stdout.trim().split('\n').map(Number) };
}

for (const kind of Object.keys(STORMS)) {
  test(`-a: a storm of ${STORMS[kind].count} short-lived ${kind}, each of their calls traced`, async () => {
    const out = path.join(dir, `${kind}.json`);
    // --comm keeps the rest of the host out of the ring: a busy host (other tests' storms)
    // could otherwise fill it, and this test is about the storm's own calls.
    const { result, ids } = await underTracer(kind, ['-a', '--comm', 'task_storm', '--format', 'json', '-o', out]);
    const { lost } = summary(result.stderr);
    assert.is(lost, 0, result.stderr);
    assert.not.match(result.stderr, /evicted/, 'the pending table never overflowed');
    assert.is(ids.length, STORMS[kind].count);
    // A task id the kernel reused within the storm appears twice in the list.
    const expected = new Map();
    for (const id of ids) expected.set(id, (expected.get(id) ?? 0) + 3);
    const seen = new Map();
    const key = kind === 'threads' ? 'tid' : 'pid';
    for (const call of readJson(out))
      if (call.syscall === 'getppid' && expected.has(call[key])) seen.set(call[key], (seen.get(call[key]) ?? 0) + 1);
    const wrong = [...expected].filter(([id, calls]) => seen.get(id) !== calls);
    assert.equal(wrong.slice(0, 5).map(([id, calls]) => `${id}: ${seen.get(id) ?? 0} of ${calls}`), [], `${wrong.length} tasks with the wrong count`);
  });
}

const CGROUP_ROOT = fs.existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';

/** The kernel's totals line: "N calls counted in the kernel, M not counted". */
function kernelTotals(stderr) {
  const m = /(\d+) calls counted in the kernel, (\d+) not counted/.exec(stderr);
  if (!m) throw new Error(`no totals line in: ${stderr}`);
  return { counted: Number(m[1]), uncounted: Number(m[2]) };
}

async function inCgroup(name, body) {
  const cgroup = path.join(CGROUP_ROOT, `bpftrace-ts-test-${process.pid}-${name}`);
  fs.mkdirSync(cgroup);
  try {
    return await body(cgroup);
  } finally {
    fs.rmdirSync(cgroup);
  }
}

test(`--summary-only per thread: 10,000 threads overflow the ${AGGREGATE_MAX_ROWS}-row table; the overflow is counted and reported`, async () => {
  await inCgroup('threads', async (cgroup) => {
    const out = path.join(dir, 'per-thread.txt');
    const { result } = await underTracer('threads', ['-a', '--summary-only', '--summary-by', 'thread', '-e', 'getppid', '--cgroup', cgroup, '-o', out], { cgroup });
    const { counted, uncounted } = kernelTotals(result.stderr);
    assert.is(counted + uncounted, 3 * STORMS.threads.count, 'every call counted or reported as not counted');
    assert.ok(uncounted >= 3 * (STORMS.threads.count - AGGREGATE_MAX_ROWS), `the rows past the table's size: ${uncounted}`);
    const tables = fs.readFileSync(out, 'utf8').match(/^ task_storm \(\d+\)/gm) ?? [];
    assert.ok(tables.length <= AGGREGATE_MAX_ROWS && tables.length >= AGGREGATE_MAX_ROWS - 1, `one table per row: ${tables.length}`);
  });
});

test('--hist by process: 2,000 processes fit the table, every call counted', async () => {
  await inCgroup('processes', async (cgroup) => {
    const out = path.join(dir, 'per-process.txt');
    const { result } = await underTracer('processes', ['-a', '--hist', '--hist-by', 'pid', '-e', 'getppid', '--cgroup', cgroup, '-o', out], { cgroup });
    assert.equal(kernelTotals(result.stderr), { counted: 3 * STORMS.processes.count, uncounted: 0 });
  });
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
