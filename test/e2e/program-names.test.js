// A process is named by the program it ran (its name after its last execve, as perf trace
// -s names it), the same in -S, --summary-only, report -S and Perfetto.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { tempDir, runTracer } = require('../helpers');

const dir = tempDir();
const PIPELINE = ['sh', '-c', 'cat /etc/services | grep tcp | sort | head -3'];
const PROGRAMS = ['cat', 'grep', 'sort', 'head'];

/** The labels of the -S tables: [{name, pid}]. */
function tableLabels(text) {
  return [...text.matchAll(/^ (\S+) \((\d+)\), \d+ calls, /gm)].map((m) => ({ name: m[1], pid: Number(m[2]) }));
}

function assertProgramsNamed(labels, what) {
  const names = labels.map((l) => l.name).sort();
  assert.equal(names, ['cat', 'grep', 'head', 'sh', 'sort'], `${what}: one table per program: ${JSON.stringify(labels)}`);
}

const recording = path.join(dir, 'pipeline.bpt');

test('report -S of a recorded pipeline names cat, grep, sort and head, not sh', async () => {
  const record = await runTracer(['record', '-o', recording, '--', ...PIPELINE]);
  assert.is(record.status, 0, record.stderr);
  const report = await runTracer(['report', '-S', recording]);
  assert.is(report.status, 0, report.stderr);
  assertProgramsNamed(tableLabels(report.stdout), 'report -S');
});

test('-S live names each process by its program', async () => {
  const run = await runTracer(['-S', '-o', path.join(dir, 'live.txt'), '--', ...PIPELINE]);
  assert.is(run.status, 0, run.stderr);
  assertProgramsNamed(tableLabels(fs.readFileSync(path.join(dir, 'live.txt'), 'utf8')), '-S');
});

test('--summary-only (counted in the kernel) names each process by its program', async () => {
  const run = await runTracer(['--summary-only', '-o', path.join(dir, 'counted.txt'), '--', ...PIPELINE]);
  assert.is(run.status, 0, run.stderr);
  assertProgramsNamed(tableLabels(fs.readFileSync(path.join(dir, 'counted.txt'), 'utf8')), '--summary-only');
});

test('--perfetto names each process track by its program', async () => {
  const trace = path.join(dir, 'pipeline.pftrace');
  const run = await runTracer(['report', '-o', '/dev/null', '--perfetto', trace, recording]);
  assert.is(run.status, 0, run.stderr);
  const { processNames } = require('./perfetto-reader');
  const names = processNames(trace);
  // The last descriptor of each process track is its name (trace processor keeps the last).
  assert.equal([...new Set(names.values())].sort(), ['cat', 'grep', 'head', 'sh', 'sort'], JSON.stringify([...names]));
  for (const program of PROGRAMS) assert.is([...names.values()].filter((n) => n === program).length, 1, program);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
