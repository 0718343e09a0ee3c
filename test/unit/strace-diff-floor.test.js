// The floor of the differential test against strace (test/fixtures/strace-diff-floor.json) may
// only rise: no value below main's. The test that holds the tracer to it:
// test/e2e/strace-diff.test.js.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('../helpers');

const FLOOR_FILE = path.join('test', 'fixtures', 'strace-diff-floor.json');
const floor = JSON.parse(fs.readFileSync(path.join(ROOT, FLOOR_FILE), 'utf8'));
const BACKENDS = ['bpf', 'ptrace'];

test('the floor only rises: no value below main\'s', () => {
  // The unit tests run as an unprivileged user when npm test runs as root: git would refuse a
  // checkout that user does not own (and the test would pass unchecked) without safe.directory.
  const main = spawnSync('git', ['-c', `safe.directory=${ROOT}`, 'show', `main:${FLOOR_FILE}`], { cwd: ROOT, encoding: 'utf8' });
  if (main.status !== 0) return; // main has no floor yet (or this is not a checkout)
  const before = JSON.parse(main.stdout);
  for (const backend of BACKENDS) {
    assert.ok(floor.overall[backend] >= before.overall[backend], `${backend} overall`);
    for (const [name, values] of Object.entries(before.programs))
      if (floor.programs[name]) assert.ok(floor.programs[name][backend] >= values[backend], `${backend} ${name}`);
  }
  for (const name of floor.mayBeNondeterministic) assert.ok(before.mayBeNondeterministic.includes(name), `${name} newly allowed to be racy`);
});

test.run();
