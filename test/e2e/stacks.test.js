// -k: the user-space stack of each call, on both backends, from a fixture built with frame
// pointers whose stack_inner (called by stack_middle, called by stack_outer) makes getppid
// calls through libc's frameless syscall(2) wrapper; in each format, and through a recording.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { STACK_CFLAGS, fixture, tempDir, runTracer, readJson } = require('../helpers');

const dir = tempDir();
const binary = fixture('stack_calls', STACK_CFLAGS);
let n = 0;
const outFile = (ext) => path.join(dir, `trace-${n++}.${ext}`);
const KNOWN = ['stack_inner', 'stack_middle', 'stack_outer'];

/** The fixture's functions in a stack, in the stack's order (innermost first). */
const knownIn = (stack) => stack.map((f) => f.symbol).filter((s) => KNOWN.includes(s));

async function jsonCalls(args, fixtureArgs = []) {
  const out = outFile('json');
  const run = await runTracer([...args, '-k', '-e', 'getppid', '--format', 'json', '-o', out, '--', binary, ...fixtureArgs]);
  assert.is(run.status, 0, run.stderr);
  return { calls: readJson(out).filter((r) => r.syscall === 'getppid'), stderr: run.stderr };
}

for (const [backend, args] of [['eBPF', ['--backend', 'bpf']], ['ptrace', ['--ptrace']]]) {
  // With "5" the fixture makes its calls at once and ends: on the eBPF backend it is gone
  // before its /proc/PID/maps can be read, and only the kernel's build IDs name its frames.
  for (const fixtureArgs of [[], ['5']]) test(`${backend}: each getppid's stack names stack_inner, stack_middle, stack_outer in that order, in the fixture${fixtureArgs.length ? ', which ends at once' : ''}`, async () => {
    const { calls, stderr } = await jsonCalls(args, fixtureArgs);
    assert.is(calls.length, fixtureArgs.length ? 5 : 100);
    assert.not.match(stderr, /-k: (some frames|no file)/);
    for (const call of calls) {
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

for (const [fixtureArgs, count] of [[[], 100], [['5'], 5]]) test(`record -k, then report -k: the recorded stacks, symbolised from the recorded mappings or build IDs (${count} calls)`, async () => {
  const recording = outFile('bpt');
  let run = await runTracer(['record', '-k', '-e', 'getppid', '-o', recording, '--', binary, ...fixtureArgs]);
  assert.is(run.status, 0, run.stderr);
  const out = outFile('json');
  run = await runTracer(['report', '-k', '--format', 'json', '-o', out, recording]);
  assert.is(run.status, 0, run.stderr);
  const calls = readJson(out).filter((r) => r.syscall === 'getppid');
  assert.is(calls.length, count);
  for (const call of calls) assert.equal(knownIn(call.stack), KNOWN);
});

test('the same program without frame pointers: its stacks stop early, and a one-time note says where', async () => {
  const plain = path.join(dir, 'stack_calls_no_fp');
  execFileSync('cc', ['-O0', '-fomit-frame-pointer', '-o', plain, path.join(__dirname, '..', 'fixtures', 'stack_calls.c')]);
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

test('a build ID no file here has: the frame is ??, and carries the ID for the note', () => {
  const { StackSymbols } = require('../../dist/stack/stack-symbols');
  const id = 'f00dfeed'.repeat(5);
  // bpf/syscall_event.h, CAPTURE_KIND_STACK_BUILD_ID: sp word, count, addresses, build-ID frames.
  const data = Buffer.alloc(16 + 8 + 32);
  data.writeBigUInt64LE(1n, 8);
  data.writeBigUInt64LE(0x7f0000001234n, 16);
  data.writeInt32LE(1, 24); // BPF_STACK_BUILD_ID_VALID
  Buffer.from(id, 'hex').copy(data, 28);
  data.writeBigUInt64LE(0x1234n, 48);
  const stack = new StackSymbols(32).symbolizeWithBuildIds(data, undefined);
  assert.equal(stack.frames, [{ addr: 0x7f0000001234, object: null, symbol: null, offset: 0x7f0000001234, fileOffset: null, buildId: id }]);
});

test.run();
