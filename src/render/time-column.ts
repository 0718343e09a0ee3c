// The time columns strace's -t/-tt/-ttt and -r add to a line, for every format that has one.
export interface TimeOptions {
  /** -t: 1 wall clock, 2 with microseconds, 3 seconds since the epoch; 0 none. */
  absoluteTime: number;
  /** -r: the time since the previous line. */
  relativeTime: boolean;
  /** CLOCK_REALTIME ns of time 0 in the trace; read when a line is formatted. */
  epochNsAtStart(): number;
}

/** The wall clock at atNs (ns since the trace started) as strace writes it for -t, -tt, -ttt:
 * `14:03:07`, `14:03:07.123456`, `1700000000.123456`. */
export function wallClock(options: TimeOptions, atNs: number): string {
  const epochNs = options.epochNsAtStart() + atNs;
  const micros = String(Math.floor((epochNs % 1e9) / 1e3)).padStart(6, '0');
  if (options.absoluteTime >= 3) return `${Math.floor(epochNs / 1e9)}.${micros}`;
  const date = new Date(epochNs / 1e6);
  const clock = [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return options.absoluteTime === 2 ? `${clock}.${micros}` : clock;
}

/** -r: each line's time since the line before it (0 for the first). */
export class RelativeClock {
  private lastNs: number | null = null;

  sinceLast(atNs: number): number {
    const since = this.peek(atNs);
    this.lastNs = atNs;
    return since;
  }

  /** What sinceLast(atNs) would return, leaving the clock as it is. */
  peek(atNs: number): number {
    return this.lastNs === null ? 0 : Math.max(0, atNs - this.lastNs);
  }
}
