// What a process (or thread) is called in tables, exports and views: the program it ran,
// its name after its last execve (the name perf trace -s shows), not the name it had when
// first seen (a child of make is "make" until it execs echo).

/** The name of a process or thread, from the names its calls were made under, in the
 * order they finished. */
export class ProgramName {
  name = '?';
  private leaderSeen = false;

  /** leader: the call was made by the process's main thread (or by the thread itself, when
   * the name is a thread's): its name wins over the other threads', which may have renamed
   * themselves (prctl PR_SET_NAME). */
  noteCall(comm: string, leader: boolean): void {
    if (leader) {
      this.name = comm;
      this.leaderSeen = true;
    } else if (!this.leaderSeen) {
      this.name = comm;
    }
  }
}

/**
 * The name of a process from the kernel's counted rows (--summary-only, --top), which hold
 * the name at the exit of each (process, syscall) row's first call, and no times: rows first
 * called before an execve hold the old name, those first called after it the new one, and
 * most of a program's calls come after its execve. The name of most rows is taken (a
 * program that calls only a few syscalls after its execve can be misnamed: only the kernel
 * could say which name came last).
 */
export class RowsProgramName {
  private readonly rowsByComm = new Map<string, number>();

  noteRow(comm: string): void {
    this.rowsByComm.set(comm, (this.rowsByComm.get(comm) ?? 0) + 1);
  }

  get name(): string {
    let best = '?';
    let bestRows = 0;
    for (const [comm, rows] of this.rowsByComm) if (rows > bestRows) [best, bestRows] = [comm, rows];
    return best;
  }
}
