// Turns a captured stack (proto/batch.proto: CAPTURE_STACK) into frames named after their
// functions and objects, from the process's maps snapshot and the objects' ELF symbol tables.
// In TypeScript rather than in the addon: it runs once per shown call, the objects' tables are
// cached, and a report (no live process) uses the same code on the recorded snapshots.
import fs from 'node:fs';
import { ElfSymbols } from './elf-symbols';
import type { Mapping, MapsSnapshot } from './process-maps';

/** Frames per stack: the most, and the default (bpf/syscall_event.h: STACK_*). */
export const STACK_MAX_FRAMES = 127;
export const STACK_DEFAULT_FRAMES = 32;

export interface StackFrame {
  addr: number;
  /** The mapped file ('/usr/lib/...'), a pseudo-mapping ('[vdso]'), or null: unknown. */
  object: string | null;
  symbol: string | null;
  /** From the symbol's start; without a symbol, the offset in the object file. */
  offset: number;
  /** Where addr is in the object's file (strace's [0x...]); null without a file. */
  fileOffset: number | null;
}

export interface Stack {
  frames: StackFrame[];
  /** The frame-pointer walk stopped short of a thread's first function and of the depth
   * asked: code on the way keeps no frame pointer. */
  cut: boolean;
}

/** Where every thread's stack starts: a walk that reaches one is complete. */
const THREAD_STARTS = new Set(['main', '_start', '__libc_start_main', '__libc_start_call_main', 'start_thread', 'clone', 'clone3', '__clone', '__clone3']);

/** Whether a walk ending in this frame reached its thread's start: a start function, or an
 * unnamed address in libc, whose start functions are local symbols that a libc without
 * .symtab (Debian's) does not name. */
function reachedStart(frames: StackFrame[]): boolean {
  const last = frames[frames.length - 1];
  if (frames.some((f) => THREAD_STARTS.has(f.symbol ?? ''))) return true;
  return last.symbol === null && /\/libc\.so[.\d]*$/.test(last.object ?? '');
}
/** Objects whose symbol tables are kept at once, least recently used first out. */
const MAX_OBJECTS = 64;
/** Answers of "is this a return address" kept at once. */
const MAX_CALL_CHECKS = 4096;

function wordsOf(data: Uint8Array): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const words: number[] = [];
  for (let at = 0; at + 8 <= data.byteLength; at += 8) words.push(Number(view.getBigUint64(at, true)));
  return words;
}

/** Whether the bytes before a return address end with a call instruction (x86_64): e8 rel32,
 * ff /2 with a register, [reg], [reg+disp8], [reg+disp32] or [rip+disp32] operand. */
function endsWithCall(b: Buffer): boolean {
  const n = b.length; // 7
  const isCallModrm = (modrm: number, mod: number) => ((modrm >> 3) & 7) === 2 && (modrm >> 6) === mod;
  return b[n - 5] === 0xe8 ||
    (b[n - 2] === 0xff && (isCallModrm(b[n - 1], 3) || isCallModrm(b[n - 1], 0))) ||
    (b[n - 3] === 0xff && isCallModrm(b[n - 2], 1)) ||
    (b[n - 6] === 0xff && (isCallModrm(b[n - 5], 2) || (b[n - 5] === 0x15))) ||
    (b[n - 3] === 0xff && isCallModrm(b[n - 2], 0) && (b[n - 2] & 7) === 4) || // [reg] via SIB
    (b[n - 4] === 0xff && isCallModrm(b[n - 3], 1) && (b[n - 3] & 7) === 4) || // [reg+disp8] via SIB
    (b[n - 7] === 0xff && isCallModrm(b[n - 6], 2) && (b[n - 6] & 7) === 4);   // [reg+disp32] via SIB
}

export class StackSymbols {
  private readonly objects = new Map<string, ElfSymbols | null>();
  private readonly callChecks = new Map<string, boolean>();

  /** depth: the frames asked for (a longer stack was cut by it, not by a missing frame pointer). */
  constructor(private readonly depth: number) {}

  symbolize(data: Uint8Array, snapshot: MapsSnapshot | undefined): Stack {
    const [spWord, ...walked] = wordsOf(data);
    // The kernel's walk stores the return address of the outermost frame even when it is 0.
    const addresses = walked.filter((addr) => addr !== 0);
    const frames = addresses.map((addr, i) => this.frame(addr, snapshot, i > 0));
    // A call made from a function that keeps no frame (a libc wrapper): its return address is
    // the word at the stack pointer, which the frame-pointer walk skips.
    if (frames.length > 0 && spWord !== 0 && spWord !== addresses[1] && this.isReturnAddress(spWord, snapshot))
      frames.splice(1, 0, this.frame(spWord, snapshot, true));
    const cut = addresses.length < this.depth && frames.length > 0 && !reachedStart(frames);
    return { frames, cut };
  }

  private frame(addr: number, snapshot: MapsSnapshot | undefined, returnAddress: boolean): StackFrame {
    const mapping = snapshot?.find(addr);
    if (!mapping) return { addr, object: null, symbol: null, offset: addr, fileOffset: null };
    if (!mapping.path.startsWith('/'))
      return { addr, object: mapping.path || null, symbol: null, offset: addr - mapping.start, fileOffset: null };
    const fileOffset = addr - mapping.start + mapping.fileOffset;
    const object = this.symbolsOf(mapping);
    const vaddr = object?.vaddrOfFileOffset(fileOffset) ?? null;
    // A return address can be just past a call that ends its function: name the call's.
    const hit = vaddr === null ? null : object?.lookup(returnAddress ? vaddr - 1 : vaddr) ?? null;
    if (!hit) return { addr, object: mapping.path, symbol: null, offset: fileOffset, fileOffset };
    return { addr, object: mapping.path, symbol: hit.name, offset: hit.offset + (returnAddress ? 1 : 0), fileOffset };
  }

  /** The object's symbols if the file at its path is still the one that was mapped. */
  private symbolsOf(mapping: Mapping): ElfSymbols | null {
    let stats: fs.Stats;
    try {
      stats = fs.statSync(mapping.path);
    } catch {
      return null;
    }
    if (stats.ino !== mapping.inode) return null; // replaced since (an upgrade): its symbols would lie
    const key = `${mapping.path}\0${stats.ino}\0${stats.mtimeMs}`;
    let symbols = this.objects.get(key);
    if (symbols === undefined) {
      symbols = ElfSymbols.load(mapping.path);
      if (this.objects.size >= MAX_OBJECTS) this.objects.delete(this.objects.keys().next().value as string);
    } else {
      this.objects.delete(key); // most recently used goes last
    }
    this.objects.set(key, symbols);
    return symbols;
  }

  private isReturnAddress(addr: number, snapshot: MapsSnapshot | undefined): boolean {
    const mapping = snapshot?.find(addr);
    if (!mapping || !mapping.path.startsWith('/')) return false;
    const fileOffset = addr - mapping.start + mapping.fileOffset;
    if (fileOffset < 7) return false;
    const key = `${mapping.path}\0${mapping.inode}\0${fileOffset}`;
    let answer = this.callChecks.get(key);
    if (answer === undefined) {
      answer = false;
      try {
        const fd = fs.openSync(mapping.path, 'r');
        try {
          const bytes = Buffer.alloc(7);
          answer = fs.readSync(fd, bytes, 0, 7, fileOffset - 7) === 7 && endsWithCall(bytes);
        } finally {
          fs.closeSync(fd);
        }
      } catch {
        answer = false;
      }
      if (this.callChecks.size >= MAX_CALL_CHECKS) this.callChecks.clear();
      this.callChecks.set(key, answer);
    }
    return answer;
  }
}
