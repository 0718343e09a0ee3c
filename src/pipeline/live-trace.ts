// A live trace composed: the session's messages go to a recording (record, --record), to
// the flight recorder (record --flight-recorder), and to what displays them (TraceOutput);
// src/session/trace-run.ts starts the backend and reports the end.
import fs from 'node:fs';
import type { Aggregate } from '../wire/batch-decoder';
import type { CallExport } from '../export/call-export';
import type { FlightRecorder } from '../flight/flight-recorder';
import type { SummaryBy } from '../aggregate/syscall-summary';
import { runTrace, type SessionConsumer, type TraceOptions } from '../session/trace-run';
import { OutputClosedError } from '../sink/output-sink';
import { openLineSink } from '../sink/per-task-files';
import type { RecordingHeader, RecordingWriter } from '../wire/recording';
import type { DisplayOptions, TraceOutput } from './trace-output';

export interface LiveTraceOptions extends TraceOptions, DisplayOptions {
  /** -e with -y or -P: the calls -e selects, shown from the wider set traced (syscalls). */
  shownSyscalls?: number[];
  minDurationNs: number | null;
  output?: string;
  maxEvents?: number;
  /** -S: after the trace, a table per process (or thread, or one) of every syscall's latency. */
  summaryBy?: SummaryBy;
  /** --summary-only on the ptrace backend: the -S tables from the streamed calls, no call lines. */
  summaryOnly?: boolean;
  /** The session's messages also go to a recording: its writer, opened by the caller, and
   * its header (written once the session started, with what it reports). */
  record?: { writer: RecordingWriter; header: RecordingHeader };
  /** record --flight-recorder: the batches go to it, which writes dumps when triggers fire. */
  flight?: FlightRecorder;
  /** false for `record`: the messages are only recorded, not decoded. */
  display: boolean;
  /** --perfetto: every call also goes to these. */
  exports?: CallExport[];
  /** --prometheus: every aggregate, decoded, also goes here. */
  onAggregate?: (snapshot: Aggregate) => void;
}

function commOfThread(tid: number): string {
  try {
    return fs.readFileSync(`/proc/${tid}/comm`, 'utf8').trimEnd();
  } catch {
    return '?';
  }
}

export function runLiveTrace(options: LiveTraceOptions): Promise<number> {
  const sink = openLineSink(options.output, options.filePerTask);
  let epochNsAtStart = Date.now() * 1e6; // set from the session's clock once it started
  let ptrace = false; // the backend, once it started
  let output: TraceOutput | undefined;
  const recorder = options.record?.writer;
  const { flight } = options;
  const consumer = (stop: () => void): SessionConsumer => {
    output = options.display
      ? new (require('./trace-output') as typeof import('./trace-output')).TraceOutput(sink, { ...options, attachedPids: options.pids, onlySyscalls: options.shownSyscalls && new Set(options.shownSyscalls), commOf: commOfThread, epochNsAtStart: () => epochNsAtStart, live: true, fromPtrace: () => ptrace }, stop)
      : undefined;
    return {
      started(started, session, fail) {
        epochNsAtStart = session.startUnixNs;
        ptrace = started.attachMode === 'ptrace';
        // The header says what only the started session knows: its clock, the command's pid.
        if (options.record) options.record.writer.writeHeader({ ...options.record.header, ...session });
        flight?.started({ session, startNs: started.startNs, onError: fail });
      },
      add(bytes) {
        recorder?.write(options.aggregate ? 'aggregate' : 'batch', bytes);
        flight?.add(bytes);
        output?.add(bytes);
        sink.flush();
      },
      end(end, commandPid) {
        // The display is finished even when the recording could not be: the first error is thrown.
        let failure: unknown;
        try {
          flight?.end(end);
          recorder?.close({ lostEvents: end.lostEvents, endReason: end.reason, exitCode: end.exitCode ?? -1,
            signal: end.signal ?? '', endUnixNs: Date.now() * 1e6 });
        } catch (error) {
          failure = error;
        }
        try {
          output?.finish({ commandPid, reason: end.reason, exitCode: end.exitCode, signal: end.signal });
          sink.close();
        } catch (error) {
          failure ??= error;
        }
        if (failure !== undefined) throw failure;
      },
      discard() {
        output?.discardExports();
      },
      readerGone(error) {
        if (!(error instanceof OutputClosedError) || !output) return false;
        output.closed = true;
        return true;
      },
      totals(end, backend) {
        let totals = flight
          ? `${flight.summary()}, ${backend}`
          : !output
          ? `recorded ${recorder?.records} messages (${recorder?.bytes} bytes), ${end.lostEvents} events lost, ${backend}`
          : options.aggregate
          ? `${output.countedCalls} calls counted in the kernel, ${output.uncountedCalls} not counted (stats table full or no memory), ${backend}`
          : `${output.eventsSeen} events, ${end.lostEvents} lost, ${backend}`;
        if (output && output.evicted > 0) totals += `, ${output.evicted} calls evicted from the pending table`;
        return totals;
      },
      close() {
        sink.close();
      },
    };
  };
  return runTrace(options, consumer);
}
