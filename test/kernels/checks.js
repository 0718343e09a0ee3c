// The kernel matrix's checks: scripts/kernel-matrix boots each kernel in a VM and runs these
// there. Every eBPF mode on the running kernel, each asserting that it ran on the eBPF
// backend (a silent fall back to ptrace would pass most checks), then --ptrace once. The VMs
// run them with the command installed from the packed tarball (BPFTRACE_TS_UNDER_TEST).
//
//   node test/kernels/checks.js [NAME...]    all checks, or those named
//   node test/kernels/checks.js --build-only builds the fixtures (the VMs' root is read-only)
//
// One line per check: "ok NAME (seconds)" or "FAIL NAME: why", then what the kernel loaded
// ("kernel-matrix: loaded ...") and "kernel-matrix: checks done (N failed)".
'use strict';
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { STACK_CFLAGS, fixture, missingLines, readJson, runTracer, summary, tempDir, waitFor } = require('../helpers');

const BPF = ['--backend', 'bpf'];
const dir = tempDir();
let loaded = '';

function check(condition, why) {
  if (!condition) throw new Error(why);
}

/** The tracer's run on the eBPF backend, tp_btf as every kernel of the matrix has it. */
async function traceBpf(args, options) {
  const run = await runTracer([...BPF, ...args], options);
  check(run.status === 0, `exit ${run.status}: ${run.stderr}`);
  return run;
}

function isTpBtf(stderr) {
  check(/backend bpf \(tp_btf\)/.test(stderr), `not the eBPF backend with tp_btf: ${stderr}`);
}

/** The strace-format corpus program `name`: every line strace prints, in order. */
async function corpus(name, backendArgs = BPF) {
  const work = fs.mkdtempSync(path.join(dir, `${name}-`));
  const expected = path.join(work, 'expected');
  const trace = path.join(work, 'trace');
  const run = await runTracer([...backendArgs, '--format', 'strace', '-o', trace, '--', fixture(`corpus/${name}`), expected, work]);
  check(run.status === 0, `exit ${run.status}: ${run.stderr}`);
  const missing = missingLines(fs.readFileSync(expected, 'utf8').split('\n').filter(Boolean), fs.readFileSync(trace, 'utf8').split('\n'));
  check(missing.length === 0, `lines missing: ${missing.slice(0, 5).join(' | ')}`);
  return run;
}

/** Rows of the --summary-only tables: name -> [calls, errors]. */
function summaryRows(text) {
  const rows = new Map();
  for (const m of text.matchAll(/^ {3}(\w+) +(\d+) +(\d+) /gm)) rows.set(m[1], [Number(m[2]), Number(m[3])]);
  return rows;
}

/** Starts a tracer that runs until stopped; resolves its run once it said it attached. */
async function attachedTracer(args) {
  let tracer;
  let stderr = '';
  let ended = false;
  // A guest under software emulation on a busy host runs several times slower than usual.
  const run = runTracer([...BPF, '-v', ...args], {
    timeoutMs: 180000,
    started: (child) => {
      tracer = child;
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', () => (ended = true));
    },
  });
  await waitFor(() => ended || stderr.includes('attached with'), 'the tracer to attach', 60000);
  check(!ended, `the tracer ended: ${stderr}`);
  return { tracer, run, stderr: () => stderr };
}

const exited = (child) => new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

const CHECKS = {
  /** The command is the one installed from the packed tarball, on a host without build tools. */
  package() {
    const installed = process.env.BPFTRACE_TS_UNDER_TEST;
    check(installed, 'no installed package under test (scripts/kernel-matrix installs the packed tarball)');
    const present = ['clang', 'cmake', 'bpftool', 'cc', 'make'].filter((tool) =>
      spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
    check(present.length === 0, `build tools still on PATH: ${present.join(', ')}`);
    const libraries = ['libbpf.so.1', 'libelf.so.1'].filter((name) => fs.existsSync(path.join('/usr/lib/x86_64-linux-gnu', name)));
    check(libraries.length === 0, `shared libraries still installed: ${libraries.join(', ')}`);
    const root = path.join(path.dirname(fs.realpathSync(installed)), '..');
    const needed = execFileSync('ldd', [path.join(root, 'prebuilds', 'linux-x64', 'node.napi.glibc.node')], { encoding: 'utf8' });
    check(!/lib(bpf|elf|z)\.so/.test(needed), `the installed addon needs shared libraries: ${needed}`);
  },
  async load() {
    const run = await traceBpf(['-v', '--', 'true']);
    isTpBtf(run.stderr);
    const how = /loaded in (\d+) ms \((.*)\)/.exec(run.stderr);
    check(how, `no load line: ${run.stderr}`);
    const insns = [...run.stderr.matchAll(/verifier: (sys_\w+_tp_btf): (\d+) insns/g)].map((m) => `${m[1]} ${m[2]} insns`);
    loaded = `tp_btf; ${how[2]}; load ${how[1]} ms; ${insns.join(', ')}`;
  },
  'corpus-files': () => corpus('files'),
  'corpus-net': () => corpus('net'),
  'corpus-process': () => corpus('process'),
  async 'getdents-count'() {
    const run = await traceBpf(['--format', 'strace', '-e', 'getdents64', '--', 'ls', '-a', '/usr/bin']);
    const entries = fs.readdirSync('/usr/bin').length + 2;
    const counts = [...run.stdout.matchAll(/\/\* (\d+) entries \*\//g)].reduce((sum, m) => sum + Number(m[1]), 0);
    check(counts === entries, `${counts} entries counted, ${entries} in /usr/bin: ${run.stdout.slice(0, 400)}`);
  },
  async stack() {
    // 100 calls 2 ms apart (the maps are read while it runs), then 5 at once by a process
    // gone before its maps can be read: the kernel's build IDs name those frames.
    const names = (call) => call.stack.map((f) => f.symbol).filter((s) => s?.startsWith('stack_'));
    for (const [args, count] of [[[], 100], [['5'], 5]]) {
      const out = path.join(dir, `stack-${count}.json`);
      await traceBpf(['-k', '-e', 'getppid', '--format', 'json', '-o', out, '--', fixture('stack_calls', STACK_CFLAGS), ...args]);
      const calls = readJson(out).filter((r) => r.syscall === 'getppid');
      check(calls.length === count, `${calls.length} getppid calls`);
      const named = calls.filter((c) => names(c).join() === 'stack_inner,stack_middle,stack_outer');
      check(named.length === count, `${named.length} of ${count} named; frames: ${JSON.stringify(calls[calls.length - 1]?.stack)}`);
    }
  },
  async signals() {
    const trace = path.join(dir, 'signals.trace');
    await traceBpf(['--format', 'strace', '-o', trace, '--', fixture('signal_self')]);
    const lines = fs.readFileSync(trace, 'utf8').split('\n');
    check(lines.some((l) => /^--- SIGUSR1 \{si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=\d+, si_uid=\d+\} ---$/.test(l)), `no SIGUSR1 line: ${lines.join('\n')}`);
    check(lines.filter((l) => l === '+++ exited with 0 +++').length === 1, 'the end once');
  },
  async 'task-exits'() {
    const run = await runTracer([...BPF, '--format', 'strace', '--', fixture('midcall'), 'exit', 'child']);
    check(run.status === 3, `exit ${run.status}: ${run.stderr}`);
    check(/^\[pid +\d+\] \+\+\+ exited with 3 \+\+\+$/m.test(run.stdout), `the child's end: ${run.stdout}`);
    check(/^\[pid +\d+\] read\(3, .*<unfinished \.\.\.>/m.test(run.stdout), 'the dying thread\'s call unfinished');
  },
  async pid() {
    const helper = spawn(fixture('signal_helper'), [path.join(dir, 'pid-marker-missing')], { stdio: ['ignore', 'pipe', 'ignore'] });
    const ended = exited(helper);
    let output = '';
    helper.stdout.on('data', (d) => (output += d));
    await waitFor(() => output.includes('ready'), 'the helper to start');
    const out = path.join(dir, 'pid.txt');
    const { tracer, run } = await attachedTracer(['-p', String(helper.pid), '-o', out]);
    await waitFor(() => fs.readFileSync(out, 'utf8').includes('rt_sigsuspend('), 'the call it blocks in');
    helper.kill('SIGUSR1');
    await waitFor(() => /openat\(.*\) = -1 ENOENT/.test(fs.readFileSync(out, 'utf8')), 'its openat');
    tracer.kill('SIGINT');
    isTpBtf((await run).stderr);
    helper.kill('SIGUSR2');
    const end = await ended;
    check(end.code === 7, `the helper ended with ${JSON.stringify(end)}`);
  },
  async all() {
    const out = path.join(dir, 'all.json');
    const { tracer, run } = await attachedTracer(['-a', '--format', 'json', '-o', out]);
    const marker = path.join(dir, 'all-marker-missing');
    // A cat at a time, and the trace read only after it ended: under -a every poll is traced
    // too, so polling as fast as waitFor does grows the trace faster than a slow guest writes it.
    const deadline = Date.now() + 90000;
    for (;;) {
      await exited(spawn('cat', [marker], { stdio: 'ignore' }));
      if (fs.readFileSync(out, 'utf8').includes(marker)) break;
      check(Date.now() < deadline, 'timed out waiting for another process to be traced');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    tracer.kill('SIGINT');
    isTpBtf((await run).stderr);
    check(!readJson(out).some((c) => c.pid === tracer.pid), 'the tracer traced itself');
  },
  async 'comm-and-filters'() {
    const missing = path.join(dir, 'comm-missing');
    const out = path.join(dir, 'comm.json');
    await traceBpf(['--comm', 'cat', '-e', 'openat', '--failure', '--format', 'json', '-o', out, '--', 'sh', '-c', `cat ${missing}; cat /dev/null`]);
    const calls = readJson(out);
    check(calls.length > 0 && calls.every((c) => c.comm === 'cat' && c.syscall === 'openat' && c.errno), JSON.stringify(calls).slice(0, 400));
    check(calls.some((c) => JSON.stringify(c).includes(missing)), 'the failed openat of the missing file');
  },
  async hist() {
    const run = await traceBpf(['--hist', '-e', 'getppid,nanosleep', '--', fixture('known_calls')]);
    isTpBtf(run.stderr);
    check(/^@getppid: 10000 calls, 0 errors/m.test(run.stdout) && /^@nanosleep: 60 calls, 0 errors/m.test(run.stdout), run.stdout);
    // Every call is in one row (not which row: a slow guest makes the sleeps longer).
    const rows = [...run.stdout.matchAll(/^\[\S+, \S+\) +(\d+) \|/gm)];
    check(rows.reduce((sum, m) => sum + Number(m[1]), 0) === 10060, `10060 calls in the rows: ${run.stdout}`);
  },
  async 'summary-only'() {
    const run = await traceBpf(['--summary-only', '--', fixture('known_calls')]);
    isTpBtf(run.stderr);
    const rows = summaryRows(run.stdout);
    check(rows.get('getppid')?.join() === '10000,0' && rows.get('nanosleep')?.join() === '60,0', run.stdout);
    check(/ 0 not counted/.test(run.stderr), run.stderr);
  },
  // The entry of a call that leaves its CPU moves to the task (sched_switch): on 5.10 to the
  // hash by tid that stands in for task storage.
  async 'summary-switched'() {
    const run = await traceBpf(['--summary-only', '-e', 'getppid,nanosleep', '--', fixture('switch_calls')]);
    isTpBtf(run.stderr);
    const spun = /^getppid (\d+)$/m.exec(run.stdout)?.[1];
    const rows = summaryRows(run.stdout);
    check(rows.get('nanosleep')?.join() === '20,0' && rows.get('getppid')?.join() === `${spun},0`, run.stdout);
    check(/ 0 not counted/.test(run.stderr), run.stderr);
  },
  async interval() {
    const run = await traceBpf(['--summary-only', '-i', '0.5', '-e', 'getppid', '--', fixture('paced_calls'), '600', '1600']);
    const intervals = [...run.stdout.matchAll(/^--- [\d.]+ s to [\d.]+ s: (\d+) calls ---$/gm)].map((m) => Number(m[1]));
    check(intervals.length >= 2 && intervals.reduce((a, b) => a + b, 0) === 600, run.stdout);
  },
  async top() {
    const out = path.join(dir, 'top.txt');
    const { tracer, run } = await attachedTracer(['-a', '--top', '3', '-i', '0.2', '--comm', 'storm', '-o', out]);
    try {
      const storm = spawn(fixture('storm'), ['20000']);
      await exited(storm);
      const row = new RegExp(`^  storm +${storm.pid} `, 'm');
      await waitFor(() => row.test(fs.readFileSync(out, 'utf8')), 'a view with the storm');
    } finally {
      tracer.kill('SIGINT');
    }
    isTpBtf((await run).stderr);
  },
  async cgroup() {
    const v2 = fs.existsSync('/sys/fs/cgroup/unified') ? '/sys/fs/cgroup/unified' : '/sys/fs/cgroup';
    const cgroup = `${v2}/bpftrace-ts-matrix-${process.pid}`;
    fs.mkdirSync(cgroup);
    try {
      const out = path.join(dir, 'cgroup.txt');
      const { tracer, run } = await attachedTracer(['-a', '--summary-only', '--summary-by', 'process', '--cgroup', cgroup, '-e', 'getppid', '-o', out]);
      const inside = spawn('sh', ['-c', `echo $$ > ${cgroup}/cgroup.procs && exec ${fixture('storm')} 3000`]);
      const outside = spawn(fixture('storm'), ['5000']);
      await Promise.all([exited(inside), exited(outside)]);
      tracer.kill('SIGINT');
      isTpBtf((await run).stderr);
      const text = fs.readFileSync(out, 'utf8');
      check(new RegExp(`^ storm \\(${inside.pid}\\), 3000 calls`, 'm').test(text) && !text.includes(`(${outside.pid})`), text);
    } finally {
      fs.rmdirSync(cgroup);
    }
  },
  async prometheus() {
    const comm = `prom${process.pid}`.slice(0, 15);
    const storm = path.join(dir, comm);
    fs.copyFileSync(fixture('storm'), storm);
    fs.chmodSync(storm, 0o755);
    const { tracer, run, stderr } = await attachedTracer(['-a', '--hist', '--hist-by', 'comm', '-e', 'getppid', '--comm', comm,
      '--prometheus', '127.0.0.1:0', '-i', '0.2']);
    try {
      await waitFor(() => /http:\/\/127\.0\.0\.1:\d+\/metrics/.test(stderr()), 'the metrics endpoint');
      const url = /(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(stderr())[1];
      await exited(spawn(storm, ['3000']));
      const scrape = () => new Promise((resolve, reject) => http.get(url, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      }).on('error', reject));
      const counted = new RegExp(`^bpftrace_ts_syscall_calls_total\\{[^}]*comm="${comm}"[^}]*\\} 3000$`, 'm');
      let body = '';
      for (let scrapes = 0; scrapes < 50 && !counted.test(body); scrapes++) {
        if (scrapes) await new Promise((resolve) => setTimeout(resolve, 200));
        body = await scrape();
      }
      check(counted.test(body), `no count of 3000 for ${comm}: ${body.split('\n').filter((l) => l.includes(comm)).slice(0, 5).join(' | ')}`);
    } finally {
      tracer.kill('SIGINT');
    }
    isTpBtf((await run).stderr);
  },
  async 'lost-exact'() {
    const perStorm = 100_000;
    const gate = path.join(dir, 'gate');
    execFileSync('mkfifo', [gate]);
    let tracer;
    let stdout = '';
    let stderr = '';
    const running = runTracer([...BPF, '-v', '--buffer-size', '1', '-e', 'getppid', '--format', 'json', '-o', '/dev/null', '--',
      fixture('storm'), String(perStorm), '2', gate], {
      started: (child) => {
        tracer = child;
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
      },
    });
    await waitFor(() => stderr.includes('attached with'), 'the tracer to attach', 60000);
    process.kill(tracer.pid, 'SIGSTOP'); // the ring must overflow: nobody drains it
    try {
      fs.writeFileSync(gate, 'go');
      await waitFor(() => stdout.includes('stormed'), 'the storm to finish', 120000);
    } finally {
      process.kill(tracer.pid, 'SIGCONT');
    }
    const run = await running;
    check(run.status === 0, run.stderr);
    const { events, lost, attachMode } = summary(run.stderr);
    check(attachMode === 'tp_btf' && lost > 0 && events + lost === 4 * perStorm, `${events} seen + ${lost} lost of ${4 * perStorm}`);
  },
  async record() {
    const recording = path.join(dir, 'known.bpt');
    const made = await runTracer(['record', ...BPF, '-o', recording, '--', fixture('known_calls')]);
    check(made.status === 0 && /backend bpf \(tp_btf\)/.test(made.stderr), made.stderr);
    const report = await runTracer(['report', '-S', '-e', 'getppid,nanosleep', recording]);
    check(report.status === 0, report.stderr);
    const rows = summaryRows(report.stdout + report.stderr);
    check(rows.get('getppid')?.join() === '10000,0' && rows.get('nanosleep')?.join() === '60,0', report.stdout + report.stderr);
  },
  async ptrace() {
    const run = await corpus('files', ['--ptrace']);
    check(/backend ptrace/.test(run.stderr), run.stderr);
  },
};

const STACK_FIXTURES = [['stack_calls', STACK_CFLAGS]];
const FIXTURES = ['corpus/files', 'corpus/net', 'corpus/process', 'signal_self', 'midcall', 'signal_helper', 'known_calls',
  'paced_calls', 'storm', 'switch_calls'];

async function main() {
  if (process.argv.includes('--build-only')) {
    for (const name of FIXTURES) fixture(name);
    for (const [name, flags] of STACK_FIXTURES) fixture(name, flags);
    return;
  }
  const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(CHECKS);
  let failed = 0;
  for (const name of names) {
    const started = Date.now();
    try {
      if (!CHECKS[name]) throw new Error('no such check');
      await CHECKS[name]();
      console.log(`ok ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${name}: ${String(error.message).split('\n').slice(0, 12).join('\n  ')}`);
    }
  }
  if (loaded) console.log(`kernel-matrix: loaded ${loaded}`);
  console.log(`kernel-matrix: checks done (${failed} failed)`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main();
