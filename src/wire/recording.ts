// The recording file (proto/recording.proto): "BPTSREC\n", then length-delimited Record
// messages: a header, the session's batches or aggregates as they arrived, a trailer.
// The writer copies the session's bytes without decoding them (batches deflated), so
// recording costs a deflate and a write per batch; the reader yields each record's inner message as bytes, for the same
// code that renders a live session's messages.
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { bpftrace_ts } from '../generated/batch';
import { allSyscalls } from '../syscalls/syscall-table';
import { argSpecs } from '../syscalls/raw-args';
import { FileError } from '../sink/file-error';
import { UserError } from '../user-errors';
import { WireType } from '../generated/batch-fields';

export const RECORDING_MAGIC = Buffer.from('BPTSREC\n');
export const RECORDING_FORMAT_VERSION = 1;

export type RecordingHeader = bpftrace_ts.IRecordingHeader;
export type RecordingTrailer = bpftrace_ts.IRecordingTrailer;
/** What a record holds: Record's oneof field numbers. */
export type RecordKind = 'header' | 'batch' | 'aggregate' | 'trailer';
type StoredKind = RecordKind | 'deflated_batch';
const FIELD_OF: Record<StoredKind, number> = { header: 1, batch: 2, aggregate: 3, trailer: 4, deflated_batch: 5 };
const KIND_OF_FIELD: readonly (StoredKind | undefined)[] = [undefined, 'header', 'batch', 'aggregate', 'trailer', 'deflated_batch'];
/** Fast deflate: batches shrink to a tenth or less for ~0.1 us per call of CPU. */
const DEFLATE_LEVEL = 1;
const WIRE_LENGTH_DELIMITED = WireType.lengthDelimited;
/** A record longer than this is taken as a corrupt length, not allocated. */
const MAX_RECORD_BYTES = 256 << 20;
const READ_CHUNK_BYTES = 1 << 20;

function varint(value: number): Buffer {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

/** Reads a varint at offset: [value, next offset], or null if the bytes end inside it. */
function readVarint(bytes: Uint8Array, offset: number, end: number): [number, number] | null {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < end && i < offset + 10; i++) {
    value += (bytes[i] & 0x7f) * scale;
    if (bytes[i] < 0x80) return [value, i + 1];
    scale *= 128;
  }
  if (end - offset >= 10) throw new RecordingError('corrupt recording: a length that is not a varint');
  return null;
}

let tableDigest: string | undefined;

/** sha256 of the syscall table the names and argument layouts come from. */
export function syscallTableDigest(): string {
  tableDigest ??= crypto.createHash('sha256')
    .update(JSON.stringify(allSyscalls().map((s) => [s.nr, s.name, argSpecs(s.nr)])))
    .digest('hex');
  return tableDigest;
}

/** A batch as a recording stores it (Record.deflated_batch). */
export function deflateBatch(message: Uint8Array): Buffer {
  return zlib.deflateRawSync(message, { level: DEFLATE_LEVEL });
}

export class RecordingWriter {
  /** Batches and aggregates written. */
  records = 0;
  bytes = 0;

  /** Writes the magic to fd (file, opened for writing): a file that cannot take it fails
   * before the trace starts. */
  constructor(private readonly fd: number, private readonly file: string) {
    this.writeAll([RECORDING_MAGIC]);
  }

  /** The first record: written once the session started, with what it reports. */
  writeHeader(header: RecordingHeader): void {
    this.writeRecord('header', bpftrace_ts.RecordingHeader.encode(header).finish());
  }

  /** Appends one message the session emitted: an aggregate as it is, a batch deflated. */
  write(kind: 'batch' | 'aggregate', message: Uint8Array): void {
    if (kind === 'batch') this.writeDeflatedBatch(deflateBatch(message));
    else {
      this.writeRecord(kind, message);
      this.records++;
    }
  }

  /** Appends a batch deflated already (deflateBatch). */
  writeDeflatedBatch(deflated: Uint8Array): void {
    this.writeRecord('deflated_batch', deflated);
    this.records++;
  }

  /** Ends the recording with its trailer and closes the file. */
  close(trailer: Omit<RecordingTrailer, 'records'>): void {
    try {
      this.writeRecord('trailer', bpftrace_ts.RecordingTrailer.encode({ ...trailer, records: this.records }).finish());
    } finally {
      fs.closeSync(this.fd);
    }
  }

  /** Closes the file without its trailer, after a write failed: a reader says it was cut. */
  abandon(): void {
    fs.closeSync(this.fd);
  }

  /** Record { <kind> = message } framed by its length: two varints and a tag before the message. */
  private writeRecord(kind: StoredKind, message: Uint8Array): void {
    const inner = varint(message.length);
    const tag = (FIELD_OF[kind] << 3) | WIRE_LENGTH_DELIMITED;
    const frame = Buffer.concat([varint(1 + inner.length + message.length), Buffer.of(tag), inner]);
    this.writeAll([frame, message]);
  }

  private writeAll(buffers: Uint8Array[]): void {
    let pending = buffers.filter((b) => b.length > 0);
    while (pending.length > 0) {
      let written: number;
      try {
        written = fs.writevSync(this.fd, pending);
      } catch (error) {
        throw new FileError('write', this.file, error);
      }
      this.bytes += written;
      // A short write (rare on a file): go on from where it stopped.
      while (pending.length > 0 && written >= pending[0].length) written -= (pending.shift() as Uint8Array).length;
      if (pending.length > 0 && written > 0) pending[0] = pending[0].subarray(written);
    }
  }
}

export interface RecordItem {
  kind: RecordKind;
  /** The inner message; valid only until the next item is read. */
  message: Uint8Array;
}

/** How a recording ended: null when it has its trailer, else what is missing. */
export interface RecordingEnd {
  trailer: RecordingTrailer | null;
  cut: string | null;
  records: number;
}

/** The file is not a recording, or not one this reader can make sense of. */
export class RecordingError extends Error {}

/**
 * Reads a recording record by record with a bounded buffer (a recording can be far larger
 * than memory). records() yields the header first; end() says, once records() is done,
 * whether the file had its trailer or was cut.
 */
export class RecordingReader {
  private buffer = Buffer.alloc(READ_CHUNK_BYTES);
  private start = 0;
  private end = 0;
  private fileOffset = 0;
  private eof = false;
  private readonly result: RecordingEnd = { trailer: null, cut: null, records: 0 };

  /** file: the recording's name, for errors. */
  constructor(private readonly fd: number, private readonly file: string) {
    if (!this.fill(RECORDING_MAGIC.length) || !this.buffer.subarray(0, RECORDING_MAGIC.length).equals(RECORDING_MAGIC))
      throw new RecordingError('not a bpftrace-ts recording (it does not start with BPTSREC)');
    this.consume(RECORDING_MAGIC.length);
  }

  static header(message: Uint8Array): RecordingHeader {
    return bpftrace_ts.RecordingHeader.decode(message);
  }

  *records(): Generator<RecordItem> {
    let index = 0;
    for (;;) {
      const at = this.fileOffset;
      this.fill(10);
      if (this.start === this.end) {
        this.result.cut = 'it ends without its trailer';
        return;
      }
      const length = readVarint(this.buffer, this.start, this.end);
      if (length === null || length[0] > MAX_RECORD_BYTES) {
        this.result.cut = length === null ? `it ends inside the record at byte ${at}` : `a corrupt record length at byte ${at}`;
        return;
      }
      const prefixBytes = length[1] - this.start;
      const frameBytes = prefixBytes + length[0];
      if (!this.fill(frameBytes)) { // may move the buffered bytes: offsets from start only
        this.result.cut = `it ends inside the record at byte ${at}`;
        return;
      }
      const item = this.parseRecord(this.start + prefixBytes, this.start + frameBytes, at);
      this.consume(frameBytes);
      if (index++ === 0 && item.kind !== 'header') throw new RecordingError('corrupt recording: its first record is not a header');
      if (item.kind === 'trailer') {
        this.result.trailer = bpftrace_ts.RecordingTrailer.decode(item.message);
        this.fill(1);
        if (this.start !== this.end) this.result.cut = `data after the trailer at byte ${this.fileOffset}`;
        return;
      }
      if (item.kind !== 'header') this.result.records++;
      yield item;
    }
  }

  ending(): RecordingEnd {
    return this.result;
  }

  private parseRecord(from: number, to: number, at: number): RecordItem {
    const tag = this.buffer[from];
    const kind = KIND_OF_FIELD[tag >> 3];
    const length = readVarint(this.buffer, from + 1, to);
    if (!kind || (tag & 7) !== WIRE_LENGTH_DELIMITED || length === null || length[1] + length[0] !== to)
      throw new RecordingError(`corrupt recording: the record at byte ${at} is not one header, batch, aggregate or trailer`);
    const message = this.buffer.subarray(length[1], to);
    if (kind !== 'deflated_batch') return { kind, message };
    try {
      return { kind: 'batch', message: zlib.inflateRawSync(message, { maxOutputLength: MAX_RECORD_BYTES }) };
    } catch (error) {
      throw new RecordingError(`corrupt recording: the batch at byte ${at} does not inflate (${(error as Error).message})`);
    }
  }

  private consume(bytes: number): void {
    this.start += bytes;
    this.fileOffset += bytes;
  }

  /** Makes at least `bytes` bytes available from start if the file has them; false if not. */
  private fill(bytes: number): boolean {
    if (this.end - this.start >= bytes) return true;
    if (this.start + bytes > this.buffer.length) {
      // Move what is left to the front, into a larger buffer if the record needs one.
      const target = bytes > this.buffer.length ? Buffer.alloc(bytes + READ_CHUNK_BYTES) : this.buffer;
      this.buffer.copy(target, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
      this.buffer = target;
    }
    while (!this.eof && this.end - this.start < bytes) {
      let read: number;
      try {
        read = fs.readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, null);
      } catch (error) {
        throw new FileError('read', this.file, error);
      }
      if (read === 0) this.eof = true;
      this.end += read;
    }
    return this.end - this.start >= bytes;
  }
}

/** Opens a recording to read; its problems as one line for the user (UserError, FileError). */
export function openRecordingReader(file: string): { fd: number; reader: RecordingReader } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    throw new FileError('read', file, error);
  }
  try {
    return { fd, reader: new RecordingReader(fd, file) };
  } catch (error) {
    fs.closeSync(fd);
    if (error instanceof RecordingError) throw new UserError(`${file}: ${error.message}`);
    throw error;
  }
}
