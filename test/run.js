// `npm test`: the unit tests (test/unit: pure modules, no root, no kernel), then the e2e tests
// (test/e2e: the tracer on this machine's kernel, as root), then the kernel matrix
// (scripts/kernel-matrix: the eBPF backend on Debian's 5.10, 6.1 and 6.12 kernels in qemu,
// about 15 minutes; KERNEL_MATRIX=0 leaves it out while iterating). Ends with
// "N passed, N failed" over all three.
// `npm run test:unit` (node test/run.js unit): the unit tests alone.
// Run as root, the unit tests run as user nobody (uid and gid 65534, no groups, no
// capabilities): a unit test that needs root, or writes into the checkout, fails.
// Other arguments go to uvu (e.g. -b to stop at the first failure).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const uvu = path.join(ROOT, 'node_modules', 'uvu', 'bin.js');
const NOBODY = 65534;
// Past these a set of tests is stopped and fails: a hung test must fail the run, not hold CI
// until CI's own limit. e2e takes 10 to 20 minutes alone on 2 cores, more while other work
// shares them. The kernel matrix has its own limit per kernel (KERNEL_MATRIX_TIMEOUT).
const TIME_LIMIT_MS = { unit: 2 * 60 * 1000, e2e: 45 * 60 * 1000 };

const args = process.argv.slice(2);
const unitOnly = args[0] === 'unit';
const uvuArgs = unitOnly ? args.slice(1) : args;
const asNobody = process.getuid() === 0 ? { uid: NOBODY, gid: NOBODY } : {};

/** The files the unit tests read that user nobody cannot, as one line (empty when none). */
function unreadableAsNobody() {
  const needed = [uvu, path.join(ROOT, 'dist'), path.join(ROOT, 'build', 'Release', 'bpftrace_ts.node'), path.join(ROOT, 'test', 'unit')];
  const probe = `const fs = require('node:fs');
    const missing = ${JSON.stringify(needed)}.filter((f) => { try { fs.accessSync(f, fs.constants.R_OK); return false; } catch { return true; } });
    process.stdout.write(missing.join(', '));`;
  const run = spawnSync(process.execPath, ['-e', probe], { ...asNobody, cwd: '/', encoding: 'utf8' });
  return run.status === 0 ? run.stdout : `${ROOT} (${run.error?.message ?? run.stderr.trim()})`;
}

/** Output kept for the tally: the end of it, where uvu and the kernel matrix sum up. */
const TAIL_BYTES = 64 << 10;

/** Runs file with args, its output passed on as it comes, killed past limitMs (if given);
 * resolves with its exit status (null when killed), the end of its output, and whether the
 * limit stopped it. */
function streamed(file, args, limitMs, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], ...options });
    let tail = '';
    let stopped = false;
    const timer = limitMs === undefined ? undefined : setTimeout(() => {
      stopped = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      tail = (tail + chunk).slice(-TAIL_BYTES);
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      tail += `\n${error.message}`;
      resolve({ status: null, tail, stopped });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, tail, stopped });
    });
  });
}

/** Runs uvu over test/DIR; resolves with its tally. */
async function uvuRun(dir, options = {}) {
  process.stdout.write(`test/${dir}${options.uid === undefined ? '' : ` (as user nobody, uid ${options.uid})`}:\n`);
  const limitMs = TIME_LIMIT_MS[dir];
  const { status, tail, stopped } = await streamed(process.execPath, [uvu, path.join('test', dir), '\\.test\\.js$', ...uvuArgs], limitMs, options);
  const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(tail)?.[1] ?? 0);
  let total = count('Total');
  let passed = count('Passed');
  const skipped = count('Skipped');
  if (stopped) {
    process.stdout.write(`\ntest/${dir}: stopped after ${limitMs / 60000} minutes (its time limit)\n`);
    // No summary from a killed uvu: the files it finished, "(passed / total)" each.
    const files = [...tail.matchAll(/\((\d+) \/ (\d+)\)/g)];
    passed = files.reduce((n, m) => n + Number(m[1]), 0);
    total = files.reduce((n, m) => n + Number(m[2]), 0);
  }
  const failed = total - passed - skipped + (status !== 0 && total === passed + skipped ? 1 : 0);
  return { passed, failed, skipped, ok: status === 0 && failed === 0 };
}

/** Runs the kernel matrix; resolves with its tally. */
async function kernelMatrix() {
  const { status, tail } = await streamed(path.join(ROOT, 'scripts', 'kernel-matrix'), []);
  const tally = /^(\d+) passed, (\d+) failed$/m.exec(tail);
  return { passed: Number(tally?.[1] ?? 0), failed: tally ? Number(tally[2]) : 1, skipped: 0, ok: status === 0 };
}

(async () => {
  const runs = [];
  const unreadable = asNobody.uid === undefined ? '' : unreadableAsNobody();
  if (unreadable) {
    process.stdout.write(`test/unit: runs as user nobody (${NOBODY}), who cannot read ${unreadable}: make the checkout readable to others (chmod -R o+rX) or run the tests as a user other than root\n`);
    runs.push({ passed: 0, failed: 1, skipped: 0, ok: false });
  } else {
    runs.push(await uvuRun('unit', asNobody));
  }
  if (!unitOnly) {
    runs.push(await uvuRun('e2e'));
    if (process.env.KERNEL_MATRIX !== '0') runs.push(await kernelMatrix());
  }
  const sum = (key) => runs.reduce((n, run) => n + run[key], 0);
  const skipped = sum('skipped');
  process.stdout.write(`${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exit(runs.every((run) => run.ok) ? 0 : 1);
})();
