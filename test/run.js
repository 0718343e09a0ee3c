// `npm test`: runs every test/*.test.js with uvu and ends with "N passed, N failed".
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const uvu = path.join(__dirname, '..', 'node_modules', 'uvu', 'bin.js');
// A hung test must fail the run, not hold CI until its own limit.
const TIME_LIMIT_MS = 20 * 60 * 1000;
const result = spawnSync(process.execPath, [uvu, 'test', '\\.test\\.js$', ...process.argv.slice(2)], {
  cwd: path.join(__dirname, '..'),
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
  timeout: TIME_LIMIT_MS,
  killSignal: 'SIGKILL',
});
process.stdout.write(result.stdout ?? '');
if (result.error) process.stdout.write(`test run stopped: ${result.error.message}\n`);
const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(result.stdout ?? '')?.[1] ?? 0);
const total = count('Total');
const passed = count('Passed');
const skipped = count('Skipped');
const failed = total - passed - skipped + (result.status !== 0 && total === passed ? 1 : 0);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(result.status === 0 && failed === 0 ? 0 : 1);
