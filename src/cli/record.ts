// bpftrace-ts record -o FILE [options] (-- command | -p PID | -a): the live trace's session,
// its messages written to a recording (src/wire/recording.ts) instead of being displayed.
import fs from 'node:fs';
import os from 'node:os';
import { FlightRecorder } from '../flight/flight-recorder';
import type { FlightOptions } from '../flight/flight-options';
import { checkDumpFile } from '../flight/dump-files';
import { openPrivateFile } from '../sink/private-file';
import { RECORDING_FORMAT_VERSION, RecordingWriter, syscallTableDigest, type RecordingHeader } from '../wire/recording';
import type { LiveTraceOptions } from '../pipeline/live-trace';
import { UsageError } from '../user-errors';

/** Options that choose what is displayed: given at report time, not when recording. */
const DISPLAY_OPTIONS: Readonly<Record<string, string>> = {
  format: '--format', duration: '--duration', maxEvents: '--max-events', summary: '-S', perfetto: '--perfetto', prometheus: '--prometheus',
  record: '--record', hex: '-x', absoluteTimestamps: '-t', relativeTimestamps: '-r', syscallTimes: '-T', alwaysShowPid: '--always-show-pid',
  path: '-P', errno: '--errno', color: '--color', successfulOnly: '-z', failedOnly: '-Z', followForks: '-f',
};

function bootTimeUnixS(): number {
  try {
    return Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The recording of a trace with these options: its file, opened, and its header. */
export function openRecording(file: string, options: LiveTraceOptions, argv: readonly string[]): NonNullable<LiveTraceOptions['record']> {
  return { writer: new RecordingWriter(openPrivateFile(file), file), header: recordingHeader(options, argv) };
}

/** A recording's header, without what only the started session knows. */
export function recordingHeader(options: LiveTraceOptions, argv: readonly string[]): RecordingHeader {
  const aggregate = options.aggregate;
  return {
    formatVersion: RECORDING_FORMAT_VERSION,
    host: os.hostname(),
    kernel: os.release(),
    arch: os.machine(),
    bootTimeUnixS: bootTimeUnixS(),
    startUnixNs: Date.now() * 1e6,
    argv: ['bpftrace-ts', ...argv],
    syscallTableDigest: syscallTableDigest(),
    aggregation: aggregate && {
      view: aggregate.view,
      by: aggregate.by,
      intervalMs: aggregate.intervalMs ?? 0,
      top: aggregate.view === 'hist' ? aggregate.top : aggregate.view === 'top' ? aggregate.rows : 0,
    },
    syscalls: options.syscalls ?? [],
    stringLimit: options.stringLimit,
    comm: options.comm ?? '',
    commandPath: options.command?.path ?? '',
  };
}

/**
 * `record`: the live trace's options turned into a recording to -o, displaying nothing.
 * `given` names the options given on the command line, argv is the tracer's own.
 */
export function recordOptions(options: LiveTraceOptions, given: readonly string[], argv: readonly string[], flight?: FlightOptions): LiveTraceOptions {
  if (!options.output) throw new UsageError('record needs -o FILE: where to write the recording');
  for (const name of given) {
    const flag = DISPLAY_OPTIONS[name] ?? (name === 'failure' && !options.aggregate ? '--failure' : undefined);
    if (flag) throw new UsageError(`${flag} chooses what is shown: give it to bpftrace-ts report, which shows the recording`);
  }
  // -y reads /proc/PID/fd as the calls are shown: only a live trace can.
  if (given.includes('decodeFds')) throw new UsageError('-y shows descriptors as /proc has them while tracing: not with record');
  if (!flight) return { ...options, output: undefined, display: false, record: openRecording(options.output, options, argv) };
  if (options.aggregate) throw new UsageError('--flight-recorder keeps streamed calls: not with --summary-only, --hist or --top');
  checkDumpFile(options.output);
  return { ...options, output: undefined, display: false, flight: new FlightRecorder(options.output, flight, recordingHeader(options, argv)) };
}
