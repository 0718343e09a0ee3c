// bpftrace-ts report FILE: a recording rendered as the live trace would have rendered it
// (the same TraceOutput), with the display options of a live trace, and exports.
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { addDisplayOptions, displayOptions, PTRACE_MAX_STRING_LIMIT, type DisplayCli } from './display-options';
import { ExportHtml } from '../export/html';
import { PerfettoExport } from '../export/perfetto';
import type { HistBy } from '../aggregate/format-hist';
import { positiveNumber } from './number-option';
import { OutputClosedError } from '../sink/output-sink';
import { openLineSink } from '../sink/per-task-files';
import { RecordingError, RecordingReader, openRecordingReader, syscallTableDigest, type RecordingHeader } from '../wire/recording';
import { shellCommandLine } from '../render/shell-quote';
import { parseSyscallFilter } from './syscall-filter';
import type { SummaryBy } from '../aggregate/syscall-summary';
import { parsePidList } from './targets';
import { TriggerMark } from '../flight/trigger-mark';
import { describeTrigger } from '../flight/trigger-text';
import { TraceOutput, type OutputOptions } from '../pipeline/trace-output';
import type { AggregateOptions } from '../aggregate/aggregate-view';
import type { CallExport } from '../export/call-export';
import { refuseEmptyFileNames, UsageError, UserError } from '../user-errors';

interface ReportCli extends DisplayCli {
  expr?: string;
  pid?: string;
  failure?: boolean;
  duration?: string;
  output?: string;
  maxEvents?: string;
  summary?: boolean;
  summaryBy: string;
  hist?: boolean;
  histBy: string;
  top?: string | true;
  perfetto?: string;
  html?: string;
  verbose?: boolean;
}

export function reportProgram(): Command {
  return addDisplayOptions(new Command()
    .name('bpftrace-ts report')
    .usage('[options] <recording>')
    .description('Show a recording made by `bpftrace-ts record`, as the live trace would have shown it.'))
    .option('-e, --expr <list>', 'only these syscalls: names, globs, classes, !name to exclude')
    .option('-p, --pid <list>', 'only these processes (comma-separated pids)')
    .option('--failure', 'show only failed calls')
    .option('--duration <ms>', 'show only calls that took at least this many milliseconds')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--max-events <n>', 'stop after this many calls were shown')
    .option('-S, --summary', 'after the calls, a table of every syscall\'s calls, errors and latency')
    .addOption(new Option('--summary-by <group>', 'one -S table per process, per thread, or one for all').choices(['process', 'thread', 'none']).default('process'))
    .option('--hist', 'latency histograms per syscall (counted from the recorded calls), instead of the calls')
    .addOption(new Option('--hist-by <key>', 'one --hist histogram per syscall, or per comm or process and syscall').choices(['syscall', 'comm', 'pid']).default('syscall'))
    .option('--top [n]', 'with --hist: the n histograms with the most total time (10)')
    .option('--perfetto <file>', 'also write the calls as a Perfetto trace (open it in the Perfetto UI)')
    .option('--html <file>', 'also write one self-contained HTML page: summary table, latency histograms, per-thread timeline')
    .option('-v, --verbose', 'say where and how the recording was made')
    .argument('<recording>', 'a file written by bpftrace-ts record')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
}

/** The rendering a header's aggregation asks for, or undefined for streamed calls. */
function recordedAggregation(header: RecordingHeader): AggregateOptions | undefined {
  const a = header.aggregation;
  if (!a || !a.view) return undefined;
  const intervalMs = a.intervalMs ? a.intervalMs : undefined;
  if (a.view === 'summary') return { view: 'summary', by: a.by as SummaryBy, intervalMs };
  if (a.view === 'hist') return { view: 'hist', by: a.by as HistBy, top: a.top ?? 10, intervalMs };
  return { view: 'top', by: 'process', rows: a.top ?? 10, intervalMs, toFile: true };
}

/** -k: the frames the recorded stacks were taken with, from the recording's command line. */
function recordedStackDepth(argv: readonly string[]): number | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--stack-depth') return Number(argv[i + 1]) || undefined;
    if (argv[i].startsWith('--stack-depth=')) return Number(argv[i].slice('--stack-depth='.length)) || undefined;
  }
  return undefined;
}

function log(line: string): void {
  process.stderr.write(`bpftrace-ts: ${line}\n`);
}

export function runReport(argv: string[]): number {
  const program = reportProgram();
  program.parse(argv, { from: 'user' });
  const cli = program.opts<ReportCli>();
  const file = program.args[0];
  if (cli.hist && cli.summary) throw new UsageError('give -S or --hist, not both');
  refuseEmptyFileNames([[cli.output, '-o'], [cli.perfetto, '--perfetto'], [cli.html, '--html']]);
  if (cli.decodeFds > 0) throw new UsageError('-y shows descriptors as /proc has them while tracing: give it to a live trace');
  // What is shown of what was copied.
  const display = displayOptions(cli, PTRACE_MAX_STRING_LIMIT, cli.failure === true, cli.output);
  if (!cli.hist && (cli.top !== undefined)) throw new UsageError('--top goes with --hist');
  const onlySyscalls = cli.expr !== undefined ? parseSyscallFilter(cli.expr) : undefined;

  const { fd, reader } = openRecordingReader(file);
  const records = reader.records();
  const first = records.next();
  if (first.done) {
    fs.closeSync(fd);
    throw new UserError(`${file}: the recording was cut before its header: nothing to report`);
  }
  const header = RecordingReader.header(first.value.message);
  if ((header.formatVersion ?? 0) > 1) throw new UserError(`${file}: recording format ${header.formatVersion} is newer than this bpftrace-ts reads (1)`);
  if (cli.verbose) {
    log(`recorded on ${header.host} (kernel ${header.kernel}, ${header.arch}) at ${new Date((header.startUnixNs ?? 0) / 1e6).toISOString()}, ` +
      `backend ${header.backend}: ${shellCommandLine(header.argv ?? [])}`);
  }
  if (header.syscallTableDigest !== syscallTableDigest())
    log('warning: recorded with another syscall table: names and arguments are shown as this bpftrace-ts knows them');
  const trigger = header.trigger?.kind ? header.trigger : undefined;
  if (trigger)
    log(`flight recorder dump (the last ${trigger.window} before the trigger, ${(trigger.afterNs ?? 0) / 1e9} s after): ${describeTrigger(trigger)}`);
  const aggregate = recordedAggregation(header);
  if (aggregate) {
    for (const [given, name] of [[cli.format !== 'perf', '--format'], [display.status !== undefined, '--failure, -z, -Z or --errno'],
      [display.paths !== undefined, '-P'], [display.filePerTask, '-ff'], [cli.duration !== undefined, '--duration'],
      [cli.summary, '-S'], [cli.hist, '--hist'], [cli.pid !== undefined, '--pid'], [cli.expr !== undefined, '-e'], [cli.perfetto !== undefined, '--perfetto'],
      [cli.html !== undefined, '--html'], [cli.maxEvents !== undefined, '--max-events']] as const)
      if (given) throw new UsageError(`${name} applies to streamed calls; this recording holds counts made in the kernel (--${aggregate.view === 'summary' ? 'summary-only' : aggregate.view})`);
  }

  const sink = openLineSink(cli.output, display.filePerTask);
  const exports: CallExport[] = [];
  if (cli.perfetto) exports.push(PerfettoExport.create(cli.perfetto, { stringLimit: display.stringLimit, hex: display.hex }));
  if (cli.html) exports.push(new ExportHtml(cli.html, file, header));
  let limitReached = false;
  const options: OutputOptions = {
    ...display,
    minDurationNs: cli.duration !== undefined ? positiveNumber(cli.duration, '--duration', false) * 1e6 : null,
    maxEvents: cli.maxEvents !== undefined ? positiveNumber(cli.maxEvents, '--max-events', true) : undefined,
    summaryBy: cli.summary ? (cli.summaryBy as SummaryBy) : undefined,
    aggregate,
    onlySyscalls: onlySyscalls && new Set(onlySyscalls),
    comm: header.comm || undefined,
    onlyPids: cli.pid !== undefined ? new Set(parsePidList(cli.pid)) : undefined,
    hist: cli.hist ? { by: cli.histBy as HistBy, top: typeof cli.top === 'string' ? positiveNumber(cli.top, '--top', true) : 10 } : undefined,
    exports,
    // The threads are gone: a thread whose exit came without its entry has no name.
    commOf: () => '?',
    epochNsAtStart: () => header.startUnixNs ?? 0,
    stackFrames: recordedStackDepth(header.argv ?? []),
    command: header.commandPath ? { path: header.commandPath } : undefined,
    live: false,
    fromPtrace: () => header.backend === 'ptrace',
    triggerMark: trigger && new TriggerMark(trigger, display.format === 'json'),
  };
  const output = new TraceOutput(sink, options, () => (limitReached = true));
  try {
    for (const item of records) {
      if (item.kind === 'header') throw new UserError(`${file}: corrupt recording: a second header`);
      if ((item.kind === 'aggregate') !== (aggregate !== undefined))
        throw new UserError(`${file}: corrupt recording: a ${item.kind} in a recording of ${aggregate ? 'aggregates' : 'batches'}`);
      output.add(item.message);
      sink.flush();
      if (limitReached && exports.length === 0) break;
    }
    const trailer = reader.ending().trailer;
    output.finish(trailer && {
      commandPid: header.commandPid || null, reason: trailer.endReason ?? '',
      exitCode: trailer.exitCode === -1 ? null : trailer.exitCode ?? null, signal: trailer.signal || null,
    });
    sink.close();
  } catch (error) {
    if (!(error instanceof OutputClosedError)) output.discardExports();
    if (error instanceof RecordingError) throw new UserError(`${file}: ${error.message}`);
    if (!(error instanceof OutputClosedError)) throw error;
  } finally {
    fs.closeSync(fd);
  }
  const end = reader.ending();
  const lost = end.trailer ? `${end.trailer.lostEvents ?? 0} lost` : 'lost unknown';
  log(aggregate ? `${output.countedCalls} calls counted in the kernel, ${output.uncountedCalls} not counted, recorded with backend ${header.backend}`
    : `${output.eventsSeen} events, ${lost}, recorded with backend ${header.backend}` +
      (output.evicted > 0 ? `, ${output.evicted} calls evicted from the pending table` : ''));
  if (end.cut && !limitReached) log(`the recording was cut short (${end.cut}): shown up to its last whole record, ${end.records} records`);
  return 0;
}
