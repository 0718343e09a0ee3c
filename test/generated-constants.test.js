// The constants the TypeScript takes from bpf/syscall_event.h are what the header says today:
// a change to the header without running the generator fails here, not in a trace.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

test('src/generated/kernel-constants.ts is what scripts/gen-kernel-constants.mjs makes of bpf/syscall_event.h', () => {
  const run = spawnSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'gen-kernel-constants.mjs'), '--check'], { encoding: 'utf8' });
  assert.is(run.status, 0, run.stderr);
});

test.run();
