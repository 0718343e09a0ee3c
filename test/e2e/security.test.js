// The BPF programs only observe: every helper they call reads state or feeds our own maps.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { runTracer, tempDir, waitFor } = require('../helpers');

const dir = tempDir();

const OUR_PROGRAMS = /^(sys_(enter|exit)_(tp_btf|raw_tp|tracepoint|aggregate)|task_(fork|exit)_(tp_btf|raw_tp|tracepoint)|call_switched_out)$/;
// Helpers that only read the current task, the clock or kernel memory, or use our maps.
const OBSERVING_HELPERS = new Set([
  'bpf_get_current_pid_tgid', 'bpf_get_current_task', 'bpf_get_current_task_btf', 'bpf_get_current_comm',
  'bpf_get_current_cgroup_id', 'bpf_ktime_get_ns', 'bpf_get_smp_processor_id', 'bpf_probe_read_kernel', 'bpf_map_lookup_elem',
  'bpf_probe_read_kernel_str', // a process's end: its leader's name
  'bpf_map_update_elem', 'bpf_map_delete_elem', 'bpf_ringbuf_query', 'bpf_ringbuf_reserve', 'bpf_ringbuf_submit',
  'bpf_task_storage_get', 'bpf_task_storage_get_recur', // the kernel's name for it in tracing programs
  'bpf_ringbuf_output', // copies an event assembled in our scratch map into our ring
  'bpf_ringbuf_discard', // gives back a record of our ring whose copy faulted
  'bpf_probe_read_user', 'bpf_probe_read_user_str', // argument capture: reads the caller's memory
  'bpf_loop', // runs one of our callbacks a bounded number of times
  'bpf_get_stack', 'bpf_get_stack_tp', 'bpf_get_stack_raw_tp', 'bpf_task_pt_regs', // -k: reads the caller's user stack, saved registers
]);

/** Our programs loaded after the one with id `after`: program ids only grow, and those of
 * an earlier tracer may linger while the kernel frees them. */
function loadedPrograms(after) {
  return JSON.parse(execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' }))
    .filter((p) => p.id > after && OUR_PROGRAMS.test(p.name ?? ''));
}

function newestProgramId() {
  return Math.max(0, ...JSON.parse(execFileSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' })).map((p) => p.id));
}

/** The helpers a program calls; none if it was unloaded meanwhile (another tracer's, ending). */
function helpersOf(id) {
  let xlated = '';
  try {
    xlated = execFileSync('bpftool', ['prog', 'dump', 'xlated', 'id', String(id)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return new Set();
  }
  return new Set([...xlated.matchAll(/call (bpf_\w+)/g)].map((m) => m[1].replace(/#\d+$/, '')));
}

for (const [mode, args] of [['streaming', []], ['in-kernel aggregation', ['--summary-only']], ['raw_tp fallback', ['--attach', 'raw_tp']],
  ['stacks (-k)', ['-k']], ['stacks (-k), classic tracepoint', ['-k', '--attach', 'tracepoint']]]) {
  test(`${mode}: every loaded program calls only observing helpers`, async () => {
    const baseline = newestProgramId();
    // The traced command runs until the programs have been read: a load slower than a fixed
    // sleep on a busy host would otherwise find them gone.
    const done = path.join(dir, `done-${mode.replace(/\W+/g, '-')}`);
    const run = runTracer([...args, '-o', '/dev/null', '--', 'sh', '-c', 'while [ ! -e "$1" ]; do sleep 0.05; done', 'sh', done]);
    const seen = new Set();
    try {
      await waitFor(() => loadedPrograms(baseline).length >= 4, 'the programs to load');
      for (const program of loadedPrograms(baseline)) {
        for (const helper of helpersOf(program.id)) {
          seen.add(helper);
          assert.ok(OBSERVING_HELPERS.has(helper), `${program.name} calls ${helper}, which is not an observing helper`);
        }
      }
    } finally {
      fs.writeFileSync(done, '');
    }
    assert.ok(seen.has('bpf_ktime_get_ns'), 'the dump was read');
    assert.is((await run).status, 0);
  });
}

test('-o: created readable by its owner only, and never through a symlink planted in /tmp', async () => {
  const out = `/tmp/bpftrace-ts-test-out-${process.pid}`;
  const victim = `/tmp/bpftrace-ts-test-victim-${process.pid}`;
  const link = `/tmp/bpftrace-ts-test-link-${process.pid}`;
  try {
    assert.is((await runTracer(['-o', out, '--', 'true'])).status, 0);
    assert.is(fs.statSync(out).mode & 0o777, 0o600);
    fs.writeFileSync(victim, 'precious\n');
    fs.symlinkSync(victim, link);
    const run = await runTracer(['-o', link, '--', 'true']);
    assert.is(run.status, 1);
    assert.match(run.stderr, /cannot write '.*': it is a symlink in a world-writable directory, which is not followed/);
    assert.is(fs.readFileSync(victim, 'utf8'), 'precious\n');
  } finally {
    for (const f of [out, victim, link]) fs.rmSync(f, { force: true });
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
