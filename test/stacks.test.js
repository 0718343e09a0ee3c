// -k: the user-space stack of each call, on both backends, from a fixture built with frame
// pointers whose stack_inner (called by stack_middle, called by stack_outer) makes getppid
// calls through libc's frameless syscall(2) wrapper; in each format, and through a recording.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { STACK_CFLAGS, fixture, tempDir, runTracer, readJson } = require('./helpers');

const dir = tempDir();
const binary = fixture('stack_calls', STACK_CFLAGS);
let n = 0;
const outFile = (ext) => path.join(dir, `trace-${n++}.${ext}`);
const KNOWN = ['stack_inner', 'stack_middle', 'stack_outer'];

/** The fixture's functions in a stack, in the stack's order (innermost first). */
const knownIn = (stack) => stack.map((f) => f.symbol).filter((s) => KNOWN.includes(s));

async function jsonCalls(args) {
  const out = outFile('json');
  const run = await runTracer([...args, '-k', '-e', 'getppid', '--format', 'json', '-o', out, '--', binary]);
  assert.is(run.status, 0, run.stderr);
  return readJson(out).filter((r) => r.syscall === 'getppid');
}

for (const [backend, args] of [['eBPF', ['--backend', 'bpf']], ['ptrace', ['--ptrace']]]) {
  test(`${backend}: each getppid's stack names stack_inner, stack_middle, stack_outer in that order, in the fixture`, async () => {
    const calls = await jsonCalls(args);
    assert.is(calls.length, 100);
    // The eBPF backend reads the mappings while the process runs: its first calls may come
    // before that read, so any symbolised call will do there; ptrace reads them at the stop.
    const named = calls.filter((c) => knownIn(c.stack).length > 0);
    assert.ok(backend === 'ptrace' ? named.length === calls.length : named.length > 0, `${named.length} of ${calls.length} named`);
    for (const call of named) {
      assert.equal(knownIn(call.stack), KNOWN);
      const inner = call.stack.find((f) => f.symbol === 'stack_inner');
      assert.is(inner.object, binary);
      assert.ok(/^0x[0-9a-f]+$/.test(inner.addr) && inner.offset > 0);
      // Innermost first: libc's syscall wrapper, then the fixture's functions from the inside out.
      assert.is(call.stack[0].symbol, 'syscall');
      assert.ok(/\/libc\.so/.test(call.stack[0].object), call.stack[0].object);
      assert.is(call.stack[1].symbol, 'stack_inner');
    }
  });

  test(`${backend}: strace format prints " > object(function+0x..) [0x..]" lines after the call, perf format indented frames`, async () => {
    const strace = outFile('txt');
    let run = await runTracer([...args, '-k', '-e', 'getppid', '--format', 'strace', '-o', strace, '--', binary]);
    assert.is(run.status, 0, run.stderr);
    const lines = fs.readFileSync(strace, 'utf8').split('\n');
    const inner = lines.findIndex((l) => l.startsWith(` > ${binary}(stack_inner+0x`));
    assert.ok(inner > 0, lines.slice(0, 12).join('\n'));
    assert.match(lines[inner], /^ > \S+\(stack_inner\+0x[0-9a-f]+\) \[0x[0-9a-f]+\]$/);
    assert.ok(lines[inner + 1].startsWith(` > ${binary}(stack_middle+0x`));
    assert.ok(lines[inner + 2].startsWith(` > ${binary}(stack_outer+0x`));
    // The call's own line comes before its frames.
    const callLine = lines.slice(0, inner).findLastIndex((l) => !l.startsWith(' > '));
    assert.match(lines[callLine], /^getppid\(\)\s+= \d+$/);

    const perf = outFile('txt');
    run = await runTracer([...args, '-k', '-e', 'getppid', '-o', perf, '--', binary]);
    assert.is(run.status, 0, run.stderr);
    const text = fs.readFileSync(perf, 'utf8');
    assert.match(text, new RegExp(`getppid\\(\\) = \\d+\\n {39}syscall\\+0x[0-9a-f]+ \\(\\S+libc\\.so\\.6\\)\\n {39}stack_inner\\+0x[0-9a-f]+ \\(${binary}\\)\\n {39}stack_middle\\+0x[0-9a-f]+ \\(${binary}\\)`));
  });
}

test('without -k: no stack field, no frame lines', async () => {
  const out = outFile('json');
  const run = await runTracer(['-e', 'getppid', '--format', 'json', '-o', out, '--', binary]);
  assert.is(run.status, 0, run.stderr);
  const calls = readJson(out).filter((r) => r.syscall === 'getppid');
  assert.is(calls.length, 100);
  assert.ok(calls.every((c) => c.stack === undefined));
});

test('record -k, then report -k: the recorded stacks, symbolised from the recorded mappings', async () => {
  const recording = outFile('bpt');
  let run = await runTracer(['record', '-k', '-e', 'getppid', '-o', recording, '--', binary]);
  assert.is(run.status, 0, run.stderr);
  const out = outFile('json');
  run = await runTracer(['report', '-k', '--format', 'json', '-o', out, recording]);
  assert.is(run.status, 0, run.stderr);
  const calls = readJson(out).filter((r) => r.syscall === 'getppid');
  assert.is(calls.length, 100);
  const named = calls.filter((c) => knownIn(c.stack).length > 0);
  assert.ok(named.length > 0);
  for (const call of named) assert.equal(knownIn(call.stack), KNOWN);
});

test('the same program without frame pointers: its stacks stop early, and a one-time note says where', async () => {
  const plain = path.join(dir, 'stack_calls_no_fp');
  execFileSync('cc', ['-O0', '-fomit-frame-pointer', '-o', plain, path.join(__dirname, 'fixtures', 'stack_calls.c')]);
  const out = outFile('json');
  const run = await runTracer(['--ptrace', '-k', '-e', 'getppid', '--format', 'json', '-o', out, '--', plain]);
  assert.is(run.status, 0, run.stderr);
  const notes = run.stderr.split('\n').filter((l) => l.startsWith('bpftrace-ts: -k: stacks stop early in'));
  assert.ok(notes.includes(`bpftrace-ts: -k: stacks stop early in ${plain}: a function there keeps no frame pointer ` +
    '(built without -fno-omit-frame-pointer?); frames past it are not shown'), run.stderr);
  assert.is(new Set(notes).size, notes.length, 'each object is named once');
  const calls = readJson(out).filter((r) => r.syscall === 'getppid');
  assert.is(calls.length, 100);
  // The wrapper's caller is still found (the word at the stack pointer); the walk stops there.
  for (const call of calls) {
    assert.equal(call.stack.slice(0, 2).map((f) => f.symbol), ['syscall', 'stack_inner']);
    assert.equal(knownIn(call.stack), ['stack_inner']);
  }
});

test('a command too short for its mappings to be read in time: unresolved frames are blamed on the mappings, not on frame pointers', async () => {
  const run = await runTracer(['--format', 'strace', '-k', '--', 'true']);
  assert.is(run.status, 0, run.stderr);
  if (!run.stdout.includes(' ?? [0x')) return; // every mapping was read in time on this run
  assert.not.match(run.stderr, /stop early in unmapped code/);
  assert.match(run.stderr, /bpftrace-ts: -k: (some frames of true \(\d+\) are in code mapped after the tracer last read \/proc\/\d+\/maps|no mappings were read for true)/);
});

test.run();
