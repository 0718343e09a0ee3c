// Shared by the recording tests of unit/ (the reader and writer) and e2e/ (record and report).
'use strict';
const assert = require('uvu/assert');

/** The framing of a recording, read independently of src/wire/recording.ts: [start, end) of each record. */
function frames(bytes) {
  assert.is(bytes.subarray(0, 8).toString(), 'BPTSREC\n');
  const out = [];
  let at = 8;
  while (at < bytes.length) {
    let length = 0;
    let scale = 1;
    let i = at;
    for (; bytes[i] >= 0x80; i++, scale *= 128) length += (bytes[i] & 0x7f) * scale;
    length += bytes[i] * scale;
    out.push({ start: at, end: i + 1 + length, field: bytes[i + 1] >> 3 });
    at = i + 1 + length;
  }
  assert.is(at, bytes.length, 'whole records to the end');
  return out;
}

module.exports = { frames };
