// Decodes the addon's protobuf batches (proto/batch.proto) with the code protobufjs
// generated from the schema.
import * as protobuf from 'protobufjs/minimal';
import { bpftrace_ts } from './generated/batch';

// Every 64-bit field of a batch is a sint64 holding a time relative to the trace start, a
// register value or a return value: exact as a JavaScript number below 2^53 (104 days of
// trace, every user-space address). protobufjs reads 64-bit varints through a LongBits
// object per value, which for a million calls is most of the decoding time and garbage;
// this reader produces the number directly, with the same bounds checks.
const MAX_VARINT_BYTES = 10;

function readSint64AsNumber(this: protobuf.Reader): number {
  const { buf, len } = this;
  let pos = this.pos;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (pos >= len) throw new RangeError(`index out of range: ${this.pos} + ${MAX_VARINT_BYTES} > ${len}`);
    const byte = buf[pos++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      this.pos = pos;
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2; // zigzag
    }
    scale *= 128;
  }
  throw new Error('invalid varint encoding');
}

protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();
protobuf.Reader.prototype.sint64 = readSint64AsNumber as unknown as typeof protobuf.Reader.prototype.sint64;

export const EventKind = bpftrace_ts.EventKind;
export type Batch = bpftrace_ts.Batch;

export function decodeBatch(bytes: Uint8Array): Batch {
  return bpftrace_ts.Batch.decode(bytes);
}
