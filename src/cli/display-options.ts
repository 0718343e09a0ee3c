// How calls are shown: the options a live trace and `report` share (--format, -s, -y, -x,
// strace's -t, -r, -T, --always-show-pid, its display filters -P, -z, -Z and --errno, and
// -ff, -q), defined once so both take the same list.
import { type Command, Option } from 'commander';
import { parseErrnoList, selectedPaths, type StatusFilter } from '../select/call-filters';
import type { DisplayOptions } from '../pipeline/trace-output';
import { OUTPUT_FORMATS, type OutputFormat } from '../render/render-options';
import { COLOR_CHOICES, colorsOn, type ColorWhen } from '../render/line-colors';
import { UsageError } from '../user-errors';
import { CAPTURE_ITEM_MAX } from '../generated/kernel-constants';

export interface DisplayCli {
  format: string;
  stringLimit: string;
  decodeFds: number;
  hex: number;
  absoluteTimestamps: number;
  relativeTimestamps?: true;
  syscallTimes?: true;
  alwaysShowPid?: true;
  stack?: true;
  path: string[];
  errno?: string;
  successfulOnly?: true;
  failedOnly?: true;
  followForks: number;
  quiet: number;
  color: string;
}

/** For flags that count their repeats (-tt, -yy, -xx). */
const increase = (_: string, previous: number): number => previous + 1;
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** strace's default -s. */
const DEFAULT_STRING_LIMIT = '32';
/** The eBPF backend copies at most this much of one buffer. */
export const MAX_STRING_LIMIT = CAPTURE_ITEM_MAX;
/** The ptrace backend copies from the tracee's memory: no limit but a sane one (1 GiB). */
export const PTRACE_MAX_STRING_LIMIT = 2 ** 30;

export function addDisplayOptions(command: Command): Command {
  return command
    .addOption(new Option('--format <format>', 'output format: perf trace lines, strace lines, or JSON Lines').choices(OUTPUT_FORMATS).default('perf'))
    .option('-s, --string-limit <bytes>', 'bytes of each string and buffer shown, as strace -s (paths are shown whole)', DEFAULT_STRING_LIMIT)
    .option('-y, --decode-fds', 'show what each file descriptor refers to: read(3</etc/hosts>, ...); -yy: socket endpoints too (3<TCP:[127.0.0.1:40000->127.0.0.1:8080]>)', increase, 0)
    .option('-x, --hex', 'print non-ASCII bytes of strings in hex; -xx: every byte', increase, 0)
    .option('-t, --absolute-timestamps', 'the wall clock on each line; -tt with microseconds; -ttt seconds since the epoch', increase, 0)
    .option('-r, --relative-timestamps', 'the time since the previous line')
    .option('-T, --syscall-times', 'the time spent in each call (strace: <0.000123>; perf and JSON show it always)')
    .option('--always-show-pid', 'strace format: the [pid N] prefix on every line')
    .option('-P, --path <path>', 'only calls that touch this path, by name or by a descriptor of it (repeatable)', collect, [])
    .option('--errno <list>', 'only calls that failed with these errors: names (ENOENT,EACCES) or numbers')
    .option('-z, --successful-only', 'only calls that succeeded')
    .option('-Z, --failed-only', 'only calls that failed (as --failure)')
    .option('-f, --follow-forks', 'follow children (the default); -ff with -o FILE: one file per process, FILE.PID', increase, 0)
    .option('-q, --quiet', 'no "Process N attached/detached" notices; -qq: no "+++ exited with N +++" either', increase, 0)
    .addOption(new Option('--color <when>', 'colour failed calls (red), slow calls (yellow) and signals: on a terminal (auto, unless NO_COLOR is set), always or never').choices(COLOR_CHOICES).default('auto'))
    .option('-k, --stack', 'the user-space stack of each call, symbolised, as strace -k (frame pointers: see README, "Stacks")');
}

function stringLimit(text: string, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 0 || value > max)
    throw new UsageError(`-s takes a byte count from 0 to ${max}${max === MAX_STRING_LIMIT ? ' (more with --ptrace)' : ''}, not '${text}'`);
  return value;
}

/** -z, -Z (or --failure: failed), --errno; undefined: every call. */
function statusFilter(cli: DisplayCli, failed: boolean): StatusFilter | undefined {
  if (cli.successfulOnly && (failed || cli.errno !== undefined)) throw new UsageError('-z shows successful calls only: not with -Z, --failure or --errno');
  if (cli.successfulOnly) return { only: 'successful' };
  if (cli.errno !== undefined) return { only: 'failed', errnos: parseErrnoList(cli.errno) };
  return failed ? { only: 'failed' } : undefined;
}

/** maxStringLimit: the most -s may ask (the backend's copy limit, for a live trace);
 * failed: --failure was given; output: -o. */
export function displayOptions(cli: DisplayCli, maxStringLimit: number, failed: boolean, output: string | undefined): DisplayOptions {
  if (cli.format !== 'strace' && cli.alwaysShowPid)
    throw new UsageError('--always-show-pid goes with --format strace (perf and JSON show the thread on every line)');
  if (cli.followForks >= 2 && output === undefined) throw new UsageError('-ff writes one file per process: give -o FILE, the name they start with');
  // strace's condition for its pid column: an explicit -f (not -ff) with -o.
  const pidColumn = output !== undefined && cli.followForks === 1;
  return {
    format: cli.format as OutputFormat,
    stringLimit: stringLimit(cli.stringLimit, maxStringLimit),
    decodeFds: cli.decodeFds >= 2 ? 'sockets' : cli.decodeFds === 1 ? 'paths' : undefined,
    hex: cli.hex >= 2 ? 'all' : cli.hex === 1 ? 'non-ascii' : 'none',
    absoluteTime: cli.absoluteTimestamps,
    relativeTime: cli.relativeTimestamps === true,
    callDuration: cli.syscallTimes === true,
    alwaysShowPid: cli.alwaysShowPid === true || pidColumn,
    pidColumn,
    stack: cli.stack === true,
    paths: cli.path.length > 0 ? selectedPaths(cli.path) : undefined,
    status: statusFilter(cli, failed || cli.failedOnly === true),
    filePerTask: cli.followForks >= 2,
    quiet: cli.quiet,
    color: cli.format !== 'json' && colorsOn(cli.color as ColorWhen, output === undefined && process.stdout.isTTY === true),
  };
}
