// What the tracer says about itself: record's own help, and a recorded command line quoted
// as a shell would read it back (report -v, the HTML page's header).
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { tempDir, runTracer } = require('../helpers');

const dir = tempDir();

test('record --help is the help of record', async () => {
  const run = await runTracer(['record', '--help']);
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, /^Usage: bpftrace-ts record -o FILE/);
});

test('report -v and the HTML header quote the recorded command as a shell would', async () => {
  const recording = path.join(dir, 'quoted.bpt');
  const record = await runTracer(['record', '-o', recording, '--', 'sh', '-c', 'echo "it\'s" | cat >/dev/null', '']);
  assert.is(record.status, 0, record.stderr);
  const quoted = `-- sh -c 'echo "it'\\''s" | cat >/dev/null' ''`;
  const html = path.join(dir, 'quoted.html');
  const report = await runTracer(['report', '-v', '-o', '/dev/null', '--html', html, recording]);
  assert.is(report.status, 0, report.stderr);
  assert.ok(report.stderr.split('\n')[0].endsWith(`bpftrace-ts record -o ${recording} ${quoted}`), report.stderr);
  assert.ok(fs.readFileSync(html, 'utf8').includes(`-- sh -c &#39;echo &#34;it&#39;\\&#39;&#39;s&#34; | cat &#62;/dev/null&#39; &#39;&#39;`), 'quoted, then escaped for HTML');
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
