// Errors users can cause: one line, the documented exit status, nothing started. The
// cases are the rows of README.md's "Bad input" table, run as written there.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, TRACER, tempDir, runTracer } = require('../helpers');

const dir = tempDir();
const recording = path.join(dir, 'true.bpt');
spawnSync(TRACER, ['record', '-o', recording, '--', 'true']);
const marker = path.join(dir, 'ran');
const symlink = `/tmp/bpftrace-ts-test-link-${process.pid}`;
fs.symlinkSync(path.join(dir, 'victim'), symlink);

/** A zombie: sh starts true in the background, then becomes sleep, which never reaps it. */
const zombieParent = spawn('sh', ['-c', 'true & exec sleep 120'], { stdio: 'ignore' });
function zombiePid() {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    let children = [];
    try {
      children = fs.readFileSync(`/proc/${zombieParent.pid}/task/${zombieParent.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {}
    const zombie = children.find((pid) => {
      try {
        return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    });
    if (zombie) return zombie;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  throw new Error('no zombie appeared');
}

/** What each <placeholder> of the table stands for. */
const placeholders = {
  '<cmd>': ['touch', marker], // leaves a mark if it ever runs
  '<exited pid>': [String(spawnSync('true').pid)],
  '<zombie pid>': [zombiePid()],
  '<symlink in /tmp>': [symlink],
  '<file without x>': [writeFile('not-executable', `#!/bin/sh\ntouch ${marker}\n`, 0o644)],
  '<text file with x>': [writeFile('not-a-program', 'just text\n', 0o755)],
  '<text file>': [writeFile('not-a-recording', 'just text\n', 0o644)],
  '<recording>': [recording],
  '<empty>': [''],
};

function writeFile(name, text, mode) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode });
  return file;
}

/** The rows of the index-th table of README's "Bad input" section: [{args, status, message}],
 * placeholders substituted. */
function readmeRows(index) {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n### Bad input\n')[1].split('\n### ')[0];
  const table = section.split('\n| command line |')[index + 1].split('\n\n')[0];
  const rows = table.split('\n').filter((line) => line.startsWith('| `bpftrace-ts'));
  return rows.map((line) => {
    const [commandLine, status, message] = line.split(' | ').map((cell) => cell.replace(/^\| |`| \|$/g, ''));
    const args = commandLine.split(' ').slice(1).join(' ').split(/(<[^>]+>)| /).filter((word) => word !== undefined && word !== '')
      .flatMap((word) => placeholders[word] ?? [word]);
    const substituted = message.replace(/<[^>]+>/g, (p) => placeholders[p]?.join(' ') ?? p);
    return { name: commandLine, args, status: Number(status), message: substituted };
  });
}

const rows = readmeRows(0);
/** Mistakes found once the trace runs: one line and the status, but the command ran. */
const runtimeRows = readmeRows(1);

test('the README table has at least 25 rows', () => {
  assert.ok(rows.length >= 25, `${rows.length} rows`);
});

for (const row of rows) {
  test(`bad input: ${row.name}`, async () => {
    const run = await runTracer(row.args);
    assert.is(run.status, row.status, run.stderr);
    const lines = run.stderr.split('\n').filter(Boolean);
    assert.is(lines.length, 1, `one line on stderr: ${run.stderr}`);
    assert.ok(lines[0].startsWith(row.message), `'${lines[0]}' starts with '${row.message}'`);
    assert.is(run.stdout, '', 'nothing traced');
    assert.not.ok(fs.existsSync(marker), 'nothing was started');
  });
}

test('the table of mistakes found while tracing has its rows', () => {
  assert.ok(runtimeRows.length >= 3, `${runtimeRows.length} rows`);
});

for (const row of runtimeRows) {
  test(`bad input while tracing: ${row.name}`, async () => {
    const run = await runTracer(row.args);
    assert.is(run.status, row.status, run.stderr);
    const lines = run.stderr.split('\n').filter((line) => line && !/^bpftrace-ts: \d+ events, /.test(line));
    assert.is(lines.length, 1, `one line on stderr besides the totals: ${run.stderr}`);
    assert.ok(lines[0].startsWith(row.message), `'${lines[0]}' starts with '${row.message}'`);
    assert.not.match(run.stderr, /\n\s+at /, 'no stack trace');
  });
}

test.after(() => {
  zombieParent.kill('SIGKILL');
  fs.rmSync(symlink, { force: true });
  fs.rmSync(dir, { recursive: true, force: true });
});
test.run();
