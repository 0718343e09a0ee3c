// Reads a Batch (proto/batch.proto) column by column. A batch is mostly packed columns, one
// value per event; protobufjs reads them a value at a time through its Reader, and makes a
// Buffer object per bytes item: for a million calls, a seventh of the CPU of --format json.
// This reader gives the values protobufjs's generated decoder gives (test/unit/batch-codec.test.js
// compares the two on every field), into the generated Batch class.
import * as protobuf from 'protobufjs/minimal';
import { bpftrace_ts } from '../generated/batch';
import { BatchField, WireType } from '../generated/batch-fields';

const { varint: WIRE_VARINT, fixed64: WIRE_FIXED64, lengthDelimited: WIRE_LENGTH_DELIMITED, fixed32: WIRE_FIXED32 } = WireType;
const MAX_VARINT_BYTES = 10;

/** The message's bytes and the read position. */
interface Cursor {
  readonly buf: Uint8Array;
  pos: number;
  /** Where the field being read ends: the message's end, or a packed column's. */
  end: number;
}

function outOfRange(cursor: Cursor): RangeError {
  return new RangeError(`index out of range: ${cursor.pos} > ${cursor.end} in a batch`);
}

/** An unsigned varint as a number (exact below 2^53, as every value of the schema is). */
function varint(cursor: Cursor): number {
  const { buf, end } = cursor;
  let pos = cursor.pos;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (pos >= end) throw outOfRange(cursor);
    const byte = buf[pos++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      cursor.pos = pos;
      return value;
    }
    scale *= 128;
  }
  throw new Error('invalid varint encoding in a batch');
}

/** A uint32 (or an enum's int32, with | 0): the varint's low 32 bits, as protobufjs reads them. */
function uint32(cursor: Cursor): number {
  const { buf, end } = cursor;
  let pos = cursor.pos;
  let value = 0;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (pos >= end) throw outOfRange(cursor);
    const byte = buf[pos++];
    if (i < 5) value |= (byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      cursor.pos = pos;
      return value >>> 0;
    }
  }
  throw new Error('invalid varint encoding in a batch');
}

function zigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

function sint64(cursor: Cursor): number {
  return zigzag(varint(cursor));
}

/** The end of a length-delimited field that starts at the cursor. */
function delimitedEnd(cursor: Cursor): number {
  const length = uint32(cursor);
  const end = cursor.pos + length;
  if (end > cursor.end) throw outOfRange(cursor);
  return end;
}

// A repeated scalar: packed (all values in one length-delimited field) or one value. A
// function per type, so that each loop's read is inlined.

/** The values of a packed column: each varint ends with its one byte below 0x80. A column is
 * made at its size, not grown a push at a time: the growing was most of a batch's garbage. */
function valueCount(buf: Uint8Array, from: number, end: number): number {
  let count = 0;
  for (let i = from; i < end; i++) if (buf[i] < 0x80) count++;
  return count;
}

function sint64Column(cursor: Cursor, wire: number, given: number[]): number[] {
  if (wire !== WIRE_LENGTH_DELIMITED) {
    given.push(sint64(cursor));
    return given;
  }
  const end = delimitedEnd(cursor);
  const { buf } = cursor;
  let pos = cursor.pos;
  const column = given.length === 0 ? new Array<number>(valueCount(buf, pos, end)) : given;
  let n = column === given ? given.length : 0;
  // Values up to 56 bits (every time, register and result but the odd garbage register) are
  // read as two 28-bit integers, without a bounds check per byte while a whole varint fits.
  const roomy = end - MAX_VARINT_BYTES;
  while (pos < roomy) {
    const start = pos;
    let byte = 0;
    let low = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      byte = buf[pos++];
      low |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    if (byte < 0x80) {
      column[n++] = (low >>> 1) ^ -(low & 1); // zigzag
      continue;
    }
    let high = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      byte = buf[pos++];
      high |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    if (byte < 0x80) {
      column[n++] = zigzag(low + high * 2 ** 28);
      continue;
    }
    cursor.pos = start;
    column[n++] = sint64(cursor);
    pos = cursor.pos;
  }
  const messageEnd = cursor.end;
  cursor.pos = pos;
  cursor.end = end;
  while (cursor.pos < end) column[n++] = sint64(cursor);
  cursor.end = messageEnd;
  return column;
}

/** uint32 values, or int32 ones (enums) if signed: the low 32 bits read as protobufjs reads them. */
function uint32Column(cursor: Cursor, wire: number, given: number[], signed = false): number[] {
  const first = given.length;
  let column = given;
  if (wire !== WIRE_LENGTH_DELIMITED) {
    column.push(uint32(cursor));
  } else {
    const end = delimitedEnd(cursor);
    const { buf } = cursor;
    let pos = cursor.pos;
    if (first === 0) column = new Array<number>(valueCount(buf, pos, end));
    let n = first;
    // Values below 2^28 (all but the odd tid past it) without a bounds check per byte.
    const roomy = end - MAX_VARINT_BYTES;
    while (pos < roomy) {
      const start = pos;
      let byte = 0;
      let value = 0;
      for (let shift = 0; shift < 28; shift += 7) {
        byte = buf[pos++];
        value |= (byte & 0x7f) << shift;
        if (byte < 0x80) break;
      }
      if (byte < 0x80) {
        column[n++] = value;
        continue;
      }
      cursor.pos = start;
      column[n++] = uint32(cursor);
      pos = cursor.pos;
    }
    const messageEnd = cursor.end;
    cursor.pos = pos;
    cursor.end = end;
    while (cursor.pos < end) column[n++] = uint32(cursor);
    cursor.end = messageEnd;
  }
  if (signed) for (let i = first; i < column.length; i++) column[i] |= 0;
  return column;
}

/** A string as protobufjs decodes it: Buffer's UTF-8 decoding for a Buffer, its own otherwise
 * (the two differ on malformed UTF-8, as a comm cut inside a character is). */
function string(cursor: Cursor): string {
  const end = delimitedEnd(cursor);
  const start = cursor.pos;
  cursor.pos = end;
  const { buf } = cursor;
  return Buffer.isBuffer(buf) ? buf.toString('utf8', start, end) : protobuf.util.utf8.read(buf, start, end);
}

/** A bytes field: a view of the message's bytes, not a copy. */
function bytes(cursor: Cursor): Uint8Array {
  const end = delimitedEnd(cursor);
  const start = cursor.pos;
  cursor.pos = end;
  const { buf } = cursor;
  return new Uint8Array(buf.buffer, buf.byteOffset + start, end - start);
}

/** Steps over a field this reader does not know (reserved or newer). */
function skip(cursor: Cursor, wire: number): void {
  switch (wire) {
    case WIRE_VARINT: varint(cursor); return;
    case WIRE_FIXED64: cursor.pos += 8; break;
    case WIRE_LENGTH_DELIMITED: cursor.pos = delimitedEnd(cursor); return;
    case WIRE_FIXED32: cursor.pos += 4; break;
    default: throw new Error(`invalid wire type ${wire} in a batch`);
  }
  if (cursor.pos > cursor.end) throw outOfRange(cursor);
}

/** The batch's columns; those of the fields in `skipped` (numbers) are left empty, unread. */
export function readBatch(buf: Uint8Array, skipped?: ReadonlySet<number>): bpftrace_ts.Batch {
  const batch = new bpftrace_ts.Batch();
  const cursor: Cursor = { buf, pos: 0, end: buf.length };
  while (cursor.pos < cursor.end) {
    const tag = uint32(cursor);
    const wire = tag & 7;
    const field = tag >>> 3;
    if (skipped?.has(field)) {
      skip(cursor, wire);
      continue;
    }
    switch (field) {
      case BatchField.baseTsNs: batch.baseTsNs = sint64(cursor); break;
      case BatchField.flushTsNs: batch.flushTsNs = sint64(cursor); break;
      case BatchField.lostEvents: batch.lostEvents = varint(cursor); break;
      case BatchField.kind: batch.kind = uint32Column(cursor, wire, batch.kind, true); break;
      case BatchField.tsDeltaNs: batch.tsDeltaNs = sint64Column(cursor, wire, batch.tsDeltaNs); break;
      case BatchField.tid: batch.tid = uint32Column(cursor, wire, batch.tid); break;
      case BatchField.nr: batch.nr = uint32Column(cursor, wire, batch.nr); break;
      case BatchField.pid: batch.pid = uint32Column(cursor, wire, batch.pid); break;
      case BatchField.commIndex: batch.commIndex = uint32Column(cursor, wire, batch.commIndex); break;
      case BatchField.arg0: batch.arg0 = sint64Column(cursor, wire, batch.arg0); break;
      case BatchField.arg1: batch.arg1 = sint64Column(cursor, wire, batch.arg1); break;
      case BatchField.arg2: batch.arg2 = sint64Column(cursor, wire, batch.arg2); break;
      case BatchField.arg3: batch.arg3 = sint64Column(cursor, wire, batch.arg3); break;
      case BatchField.arg4: batch.arg4 = sint64Column(cursor, wire, batch.arg4); break;
      case BatchField.arg5: batch.arg5 = sint64Column(cursor, wire, batch.arg5); break;
      case BatchField.ret: batch.ret = sint64Column(cursor, wire, batch.ret); break;
      case BatchField.comms: batch.comms.push(string(cursor)); break;
      case BatchField.durationNs: batch.durationNs = sint64Column(cursor, wire, batch.durationNs); break;
      case BatchField.captureEvent: batch.captureEvent = uint32Column(cursor, wire, batch.captureEvent); break;
      case BatchField.captureArg: batch.captureArg = uint32Column(cursor, wire, batch.captureArg); break;
      case BatchField.captureKind: batch.captureKind = uint32Column(cursor, wire, batch.captureKind, true); break;
      case BatchField.captureFlags: batch.captureFlags = uint32Column(cursor, wire, batch.captureFlags); break;
      case BatchField.captureData: batch.captureData.push(bytes(cursor)); break;
      case BatchField.mapsEvent: batch.mapsEvent = uint32Column(cursor, wire, batch.mapsEvent); break;
      case BatchField.mapsPid: batch.mapsPid = uint32Column(cursor, wire, batch.mapsPid); break;
      case BatchField.maps: batch.maps.push(string(cursor)); break;
      case BatchField.tamperedEvent: batch.tamperedEvent = uint32Column(cursor, wire, batch.tamperedEvent); break;
      case BatchField.tamperedHow: batch.tamperedHow = uint32Column(cursor, wire, batch.tamperedHow); break;
      case BatchField.eventCommIndex: batch.eventCommIndex = uint32Column(cursor, wire, batch.eventCommIndex); break;
      default: skip(cursor, wire);
    }
  }
  return batch;
}
