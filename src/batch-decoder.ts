// Decodes the addon's protobuf batches (proto/batch.proto) with the code protobufjs
// generated from the schema.
import * as protobuf from 'protobufjs/minimal';
import { bpftrace_ts } from './generated/batch';

// Without Long, protobufjs reads 64-bit fields as plain numbers. Every time in a batch is
// relative to the trace start and every argument a two's-complement register value, so
// they are exact below 2^53 (104 days of trace, every user-space address).
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

export const EventKind = bpftrace_ts.EventKind;
export type Batch = bpftrace_ts.Batch;

export function decodeBatch(bytes: Uint8Array): Batch {
  return bpftrace_ts.Batch.decode(bytes);
}
