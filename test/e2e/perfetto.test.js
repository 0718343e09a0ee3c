// --perfetto: the trace decodes against Perfetto's published TracePacket schema, with a
// track per traced thread, a slice per call, nested correctly in time.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { fixture, tempDir, runTracer, readJson } = require('../helpers');
const { decode } = require('./perfetto-reader');

const dir = tempDir();

function checkTrace(packets, calls) {
  const descriptors = packets.filter((p) => p.trackDescriptor).map((p) => p.trackDescriptor);
  const processes = new Map(descriptors.filter((d) => d.process).map((d) => [d.uuid, d.process]));
  const threads = new Map(descriptors.filter((d) => d.thread).map((d) => [d.uuid, d]));
  const tids = new Set(calls.map((c) => c.tid));
  assert.is(threads.size, tids.size, 'one track per traced thread');
  for (const t of threads.values()) {
    assert.ok(tids.has(t.thread.tid));
    assert.is(processes.get(t.parentUuid).pid, t.thread.pid, 'grouped under its process');
  }
  assert.is(new Set([...threads.values()].map((t) => t.thread.tid)).size, threads.size, 'no thread twice');

  const events = packets.filter((p) => p.trackEvent).map((p) => ({ ts: p.timestamp, ...p.trackEvent }));
  for (const p of packets) assert.is(p.trustedPacketSequenceId, 1);
  for (const [uuid, track] of threads) {
    // Stable sort by time, as trace processor orders them; slices then nest as a stack.
    const onTrack = events.filter((e) => e.trackUuid === uuid).sort((a, b) => a.ts - b.ts);
    const mine = calls.filter((c) => c.tid === track.thread.tid).sort((a, b) => a.ts_ns - b.ts_ns);
    const slices = onTrack.filter((e) => e.type !== 'TYPE_SLICE_END');
    assert.is(slices.length, mine.length, `one slice per call of thread ${track.thread.tid}`);
    assert.equal(slices.map((s) => s.name), mine.map((c) => c.syscall));
    assert.equal(slices.map((s) => s.ts), mine.map((c) => c.ts_ns));
    let open = null;
    for (const e of onTrack) {
      if (e.type === 'TYPE_SLICE_BEGIN') {
        assert.is(open, null, 'a thread is in one call at a time: slices never overlap');
        open = e;
      } else if (e.type === 'TYPE_SLICE_END') {
        assert.ok(open && e.ts >= open.ts, 'an end closes the slice begun before it');
        open = null;
      }
    }
    assert.is(open, null, 'every slice ends');
  }
  return events;
}

const annotation = (event, name) => {
  const a = event.debugAnnotations.find((d) => d.name === name);
  return a && (a.stringValue ?? a.boolValue);
};

test('live --perfetto: tracks per thread under their process, a slice per call, failed calls marked', async () => {
  const json = path.join(dir, 'live.json');
  const pftrace = path.join(dir, 'live.pftrace');
  const run = await runTracer(['--format', 'json', '-o', json, '--perfetto', pftrace, '--',
    'sh', '-c', `${fixture('threads')} 4 >/dev/null; cat ${dir}/missing`]);
  assert.is(run.status, 1, run.stderr);
  const calls = readJson(json);
  assert.ok(new Set(calls.map((c) => c.tid)).size >= 7, 'the shell, the fixture\'s five threads and cat');
  const events = checkTrace(decode(pftrace), calls);

  const failed = events.find((e) => e.name === 'openat' && annotation(e, 'errno') === 'ENOENT');
  assert.ok(failed, 'the failed openat');
  assert.ok(failed.categories.includes('failed'));
  assert.is(annotation(failed, 'failed'), true);
  assert.is(annotation(failed, 'result'), '-1 ENOENT (No such file or directory)');
  assert.is(annotation(failed, 'dfd'), 'CWD');
  const exitGroup = events.find((e) => e.name === 'exit_group');
  assert.is(exitGroup.type, 'TYPE_INSTANT', 'a call that does not return is an instant');
  const read = events.find((e) => e.name === 'getppid' && e.type === 'TYPE_SLICE_BEGIN');
  assert.ok(!read.categories.includes('failed'));
});

test('report --perfetto of a recording: the same slices as the calls of its json report', async () => {
  const recording = path.join(dir, 'known.bpt');
  assert.is((await runTracer(['record', '-o', recording, '--', fixture('known_calls')])).status, 0);
  const pftrace = path.join(dir, 'report.pftrace');
  const run = await runTracer(['report', '--format', 'json', '--perfetto', pftrace, recording]);
  assert.is(run.status, 0, run.stderr);
  const calls = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const events = checkTrace(decode(pftrace), calls);
  assert.is(events.filter((e) => e.name === 'getppid' && e.type === 'TYPE_SLICE_BEGIN').length, 10000);
  const sleep = events.filter((e) => e.name === 'nanosleep');
  const ends = events.filter((e) => e.type === 'TYPE_SLICE_END');
  assert.is(sleep.length, 60);
  assert.ok(ends.length >= 10060);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
