// How calls are shown: the options a live trace and `report` share (--format, -s, -y, -x,
// and strace's -t, -r, -T, --always-show-pid), defined once so both take the same list.
import { type Command, Option } from 'commander';
import type { HexMode } from './decode/quote';
import { OUTPUT_FORMATS, type OutputFormat } from './trace-output';
import { UsageError } from './usage-error';

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
}

export interface DisplayOptions {
  format: OutputFormat;
  /** -y: file descriptors shown with their paths; -yy: sockets with their endpoints too. */
  decodeFds?: 'paths' | 'sockets';
  /** -x: non-ASCII bytes in hex; -xx: every byte. */
  hex: HexMode;
  /** strace format: -t/-tt/-ttt, -r, -T, --always-show-pid. */
  absoluteTime: number;
  relativeTime: boolean;
  callDuration: boolean;
  alwaysShowPid: boolean;
  /** -s: bytes of each string and buffer shown (paths are shown whole). */
  stringLimit: number;
  /** -k: each call's user-space stack (captured live; shown from a recording that has them). */
  stack: boolean;
}

/** For flags that count their repeats (-tt, -yy, -xx). */
const increase = (_: string, previous: number): number => previous + 1;

/** strace's default -s. */
const DEFAULT_STRING_LIMIT = '32';
/** The eBPF backend copies at most this much of one buffer (bpf/syscall_event.h: CAPTURE_ITEM_MAX). */
export const MAX_STRING_LIMIT = 4096;
/** The ptrace backend copies from the tracee's memory: no limit but a sane one (1 GiB). */
export const PTRACE_MAX_STRING_LIMIT = 2 ** 30;

export function addDisplayOptions(command: Command): Command {
  return command
    .addOption(new Option('--format <format>', 'output format: perf trace lines, strace lines, or JSON Lines').choices(OUTPUT_FORMATS).default('perf'))
    .option('-s, --string-limit <bytes>', 'bytes of each string and buffer shown, as strace -s (paths are shown whole)', DEFAULT_STRING_LIMIT)
    .option('-y, --decode-fds', 'show what each file descriptor refers to: read(3</etc/hosts>, ...); -yy: socket endpoints too (3<TCP:[127.0.0.1:40000->127.0.0.1:8080]>)', increase, 0)
    .option('-x, --hex', 'print non-ASCII bytes of strings in hex; -xx: every byte', increase, 0)
    .option('-t, --absolute-timestamps', 'strace format: the wall clock on each line; -tt with microseconds; -ttt seconds since the epoch', increase, 0)
    .option('-r, --relative-timestamps', 'strace format: the time since the previous line')
    .option('-T, --syscall-times', 'strace format: the time spent in each call, <0.000123>')
    .option('--always-show-pid', 'strace format: the [pid N] prefix on every line')
    .option('-k, --stack', 'the user-space stack of each call, symbolised, as strace -k (frame pointers: see README, "Stacks")');
}

function stringLimit(text: string, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < 0 || value > max)
    throw new UsageError(`-s takes a byte count from 0 to ${max}${max === MAX_STRING_LIMIT ? ' (more with --ptrace)' : ''}, not '${text}'`);
  return value;
}

/** maxStringLimit: the most -s may ask (the backend's copy limit, for a live trace). */
export function displayOptions(cli: DisplayCli, maxStringLimit: number): DisplayOptions {
  if (cli.format !== 'strace') {
    for (const [given, name] of [[cli.absoluteTimestamps > 0, '-t'], [cli.relativeTimestamps, '-r'], [cli.syscallTimes, '-T'],
      [cli.alwaysShowPid, '--always-show-pid']] as const)
      if (given) throw new UsageError(`${name} goes with --format strace (the perf format has its own time columns)`);
  }
  return {
    format: cli.format as OutputFormat,
    stringLimit: stringLimit(cli.stringLimit, maxStringLimit),
    decodeFds: cli.decodeFds >= 2 ? 'sockets' : cli.decodeFds === 1 ? 'paths' : undefined,
    hex: cli.hex >= 2 ? 'all' : cli.hex === 1 ? 'non-ascii' : 'none',
    absoluteTime: cli.absoluteTimestamps,
    relativeTime: cli.relativeTimestamps === true,
    callDuration: cli.syscallTimes === true,
    alwaysShowPid: cli.alwaysShowPid === true,
    stack: cli.stack === true,
  };
}
