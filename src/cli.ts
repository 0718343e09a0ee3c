// bpftrace-ts [options] [-- command [args...]]
import fs from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { HistBy } from './format-hist';
import { resolveCommand } from './command-path';
import type { AttachMode } from './native-addon';
import { parseSyscallFilter } from './syscall-filter';
import { parsePidList, resolveTargets } from './targets';
import type { SummaryBy } from './syscall-summary';
import { runTrace, type AggregateOptions, type Backend, type TraceOptions } from './trace-run';
import { UsageError, UserError } from './usage-error';

interface CliOptions {
  pid?: string;
  all?: boolean;
  expr?: string;
  failure?: boolean;
  duration?: string;
  output?: string;
  format: string;
  maxEvents?: string;
  comm?: string;
  inherit: boolean;
  bufferSize: string;
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
  stringLimit: string;
  decodeFds: number;
  hex: number;
  absoluteTimestamps: number;
  relativeTimestamps?: true;
  syscallTimes?: true;
  alwaysShowPid?: true;
  ptrace?: boolean;
  backend: string;
}

/** For flags that count their repeats (-tt, -yy, -xx). */
const increase = (_: string, previous: number): number => previous + 1;

const DEFAULT_BUFFER_MIB = '32';
/** strace's default -s. */
const DEFAULT_STRING_LIMIT = '32';
/** The eBPF backend copies at most this much of one buffer (bpf/syscall_event.h: CAPTURE_ITEM_MAX). */
const MAX_STRING_LIMIT = 4096;
/** The ptrace backend copies from the tracee's memory: no limit but a sane one (1 GiB). */
const PTRACE_MAX_STRING_LIMIT = 2 ** 30;

function program(): Command {
  return new Command()
    .name('bpftrace-ts')
    .usage('[options] [-- command [args...]]')
    .description('Trace the system calls of a command, of running processes (-p) or of the whole host (-a), with eBPF.')
    .option('-p, --pid <list>', 'attach to these processes (comma-separated pids), all their threads')
    .option('-a, --all', 'trace every process on the host (never bpftrace-ts itself)')
    .option('-e, --expr <list>', 'syscalls to trace: names, globs (*stat*), classes (%file %network %process %memory %signal %ipc %desc ...), !name to exclude')
    .option('--failure', 'show only failed calls')
    .option('--duration <ms>', 'show only calls that took at least this many milliseconds')
    .option('-o, --output <file>', 'write the trace to this file instead of stdout')
    .addOption(new Option('--format <format>', 'output format: perf trace lines, strace lines, or JSON Lines').choices(['perf', 'strace', 'json']).default('perf'))
    .option('-s, --string-limit <bytes>', 'bytes of each string and buffer shown, as strace -s (paths are shown whole)', DEFAULT_STRING_LIMIT)
    .option('-y, --decode-fds', 'show what each file descriptor refers to: read(3</etc/hosts>, ...); -yy: socket endpoints too (3<TCP:[127.0.0.1:40000->127.0.0.1:8080]>)', increase, 0)
    .option('-x, --hex', 'print non-ASCII bytes of strings in hex; -xx: every byte', increase, 0)
    .option('-t, --absolute-timestamps', 'strace format: the wall clock on each line; -tt with microseconds; -ttt seconds since the epoch', increase, 0)
    .option('-r, --relative-timestamps', 'strace format: the time since the previous line')
    .option('-T, --syscall-times', 'strace format: the time spent in each call, <0.000123>')
    .option('--always-show-pid', 'strace format: the [pid N] prefix on every line')
    .option('--max-events <n>', 'stop after this many calls were shown')
    .option('--comm <name>', 'only tasks with this command name (checked in the kernel)')
    .option('--no-inherit', 'do not follow children of traced processes')
    .option('--buffer-size <MiB>', 'ring buffer size, a power of two', DEFAULT_BUFFER_MIB)
    .option('-S, --summary', 'after the trace, a table of every syscall\'s calls, errors and latency (perf trace -s)')
    .addOption(new Option('--summary-by <group>', 'one -S table per process, per thread, or one for all').choices(['process', 'thread', 'none']).default('process'))
    .option('--summary-only', 'only the -S tables, counted in the kernel: no per-call cost beyond counting')
    .option('--hist', 'latency histograms per syscall, counted in the kernel (for -a: the whole host)')
    .addOption(new Option('--hist-by <key>', 'one --hist histogram per syscall, or per comm or process and syscall').choices(['syscall', 'comm', 'pid']).default('syscall'))
    .option('--top [n]', 'with --hist: the n histograms with the most total time (10); alone: a live view of the n busiest syscalls and processes, each interval (-i, default 1 s)')
    .option('-i, --interval <seconds>', 'with --summary-only or --hist: print (and reset) every interval')
    .option('--cgroup <path>', 'with --summary-only or --hist: only tasks in this cgroup (v2 directory)')
    .option('--ptrace', 'use the ptrace backend (no eBPF needed): same as --backend ptrace')
    .addOption(new Option('--backend <backend>', 'eBPF, ptrace, or eBPF with ptrace where eBPF cannot run').choices(['auto', 'bpf', 'ptrace']).default('auto'))
    .option('-v, --verbose', 'say how the tracer attached')
    .addOption(new Option('--attach <mode>', 'force an attach flavour (diagnosis)').choices(['tp_btf', 'raw_tp', 'tracepoint']).hideHelp())
    .argument('[command...]', 'command to launch and trace')
    .passThroughOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
}

function positiveNumber(text: string, what: string, integer: boolean): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (integer && (!Number.isInteger(value) || value === 0)))
    throw new UsageError(`${what} must be a ${integer ? 'positive integer' : 'non-negative number'}, not '${text}'`);
  return value;
}

/** --backend, --ptrace, and the options only the eBPF backend has. */
function chooseBackend(cli: CliOptions): Backend {
  if (cli.ptrace && cli.backend === 'bpf') throw new UsageError('give --ptrace or --backend bpf, not both');
  const backend: Backend = cli.ptrace ? 'ptrace' : (cli.backend as Backend);
  if (backend !== 'ptrace') return backend;
  const ebpfOnly: [boolean, string][] = [
    [cli.all === true, '-a (the whole host)'], [cli.hist === true, '--hist'], [cli.top !== undefined, '--top'],
    [cli.interval !== undefined, '-i'], [cli.cgroup !== undefined, '--cgroup'], [cli.attach !== undefined, '--attach'],
  ];
  for (const [given, name] of ebpfOnly)
    if (given) throw new UsageError(`${name} needs the eBPF backend: not with --ptrace`);
  return backend;
}

function traceOptions(cli: CliOptions, command: string[]): TraceOptions {
  const modes = [command.length > 0, cli.pid !== undefined, cli.all === true].filter(Boolean).length;
  if (modes === 0) throw new UsageError('nothing to trace: give a command after --, -p PID or -a');
  if (modes > 1) throw new UsageError('give only one of: a command, -p PID, -a');
  const backend = chooseBackend(cli);
  // On ptrace --summary-only is -S computed from the streamed calls, without the calls.
  const summaryOnlyFromStream = backend === 'ptrace' && cli.summaryOnly === true;
  if (summaryOnlyFromStream && cli.summary) throw new UsageError('give -S or --summary-only, not both');

  const bufferMiB = positiveNumber(cli.bufferSize, '--buffer-size', true);
  if ((bufferMiB & (bufferMiB - 1)) !== 0 || bufferMiB > 1024)
    throw new UsageError(`--buffer-size must be a power of two from 1 to 1024 MiB, not '${cli.bufferSize}'`);
  const options: TraceOptions = {
    all: cli.all === true,
    syscalls: cli.expr !== undefined ? parseSyscallFilter(cli.expr) : undefined,
    failureOnly: cli.failure === true,
    minDurationNs: cli.duration !== undefined ? positiveNumber(cli.duration, '--duration', false) * 1e6 : null,
    output: cli.output,
    format: cli.format as TraceOptions['format'],
    // The ptrace backend copies as much as -s asks; the eBPF one at most CAPTURE_ITEM_MAX.
    stringLimit: stringLimit(cli.stringLimit, backend === 'ptrace' ? PTRACE_MAX_STRING_LIMIT : MAX_STRING_LIMIT),
    decodeFds: cli.decodeFds >= 2 ? 'sockets' : cli.decodeFds === 1 ? 'paths' : undefined,
    hex: cli.hex >= 2 ? 'all' : cli.hex === 1 ? 'non-ascii' : 'none',
    absoluteTime: cli.absoluteTimestamps,
    relativeTime: cli.relativeTimestamps === true,
    callDuration: cli.syscallTimes === true,
    alwaysShowPid: cli.alwaysShowPid === true,
    maxEvents: cli.maxEvents !== undefined ? positiveNumber(cli.maxEvents, '--max-events', true) : undefined,
    comm: cli.comm,
    inherit: cli.inherit,
    bufferBytes: bufferMiB << 20,
    verbose: cli.verbose === true,
    attachMode: cli.attach,
    summaryBy: cli.summary || summaryOnlyFromStream ? (cli.summaryBy as TraceOptions['summaryBy']) : undefined,
    aggregate: summaryOnlyFromStream ? undefined : aggregateOptions(cli),
    backend,
    summaryOnly: summaryOnlyFromStream,
  };
  if (cli.format !== 'strace') {
    for (const [given, name] of [[cli.absoluteTimestamps > 0, '-t'], [cli.relativeTimestamps, '-r'], [cli.syscallTimes, '-T'],
      [cli.alwaysShowPid, '--always-show-pid']] as const)
      if (given) throw new UsageError(`${name} goes with --format strace (the perf format has its own time columns)`);
  }
  if (cli.comm !== undefined && (cli.comm.length === 0 || Buffer.byteLength(cli.comm) > 15))
    throw new UsageError('--comm takes a command name of 1 to 15 bytes, as the kernel stores it');
  // Checked last: resolving reads /proc and the file system.
  if (cli.pid !== undefined) options.pids = resolveTargets(parsePidList(cli.pid));
  if (command.length > 0) options.command = { path: resolveCommand(command[0]), argv: command };
  return options;
}

function stringLimit(text: string, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 0 || value > max)
    throw new UsageError(`-s takes a byte count from 0 to ${max}${max === MAX_STRING_LIMIT ? ' (more with --ptrace)' : ''}, not '${text}'`);
  return value;
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

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
    for (const [given, name] of [[cli.interval, '-i'], [cli.cgroup, '--cgroup']] as const)
      if (given !== undefined) throw new UsageError(`${name} goes with --summary-only or --hist`);
    return undefined;
  }
  if (cli.summaryOnly && cli.hist) throw new UsageError('give --summary-only or --hist, not both');
  if (cli.summary) throw new UsageError('-S streams every call; --summary-only and --hist count in the kernel: give one');
  for (const [given, name] of [[cli.format !== 'perf', `--format ${cli.format}`], [cli.duration !== undefined, '--duration'],
    [cli.maxEvents !== undefined, '--max-events']] as const)
    if (given) throw new UsageError(`${name} applies to streamed calls, not to --summary-only or --hist`);
  const common = {
    intervalMs: cli.interval !== undefined ? positiveNumber(cli.interval, '-i', false) * 1000 : undefined,
    cgroupId: cli.cgroup !== undefined ? cgroupId(cli.cgroup) : undefined,
  };
  if (common.intervalMs !== undefined && common.intervalMs < 10) throw new UsageError('-i must be at least 0.01 seconds');
  if (cli.summaryOnly) return { ...common, view: 'summary', by: cli.summaryBy as SummaryBy };
  if (liveView) return { ...common, intervalMs: common.intervalMs ?? 1000, toFile: cli.output !== undefined, view: 'top', by: 'process', rows: topRows };
  return { ...common, view: 'hist', by: cli.histBy as HistBy, top: topRows };
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const cli = program();
  try {
    cli.parse(argv, { from: 'user' });
    return await runTrace(traceOptions(cli.opts<CliOptions>(), cli.args));
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
