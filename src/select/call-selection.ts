// Which calls a trace shows, decided in one order for every path a call takes to the output:
// a live trace, `report` of a recording, and `report` of a flight recorder's dump, whether a
// line is written whole or begun at the call's entry (strace format).
//   1. --comm, -e, -p, -P: which calls the trace is about. The rest are not counted in the
//      tables (-S, --hist) nor exported. -P learns from every call, whichever filter leaves
//      it out (the descriptor tables of src/track/ do too, before selection).
//   2. -z, -Z, --errno, --duration: which of those are shown as lines.
import type { ProcessEvent, SyscallCall } from '../pair/call-pairer';
import { PathFilter, statusShown, type StatusFilter } from './call-filters';

export interface SelectOptions {
  /** --comm: the eBPF backend checks it in the kernel; the ptrace one reports every thread. */
  comm?: string;
  /** Only calls of these syscalls and processes (report's -e and --pid; live, the kernel filters). */
  onlySyscalls?: ReadonlySet<number>;
  onlyPids?: ReadonlySet<number>;
  /** -P: only calls that touch these paths. */
  paths?: string[];
  /** -z, -Z (--failure), --errno. */
  status?: StatusFilter;
  /** --duration: calls that took at least this long (a call shown as started took that long already). */
  minDurationNs: number | null;
  /** Descriptors opened before the trace can be read from /proc (a live trace). */
  live: boolean;
}

/** What becomes of a call: left out, counted (tables, exports) but not shown, or shown. */
export type Selected = 'out' | 'counted' | 'shown';

export class CallSelection {
  private readonly paths?: PathFilter;
  /** Whether a choice waits for the call's end (-P, -z, -Z, --errno, --duration): no line
   * begins at a call's entry, and signals and process ends (which have none) are not shown. */
  readonly needsEnd: boolean;

  constructor(private readonly options: SelectOptions) {
    this.paths = options.paths ? new PathFilter(options.paths, options.live) : undefined;
    this.needsEnd = options.paths !== undefined || options.status !== undefined || options.minDurationNs !== null;
  }

  /** Every call the pairer emits comes here once, in the order it emits them. */
  select(call: SyscallCall): Selected {
    const touched = this.paths ? this.paths.touches(call) : true;
    if (!this.ofTask(call.comm, call.pid) || !this.ofSyscall(call.nr) || !touched) return 'out';
    return this.byEnd(call) ? 'shown' : 'counted';
  }

  /** At a call's entry, when no choice needs its end: whether it will be shown. */
  mayShowAtEntry(call: SyscallCall): boolean {
    return !this.needsEnd && this.ofTask(call.comm, call.pid) && this.ofSyscall(call.nr);
  }

  /** A signal or a process's end: shown whatever -e, as strace shows them. */
  showsEvent(event: ProcessEvent): boolean {
    return !this.needsEnd && this.ofTask(event.comm, event.pid);
  }

  private ofTask(comm: string, pid: number): boolean {
    const { options } = this;
    return (options.comm === undefined || comm === options.comm) && (!options.onlyPids || options.onlyPids.has(pid));
  }

  private ofSyscall(nr: number): boolean {
    return !this.options.onlySyscalls || this.options.onlySyscalls.has(nr);
  }

  /** -z, -Z, --errno, --duration: by how the call ended. */
  private byEnd(call: SyscallCall): boolean {
    const { options } = this;
    if (options.status && !statusShown(options.status, call)) return false;
    return options.minDurationNs === null || call.state === 'started' ||
      (call.state === 'returned' && call.durNs !== null && call.durNs >= options.minDurationNs);
  }
}
