// `npm test`: runs every test/*.test.js with uvu on this machine's kernel, then the kernel
// matrix (scripts/kernel-matrix: the eBPF backend on Debian's 5.10, 6.1 and 6.12 kernels in
// qemu, about 15 minutes; KERNEL_MATRIX=0 leaves it out while iterating). Ends with
// "N passed, N failed" over both.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const uvu = path.join(ROOT, 'node_modules', 'uvu', 'bin.js');
// A hung test must fail the run, not hold CI until its own limit.
const TIME_LIMIT_MS = 20 * 60 * 1000;
const result = spawnSync(process.execPath, [uvu, 'test', '\\.test\\.js$', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
  timeout: TIME_LIMIT_MS,
  killSignal: 'SIGKILL',
});
process.stdout.write(result.stdout ?? '');
if (result.error) process.stdout.write(`test run stopped: ${result.error.message}\n`);
const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(result.stdout ?? '')?.[1] ?? 0);
const total = count('Total');
let passed = count('Passed');
const skipped = count('Skipped');
let failed = total - passed - skipped + (result.status !== 0 && total === passed ? 1 : 0);
let ok = result.status === 0 && failed === 0;

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
      resolve({ status, passed: Number(tally?.[1] ?? 0), failed: tally ? Number(tally[2]) : 1 });
    });
  });
}

(async () => {
  if (process.env.KERNEL_MATRIX !== '0') {
    const matrix = await kernelMatrix();
    passed += matrix.passed;
    failed += matrix.failed;
    ok &&= matrix.status === 0;
  }
  process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  process.exit(ok && failed === 0 ? 0 : 1);
})();
