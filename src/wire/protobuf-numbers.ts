// Configures protobufjs to read 64-bit fields as plain numbers. The generated code requires
// this module first (scripts/gen-proto.js puts the line there): its prototypes take their
// 64-bit defaults from this setting when they load (a Long object otherwise, which turns
// 0 + default into "00").
//
// Every 64-bit field here is a sint64 or uint64 holding a time relative to the trace
// start, a register value, a return value or a count: exact as a JavaScript number below
// 2^53 (104 days of trace, every user-space address). protobufjs reads 64-bit varints
// through a LongBits object per value, which for a million calls is most of the decoding
// time and garbage; this reader produces the number directly, with the same bounds checks.
import * as protobuf from 'protobufjs/minimal';

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
