// The tracer killed with SIGKILL at 20 random moments of a trace of a busy program, on each
// backend: the program always finishes with its normal output and exit status, nothing of
// this tracer stays in the kernel (eBPF), and no task of the program (its threads, its
// forked children) is left stopped or traced. With -e on ptrace the command runs under a
// seccomp filter and is killed with its tracer instead (PTRACE_O_EXITKILL, README): that
// is checked too. The moments are drawn from a printed seed: SIGKILL_SEED=<seed> replays them.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { TRACER, fixture, tempDir, waitFor, bpfObjectsOf, stillLoaded } = require('../helpers');

const KILLS = 20;
const MAX_DELAY_MS = 1200;
const CHILDREN = 3;
// Calls per child: ~1.5 s of calls under each backend on the 2-core VM (ptrace stops the
// program twice per call, ~30 us).
const BACKENDS = {
  bpf: { args: ['--backend', 'bpf'], calls: 800000, attached: 'attached with' },
  ptrace: { args: ['--ptrace'], calls: 60000, attached: 'backend ptrace, command pid' },
};
const seed = Number(process.env.SIGKILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`sigkill: seed ${seed} (replay with SIGKILL_SEED=${seed})`);

/** mulberry32: a small seeded generator, so the moments can be replayed. */
function generator(state) {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const random = generator(seed);
const delays = Object.fromEntries(Object.keys(BACKENDS).map((backend) =>
  [backend, Array.from({ length: KILLS }, () => Math.floor(random() * MAX_DELAY_MS))]));
const exitKillDelays = Array.from({ length: 3 }, () => Math.floor(random() * MAX_DELAY_MS));

const dir = tempDir();
const killsWhileCalling = { bpf: 0, ptrace: 0 }; // kills that landed while the children were making calls

/** "State" and "TracerPid" of each task (thread) of a process; [] once it is gone. */
function taskStates(pid) {
  let tids;
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.flatMap((tid) => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      return [{ tid, state: /^State:\s+(\S)/m.exec(status)[1], tracerPid: Number(/^TracerPid:\s+(\d+)/m.exec(status)[1]) }];
    } catch {
      return []; // ended meanwhile
    }
  });
}

/** Starts the busy program under the tracer; resolves once it is traced. */
async function startTrace(name, backend, extraArgs = []) {
  const base = path.join(dir, name);
  const files = Object.fromEntries(['pids', 'out', 'status', 'go'].map((f) => [f, `${base}.${f}`]));
  execFileSync('mkfifo', [files.go]);
  const { args, calls, attached } = BACKENDS[backend];
  const command = `${fixture('busy')} ${CHILDREN} ${calls} ${files.pids} ${files.go} > ${files.out}; echo $? > ${files.status}`;
  const tracer = spawn(TRACER, [...args, ...extraArgs, '-v', '-o', '/dev/null', '--', 'sh', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  tracer.stderr.on('data', (d) => (stderr += d));
  // 'exit', not 'close': the program inherits the tracer's stderr and keeps it open.
  const exited = new Promise((resolve) => tracer.on('exit', (code, signal) => resolve({ code, signal })));
  await waitFor(() => stderr.includes(attached), 'the tracer to attach');
  const commandPid = Number(/command pid (\d+)/.exec(stderr)[1]);
  return { tracer, exited, files, commandPid, calls, stderr: () => stderr };
}

function pidsOf(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
}

for (const backend of Object.keys(BACKENDS)) {
  delays[backend].forEach((delay, i) => {
    test(`${backend}: SIGKILL ${i + 1}/${KILLS}, ${delay} ms into the trace (seed ${seed})`, async () => {
      const trace = await startTrace(`${backend}-${i}`, backend);
      const { tracer, exited, files, calls } = trace;
      try {
        const held = backend === 'bpf' ? bpfObjectsOf(tracer.pid) : null;
        if (held) assert.ok(held.prog.size >= 4 && held.map.size > 0 && held.link.size >= 4, `the tracer holds its programs: ${trace.stderr()}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        tracer.kill('SIGKILL');
        assert.equal(await exited, { code: null, signal: 'SIGKILL' }, 'killed while tracing');

        // The program still runs (it waits on the FIFO): none of its tasks is stopped or traced.
        await waitFor(() => fs.existsSync(files.pids), 'the program to start');
        const [parent, ...children] = pidsOf(files.pids);
        if (children.some((pid) => taskStates(pid).length > 0)) killsWhileCalling[backend]++;
        for (const pid of [trace.commandPid, parent, ...children]) {
          for (const task of taskStates(pid)) {
            assert.not.ok(/[tT]/.test(task.state), `task ${task.tid} of process ${pid} is not stopped: ${task.state}`);
            assert.is(task.tracerPid, 0, `task ${task.tid} of process ${pid} is not traced`);
          }
        }
        // Let it finish: open the FIFO once it reads (ENXIO before), without blocking.
        let fifo;
        await waitFor(() => (fifo = fs.openSync(files.go, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)) >= 0, 'the program to wait on its FIFO');
        fs.writeSync(fifo, 'go');
        fs.closeSync(fifo);
        await waitFor(() => fs.existsSync(files.status) && fs.readFileSync(files.status, 'utf8').endsWith('\n'), 'the program to finish');
        assert.is(fs.readFileSync(files.out, 'utf8'), `children ${CHILDREN} calls ${CHILDREN * calls}\n`, 'its normal output');
        assert.is(fs.readFileSync(files.status, 'utf8'), '7\n', 'its normal exit status');

        if (held) {
          let left = [];
          await waitFor(() => (left = stillLoaded(held)).length === 0, 'the kernel to free this tracer\'s objects')
            .catch(() => assert.unreachable(`still loaded: ${left.join(', ')}`));
        }
      } finally {
        tracer.kill('SIGKILL');
      }
    });
  });
}

exitKillDelays.forEach((delay, i) => {
  test(`ptrace -e (seccomp filter): SIGKILL ${delay} ms into the trace kills the command and its children, as documented (seed ${seed})`, async () => {
    const trace = await startTrace(`exitkill-${i}`, 'ptrace', ['-e', 'getppid']);
    const { tracer, exited, files } = trace;
    try {
      await new Promise((resolve) => setTimeout(resolve, delay));
      tracer.kill('SIGKILL');
      assert.equal(await exited, { code: null, signal: 'SIGKILL' }, 'killed while tracing');
      // Every process of the command dies (reaped by init, or a zombie until then); none
      // is left stopped, traced or running under a filter with no tracer.
      const gone = (pid) => taskStates(pid).every((task) => task.state === 'Z');
      await waitFor(() => [trace.commandPid, ...pidsOf(files.pids)].every(gone), 'the command and its children to be killed');
      assert.not.ok(fs.existsSync(files.status) && fs.readFileSync(files.status, 'utf8') !== '', 'the shell was killed before it could write a status');
      assert.is(fs.existsSync(files.out) ? fs.readFileSync(files.out, 'utf8') : '', '', 'the program was killed before its output');
    } finally {
      tracer.kill('SIGKILL');
    }
  });
});

test.after(() => {
  for (const [backend, count] of Object.entries(killsWhileCalling))
    console.log(`sigkill: ${backend}: ${count} of ${KILLS} kills landed while the children were making calls (seed ${seed})`);
  fs.rmSync(dir, { recursive: true, force: true });
});
test.run();
