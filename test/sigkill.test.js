// The tracer killed with SIGKILL at 20 random moments of a trace of a busy program: the
// program always finishes with its normal output and exit status, nothing of this tracer
// stays in the kernel, and no process is left stopped or traced. The moments are drawn
// from a printed seed: SIGKILL_SEED=<seed> replays them.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { TRACER, fixture, tempDir, waitFor, bpfObjectsOf, stillLoaded } = require('./helpers');

const KILLS = 20;
const MAX_DELAY_MS = 1200;
const CHILDREN = 3;
const CALLS = 800000; // ~1.5 s of calls under the tracer on the 2-core VM
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
const delays = Array.from({ length: KILLS }, () => Math.floor(random() * MAX_DELAY_MS));

const dir = tempDir();
let killsWhileCalling = 0; // kills that landed while the children were making calls

/** "State" and "TracerPid" of a process, or null once it is gone. */
function processState(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return { state: /^State:\s+(\S)/m.exec(status)[1], tracerPid: Number(/^TracerPid:\s+(\d+)/m.exec(status)[1]) };
  } catch {
    return null;
  }
}

delays.forEach((delay, i) => {
  test(`SIGKILL ${i + 1}/${KILLS}, ${delay} ms into the trace (seed ${seed})`, async () => {
    const base = path.join(dir, String(i));
    const [pids, out, status, go] = ['pids', 'out', 'status', 'go'].map((name) => `${base}.${name}`);
    execFileSync('mkfifo', [go]);
    const command = `${fixture('busy')} ${CHILDREN} ${CALLS} ${pids} ${go} > ${out}; echo $? > ${status}`;
    const tracer = spawn(TRACER, ['-v', '-o', '/dev/null', '--', 'sh', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    tracer.stderr.on('data', (d) => (stderr += d));
    // 'exit', not 'close': the program inherits the tracer's stderr and keeps it open.
    const exited = new Promise((resolve) => tracer.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      await waitFor(() => stderr.includes('attached with'), 'the tracer to attach');
      const held = bpfObjectsOf(tracer.pid);
      assert.ok(held.prog.size >= 4 && held.map.size > 0 && held.link.size >= 4, `the tracer holds its programs: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, delay));
      tracer.kill('SIGKILL');
      assert.equal(await exited, { code: null, signal: 'SIGKILL' }, 'killed while tracing');

      // The program still runs (it waits on the FIFO): none of its processes is stopped or traced.
      await waitFor(() => fs.existsSync(pids), 'the program to start');
      const [parent, ...children] = fs.readFileSync(pids, 'utf8').trim().split('\n').map(Number);
      if (children.some((pid) => processState(pid) !== null)) killsWhileCalling++;
      for (const pid of [parent, ...children]) {
        const state = processState(pid);
        if (state === null) continue; // a child that already finished
        assert.not.ok(/[tT]/.test(state.state), `process ${pid} is not stopped: ${state.state}`);
        assert.is(state.tracerPid, 0, `process ${pid} is not traced`);
      }
      // Let it finish: open the FIFO once it reads (ENXIO before), without blocking.
      let fifo;
      await waitFor(() => (fifo = fs.openSync(go, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)) >= 0, 'the program to wait on its FIFO');
      fs.writeSync(fifo, 'go');
      fs.closeSync(fifo);
      await waitFor(() => fs.existsSync(status) && fs.readFileSync(status, 'utf8').endsWith('\n'), 'the program to finish');
      assert.is(fs.readFileSync(out, 'utf8'), `children ${CHILDREN} calls ${CHILDREN * CALLS}\n`, 'its normal output');
      assert.is(fs.readFileSync(status, 'utf8'), '7\n', 'its normal exit status');

      let left = [];
      await waitFor(() => (left = stillLoaded(held)).length === 0, 'the kernel to free this tracer\'s objects')
        .catch(() => assert.unreachable(`still loaded: ${left.join(', ')}`));
    } finally {
      tracer.kill('SIGKILL');
    }
  });
});

test.after(() => {
  console.log(`sigkill: ${killsWhileCalling} of ${KILLS} kills landed while the children were making calls (seed ${seed})`);
  fs.rmSync(dir, { recursive: true, force: true });
});
test.run();
