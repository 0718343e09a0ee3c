// Task ends on both backends: each process's end is shown (`+++ exited with N +++`,
// `+++ killed by SIGKILL +++`; JSON "event":"exit" on ptrace) as it happens, and the call a
// dying task was in is reported unfinished at that moment, not when the trace ends. eBPF
// learns of ends from sched_process_exit (a PROCESS_EXIT or THREAD_EXIT event), ptrace
// from wait.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson, waitFor } = require('../helpers');

const dir = tempDir();
// strace's prefix pads the pid to five columns: `[pid  4242] ` on a host whose pids are short.
const pidPrefix = (pid) => `[pid ${String(pid).padStart(5)}] `;
const BACKENDS = { bpf: ['--backend', 'bpf'], ptrace: ['--ptrace'] };

for (const [backend, backendArgs] of Object.entries(BACKENDS)) {
  test(`${backend}: --format strace shows a child's and the command's exit with 3`, async () => {
    const run = await runTracer([...backendArgs, '-v', '--format', 'strace', '--', fixture('midcall'), 'exit', 'child']);
    assert.is(run.status, 3, run.stderr);
    const commandPid = Number(/command pid (\d+)/.exec(run.stderr)[1]);
    const lines = run.stdout.split('\n');
    const child = Number(/^\[pid +(\d+)\] exit_group\(3\)/m.exec(run.stdout)?.[1]);
    assert.ok(child > 0 && child !== commandPid, `the child's exit_group: ${run.stdout}`);
    assert.ok(lines.includes(`${pidPrefix(child)}+++ exited with 3 +++`), `the child's end: ${run.stdout}`);
    assert.is(lines.filter(Boolean).at(-1), '+++ exited with 3 +++', 'the command\'s end, last');
    // The child's thread blocked in read never returned.
    assert.match(run.stdout, new RegExp(`^\\[pid +\\d+\\] read\\(3, .*<unfinished \\.\\.\\.>`, 'm'));
  });

  test(`${backend}: a child killed by SIGKILL: "+++ killed by SIGKILL +++"${backend === 'ptrace' ? ' and its JSON exit event' : ', no JSON event'}`, async () => {
    const strace = await runTracer([...backendArgs, '-v', '--format', 'strace', '--', fixture('midcall'), 'killed', 'child']);
    assert.is(strace.status, 128 + 9, strace.stderr);
    const commandPid = Number(/command pid (\d+)/.exec(strace.stderr)[1]);
    const killed = /^\[pid +(\d+)\] \+\+\+ killed by SIGKILL \+\+\+$/m.exec(strace.stdout);
    assert.ok(killed && Number(killed[1]) !== commandPid, `the child's end: ${strace.stdout}`);
    const out = path.join(dir, `killed-${backend}.json`);
    const run = await runTracer([...backendArgs, '-v', '--format', 'json', '-o', out, '--', fixture('midcall'), 'killed', 'child']);
    const exits = readJson(out).filter((e) => e.event === 'exit');
    if (backend === 'bpf') return assert.equal(exits, [], 'eBPF JSON holds calls only');
    const child = exits.find((e) => e.pid !== Number(/command pid (\d+)/.exec(run.stderr)[1]));
    assert.ok(child, `the child's exit: ${JSON.stringify(exits)}`);
    assert.equal([child.exit_code, child.killed_by], [null, 'SIGKILL']);
  });

  test(`${backend}: -p on a long-running shell: its killed child's blocked call is unfinished while the trace goes on`, async () => {
    const [gate, hold, pidFile, sleepPidFile] = ['gate', 'hold', 'pid', 'sleep-pid'].map((name) => path.join(dir, `${backend}-${name}`));
    execFileSync('mkfifo', [gate]);
    execFileSync('mkfifo', [hold]);
    // The shell starts a reader (cat) blocked on a pipe from a sleep, then blocks itself on `hold`.
    const sleeper = `sh -c 'echo $$ > ${sleepPidFile}; exec sleep 1000'`;
    const shell = spawn('sh', ['-c', `read line < ${gate}; ${sleeper} | cat & echo $! > ${pidFile}; read line < ${hold}`], { stdio: 'ignore' });
    const out = path.join(dir, `pid-${backend}.txt`);
    let stderr = '';
    let ended = false;
    const running = runTracer([...backendArgs, '-v', '--format', 'strace', '-o', out, '-p', String(shell.pid)], {
      started: (child) => child.stderr.on('data', (d) => (stderr += d)),
    });
    running.then(() => (ended = true), () => (ended = true));
    try {
      await waitFor(() => /attached with|backend ptrace/.test(stderr), 'the tracer to attach');
      fs.writeFileSync(gate, 'go\n');
      await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').endsWith('\n'), 'the reader to start');
      const reader = Number(fs.readFileSync(pidFile, 'utf8'));
      // cat is in its read once /proc says so; then kill it mid-call.
      await waitFor(() => fs.readFileSync(`/proc/${reader}/comm`, 'utf8') === 'cat\n' &&
        fs.readFileSync(`/proc/${reader}/syscall`, 'utf8').split(' ')[0] === '0', 'cat to block in read');
      process.kill(reader, 'SIGKILL');
      const readerLines = () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '').split('\n')
        .filter((line) => line.startsWith(pidPrefix(reader))).map((line) => line.slice(pidPrefix(reader).length));
      await waitFor(() => readerLines().includes('+++ killed by SIGKILL +++'), 'the reader\'s end in the trace');
      const lines = readerLines();
      // Its read: started (announced as blocked, or unfinished at once), never resumed.
      const read = lines.findIndex((line) => /^read\(0, .*<unfinished \.\.\.>/.test(line));
      assert.ok(read >= 0, `the reader's read, unfinished, while the tracer runs: ${lines.join('\n')}`);
      // Never resumed with a result: if another line split it, strace ends it as
      // `<... read resumed> <unfinished ...>) = ?`. (Its earlier calls may be split around the
      // shell's lines too, as strace splits them.)
      const resumed = lines.slice(read + 1).filter((line) => /^<\.\.\. read resumed>/.test(line));
      assert.ok(resumed.every((line) => /^<\.\.\. read resumed> <unfinished \.\.\.>\) += \?$/.test(line)), `never resumed: ${lines.join('\n')}`);
      assert.ok(read < lines.indexOf('+++ killed by SIGKILL +++'));
      assert.not.ok(ended, 'the tracer still runs');
    } finally {
      fs.writeFileSync(hold, 'done\n');
      const sleepPid = fs.existsSync(sleepPidFile) ? Number(fs.readFileSync(sleepPidFile, 'utf8')) : 0;
      if (sleepPid > 0) process.kill(sleepPid, 'SIGKILL');
    }
    const run = await running;
    assert.is(run.status, 0, run.stderr);
  });
}

test('bpf: -a shows the ends of processes it did not start, and their dead threads\' calls unfinished', async () => {
  let tracer;
  let stderr = '';
  const out = path.join(dir, 'all.txt');
  // --comm keeps the rest of the host out; the program runs outside the tracer.
  const running = runTracer(['--backend', 'bpf', '-v', '-a', '--comm', 'midcall', '--format', 'strace', '-o', out], {
    started: (child) => {
      tracer = child;
      child.stderr.on('data', (d) => (stderr += d));
    },
  });
  await waitFor(() => stderr.includes('attached with'), 'the tracer to attach');
  const program = spawn(fixture('midcall'), ['exit', 'child'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let programOut = '';
  program.stdout.on('data', (d) => (programOut += d));
  const status = await new Promise((resolve) => program.on('close', resolve));
  assert.is(status, 3);
  const blocked = Number(/^blocked (\d+)/m.exec(programOut)?.[1]);
  const ends = () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '').split('\n').filter((line) => / \+\+\+ exited with 3 \+\+\+$|^\+\+\+ exited with 3 \+\+\+$/.test(line));
  // The child's process and the command's: strace drops the prefix of the last one alive.
  await waitFor(() => ends().length >= 2, 'both processes\' ends in the trace');
  tracer.kill('SIGINT');
  const run = await running;
  assert.is(run.status, 0, run.stderr);
  const text = fs.readFileSync(out, 'utf8');
  assert.ok(ends().some((line) => line.startsWith(pidPrefix(program.pid)) || line === '+++ exited with 3 +++'), `the command's end: ${text}`);
  assert.match(text, new RegExp(`^\\[pid +${blocked}\\] read\\(3, .*<unfinished \\.\\.\\.>`, 'm'), 'the blocked thread\'s read, unfinished');
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
