// A recording's calls per process, for `diff`: each call's strace line (the same pairing,
// decoding and formatting as `report --format strace`) and a key without what differs
// between two runs of the same program: pointers, times and the process's own pid.
import fs from 'node:fs';
import { decodeBatch } from '../wire/batch-decoder';
import { CallPairer, type SyscallCall } from '../pair/call-pairer';
import { StraceFormatter } from '../render/format-strace';
import { ProgramName } from '../track/program-name';
import { errnoOf } from '../syscalls/raw-args';
import { RecordingError, RecordingReader, openRecordingReader } from '../wire/recording';
import { NR_EXECVE, NR_EXECVEAT, syscallName } from '../syscalls/syscall-table';
import { UserError } from '../user-errors';

/** Calls kept of a recording (a few hundred bytes each): later ones are counted as dropped,
 * and the processes are compared up to there (said in the output). */
export const MAX_CALLS = 1_000_000;
/** execve lines kept per process to match it by. */
const MAX_EXECS = 16;
/** Calls pending their exit, as a live trace bounds them. */
const MAX_PENDING = 65_536;
const STRING_LIMIT = 32;

export interface DiffCall {
  nr: number;
  /** The strace line, without pid or time columns. */
  line: string;
  /** What two runs must agree on: the line with pointers, times and the pid masked. */
  key: string;
  errno: number | null;
  durNs: number | null;
}

export interface TracedProcess {
  pid: number;
  /** Order of its first call in the recording. */
  order: number;
  name: ProgramName;
  /** The execve lines' keys: its program and arguments. */
  execs: string[];
  calls: DiffCall[];
  /** Calls not kept past MAX_CALLS. */
  dropped: number;
}

export interface LoadedRecording {
  file: string;
  processes: TracedProcess[];
}

/** Calls whose result is a process or thread id (or may be), and getrandom, whose bytes are random:
 * what they return differs in every run. */
const RUN_SPECIFIC_RESULT = new Set(['getpid', 'getppid', 'gettid', 'set_tid_address', 'fork', 'vfork', 'clone', 'clone3', 'wait4', 'waitid',
  // rt_sigreturn returns what the interrupted call had returned.
  'rt_sigreturn']);

/** Pointers (0x...), struct times ({tv_sec=..., tv_nsec=...}), the pid and tid, pid results
 * and random bytes, masked. */
export function callKey(line: string, call: SyscallCall): string {
  const name = syscallName(call.nr);
  let key = line
    .replace(/0x[0-9a-f]+/g, '0x?')
    .replace(/(tv_sec|tv_nsec|tv_usec)=\d+/g, '$1=?')
    .replace(new RegExp(`\\b(${call.pid}|${call.tid})\\b`, 'g'), 'PID');
  if (RUN_SPECIFIC_RESULT.has(name)) key = key.replace(/ = \d+$/, ' = PID');
  if (name === 'getrandom') key = key.replace(/^getrandom\("[^"]*"/, 'getrandom(?');
  return key;
}

export function loadCalls(file: string): LoadedRecording {
  const { fd, reader } = openRecordingReader(file);
  const processes = new Map<number, TracedProcess>();
  let kept = 0;
  const strace = new StraceFormatter({
    stringLimit: STRING_LIMIT, hex: 'none', absoluteTime: 0, relativeTime: false, epochNsAtStart: () => 0,
    callDuration: false, pidPrefix: 'never',
  });
  const keep = (call: SyscallCall): void => {
    const line = strace.format(call);
    if (line === null) return;
    let process = processes.get(call.pid);
    if (!process) {
      process = { pid: call.pid, order: processes.size, name: new ProgramName(), execs: [], calls: [], dropped: 0 };
      processes.set(call.pid, process);
    }
    process.name.noteCall(call.comm, call.tid === call.pid);
    const key = callKey(line, call);
    if ((call.nr === NR_EXECVE || call.nr === NR_EXECVEAT) && process.execs.length < MAX_EXECS) process.execs.push(key);
    if (kept >= MAX_CALLS) {
      process.dropped++;
      return;
    }
    kept++;
    const returned = call.state === 'returned' && call.ret !== null;
    process.calls.push({
      nr: call.nr, line, key, errno: returned ? errnoOf(call.nr, call.ret as number) : null, durNs: returned ? call.durNs : null,
    });
  };
  const pairer = new CallPairer(keep, { announceAfterNs: null, maxPending: MAX_PENDING, commOf: () => '?' });
  try {
    const records = reader.records();
    const first = records.next();
    if (first.done) throw new UserError(`${file}: the recording was cut before its header: nothing to compare`);
    const header = RecordingReader.header(first.value.message);
    if (header.aggregation?.view) throw new UserError(`${file}: this recording holds counts made in the kernel, not calls: nothing to compare`);
    for (const item of records) {
      if (item.kind !== 'batch') throw new UserError(`${file}: corrupt recording: a ${item.kind} in a recording of batches`);
      pairer.addBatch(decodeBatch(item.message));
    }
    const cut = reader.ending().cut;
    if (cut) throw new UserError(`${file}: the recording was cut short (${cut}): its calls cannot be compared`);
    pairer.finish(() => true);
  } catch (error) {
    if (error instanceof RecordingError) throw new UserError(`${file}: ${error.message}`);
    if (error instanceof Error && !(error instanceof UserError)) throw new UserError(`${file}: corrupt recording: ${error.message}`);
    throw error;
  } finally {
    fs.closeSync(fd);
  }
  return { file, processes: [...processes.values()] };
}
