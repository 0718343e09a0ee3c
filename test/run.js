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
// A hung test must fail the run, not hold CI until its own limit.
const TIME_LIMIT_MS = { unit: 2 * 60 * 1000, e2e: 20 * 60 * 1000 };

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

/** Runs uvu over test/DIR; its output is passed on; resolves with its tally. */
function uvuRun(dir, options = {}) {
  process.stdout.write(`test/${dir}${options.uid === undefined ? '' : ` (as user nobody, uid ${options.uid})`}:\n`);
  const result = spawnSync(process.execPath, [uvu, path.join('test', dir), '\\.test\\.js$', ...uvuArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: TIME_LIMIT_MS[dir],
    killSignal: 'SIGKILL',
    ...options,
  });
  process.stdout.write(result.stdout ?? '');
  if (result.error) process.stdout.write(`test/${dir}: run stopped: ${result.error.message}\n`);
  const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(result.stdout ?? '')?.[1] ?? 0);
  const total = count('Total');
  const passed = count('Passed');
  const skipped = count('Skipped');
  const failed = total - passed - skipped + (result.status !== 0 && total === passed ? 1 : 0);
  return { passed, failed, skipped, ok: result.status === 0 && failed === 0 };
}

/** Runs the kernel matrix, its lines passed on as they come; resolves with its tally. */
function kernelMatrix() {
  return new Promise((resolve) => {
    const matrix = spawn(path.join(ROOT, 'scripts', 'kernel-matrix'), [], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    matrix.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    matrix.on('close', (status) => {
      const tally = /^(\d+) passed, (\d+) failed$/m.exec(output);
      resolve({ passed: Number(tally?.[1] ?? 0), failed: tally ? Number(tally[2]) : 1, skipped: 0, ok: status === 0 });
    });
  });
}

(async () => {
  const runs = [];
  const unreadable = asNobody.uid === undefined ? '' : unreadableAsNobody();
  if (unreadable) {
    process.stdout.write(`test/unit: runs as user nobody (${NOBODY}), who cannot read ${unreadable}: make the checkout readable to others (chmod -R o+rX) or run the tests as a user other than root\n`);
    runs.push({ passed: 0, failed: 1, skipped: 0, ok: false });
  } else {
    runs.push(uvuRun('unit', asNobody));
  }
  if (!unitOnly) {
    runs.push(uvuRun('e2e'));
    if (process.env.KERNEL_MATRIX !== '0') runs.push(await kernelMatrix());
  }
  const sum = (key) => runs.reduce((n, run) => n + run[key], 0);
  const skipped = sum('skipped');
  process.stdout.write(`${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exit(runs.every((run) => run.ok) ? 0 : 1);
})();
