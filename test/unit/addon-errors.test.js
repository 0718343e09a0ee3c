// The addon's errors on their own, before anything is loaded: a session spec it refuses names
// the mistake and carries the errno. A session that runs: test/e2e/native-session.test.js.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');

test('load errors carry a message and the errno', () => {
  const { loadAddon } = require('../../dist/session/native-addon');
  const { TraceSession } = loadAddon();
  try {
    new TraceSession({ all: true, followChildren: false, ringBytes: 1 << 20, verbose: false, attachMode: 'nonsense' });
    assert.unreachable('an unknown attach mode is refused');
  } catch (error) {
    assert.match(error.message, /unknown attach mode: nonsense/);
    assert.is(error.errno, 22);
    assert.is(error.code, 'EINVAL');
  }
});

test.run();
