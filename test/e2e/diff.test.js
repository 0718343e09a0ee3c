// bpftrace-ts diff A B: two recordings of one program compared per syscall and at the
// first call where they diverge.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer } = require('../helpers');

const dir = tempDir();
const config = path.join(dir, 'config');
const recordings = {};

/** Records open_config on `config` (twice from a shell if `shell`), present or not; the recording's path. */
async function record(name, present, shell = false) {
  if (present) fs.writeFileSync(config, 'key=value\n');
  else fs.rmSync(config, { force: true });
  const file = path.join(dir, `${name}.bpt`);
  const command = shell ? ['sh', '-c', `${fixture('open_config')} ${config}; ${fixture('open_config')} ${config}; true`] : [fixture('open_config'), config];
  const run = await runTracer(['record', '-o', file, '--', ...command]);
  assert.is(run.status, 0, run.stderr);
  return file;
}

/** Calls per syscall name, counted from report's strace lines (independently of diff). */
async function reportCounts(file) {
  const run = await runTracer(['report', '--format', 'strace', file]);
  assert.is(run.status, 0, run.stderr);
  const counts = {};
  for (const line of run.stdout.split('\n')) {
    const name = /^([a-z_0-9]+)\(/.exec(line);
    if (name) counts[name[1]] = (counts[name[1]] ?? 0) + 1;
  }
  return counts;
}

test.before(async () => {
  recordings.present = await record('present', true);
  recordings.again = await record('again', true);
  recordings.missing = await record('missing', false);
});

test('a run with the file missing: exit 1, the failing openat with context, exact counts', async () => {
  const run = await runTracer(['diff', recordings.present, recordings.missing]);
  assert.is(run.status, 1, run.stderr);
  const lines = run.stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('@@ '));
  assert.ok(at > 0, run.stdout);
  const hunk = lines.slice(at + 1);
  const firstChange = hunk.findIndex((l) => l[0] === '-' || l[0] === '+');
  assert.is(firstChange, 3, 'three calls of context before:\n' + run.stdout);
  assert.ok(hunk.slice(0, 3).every((l) => l[0] === ' '));
  const removed = hunk.find((l) => l[0] === '-');
  const added = hunk.find((l) => l[0] === '+');
  assert.match(removed, new RegExp(`^-openat\\(AT_FDCWD, "${config}", O_RDONLY\\)\\s+= 3$`));
  assert.match(added, new RegExp(`^\\+openat\\(AT_FDCWD, "${config}", O_RDONLY\\)\\s+= -1 ENOENT \\(No such file or directory\\)$`));

  const json = await runTracer(['diff', '--format', 'json', recordings.present, recordings.missing]);
  assert.is(json.status, 1, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.is(parsed.agree, false);
  assert.is(parsed.processes.length, 1);
  assert.equal(parsed.processes[0].firstDivergence.hunk, lines.slice(at, at + 1 + parsed.processes[0].firstDivergence.hunk.length - 1));
  const rows = Object.fromEntries(parsed.syscalls[0].rows.map((r) => [r.syscall, r]));
  const [countsA, countsB] = [await reportCounts(recordings.present), await reportCounts(recordings.missing)];
  for (const name of new Set([...Object.keys(countsA), ...Object.keys(countsB)])) {
    assert.is(rows[name].a.calls, countsA[name] ?? 0, name);
    assert.is(rows[name].b.calls, countsB[name] ?? 0, name);
  }
  assert.is(rows.read.b.calls, rows.read.a.calls - 1);
  assert.is(rows.close.b.calls, rows.close.a.calls - 1);
  assert.is(rows.openat.b.calls, rows.openat.a.calls);
  assert.equal(rows.openat.a.errors, {});
  assert.equal(rows.openat.b.errors, { ENOENT: 1 });
  // Sorted by what changed most: the rows whose counts changed come first.
  assert.equal(parsed.syscalls[0].rows.slice(0, 3).map((r) => r.syscall).sort(), ['close', 'openat', 'read']);
});

test('two runs of the same deterministic program agree: exit 0', async () => {
  const run = await runTracer(['diff', recordings.present, recordings.again]);
  assert.is(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /the same calls/);
  const json = await runTracer(['diff', '--format', 'json', recordings.present, recordings.again]);
  assert.is(json.status, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.is(parsed.agree, true);
  assert.ok(parsed.syscalls[0].rows.length > 0);
  assert.is(parsed.processes[0].firstDivergence, null);
});

test('several processes: matched by what they exec\'d, a table and a divergence each', async () => {
  const shellPresent = await record('shell-present', true, true);
  const shellMissing = await record('shell-missing', false, true);
  const run = await runTracer(['diff', '--format', 'json', shellPresent, shellMissing]);
  assert.is(run.status, 1, run.stderr);
  const parsed = JSON.parse(run.stdout);
  assert.equal(parsed.processes.map((p) => [p.a.program, p.b.program]), [['sh', 'sh'], ['open_config', 'open_config'], ['open_config', 'open_config']]);
  assert.ok(parsed.processes.every((p) => p.a.pid !== p.b.pid));
  assert.is(parsed.syscalls.length, 3);
  // (The shell itself is not compared: whether its SIGCHLD arrives before or inside its
  // wait4 differs between runs, a real difference in what it did.)
  for (const p of parsed.processes.slice(1)) {
    assert.match(p.firstDivergence.hunk.find((l) => l[0] === '+'), /^\+openat\(AT_FDCWD, ".*", O_RDONLY\)\s+= -1 ENOENT/);
    assert.is(p.furtherDifferences, 0);
  }
  for (const group of parsed.syscalls.slice(1)) {
    const openat = group.rows.find((r) => r.syscall === 'openat');
    assert.equal([openat.a.errors, openat.b.errors], [{}, { ENOENT: 1 }]);
  }

  // The program run directly, and from a shell: the shell is only in B, its calls shown
  // up to a bound and counted; open_config's first run is matched to the direct one.
  const alone = await runTracer(['diff', '--format', 'json', recordings.present, shellPresent]);
  assert.is(alone.status, 1, alone.stderr);
  const only = JSON.parse(alone.stdout).processes;
  assert.equal(only.map((p) => [p.a?.program ?? null, p.b?.program ?? null]),
    [['open_config', 'open_config'], [null, 'sh'], [null, 'open_config']]);
  const hunk = only[1].firstDivergence.hunk;
  assert.is(hunk.filter((l) => l[0] === '+').length, 21, hunk.join('\n'));
  const calls = Number(/^@@ -0,0 \+1,(\d+) @@$/.exec(hunk[0])[1]);
  assert.is(hunk[21], `+... ${calls - 20} more calls`);
});

test('a missing or corrupt recording: exit 2 and one line naming it', async () => {
  const absent = path.join(dir, 'absent.bpt');
  const missing = await runTracer(['diff', recordings.present, absent]);
  assert.is(missing.status, 2);
  assert.is(missing.stdout, '');
  assert.is(missing.stderr, `bpftrace-ts: cannot read '${absent}': no such file or directory\n`);
  const corrupt = path.join(dir, 'corrupt.bpt');
  fs.writeFileSync(corrupt, 'not a recording at all\n');
  const bad = await runTracer(['diff', corrupt, recordings.present]);
  assert.is(bad.status, 2);
  assert.is(bad.stderr.split('\n').filter(Boolean).length, 1, bad.stderr);
  assert.match(bad.stderr, new RegExp(`^bpftrace-ts: ${corrupt}: not a bpftrace-ts recording`));
  // A recording cut inside its batches.
  const whole = fs.readFileSync(recordings.present);
  const cut = path.join(dir, 'cut.bpt');
  fs.writeFileSync(cut, Buffer.concat([whole.subarray(0, 40), Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3])]));
  const cutRun = await runTracer(['diff', recordings.present, cut]);
  assert.is(cutRun.status, 2, cutRun.stdout + cutRun.stderr);
  assert.is(cutRun.stderr.split('\n').filter(Boolean).length, 1, cutRun.stderr);
  assert.match(cutRun.stderr, cut);
});

test.run();
