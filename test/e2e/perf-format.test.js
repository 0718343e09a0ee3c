// The perf format decodes as perf trace 6.1 and strace 6.1 do, checked against the real
// tools on the same program: poll's revents after the result, arch_prctl's address in hex.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { spawnSync } = require('node:child_process');
const { fixture, runTracer } = require('../helpers');

test('poll: revents follow the result in the perf and strace formats, a timeout says (Timeout), as strace', async () => {
  const program = fixture('poll_calls');
  const perf = await runTracer(['-e', 'poll', '--', program]);
  assert.is(perf.status, 0, perf.stderr);
  const polls = perf.stdout.split('\n').filter((l) => / poll\(/.test(l) || /\[continued\]: poll\(\)/.test(l));
  assert.ok(polls.some((l) => /poll\(ufds: \[\{fd=3, events=POLLIN\}\], nfds: 1, timeout_msecs: 100\) = 1 \(\[\{fd=3, revents=POLLIN\}\]\)$/.test(l)), polls.join('\n'));
  assert.ok(polls.some((l) => /poll\(\)?.* = 0 \(Timeout\)$/.test(l)), polls.join('\n'));

  // strace's lines: the first poll whole, the second's result (ours is announced as blocked).
  const ours = await runTracer(['--format', 'strace', '-e', 'poll', '--', program]);
  const theirs = spawnSync('/usr/bin/strace', ['-e', 'trace=poll', program], { encoding: 'utf8' }).stderr.split('\n');
  const lines = ours.stdout.split('\n');
  assert.is(lines[0].replace(/\s+= /, ' = '), theirs[0].replace(/\s+= /, ' = '));
  assert.match(theirs[1], /\) += 0 \(Timeout\)$/);
  // Shown whole, or as resumed when it was announced as blocked first (the batch closed
  // more than 10 ms into it).
  assert.match(lines.find((l) => /^(poll\(|<\.\.\. poll resumed>).*\) += 0/.test(l)), /\) += 0 \(Timeout\)$/, ours.stdout);
});

test('arch_prctl: the address in hex, as perf trace shows it', async () => {
  const program = fixture('poll_calls');
  const ours = await runTracer(['-e', 'arch_prctl', '--', program]);
  assert.is(ours.status, 0, ours.stderr);
  const perf = spawnSync('/usr/bin/perf', ['trace', '-e', 'arch_prctl', '--', program], { encoding: 'utf8' });
  const arg2 = (text) => /arch_prctl\(option: SET_FS, arg2: (\S+?)\)/.exec(text)?.[1];
  assert.match(arg2(perf.stderr + perf.stdout), /^0x[0-9a-f]+$/, 'perf trace shows it in hex');
  assert.match(arg2(ours.stdout), /^0x[0-9a-f]+$/, ours.stdout);
});

test.run();
