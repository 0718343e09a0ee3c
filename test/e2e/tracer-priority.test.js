// --nice: on the eBPF backend the tracer's own threads run nicer than it was started, but for
// the drain thread, which keeps the ring from filling; the command it launches keeps the
// priority it had; the ptrace backend, whose tracees wait for it at every call, keeps its
// priority.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { tempDir, runTracer } = require('../helpers');

const dir = tempDir();
const base = os.getPriority();

// The command prints its own nice value, then its parent's (the tracer's) for every thread
// (field 19 of /proc/TID/stat, the 17th after the comm), each with the thread's name.
const REPORT = 'echo "command $(nice)"; for t in /proc/$PPID/task/*; do echo "tracer $(cat "$t/comm") $(sed "s/.*) //" "$t/stat" | cut -d" " -f17)"; done';

async function priorities(args) {
  const run = await runTracer([...args, '-o', path.join(dir, 'trace'), '--', 'sh', '-c', REPORT]);
  assert.is(run.status, 0, run.stderr);
  const lines = (word) => run.stdout.split('\n').filter((line) => line.startsWith(`${word} `)).map((line) => line.split(' '));
  const threads = lines('tracer');
  return {
    command: lines('command').map((words) => Number(words[1])),
    drain: threads.filter((words) => words[1] === 'bpfts-drain').map((words) => Number(words[2])),
    tracer: threads.filter((words) => words[1] !== 'bpfts-drain').map((words) => Number(words[2])),
  };
}

test('bpf: the tracer\'s threads run 10 nicer by default but the drain thread, the command at the tracer\'s starting priority', async () => {
  const { command, drain, tracer } = await priorities(['--backend', 'bpf']);
  assert.equal(command, [base]);
  // The main thread and Node's own workers; the drain thread apart.
  assert.ok(tracer.length >= 2, `threads: ${tracer}`);
  assert.equal(new Set(tracer), new Set([Math.min(19, base + 10)]), `every thread: ${tracer}`);
  assert.equal(drain, [base]);
});

test('bpf: --nice 3 and --nice 0', async () => {
  const three = await priorities(['--backend', 'bpf', '--nice', '3']);
  assert.equal(three.command, [base]);
  assert.equal(new Set(three.tracer), new Set([Math.min(19, base + 3)]));
  assert.equal(three.drain, [base]);
  const zero = await priorities(['--backend', 'bpf', '--nice', '0']);
  assert.equal(new Set(zero.tracer), new Set([base]));
});

test('ptrace: the tracer keeps its priority', async () => {
  const { command, tracer } = await priorities(['--ptrace']);
  assert.equal(command, [base]);
  assert.equal(new Set(tracer), new Set([base]));
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
