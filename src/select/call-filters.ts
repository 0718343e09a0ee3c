// The call filters strace users reach for: by result (--errno, -z, -Z) and by path (-P).
// Both are display filters: they choose which traced calls are shown, in user space.
import fs from 'node:fs';
import path from 'node:path';
import type { SyscallCall } from '../pair/call-pairer';
import type { FdTable } from '../track/fd-table';
import { ERRNOS } from '../generated/errno';
import { argSpecs, errnoOf } from '../syscalls/raw-args';
import { UsageError } from '../user-errors';

/** Which results are shown: every call, those that succeeded (-z), failed (-Z), or failed
 * with one of some errnos (--errno). */
export type StatusFilter =
  | { only: 'successful' }
  | { only: 'failed'; errnos?: ReadonlySet<number> };

/** --errno ENOENT,EACCES,13: errno names or numbers; what: the option, for the message. */
export function parseErrnoList(text: string, what = '--errno'): Set<number> {
  const errnos = new Set<number>();
  for (const item of text.split(',').map((s) => s.trim())) {
    const byName = ERRNOS.findIndex((info) => info?.name === item.toUpperCase());
    const byNumber = /^\d+$/.test(item) ? Number(item) : -1;
    if (byName > 0) errnos.add(byName);
    else if (byNumber > 0 && byNumber <= 4095) errnos.add(byNumber);
    else throw new UsageError(`unknown errno '${item}' in ${what} (give names such as ENOENT, or numbers from 1 to 4095)`);
  }
  return errnos;
}

/** Whether a call passes the status filter: a call still in progress or that never returns
 * has no status yet, and is not shown (as with strace's -z and -Z). */
export function statusShown(filter: StatusFilter, call: SyscallCall): boolean {
  if (call.state !== 'returned') return false;
  const errno = errnoOf(call.nr, call.ret ?? 0);
  if (filter.only === 'successful') return errno === null;
  return errno !== null && (filter.errnos === undefined || filter.errnos.has(errno));
}

/** The paths -P asks for, as strace takes them: as given, made absolute, and, when it is a
 * symlink or under one, where it leads (what /proc/PID/fd shows for a descriptor of it). */
export function selectedPaths(given: readonly string[]): string[] {
  const paths = new Set<string>();
  for (const item of given) {
    if (item === '') throw new UsageError('-P takes a path, not an empty string');
    paths.add(item);
    paths.add(path.resolve(item));
    try {
      paths.add(fs.realpathSync(item));
    } catch {
      // Not there yet: a call may create it, under the name given.
    }
  }
  return [...paths];
}

/** The descriptor table's module (and protobufjs with it) loads with the first -P filter, not with
 * the options: the tracer's start-up loads it while the kernel verifies its programs. */
export const fdTableModule = (): typeof import('../track/fd-table') => require('../track/fd-table');

/** -P: which calls touch one of the paths, by a path argument (as the program passed it,
 * or resolved against its directory descriptor or working directory), or by a descriptor
 * that refers to it. Sees every call, shown or not, to know what each descriptor is. */
export class PathFilter {
  private readonly paths: ReadonlySet<string>;
  private readonly fds: FdTable;

  /** live: descriptors opened before the trace are read from /proc (not for a report). */
  constructor(paths: readonly string[], live: boolean) {
    this.paths = new Set(paths);
    this.fds = new (fdTableModule().FdTable)(false, live);
  }

  /** Whether call touches a selected path; then the descriptor table takes the call in. */
  touches(call: SyscallCall): boolean {
    const matched = this.matches(call);
    this.fds.update(call);
    // A descriptor opened by a selected name refers to it, even where the table could not
    // resolve the name (a relative one, its process's directory gone from /proc).
    if (matched !== null && call.state === 'returned' && call.ret !== null && call.ret >= 0 && fdTableModule().FdTable.returnsDescriptor(call.nr))
      this.fds.name(call.pid, call.ret, matched);
    return matched !== null;
  }

  /** The selected path the call touches, or null. */
  private matches(call: SyscallCall): string | null {
    const { args } = call;
    if (args === null) return null;
    const specs = argSpecs(call.nr);
    let dirfd: number | undefined;
    for (let i = 0; i < specs.length; i++) {
      const name = specs[i].name;
      if (fdTableModule().FdTable.isDescriptorArgument(name)) {
        const fd = args[i] | 0;
        if (/dfd$/.test(name)) dirfd = fd;
        const target = fd >= 0 ? this.fds.target(call.pid, fd) : undefined;
        if (this.selected(target)) return target;
      }
      const text = fdTableModule().capturedString(call, i);
      if (text === undefined) continue;
      if (this.paths.has(text)) return text;
      const resolved = this.fds.resolve(call.pid, dirfd ?? fdTableModule().FdTable.AT_FDCWD, text);
      if (this.selected(resolved)) return resolved;
    }
    return null;
  }

  private selected(file: string | undefined): file is string {
    return file !== undefined && this.paths.has(file);
  }
}
