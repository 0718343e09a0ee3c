// The recording file (wire/recording): the writer's framing as read independently, and the
// reader across its read buffer and at a cut. record and report on real traces:
// test/e2e/recording.test.js.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const fs = require('node:fs');
const path = require('node:path');
const { tempDir } = require('../helpers');
const { frames } = require('../recording-frames');

const dir = tempDir();

test('the reader returns every record whole across its read buffer (records up to 3 MiB), and stops at a cut', () => {
  const { RecordingWriter, RecordingReader } = require('../../dist/wire/recording');
  const file = path.join(dir, 'sizes.bpt');
  const sizes = [1, 700000, 400000, 3 << 20, 5, 1 << 20, (1 << 20) - 3, 0, 123456];
  const messages = sizes.map((size, i) => Buffer.alloc(size, i + 1).fill(i * 7 + 3, 0, Math.min(size, 17)));
  const fd = fs.openSync(file, 'w');
  const writer = new RecordingWriter(fd, file);
  writer.writeHeader({ formatVersion: 1, host: 'test' });
  for (const m of messages) writer.write('batch', m);
  writer.close({ lostEvents: 5 });
  const bytes = fs.readFileSync(file);
  assert.is(frames(bytes).length, sizes.length + 2);

  const read = (file) => {
    const fd = fs.openSync(file, 'r');
    const reader = new RecordingReader(fd, file);
    const items = [];
    // A message is valid until the next is read: copied at once.
    for (const item of reader.records()) items.push({ kind: item.kind, message: Buffer.from(item.message) });
    fs.closeSync(fd);
    return { items, end: reader.ending() };
  };
  const whole = read(file);
  assert.is(whole.items[0].kind, 'header');
  assert.is(RecordingReader.header(whole.items[0].message).host, 'test');
  assert.equal(whole.items.slice(1).map((i) => i.kind), sizes.map(() => 'batch'));
  whole.items.slice(1).forEach((item, i) => assert.ok(item.message.equals(messages[i]), `record ${i} of ${sizes[i]} bytes`));
  assert.is(whole.end.cut, null);
  assert.is(whole.end.trailer.lostEvents, 5);
  assert.is(whole.end.trailer.records, sizes.length);

  const cut = path.join(dir, 'sizes-cut.bpt');
  const fourth = frames(bytes)[4];
  fs.writeFileSync(cut, bytes.subarray(0, fourth.start + 1000));
  const partial = read(cut);
  assert.is(partial.items.length, 4, 'the header and three whole records');
  partial.items.slice(1).forEach((item, i) => assert.ok(item.message.equals(messages[i])));
  assert.is(partial.end.cut, `it ends inside the record at byte ${fourth.start}`);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
