// The constants the TypeScript takes from bpf/syscall_event.h and from the system headers are
// what those say today: a change without running the generator fails here, not in a trace.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

test('src/generated/kernel-constants.ts is what scripts/gen-kernel-constants.mjs makes of bpf/syscall_event.h', () => {
  const run = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'gen-kernel-constants.mjs'), '--check'], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
});

test('src/generated/flag-tables.ts is what scripts/gen-flag-tables.mjs makes of its data file and the headers', () => {
  const run = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'gen-flag-tables.mjs'), '--check'], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
});

test("proto/batch.proto's CaptureKind and CaptureFlag are the kernel's capture_kind and capture_flag", () => {
  // The addon passes the kernel's values through unchanged, so the two enums must agree.
  const K = require('../../dist/generated/kernel-constants');
  const { bpftrace_ts } = require('../../dist/generated/batch');
  for (const [name, value] of Object.entries(bpftrace_ts.CaptureKind)) {
    if (typeof value !== 'number') continue;
    assert.is(K[name.replace(/^CAPTURE_/, 'CAPTURE_KIND_')], value, name);
  }
  for (const [name, value] of Object.entries(bpftrace_ts.CaptureFlag)) {
    if (typeof value !== 'number' || value === 0) continue;
    assert.is(K[name.replace(/^CAPTURE_/, 'CAPTURE_FLAG_')], value, name);
  }
});

test.run();
