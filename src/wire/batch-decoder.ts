// Decodes the addon's protobuf batches (proto/batch.proto): batches column by column
// (src/wire/batch-reader.ts), aggregates with the code protobufjs generated from the schema.
import { bpftrace_ts } from '../generated/batch';
import { readBatch } from './batch-reader';
import { BatchField } from '../generated/batch-fields';

export const EventKind = bpftrace_ts.EventKind;
export const Tampering = bpftrace_ts.Tampering;
export const CaptureFlag = bpftrace_ts.CaptureFlag;
export type Batch = bpftrace_ts.Batch;
export type Aggregate = bpftrace_ts.Aggregate;
export type AggregateRow = bpftrace_ts.IAggregateRow;

export function decodeBatch(bytes: Uint8Array): Batch {
  return readBatch(bytes);
}

/** Batch fields that say what an event's arguments were: args, captures, maps, tampering. */
const ARGUMENT_FIELDS: ReadonlySet<number> = new Set([BatchField.arg0, BatchField.arg1, BatchField.arg2, BatchField.arg3,
  BatchField.arg4, BatchField.arg5, BatchField.captureEvent, BatchField.captureArg, BatchField.captureKind, BatchField.captureFlags,
  BatchField.captureData, BatchField.mapsEvent, BatchField.mapsPid, BatchField.maps, BatchField.tamperedEvent, BatchField.tamperedHow]);

/** A batch without its argument columns (empty): which calls, by whom, when, with what result. */
export function decodeBatchWithoutArguments(bytes: Uint8Array): Batch {
  return readBatch(bytes, ARGUMENT_FIELDS);
}

export function decodeAggregate(bytes: Uint8Array): Aggregate {
  return bpftrace_ts.Aggregate.decode(bytes);
}
