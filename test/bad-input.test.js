// Errors users can cause: one line, the right exit status, nothing started.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { tempDir, runTracer } = require('./helpers');

const dir = tempDir();
const marker = path.join(dir, 'ran');
const notExecutable = path.join(dir, 'not-executable');
fs.writeFileSync(notExecutable, '#!/bin/sh\ntouch ' + marker + '\n', { mode: 0o644 });
const notAProgram = path.join(dir, 'not-a-program');
fs.writeFileSync(notAProgram, 'just text\n', { mode: 0o755 });

/** A command that leaves a mark if it ever runs. */
const markingCommand = ['--', 'touch', marker];

function oneLine(run) {
  const lines = run.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, `one line on stderr: ${run.stderr}`);
  assert.match(lines[0], /^bpftrace-ts: /);
  assert.not.match(run.stderr, /\n\s+at /, 'no stack trace');
  assert.is(run.stdout, '');
  return lines[0];
}

const cases = [
  { name: 'a pid that does not exist', args: ['-p', '4194303'], status: 1, message: /no such process: 4194303/ },
  { name: 'a malformed pid list', args: ['-p', '12,abc'], status: 2, message: /invalid pid 'abc'/ },
  { name: 'an unknown syscall name, with the nearest names', args: ['-e', 'opneat', ...markingCommand], status: 2, message: /unknown syscall 'opneat' \(did you mean .*openat/ },
  { name: 'an unknown syscall class', args: ['-e', '%files', ...markingCommand], status: 2, message: /unknown syscall class '%files'/ },
  { name: 'an unwritable -o path', args: ['-o', '/nonexistent-dir/trace.out', ...markingCommand], status: 1, message: /cannot write '\/nonexistent-dir\/trace.out'/ },
  { name: 'a directory as -o', args: ['-o', '/tmp', ...markingCommand], status: 1, message: /cannot write '\/tmp'/ },
  { name: 'a command that does not exist', args: ['--', 'no-such-command-bpftrace-ts'], status: 1, message: /command not found: no-such-command-bpftrace-ts/ },
  { name: 'a command that is not executable', args: ['--', notExecutable], status: 1, message: /not an executable file/ },
  { name: 'an executable that is no program', args: ['--', notAProgram], status: 1, message: /cannot execute '.*not-a-program': Exec format error/ },
  { name: 'nothing to trace', args: [], status: 2, message: /nothing to trace/ },
  { name: 'a command and -a together', args: ['-a', ...markingCommand], status: 2, message: /only one of/ },
  { name: 'a buffer size that is not a power of two', args: ['--buffer-size', '3', ...markingCommand], status: 2, message: /power of two/ },
  { name: 'an unknown option', args: ['--frobnicate', ...markingCommand], status: 2, message: /unknown option '--frobnicate'/ },
  { name: 'an unknown format', args: ['--format', 'xml', ...markingCommand], status: 2, message: /xml/ },
  { name: 'the tracer itself as --pid', args: ['-p', 'self'], status: 2, message: /invalid pid 'self'/ },
  { name: 'a kernel thread as --pid', args: ['-p', '2'], status: 1, message: /kernel thread/ },
];

for (const c of cases) {
  test(`bad input: ${c.name}`, async () => {
    const run = await runTracer(c.args);
    assert.is(run.status, c.status, run.stderr);
    assert.match(oneLine(run), c.message);
    assert.not.ok(fs.existsSync(marker), 'nothing was started');
  });
}

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
