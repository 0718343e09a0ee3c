// record --flight-recorder WINDOW --dump-on LIST --after DURATION --max-dumps N: what the
// user gave, checked and turned into numbers; a mistake names its option.
import { parseErrnoList } from '../select/call-filters';
import { bpftrace_ts } from '../generated/batch';
import { UsageError } from '../user-errors';

const { TriggerKind } = bpftrace_ts;

/** The last batches kept: those of a time span, or up to a number of (stored) bytes. */
export type FlightWindow = { text: string; ns: number; bytes?: undefined } | { text: string; bytes: number; ns?: undefined };

export interface DumpTriggers {
  fatal: boolean;
  exit: boolean;
  /** errno=: calls failing with these errors fire. */
  errnos?: ReadonlySet<number>;
  /** slow=: calls this long (or blocked this long) fire. */
  slowNs?: number;
}

export interface FlightOptions {
  window: FlightWindow;
  triggers: DumpTriggers;
  afterNs: number;
  maxDumps: number;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1e6, s: 1e9, m: 60e9, min: 60e9, h: 3600e9 };
const SIZE_UNITS: Readonly<Record<string, number>> = { K: 1 << 10, M: 1 << 20, G: 1 << 30 };
/** A smaller window than this would keep no whole batch (batches close every 25 ms or so). */
const MIN_WINDOW_NS = 100e6;
const MIN_WINDOW_BYTES = 64 << 10;
const MAX_WINDOW_BYTES = 64 * (1 << 30);
const MAX_DUMPS = 10000;

/** "200ms", "2s", "1.5m", "1h" as ns; null if text is not a duration. */
function durationNs(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|min|h)$/.exec(text.trim());
  return m ? Number(m[1]) * DURATION_UNITS[m[2]] : null;
}

/** A duration given to option, at least min ns. */
export function parseDuration(text: string, option: string, minNs = 0): number {
  const ns = durationNs(text);
  if (ns === null) throw new UsageError(`${option} takes a duration such as 200ms, 2s, 1m or 1h, not '${text}'`);
  if (ns < minNs) throw new UsageError(`${option} must be at least ${minNs / 1e6} ms, not '${text}'`);
  return ns;
}

/** --flight-recorder: "30s" (a time span) or "256M" (bytes: K, M, G, with an optional iB or B). */
export function parseWindow(text: string): FlightWindow {
  const size = /^(\d+(?:\.\d+)?)([KMG])(?:i?B)?$/.exec(text.trim());
  if (size) {
    const bytes = Math.floor(Number(size[1]) * SIZE_UNITS[size[2]]);
    if (bytes < MIN_WINDOW_BYTES || bytes > MAX_WINDOW_BYTES)
      throw new UsageError(`--flight-recorder keeps from 64K to 64G of batches, not '${text}'`);
    return { text, bytes };
  }
  const ns = durationNs(text);
  if (ns === null)
    throw new UsageError(`--flight-recorder takes a time span (30s, 500ms, 2m) or a size (256M, 1G), not '${text}'`);
  if (ns < MIN_WINDOW_NS) throw new UsageError(`--flight-recorder must keep at least 100ms, not '${text}'`);
  return { text, ns };
}

/** The trigger names of --dump-on: TriggerKind's names without TRIGGER_, in lower case. */
export function triggerName(kind: number): string {
  return (TriggerKind[kind] ?? 'TRIGGER_NONE').slice('TRIGGER_'.length).toLowerCase();
}

/** --dump-on fatal,exit,errno=ENOSPC,EMFILE,slow=200ms,usr1 (an errno list goes on after
 * errno= until the next trigger name). usr1 is always on. */
export function parseDumpOn(text: string): DumpTriggers {
  const triggers: DumpTriggers = { fatal: false, exit: false };
  const known = new Set([TriggerKind.TRIGGER_FATAL, TriggerKind.TRIGGER_EXIT, TriggerKind.TRIGGER_ERRNO,
    TriggerKind.TRIGGER_SLOW, TriggerKind.TRIGGER_USR1].map(triggerName));
  const errnoItems: string[] = [];
  let inErrnos = false;
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const [name, value] = item.includes('=') ? [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)] : [item, undefined];
    if (!known.has(name)) {
      if (inErrnos && value === undefined && item !== '') {
        errnoItems.push(item);
        continue;
      }
      throw new UsageError(`--dump-on: unknown trigger '${item}' (give ${[...known].join(', ')}; errno= and slow= take a value)`);
    }
    inErrnos = false;
    const needsValue = name === 'errno' || name === 'slow';
    if (needsValue !== (value !== undefined))
      throw new UsageError(`--dump-on: ${needsValue ? `${name} takes a value: ${name === 'errno' ? 'errno=ENOSPC,EMFILE' : 'slow=200ms'}` : `${name} takes no value, not '${item}'`}`);
    if (name === 'fatal') triggers.fatal = true;
    else if (name === 'exit') triggers.exit = true;
    else if (name === 'slow') triggers.slowNs = parseDuration(value as string, '--dump-on slow=', 1e6);
    else if (name === 'errno') {
      errnoItems.push(value as string);
      inErrnos = true;
    }
  }
  if (errnoItems.length > 0) triggers.errnos = parseErrnoList(errnoItems.join(','), '--dump-on errno=');
  return triggers;
}

export function parseMaxDumps(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > MAX_DUMPS) throw new UsageError(`--max-dumps takes 1 to ${MAX_DUMPS}, not '${text}'`);
  return n;
}
