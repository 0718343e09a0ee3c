// bpftrace-ts [options] [-- command [args...]]; bpftrace-ts record ...; bpftrace-ts report FILE; bpftrace-ts diff A B
import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { addDisplayOptions, collect, displayOptions, MAX_STRING_LIMIT, PTRACE_MAX_STRING_LIMIT, type DisplayCli } from './display-options';
import type { HistBy } from '../aggregate/format-hist';
import { bpfCapabilityReason, ptraceFallbackNote } from '../session/capabilities';
import { resolveCommand } from '../session/command-path';
import { runLive } from './live-run';
import { runAsUser } from '../session/run-as-user';
import type { AttachMode } from '../session/native-addon';
import { positiveNumber } from './number-option';
import { parseDumpOn, parseDuration, parseMaxDumps, parseWindow, type FlightOptions } from '../flight/flight-options';
import { parseInjectSpec } from './inject-spec';
import { STACK_DEFAULT_FRAMES, STACK_MAX_FRAMES } from '../stack/stack-symbols';
import { fdTableModule } from '../select/call-filters';
import { parseSyscallFilter } from './syscall-filter';
import { syscallByName } from '../syscalls/syscall-table';
import { parsePidList, resolveTargets } from './targets';
import type { SummaryBy } from '../aggregate/syscall-summary';
import type { Backend } from '../session/trace-run';
import type { AggregateOptions } from '../aggregate/aggregate-view';
import { runLiveTrace, type LiveTraceOptions } from '../pipeline/live-trace';
import { refuseEmptyFileNames, UsageError, UserError } from '../user-errors';
import { tableValue } from '../decode/symbols';

interface CliOptions extends DisplayCli {
  pid?: string;
  all?: boolean;
  expr: string[];
  inject: string[];
  failure?: boolean;
  duration?: string;
  output?: string;
  format: string;
  maxEvents?: string;
  comm?: string;
  inherit: boolean;
  bufferSize: string;
  nice?: string;
  verbose?: boolean;
  attach?: AttachMode;
  summary?: boolean;
  summaryBy: string;
  summaryOnly?: boolean;
  hist?: boolean;
  histBy: string;
  top?: string | true;
  interval?: string;
  cgroup?: string;
  ptrace?: boolean;
  seccompBpf: boolean;
  backend: string;
  perfetto?: string;
  prometheus?: string;
  record?: string;
  flightRecorder?: string;
  dumpOn?: string;
  after?: string;
  maxDumps?: string;
  user?: string;
  stackDepth: string;
}

const DEFAULT_BUFFER_MIB = '32';
const DEFAULT_DUMP_ON = 'fatal,usr1';
const DEFAULT_AFTER = '1s';
const DEFAULT_MAX_DUMPS = '10';
/** How much nicer than it was started the eBPF backend's JavaScript runs: the traced programs
 * keep the CPU when they need it, and the batches the drain thread (not nicer) made of the
 * ring wait in its queue until it is free. */
const DEFAULT_NICE_INCREMENT = 10;

function program(): Command {
  return addDisplayOptions(new Command()
    .name('bpftrace-ts')
    .usage('[options] [-- command [args...]]')
    .description('Trace the system calls of a command, of running processes (-p) or of the whole host (-a), with eBPF.\n' +
      'bpftrace-ts record -o FILE [options] ... writes the trace to a recording; bpftrace-ts report [options] FILE shows it;\n' +
      'bpftrace-ts diff A B compares two recordings.')
    .option('-p, --pid <list>', 'attach to these processes (comma-separated pids), all their threads')
    .option('-a, --all', 'trace every process on the host (never bpftrace-ts itself)')
    .option('-e, --expr <list>', 'syscalls to trace: names, globs (*stat*), classes (%file %network %process %memory %signal %ipc %desc ...), !name to exclude; inject=SPEC as --inject', collect, [])
    .option('--inject <SET:error=E|retval=N|delay_enter=USEC[:when=FIRST[+[STEP]]]>', 'with --ptrace: make calls of SET fail, return N without running, or wait (strace -e inject)', collect, [])
    .option('--failure', 'show only failed calls')
    .option('--duration <ms>', 'show only calls that took at least this many milliseconds')
    .option('-o, --output <file>', 'write the trace to this file instead of stdout'))
    .option('--max-events <n>', 'stop after this many calls were shown')
    .option('--comm <name>', 'only tasks with this command name (checked in the kernel)')
    .option('--no-inherit', 'do not follow children of traced processes')
    .option('--buffer-size <MiB>', 'ring buffer size, a power of two', DEFAULT_BUFFER_MIB)
    .option('--nice <n>', `eBPF: the tracer runs n nicer (0-19) than it was started, the traced programs keep their priority (default: ${DEFAULT_NICE_INCREMENT})`)
    .option('-S, --summary', 'after the trace, a table of every syscall\'s calls, errors and latency (perf trace -s)')
    .addOption(new Option('--summary-by <group>', 'one -S table per process, per thread, or one for all').choices(['process', 'thread', 'none']).default('process'))
    .option('--summary-only', 'only the -S tables, counted in the kernel: no per-call cost beyond counting')
    .option('--hist', 'latency histograms per syscall, counted in the kernel (for -a: the whole host)')
    .addOption(new Option('--hist-by <key>', 'one --hist histogram per syscall, or per comm or process and syscall').choices(['syscall', 'comm', 'pid']).default('syscall'))
    .option('--top [n]', 'with --hist: the n histograms with the most total time (10); alone: a live view of the n busiest syscalls and processes, each interval (-i, default 1 s)')
    .option('-i, --interval <seconds>', 'with --summary-only or --hist: print (and reset) every interval')
    .option('--cgroup <path>', 'only tasks in this cgroup (v2 directory; eBPF)')
    .option('--ptrace', 'use the ptrace backend (no eBPF needed): same as --backend ptrace')
    .option('--no-seccomp-bpf', 'with --ptrace -e: stop at every call instead of only the selected ones (slower), so that the command is let go, not killed, when the trace stops')
    .addOption(new Option('--backend <backend>', 'eBPF, ptrace, or eBPF with ptrace where eBPF cannot run').choices(['auto', 'bpf', 'ptrace']).default('auto'))
    .option('--record <file>', 'also write the trace to a recording, for bpftrace-ts report')
    .option('--perfetto <file>', 'also write the calls as a Perfetto trace (open it in the Perfetto UI)')
    .option('--flight-recorder <window>', 'with record: keep only the last batches, of a time span (30s) or a size (256M), and write them to -o when a --dump-on trigger fires')
    .option('--dump-on <list>', `with --flight-recorder: what writes a dump: fatal, exit, errno=E1,E2, slow=DURATION, usr1 (always on) (default ${DEFAULT_DUMP_ON})`)
    .option('--after <duration>', `with --flight-recorder: how long after a trigger a dump goes on (default ${DEFAULT_AFTER})`)
    .option('--max-dumps <n>', `with --flight-recorder: dumps written at most: -o, then FILE.1.EXT, FILE.2.EXT... (default ${DEFAULT_MAX_DUMPS})`)
    .option('--prometheus <[host:]port>', 'with --hist: serve the counts on /metrics for Prometheus (host: 127.0.0.1 unless given)')
    .option('--stack-depth <frames>', `with -k: frames of each stack, 1 to ${STACK_MAX_FRAMES}`, String(STACK_DEFAULT_FRAMES))
    .option('-u, --user <name>', 'run the command as this user, with its groups (the environment is kept, as strace -u keeps it)')
    .option('-v, --verbose', 'say how the tracer attached')
    .addOption(new Option('--attach <mode>', 'force an attach flavour (diagnosis)').choices(['tp_btf', 'raw_tp', 'tracepoint']).hideHelp())
    .argument('[command...]', 'command to launch and trace')
    .passThroughOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
}

/** --backend, --ptrace, and the options only the eBPF backend has. */
function chooseBackend(cli: CliOptions, injecting: boolean): Backend {
  if (cli.ptrace && cli.backend === 'bpf') throw new UsageError('give --ptrace or --backend bpf, not both');
  let backend: Backend = cli.ptrace ? 'ptrace' : (cli.backend as Backend);
  // --summary-only counts in the kernel where eBPF runs; where it cannot (no capability),
  // the ptrace backend counts the streamed calls, unless an option needs the kernel's tables.
  const reason = backend === 'auto' && cli.summaryOnly && !cli.hist && cli.top === undefined && !cli.all &&
    cli.interval === undefined && cli.cgroup === undefined ? bpfCapabilityReason() : null;
  if (reason !== null) {
    process.stderr.write(`bpftrace-ts: ${ptraceFallbackNote(reason)}\n`);
    backend = 'ptrace';
  }
  if (injecting && backend !== 'ptrace')
    throw new UsageError('inject needs the ptrace backend (--ptrace): the eBPF programs only observe calls, they cannot change them');
  if (backend !== 'ptrace') return backend;
  const ebpfOnly: [boolean, string][] = [
    [cli.all === true, '-a (the whole host)'], [cli.hist === true, '--hist'], [cli.top !== undefined, '--top'],
    [cli.interval !== undefined, '-i'], [cli.cgroup !== undefined, '--cgroup'], [cli.attach !== undefined, '--attach'],
    [cli.nice !== undefined, '--nice'],
  ];
  for (const [given, name] of ebpfOnly)
    if (given) throw new UsageError(`${name} needs the eBPF backend: not with --ptrace`);
  return backend;
}

function traceOptions(cli: CliOptions, command: string[]): LiveTraceOptions {
  const modes = [command.length > 0, cli.pid !== undefined, cli.all === true].filter(Boolean).length;
  if (modes === 0) throw new UsageError('nothing to trace: give a command after --, -p PID or -a');
  if (modes > 1) throw new UsageError('give only one of: a command, -p PID, -a');
  refuseEmptyFileNames([[cli.output, '-o'], [cli.record, '--record'], [cli.perfetto, '--perfetto']]);
  // -e takes strace's trace= and inject= expressions; several trace= add up.
  const injectSpecs = [...cli.expr.filter((e) => e.startsWith('inject=')).map((e) => e.slice('inject='.length)), ...cli.inject];
  const traceExprs = cli.expr.filter((e) => !e.startsWith('inject='));
  const backend = chooseBackend(cli, injectSpecs.length > 0);
  // On ptrace --summary-only is -S computed from the streamed calls, without the calls.
  const summaryOnlyFromStream = backend === 'ptrace' && cli.summaryOnly === true;
  if (summaryOnlyFromStream && cli.summary) throw new UsageError('give -S or --summary-only, not both');
  if (cli.stack && (cli.summaryOnly || cli.hist || cli.top !== undefined))
    throw new UsageError('-k shows the stack of each call: not with --summary-only, --hist or --top, which only count calls');

  const bufferMiB = positiveNumber(cli.bufferSize, '--buffer-size', true);
  if ((bufferMiB & (bufferMiB - 1)) !== 0 || bufferMiB > 1024)
    throw new UsageError(`--buffer-size must be a power of two from 1 to 1024 MiB, not '${cli.bufferSize}'`);
  const selected = traceExprs.length > 0 ? parseSyscallFilter(traceExprs.map((e) => e.replace(/^trace=/, '')).join(',')) : undefined;
  const display = displayOptions(cli, backend === 'ptrace' ? PTRACE_MAX_STRING_LIMIT : MAX_STRING_LIMIT, cli.failure === true, cli.output);
  // -y and -P know a descriptor from the calls that made and changed it, whichever -e shows.
  const tracksFds = selected !== undefined && (display.decodeFds !== undefined || display.paths !== undefined) && !cli.summaryOnly && !cli.hist;
  const options: LiveTraceOptions = {
    all: cli.all === true,
    syscalls: tracksFds ? withDescriptorCalls(selected) : selected,
    shownSyscalls: tracksFds ? selected : undefined,
    inject: injectSpecs.length > 0 ? injectSpecs.map(parseInjectSpec) : undefined,
    seccomp: cli.seccompBpf,
    failureOnly: cli.failure === true || cli.failedOnly === true,
    minDurationNs: cli.duration !== undefined ? positiveNumber(cli.duration, '--duration', false) * 1e6 : null,
    output: cli.output,
    // The ptrace backend copies as much as -s asks; the eBPF one at most CAPTURE_ITEM_MAX.
    ...display,
    maxEvents: cli.maxEvents !== undefined ? positiveNumber(cli.maxEvents, '--max-events', true) : undefined,
    comm: cli.comm,
    cgroupId: cli.cgroup !== undefined ? cgroupId(cli.cgroup) : undefined,
    inherit: cli.inherit,
    bufferBytes: bufferMiB << 20,
    niceIncrement: cli.nice !== undefined ? niceIncrement(cli.nice) : DEFAULT_NICE_INCREMENT,
    verbose: cli.verbose === true,
    attachMode: cli.attach,
    summaryBy: cli.summary || summaryOnlyFromStream ? (cli.summaryBy as LiveTraceOptions['summaryBy']) : undefined,
    aggregate: summaryOnlyFromStream ? undefined : aggregateOptions(cli),
    backend,
    summaryOnly: summaryOnlyFromStream,
    display: true,
    stackFrames: cli.stack ? stackDepth(cli.stackDepth) : 0,
  };
  if (cli.comm !== undefined && (cli.comm.length === 0 || Buffer.byteLength(cli.comm) > 15))
    throw new UsageError('--comm takes a command name of 1 to 15 bytes, as the kernel stores it');
  // Checked last: resolving reads /proc and the file system.
  if (cli.pid !== undefined) options.pids = resolveTargets(parsePidList(cli.pid));
  const user = cli.user !== undefined ? runAsUser(cli.user, command.length > 0) : undefined;
  if (command.length > 0) options.command = { path: resolveCommand(command[0]), argv: command, user };
  return options;
}

/** record --flight-recorder and the options that go with it; undefined without it. */
function flightOptions(cli: CliOptions, recording: boolean): FlightOptions | undefined {
  if (cli.flightRecorder === undefined) {
    for (const [given, name] of [[cli.dumpOn, '--dump-on'], [cli.after, '--after'], [cli.maxDumps, '--max-dumps']] as const)
      if (given !== undefined) throw new UsageError(`${name} goes with record --flight-recorder`);
    return undefined;
  }
  if (!recording) throw new UsageError('--flight-recorder goes with record: bpftrace-ts record --flight-recorder 30s -o FILE ...');
  return {
    window: parseWindow(cli.flightRecorder),
    triggers: parseDumpOn(cli.dumpOn ?? DEFAULT_DUMP_ON),
    afterNs: parseDuration(cli.after ?? DEFAULT_AFTER, '--after'),
    maxDumps: parseMaxDumps(cli.maxDumps ?? DEFAULT_MAX_DUMPS),
  };
}

/** The syscalls -e selected and those the descriptor table learns from. */
function withDescriptorCalls(selected: number[]): number[] {
  const tracked = fdTableModule().FdTable.trackedSyscalls().map((name) => syscallByName(name)?.nr).filter((nr): nr is number => nr !== undefined);
  return [...new Set([...selected, ...tracked])].sort((a, b) => a - b);
}

function niceIncrement(text: string): number {
  const increment = Number(text);
  if (!/^\d+$/.test(text) || increment > 19)
    throw new UsageError(`--nice takes 0 to 19 (how much nicer the tracer runs), not '${text}'`);
  return increment;
}

function stackDepth(text: string): number {
  const frames = Number(text);
  if (!Number.isInteger(frames) || frames < 1 || frames > STACK_MAX_FRAMES)
    throw new UsageError(`--stack-depth takes 1 to ${STACK_MAX_FRAMES} frames, not '${text}'`);
  return frames;
}

const CGROUP2_SUPER_MAGIC = tableValue('fs_magic', 'CGROUP2_SUPER_MAGIC');

/** The cgroup v2 id of a cgroup directory: its inode number. */
function cgroupId(path: string): number {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(path);
  } catch {
    throw new UserError(`no such cgroup: ${path}`);
  }
  if (!stats.isDirectory() || fs.statfsSync(path).type !== CGROUP2_SUPER_MAGIC)
    throw new UserError(`not a cgroup v2 directory: ${path} (on this host see /sys/fs/cgroup/unified or /sys/fs/cgroup)`);
  return stats.ino;
}

/** --summary-only / --hist and the options that only they take. */
function aggregateOptions(cli: CliOptions): AggregateOptions | undefined {
  const topRows = typeof cli.top === 'string' ? positiveNumber(cli.top, '--top', true) : 10;
  const liveView = cli.top !== undefined && !cli.hist;
  if (liveView && cli.summaryOnly) throw new UsageError('--top shows its own view: not with --summary-only');
  if (!cli.summaryOnly && !cli.hist && !liveView) {
    if (cli.interval !== undefined) throw new UsageError('-i goes with --summary-only or --hist');
    return undefined;
  }
  if (cli.summaryOnly && cli.hist) throw new UsageError('give --summary-only or --hist, not both');
  if (cli.summary) throw new UsageError('-S streams every call; --summary-only and --hist count in the kernel: give one');
  for (const [given, name] of [[cli.format !== 'perf', `--format ${cli.format}`], [cli.duration !== undefined, '--duration'],
    [cli.maxEvents !== undefined, '--max-events'], [cli.path.length > 0, '-P'], [cli.errno !== undefined, '--errno'],
    [cli.successfulOnly === true, '-z'], [cli.followForks >= 2, '-ff']] as const)
    if (given) throw new UsageError(`${name} applies to streamed calls, not to --summary-only or --hist`);
  const common = {
    intervalMs: cli.interval !== undefined ? positiveNumber(cli.interval, '-i', false) * 1000 : undefined,
  };
  if (common.intervalMs !== undefined && common.intervalMs < 10) throw new UsageError('-i must be at least 0.01 seconds');
  if (cli.summaryOnly) return { ...common, view: 'summary', by: cli.summaryBy as SummaryBy };
  if (liveView) return { ...common, intervalMs: common.intervalMs ?? 1000, toFile: cli.output !== undefined, view: 'top', by: 'process', rows: topRows };
  return { ...common, view: 'hist', by: cli.histBy as HistBy, top: topRows };
}

export { noteLaunch } from '../session/startup-times';

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const cli = program();
  try {
    // The subcommands' modules load only for them: a live trace starts without them.
    if (argv[0] === 'report') return (await import('./report')).runReport(argv.slice(1));
    if (argv[0] === 'diff') return (await import('../diff')).runDiff(argv.slice(1));
    const recording = argv[0] === 'record';
    if (recording) {
      cli.name('bpftrace-ts record').usage('-o FILE [options] [-- command [args...]]')
        .description('Write the trace to a recording (FILE), cheaply and without showing it; bpftrace-ts report [options] FILE shows it.\n' +
          'Takes the options that choose what is traced; the display options go to report.');
    }
    cli.parse(recording ? argv.slice(1) : argv, { from: 'user' });
    const flight = flightOptions(cli.opts<CliOptions>(), recording);
    const options = traceOptions(cli.opts<CliOptions>(), cli.args);
    if (!recording) return await runLive(cli.opts<CliOptions>(), options, argv);
    const given = Object.keys(cli.opts()).filter((name) => cli.getOptionValueSource(name) === 'cli');
    return await runLiveTrace((await import('./record')).recordOptions(options, given, argv, flight));
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      process.stderr.write(`bpftrace-ts: ${error.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`bpftrace-ts: ${error.message}\n`);
      return 2;
    }
    if (error instanceof UserError) {
      process.stderr.write(`bpftrace-ts: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
