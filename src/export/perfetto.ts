// --perfetto: the calls as a Perfetto trace (a stream of TracePacket messages, the format
// the Perfetto UI opens): a track per thread under a track per process, one slice per call
// named after the syscall, its arguments, result and errno as debug annotations. Calls
// with no return (exit_group) or no exit seen are instants. Written by hand with the field
// numbers Perfetto publishes (protos/perfetto/trace/), as the trace is streamed to the file.
import { Writer } from 'protobufjs/minimal';
import type { SyscallCall } from '../pair/call-pairer';
import { argDecoders } from '../decode/arg-decoders';
import { capturedArgs, type CaptureOptions } from '../decode/captured';
import { WholeFile } from '../sink/private-file';
import { ProgramName } from '../track/program-name';
import { argSpecs, errnoName, errnoOf, formatReturn, formatValue } from '../syscalls/raw-args';
import { syscallName } from '../syscalls/syscall-table';
import type { CallExport } from './call-export';
import { WireType } from '../generated/batch-fields';

// Field numbers, from Perfetto's trace.proto, trace_packet.proto and track_event/*.proto.
const TRACE_PACKET = 1;
const PACKET = { timestamp: 8, sequenceId: 10, sequenceFlags: 13, trackEvent: 11, trackDescriptor: 60 };
const TRACK = { uuid: 1, name: 2, process: 3, thread: 4, parentUuid: 5 };
const PROCESS = { pid: 1, name: 6 };
const THREAD = { pid: 1, tid: 2, name: 5 };
const EVENT = { annotations: 4, type: 9, trackUuid: 11, categories: 22, name: 23 };
const ANNOTATION = { boolValue: 2, stringValue: 6, name: 10 };
const SLICE_BEGIN = 1;
const SLICE_END = 2;
const INSTANT = 3;
const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQUENCE_ID = 1;

const { varint: WIRE_VARINT, lengthDelimited: WIRE_LENGTH } = WireType;
const FLUSH_BYTES = 1 << 20;

type Fields = (w: Writer) => void;

function message(w: Writer, field: number, fields: Fields): void {
  w.uint32((field << 3) | WIRE_LENGTH).fork();
  fields(w);
  w.ldelim();
}

function string(w: Writer, field: number, value: string): void {
  w.uint32((field << 3) | WIRE_LENGTH).string(value);
}

function varint(w: Writer, field: number, value: number): void {
  w.uint32((field << 3) | WIRE_VARINT).uint64(value);
}

export class PerfettoExport implements CallExport {
  private writer = new Writer();
  /** Tracks by process and by thread, with the name their last descriptor gave them. */
  private readonly processTracks = new Map<number, { uuid: number; name: ProgramName; described: string }>();
  private readonly threadTracks = new Map<string, { uuid: number; described: string }>();
  private nextUuid = 1;
  private first = true;

  /** capture: how captured strings and buffers are shown (-s, -x). */
  private constructor(private readonly file: WholeFile, private readonly capture: CaptureOptions) {}

  /** Opens file and writes the first packet at once: a file that cannot take it (a full
   * disk) fails before the trace, not after it. */
  static create(file: string, capture: CaptureOptions): PerfettoExport {
    const exported = new PerfettoExport(new WholeFile(file), capture);
    exported.packet(null, () => undefined);
    exported.flush();
    return exported;
  }

  add(call: SyscallCall): void {
    if (call.state === 'started') return; // its 'returned' comes later, with the duration
    const track = this.threadTrack(call);
    const failed = call.state === 'returned' && call.ret !== null && errnoOf(call.nr, call.ret) !== null;
    if (call.state === 'returned' && call.durNs !== null) {
      this.event(call.tsNs, track, SLICE_BEGIN, call, failed);
      this.packet(call.tsNs + call.durNs, (w) => message(w, PACKET.trackEvent, (e) => {
        varint(e, EVENT.type, SLICE_END);
        varint(e, EVENT.trackUuid, track);
      }));
    } else {
      this.event(call.tsNs, track, INSTANT, call, failed);
    }
    if (this.writer.len >= FLUSH_BYTES) this.flush();
  }

  discard(): void {
    this.file.discard();
  }

  finish(): void {
    this.flush();
    this.file.close();
  }

  private event(ts: number, track: number, type: number, call: SyscallCall, failed: boolean): void {
    this.packet(ts, (w) => message(w, PACKET.trackEvent, (e) => {
      varint(e, EVENT.type, type);
      varint(e, EVENT.trackUuid, track);
      string(e, EVENT.name, syscallName(call.nr));
      string(e, EVENT.categories, 'syscall');
      if (failed) string(e, EVENT.categories, 'failed');
      for (const [name, value] of annotations(call, failed, this.capture))
        message(e, EVENT.annotations, (a) => {
          string(a, ANNOTATION.name, name);
          if (typeof value === 'boolean') varint(a, ANNOTATION.boolValue, 1);
          else string(a, ANNOTATION.stringValue, value);
        });
    }));
  }

  /** The thread's track, under its process's; each named after its program (its name after
   * its last execve): a descriptor is written again when the name changes. */
  private threadTrack(call: SyscallCall): number {
    let process = this.processTracks.get(call.pid);
    if (!process) {
      process = { uuid: this.nextUuid++, name: new ProgramName(), described: '' };
      this.processTracks.set(call.pid, process);
    }
    process.name.noteCall(call.comm, call.tid === call.pid);
    if (process.described !== process.name.name) {
      const { uuid } = process;
      process.described = process.name.name;
      this.packet(null, (w) => message(w, PACKET.trackDescriptor, (t) => {
        varint(t, TRACK.uuid, uuid);
        message(t, TRACK.process, (p) => {
          varint(p, PROCESS.pid, call.pid);
          string(p, PROCESS.name, process!.described);
        });
      }));
    }
    const key = `${call.pid}/${call.tid}`;
    let thread = this.threadTracks.get(key);
    if (!thread) {
      thread = { uuid: this.nextUuid++, described: '' };
      this.threadTracks.set(key, thread);
    }
    if (thread.described !== call.comm) {
      const { uuid } = thread;
      const parent = process.uuid;
      thread.described = call.comm;
      this.packet(null, (w) => message(w, PACKET.trackDescriptor, (t) => {
        varint(t, TRACK.uuid, uuid);
        varint(t, TRACK.parentUuid, parent);
        message(t, TRACK.thread, (th) => {
          varint(th, THREAD.pid, call.pid);
          varint(th, THREAD.tid, call.tid);
          string(th, THREAD.name, call.comm);
        });
      }));
    }
    return thread.uuid;
  }

  private packet(ts: number | null, body: Fields): void {
    message(this.writer, TRACE_PACKET, (w) => {
      if (ts !== null) varint(w, PACKET.timestamp, ts);
      varint(w, PACKET.sequenceId, SEQUENCE_ID);
      if (this.first) varint(w, PACKET.sequenceFlags, SEQ_INCREMENTAL_STATE_CLEARED);
      this.first = false;
      body(w);
    });
  }

  private flush(): void {
    const bytes = this.writer.finish();
    this.writer = new Writer();
    this.file.write(bytes);
  }
}

/** The call's arguments as perf shows them (captured strings and structs decoded), then its result. */
function annotations(call: SyscallCall, failed: boolean, capture: CaptureOptions): [string, string | boolean][] {
  const out: [string, string | boolean][] = [];
  const args = call.args;
  if (args) {
    const specs = argSpecs(call.nr);
    const decoders = argDecoders(call.nr);
    const captured = capturedArgs(call, capture).args;
    specs.forEach((spec, i) => {
      const decode = decoders[i];
      out.push([spec.name, captured[i] ?? (decode ? decode(args[i], args).perf : formatValue(spec.kind, args[i]))]);
    });
  }
  const result = call.state === 'returned' && call.ret !== null ? formatReturn(call.nr, call.ret)
    : call.state === 'no-return' ? '? (does not return)' : '? (unfinished: no exit seen)';
  out.push(['result', result]);
  if (failed) {
    out.push(['errno', errnoName(errnoOf(call.nr, call.ret as number) as number)]);
    out.push(['failed', true]);
  }
  return out;
}
