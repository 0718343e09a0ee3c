// JSON Lines: one object per call (see README, "JSON output").
import type { ProcessEvent, SyscallCall } from '../pair/call-pairer';
import { formatProcessEventJson } from './format-process-event';
import { RelativeClock, wallClock, type TimeOptions } from './time-column';
import { capturedArgsJson, type CapturedArgs, type CaptureOptions } from '../decode/captured';
import { argSpecs, errnoName, errnoOf, jsonValue, type ArgSpec } from '../syscalls/raw-args';
import { syscallName } from '../syscalls/syscall-table';

/** The constant text of a syscall's object: its name and number, its argument keys. */
interface JsonParts {
  readonly nr: number;
  readonly nameAndNr: string;
  readonly keys: readonly string[];
  /** The argument names as keys of "data", quoted: the first after ,"data":{, the others after a comma. */
  readonly firstDataKeys: readonly string[];
  readonly dataKeys: readonly string[];
  readonly specs: readonly ArgSpec[];
  /** The texts of the syscall's last call, and what they were made from: a thread makes the
   * same call, often with the same arguments, many times in a row. */
  readonly last: {
    pid: number;
    tid: number;
    comm: string;
    /** ,"pid":...,"tid":...,"comm":...,"syscall":...,"nr":...,"args": */
    caller: string;
    readonly args: number[];
    /** Of the named arguments of args; '' if none yet. */
    argsText: string;
    ret: number | null;
    tampered: number;
    /** From ,"ret" to the end of the object. */
    resultText: string;
  };
}

const partsCache = new Map<number, JsonParts>();

function partsOf(nr: number): JsonParts {
  let parts = partsCache.get(nr);
  if (!parts) {
    const specs = argSpecs(nr);
    parts = {
      nr,
      nameAndNr: ',"syscall":"' + syscallName(nr) + '","nr":' + nr + ',"args":',
      keys: specs.map((spec, i) => (i === 0 ? '{"' : ',"') + spec.name + '":'),
      firstDataKeys: specs.map((spec) => ',"data":{' + JSON.stringify(spec.name) + ':'),
      dataKeys: specs.map((spec) => ',' + JSON.stringify(spec.name) + ':'),
      specs,
      last: { pid: -1, tid: -1, comm: '', caller: '', args: [0, 0, 0, 0, 0, 0], argsText: '', ret: null, tampered: 0, resultText: '' },
    };
    partsCache.set(nr, parts);
  }
  return parts;
}

/** Quoted comms: a trace has few distinct ones (bounded, cleared when full). */
const commCache = new Map<string, string>();
const COMM_CACHE_MAX = 4096;

function commJson(comm: string): string {
  let text = commCache.get(comm);
  if (text === undefined) {
    if (commCache.size >= COMM_CACHE_MAX) commCache.clear();
    text = JSON.stringify(comm);
    commCache.set(comm, text);
  }
  return text;
}

/** From ,"pid" to "args":, the same for every call of a thread to a syscall. */
function callerJson(parts: JsonParts, call: SyscallCall): string {
  const { last } = parts;
  if (call.tid !== last.tid || call.pid !== last.pid || call.comm !== last.comm) {
    last.pid = call.pid;
    last.tid = call.tid;
    last.comm = call.comm;
    last.caller = ',"pid":' + call.pid + ',"tid":' + call.tid + ',"comm":' + commJson(call.comm) + parts.nameAndNr;
  }
  return last.caller;
}

function argsJson(parts: JsonParts, args: number[] | null): string {
  if (!args) return 'null';
  const { keys, specs, last } = parts;
  if (keys.length === 0) return '{}';
  let same = last.argsText !== '';
  for (let i = 0; same && i < keys.length; i++) same = args[i] === last.args[i];
  if (same) return last.argsText;
  let text = '';
  for (let i = 0; i < keys.length; i++) {
    text += keys[i] + jsonValue(specs[i].kind, args[i]);
    last.args[i] = args[i];
  }
  last.argsText = text + '}';
  return last.argsText;
}

/** Reused for every call's argument data: formatting is synchronous. */
const capturedScratch: CapturedArgs = { args: [], afterReturn: null };

/** What the argument data says, strace-style, keyed by argument name: {"filename":"\"/etc/hosts\""}. */
function dataJson(parts: JsonParts, call: SyscallCall, options: CaptureOptions): string {
  if (!call.captures) return '';
  const texts = capturedArgsJson(call, options, capturedScratch).args;
  let text = '';
  for (let i = 0; i < texts.length; i++) {
    if (texts[i] === undefined) continue;
    text += (text ? parts.dataKeys[i] ?? `,"arg${i}":` : parts.firstDataKeys[i] ?? `,"data":{"arg${i}":`) + texts[i];
  }
  return text ? text + '}' : '';
}

/** The call's JSON object, or null for a 'started' announcement (JSON has one object per call).
 * times: members to add after ts_ns, as JSON text (,"time":"..."). */
function formatJsonLine(call: SyscallCall, options: CaptureOptions, times = ''): string | null {
  if (call.state === 'started') return null;
  const returned = call.state === 'returned' && call.ret !== null;
  const parts = partsOf(call.nr);
  return '{"ts_ns":' + call.tsNs + times +
    ',"dur_ns":' + (returned && call.durNs !== null ? call.durNs : 'null') +
    callerJson(parts, call) + argsJson(parts, call.args) + dataJson(parts, call, options) +
    resultJson(parts, returned ? call.ret : null, call.tampered);
}

/** From ,"ret" to the end of the object: the result (null if none), its errno, the tampering. */
function resultJson(parts: JsonParts, ret: number | null, tampered: number): string {
  const { last } = parts;
  if (last.resultText !== '' && ret === last.ret && tampered === last.tampered) return last.resultText;
  const errno = ret !== null ? errnoOf(parts.nr, ret) : null;
  last.ret = ret;
  last.tampered = tampered;
  last.resultText = ',"ret":' + (ret !== null ? ret : 'null') +
    ',"errno":' + (errno !== null ? '"' + errnoName(errno) + '"' : 'null') +
    (tampered & 1 ? ',"injected":true' : '') + (tampered & 2 ? ',"delayed":true' : '') + // Tampering bits
    '}';
  return last.resultText;
}

/** JSON Lines with the -t/-tt/-ttt and -r times as members: "time" (the wall clock as
 * strace writes it) and "since_last_ns" (since the previous object). */
export class JsonFormatter {
  private readonly relative = new RelativeClock();

  constructor(private readonly options: CaptureOptions & TimeOptions) {}

  format(call: SyscallCall): string | null {
    if (call.state === 'started') return null;
    if (this.options.absoluteTime === 0 && !this.options.relativeTime) return formatJsonLine(call, this.options); // the common case, kept lean
    return formatJsonLine(call, this.options, this.timesText(call.tsNs));
  }

  processEvent(event: ProcessEvent): string {
    return formatProcessEventJson(event, this.times(event.tsNs));
  }

  /** Events the kernel could not queue, where the tracer found them missing: a record of its own. */
  lost(tsNs: number, count: number): string {
    return `{"event":"lost","ts_ns":${tsNs}${this.timesText(tsNs)},"lost":${count}}`;
  }

  /** The time members as JSON text to append to an object: `,"time":"14:03:07"`. */
  private timesText(atNs: number): string {
    return Object.entries(this.times(atNs)).map(([key, value]) => `,"${key}":${JSON.stringify(value)}`).join('');
  }

  private times(atNs: number): Record<string, string | number> {
    const times: Record<string, string | number> = {};
    if (this.options.absoluteTime > 0) times.time = wallClock(this.options, atNs);
    if (this.options.relativeTime) times.since_last_ns = this.relative.sinceLast(atNs);
    return times;
  }
}
