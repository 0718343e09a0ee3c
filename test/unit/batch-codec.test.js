// The addon's protobuf encoder and the decoder generated from proto/batch.proto agree.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { loadAddon } = require('../../dist/session/native-addon');
const { decodeBatch, EventKind, Tampering } = require('../../dist/wire/batch-decoder');
const { bpftrace_ts } = require('../../dist/generated/batch');

test('batches decode to the values that were encoded', () => {
  const events = [
    { kind: 2, tsNs: 5000, tid: 101, pid: 100, nr: 0, comm: 'blocked', args: [0, 140737488347136, 4096, 0, 0, 0] },
    { kind: 0, tsNs: 1000, tid: 100, pid: 100, nr: 257, comm: 'cat', args: [-100, 94000000000000, 524288, 0, -1, 2 ** 52] },
    { kind: 1, tsNs: 1500, tid: 100, pid: 100, nr: 257, ret: 3 },
    { kind: 0, tsNs: 2000, tid: 102, pid: 100, nr: 1, comm: 'worker thread 1', args: [1, 7, 64, 0, 0, 0] },
    { kind: 1, tsNs: 2600, tid: 102, pid: 100, nr: 1, ret: -9 },
    { kind: 0, tsNs: 3000, tid: 100, pid: 100, nr: 231, comm: 'cat', args: [0, 0, 0, 0, 0, 0] },
  ];
  const batch = decodeBatch(loadAddon().encodeBatch(events));

  assert.is(batch.lostEvents, 7);
  assert.is(batch.flushTsNs, 5000000);
  // Each exit right after its own entry is merged with it into one CALL record.
  assert.equal(batch.kind, [EventKind.IN_PROGRESS, EventKind.CALL, EventKind.CALL, EventKind.ENTER]);
  const records = [events[0], events[1], events[3], events[5]];
  let ts = batch.baseTsNs;
  const times = batch.tsDeltaNs.map((d) => (ts += d));
  assert.equal(times, records.map((e) => e.tsNs));
  assert.equal(batch.tid, records.map((e) => e.tid));
  assert.equal(batch.pid, records.map((e) => e.pid));
  assert.equal(batch.nr, records.map((e) => e.nr));
  assert.equal(batch.ret, [3, -9]);
  assert.equal(batch.durationNs, [500, 600]);
  const enters = events.filter((e) => e.kind !== 1);
  assert.equal(batch.commIndex.map((i) => batch.comms[i]), enters.map((e) => e.comm));
  assert.is(batch.comms.length, 3, 'each name once per batch');
  const columns = [batch.arg0, batch.arg1, batch.arg2, batch.arg3, batch.arg4, batch.arg5];
  enters.forEach((e, k) => assert.equal(columns.map((c) => c[k]), e.args, `args of enter ${k}`));
});

test('an exit that does not follow its own entry stays an EXIT', () => {
  const events = [
    { kind: 0, tsNs: 100, tid: 7, pid: 7, nr: 0, comm: 'a', args: [0, 0, 0, 0, 0, 0] },
    { kind: 0, tsNs: 200, tid: 8, pid: 8, nr: 1, comm: 'b', args: [0, 0, 0, 0, 0, 0] },
    { kind: 1, tsNs: 300, tid: 7, pid: 7, nr: 0, ret: 5 },
    { kind: 1, tsNs: 400, tid: 9, pid: 9, nr: 1, ret: 1 },
  ];
  const batch = decodeBatch(loadAddon().encodeBatch(events));
  assert.equal(batch.kind, [EventKind.ENTER, EventKind.ENTER, EventKind.EXIT, EventKind.EXIT]);
  assert.equal(batch.ret, [5, 1]);
  assert.is(batch.durationNs.length, 0);
});

test('a tampered call (-e inject) is marked on its event', () => {
  const events = [
    { kind: 0, tsNs: 100, tid: 7, pid: 7, nr: 1, comm: 'a', args: [3, 0, 1, 0, 0, 0] },
    { kind: 1, tsNs: 300, tid: 7, pid: 7, nr: 1, ret: -28, tampered: Tampering.TAMPER_INJECTED },
    { kind: 0, tsNs: 400, tid: 7, pid: 7, nr: 1, comm: 'a', args: [3, 0, 1, 0, 0, 0] },
    { kind: 1, tsNs: 500, tid: 7, pid: 7, nr: 1, ret: 1, tampered: Tampering.TAMPER_DELAYED },
  ];
  const batch = decodeBatch(loadAddon().encodeBatch(events));
  assert.equal(batch.kind, [EventKind.CALL, EventKind.CALL]);
  assert.equal(batch.tamperedEvent, [0, 1]);
  assert.equal(batch.tamperedHow, [Tampering.TAMPER_INJECTED, Tampering.TAMPER_DELAYED]);
});

test('a signal and a process exit carry the name of their task', () => {
  const events = [
    { kind: 0, tsNs: 100, tid: 7, pid: 7, nr: 61, comm: 'sh', args: [0, 0, 0, 0, 0, 0] },
    { kind: 4, tsNs: 200, tid: 7, pid: 7, nr: 17, comm: 'sh' },
    { kind: 5, tsNs: 300, tid: 8, pid: 8, nr: 0, comm: 'cat', ret: 256 },
    { kind: 1, tsNs: 400, tid: 7, pid: 7, nr: 61, ret: 8 },
  ];
  const batch = decodeBatch(loadAddon().encodeBatch(events));
  assert.equal(batch.kind, [EventKind.ENTER, EventKind.SIGNAL, EventKind.PROCESS_EXIT, EventKind.EXIT]);
  assert.equal(batch.eventCommIndex.map((i) => batch.comms[i]), ['sh', 'cat']);
  assert.equal(batch.ret, [256, 8], 'the exit status, then the call\'s result');
});

test('64-bit values read exactly: small, past 32 bits, up to the safe integers', () => {
  const edges = [0, 1, -1, 2 ** 27 - 1, 2 ** 27, -(2 ** 27), -(2 ** 27) - 1, 2 ** 28, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 52)];
  const events = [];
  for (let i = 0; i < edges.length; i += 6) {
    const args = edges.slice(i, i + 6);
    events.push({ kind: 0, tsNs: 100 + i, tid: 7 + i, pid: 7, nr: 0, comm: 'a', args });
  }
  const batch = decodeBatch(loadAddon().encodeBatch(events));
  const columns = [batch.arg0, batch.arg1, batch.arg2, batch.arg3, batch.arg4, batch.arg5];
  assert.equal(events.flatMap((_, k) => columns.map((c) => c[k])), edges);
});

/** The batch as protobufjs's generated decoder reads it, for comparison. */
const generatedDecode = (bytes) => ({ ...bpftrace_ts.Batch.decode(bytes) });
const plain = (batch) => ({ ...batch, captureData: batch.captureData.map((d) => [...d]) });

test('the column reader reads every field as the generated decoder does', () => {
  const n = 40;
  const values = (f) => Array.from({ length: n }, (_, i) => f(i));
  const message = {
    baseTsNs: 123456789012, flushTsNs: -5, lostEvents: 2 ** 40 + 3,
    kind: values((i) => i % 7), tsDeltaNs: values((i) => (i * 7919) % 3000 - 100), tid: values((i) => 4000000000 - i), nr: values((i) => i * 13),
    pid: values((i) => i), commIndex: values((i) => i % 3),
    arg0: values((i) => -i * 2 ** 45), arg1: values((i) => 2 ** 47 + i), arg2: values((i) => i - 20), arg3: values((i) => 2 ** 27 + i - 20),
    arg4: values((i) => -(2 ** 52) + i), arg5: values((i) => 2 ** 53 - 1 - i), ret: values((i) => -i), comms: ['a', 'naïve ünïcode', ''],
    durationNs: values((i) => i * 1000003), captureEvent: values((i) => i), captureArg: values((i) => i % 6), captureKind: values((i) => i % 10),
    captureFlags: values((i) => i % 16), captureData: values((i) => Uint8Array.from({ length: i % 5 }, (_, k) => k * 50 + i)),
    mapsEvent: [1, 2], mapsPid: [7, 8], maps: ['55-66 r-xp 0 08:01 12 /bin/x', ''], tamperedEvent: [3], tamperedHow: [2], eventCommIndex: [2, 0],
  };
  const bytes = bpftrace_ts.Batch.encode(message).finish();
  const read = decodeBatch(bytes);
  assert.ok(read instanceof bpftrace_ts.Batch);
  assert.equal(plain(read), plain(generatedDecode(bytes)));
  assert.equal(plain(decodeBatch(Buffer.from(bytes))), plain(generatedDecode(Buffer.from(bytes))), 'from a Buffer');
  assert.equal(read.arg5, message.arg5);
  // A comm cut inside a UTF-8 character decodes as protobufjs decodes it.
  const cut = Buffer.from([0x92, 0x01, 0x03, 0x61, 0xc3, 0x0a]); // comms = "a\xc3\n" (field 18)
  assert.equal(decodeBatch(cut).comms, generatedDecode(cut).comms);
  assert.equal(decodeBatch(new Uint8Array(cut)).comms, generatedDecode(new Uint8Array(cut)).comms);
});

test('the column reader takes unpacked repeated values and skips unknown fields', () => {
  // tid 5 unpacked, twice; field 4 (reserved) as a varint; field 40 as bytes; field 41 fixed32; nr packed.
  const bytes = Uint8Array.from([0x38, 0x05, 0x38, 0x06, 0x20, 0x01, 0xc2, 0x02, 0x02, 0xff, 0xff, 0xcd, 0x02, 1, 2, 3, 4, 0x42, 0x02, 0x01, 0x02]);
  const batch = decodeBatch(bytes);
  assert.equal(batch.tid, [5, 6]);
  assert.equal(batch.nr, [1, 2]);
  assert.equal(plain(batch), plain(generatedDecode(bytes)));
  assert.throws(() => decodeBatch(Uint8Array.from([0x42, 0x05, 0x01])), /index out of range/, 'a column longer than the batch');
});

test('an empty batch is a quiet tick with its flush time', () => {
  const batch = decodeBatch(loadAddon().encodeBatch([]));
  assert.is(batch.kind.length, 0);
  assert.is(batch.flushTsNs, 5000000);
});

test.run();
