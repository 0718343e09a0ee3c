// Least privilege: -u runs the command as another user (root is needed only for tracing),
// and without the capabilities eBPF needs, the tracer says which one is missing.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson, summary } = require('../helpers');
const { effectiveCapabilities } = require('../../dist/session/capabilities');

const dir = tempDir();
fs.chmodSync(dir, 0o755); // the -u user must reach the fixture

for (const backend of ['bpf', 'ptrace']) {
  test(`-u nobody (${backend}): the command runs with nobody's uid, gid and groups, and keeps the environment, as strace -u does`, async () => {
    await checkRunsAsNobody(backend);
  });
}

async function checkRunsAsNobody(backend) {
  const identity = path.join(dir, 'identity');
  fs.copyFileSync(fixture('identity'), identity);
  fs.chmodSync(identity, 0o755);
  const out = path.join(dir, `identity-${backend}.json`);
  const env = { ...process.env, HOME: '/root', USER: 'root' };
  const run = await runTracer(['--backend', backend, '-u', 'nobody', '-e', 'getresuid,getgroups', '--format', 'json', '-o', out, '--', identity], { env });
  assert.is(run.status, 0, run.stderr);
  const id = (flag) => execFileSync('id', [flag, 'nobody'], { encoding: 'utf8' }).trim();
  const [uid, gid] = [id('-u'), id('-g')];
  const groups = id('-G').split(' ').map(Number).sort((a, b) => a - b);
  const lines = Object.fromEntries(run.stdout.trim().split('\n').map((l) => [l.split(' ')[0], l.split(' ').slice(1)]));
  assert.equal(lines.uid, [uid, uid, uid], 'real, effective and saved uid');
  assert.equal(lines.gid, [gid, gid, gid], 'real, effective and saved gid');
  assert.equal(lines.groups.map(Number).sort((a, b) => a - b), groups, 'the user\'s groups, none of root\'s');
  assert.equal(lines.HOME, ['/root']);
  assert.equal(lines.USER, ['root']);
  // Traced as usual: the calls it made as nobody are in the trace.
  const calls = readJson(out).filter((c) => c.syscall); // ptrace adds the process's exit
  assert.equal(calls.map((c) => c.syscall).sort(), ['getgroups', 'getresuid']);
  assert.is(summary(run.stderr).lost, 0);
}

test('-u nobody: the command has none of root\'s rights (it cannot write a root-owned directory)', async () => {
  const marker = path.join(dir, 'written-as-nobody');
  const run = await runTracer(['-u', 'nobody', '-o', '/dev/null', '--', 'touch', marker]);
  assert.is(run.status, 1, 'touch fails, and its status is ours');
  assert.match(run.stderr, /touch: cannot touch .*Permission denied/);
  assert.not.ok(fs.existsSync(marker));
});

/** Runs the tracer with these capabilities removed from its bounding and effective sets. */
function withoutCapabilities(caps, args) {
  return runTracer(args, { wrapper: ['setpriv', '--inh-caps=-all', `--bounding-set=${caps.map((c) => '-' + c).join(',')}`] });
}

for (const [dropped, missing] of [
  [['bpf', 'perfmon', 'sys_admin'], 'CAP_BPF and CAP_PERFMON'],
  [['bpf', 'sys_admin'], 'CAP_BPF'],
  [['perfmon', 'sys_admin'], 'CAP_PERFMON'],
]) {
  test(`--backend bpf without ${dropped.join(', ')}: one line names ${missing}, exit 1, the command never runs`, async () => {
    const marker = path.join(dir, `ran-${dropped.join('-')}`);
    const run = await withoutCapabilities(dropped, ['--backend', 'bpf', '-o', '/dev/null', '--', 'touch', marker]);
    assert.is(run.status, 1, run.stderr);
    const lines = run.stderr.split('\n').filter(Boolean);
    assert.is(lines.length, 1, run.stderr);
    assert.match(lines[0], new RegExp(`^bpftrace-ts: cannot load the eBPF programs: missing ${missing}: `));
    assert.not.ok(fs.existsSync(marker), 'nothing was started');
  });
}

test('without CAP_BPF, the automatic choice says which capability is missing and traces with ptrace', async () => {
  const out = path.join(dir, 'fallback.json');
  const run = await withoutCapabilities(['bpf', 'sys_admin'], ['-e', 'getppid', '--format', 'json', '-o', out, '--', fixture('storm'), '10']);
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stderr, /^bpftrace-ts: eBPF unavailable \(missing CAP_BPF: [^\n]*\); using the ptrace backend$/m);
  assert.is(summary(run.stderr).attachMode, 'ptrace');
  assert.is(readJson(out).filter((c) => c.syscall === 'getppid').length, 10);
});

test('-a without CAP_PERFMON: no fallback (ptrace cannot trace the host); one line names the capability', async () => {
  const run = await withoutCapabilities(['perfmon', 'sys_admin'], ['-a', '-o', '/dev/null']);
  assert.is(run.status, 1, run.stderr);
  assert.match(run.stderr, /^bpftrace-ts: cannot load the eBPF programs: missing CAP_PERFMON: .*\(-a needs eBPF\)\n$/);
});

test('CAP_BPF and CAP_PERFMON suffice: without CAP_SYS_ADMIN the trace runs', async () => {
  assert.ok(effectiveCapabilities() & (1n << 39n), 'the tests run with CAP_BPF');
  const run = await withoutCapabilities(['sys_admin'], ['--backend', 'bpf', '-e', 'getppid', '--format', 'json', '-o', path.join(dir, 'nosysadmin.json'), '--', fixture('storm'), '10']);
  assert.is(run.status, 0, run.stderr);
  assert.is(summary(run.stderr).events, 20);
});

/** The tracer as user nobody, with no capability at all (as a user tracing their own program). */
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'];

test('as a user, -p of another user\'s process: after the fallback note, the real cause (ptrace not permitted), not eBPF\'s', async () => {
  const run = await runTracer(['-p', '1'], { wrapper: AS_NOBODY });
  assert.is(run.status, 1, run.stderr);
  const lines = run.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 2, run.stderr);
  assert.match(lines[0], /^bpftrace-ts: eBPF unavailable \(missing CAP_BPF and CAP_PERFMON: .*\); using the ptrace backend$/);
  assert.match(lines[1], /^bpftrace-ts: cannot trace process 1 with ptrace: operation not permitted \(another user's process/);
});

test('as a user, --summary-only of a command: the ptrace backend counts it, as README says', async () => {
  const run = await runTracer(['--summary-only', '--', fixture('known_calls')], { wrapper: AS_NOBODY });
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stderr, /^bpftrace-ts: eBPF unavailable \(missing CAP_BPF and CAP_PERFMON/);
  assert.match(run.stdout, /^ known_calls \(\d+\), \d+ calls, 100\.0%$/m);
  assert.match(run.stdout, /^   getppid +\d+ /m);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
