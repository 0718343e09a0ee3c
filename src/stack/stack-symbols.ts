// Turns a captured stack (proto/batch.proto: CAPTURE_STACK) into frames named after their
// functions and objects, from the process's maps snapshot and the objects' ELF symbol tables.
// In TypeScript rather than in the addon: it runs once per shown call, the objects' tables are
// cached, and a report (no live process) uses the same code on the recorded snapshots.
import fs from 'node:fs';
import { BuildIdFiles } from './build-ids';
import { ElfSymbols } from './elf-symbols';
import type { MapsSnapshot } from '../track/process-maps';
import { STACK_BUILD_ID_FRAME_SIZE, STACK_HEADER_SIZE } from '../generated/kernel-constants';
import { KERNEL_VALUES as K } from '../generated/flag-tables';

/** Frames per stack: the most, and the default. */
export { STACK_DEFAULT_FRAMES, STACK_MAX_FRAMES } from '../generated/kernel-constants';

export interface StackFrame {
  addr: number;
  /** The mapped file ('/usr/lib/...'), a pseudo-mapping ('[vdso]'), or null: unknown. */
  object: string | null;
  symbol: string | null;
  /** From the symbol's start; without a symbol, the offset in the object file. */
  offset: number;
  /** Where addr is in the object's file (strace's [0x...]); null without a file. */
  fileOffset: number | null;
  /** An unknown frame's build ID, when the kernel gave one but no file here has it. */
  buildId?: string;
}

export interface Stack {
  frames: StackFrame[];
  /** The frame-pointer walk stopped short of a thread's first function and of the depth
   * asked: code on the way keeps no frame pointer. */
  cut: boolean;
}

/** Where an address lies: in a file, in a pseudo-mapping or anonymous memory, or unknown. */
type Place =
  | { kind: 'file'; object: string; fileOffset: number; symbols: ElfSymbols | null; fileKey: string }
  | { kind: 'memory'; object: string | null; offset: number }
  | { kind: 'unknown'; buildId?: string };

const UNKNOWN: Place = { kind: 'unknown' };

/** struct bpf_stack_build_id.status: the frame has a build ID and a file offset. */
const { BUILD_ID_VALID, BPF_BUILD_ID_SIZE: BUILD_ID_SIZE } = K;

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
  private readonly buildIds = new BuildIdFiles();

  /** depth: the frames asked for (a longer stack was cut by it, not by a missing frame pointer). */
  constructor(private readonly depth: number) {
    this.buildIds.learnOwnObjects();
  }

  /** A program a traced process ran: its frames may have to be found by build ID. */
  learnProgram(file: string): void {
    this.buildIds.learn(file);
  }

  /** A CAPTURE_STACK item (addresses), placed with the process's maps. */
  symbolize(data: Uint8Array, snapshot: MapsSnapshot | undefined): Stack {
    const [spWord, ...walked] = wordsOf(data);
    return this.stackOf(spWord, walked, (addr) => this.placeInMaps(addr, snapshot) ?? UNKNOWN);
  }

  /** A CAPTURE_STACK_BUILD_ID item (bpf/syscall_event.h): addresses, then each frame's build ID
   * and file offset. The maps place what they cover; the build IDs the rest, and each frame
   * with one gives its object's load address, which places the word at the stack pointer. */
  symbolizeWithBuildIds(data: Uint8Array, snapshot: MapsSnapshot | undefined): Stack {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (data.byteLength < STACK_HEADER_SIZE) return { frames: [], cut: false };
    const spWord = Number(view.getBigUint64(0, true));
    const count = Math.min(Number(view.getBigUint64(8, true)), Math.floor((data.byteLength - STACK_HEADER_SIZE) / 8));
    const walked = wordsOf(data.subarray(STACK_HEADER_SIZE, STACK_HEADER_SIZE + 8 * count));
    const idsAt = STACK_HEADER_SIZE + 8 * count;
    const own = new Map<number, { id: string; fileOffset: number }>();
    const anchors: { bias: number; id: string }[] = [];
    for (let i = 0; i < count && idsAt + STACK_BUILD_ID_FRAME_SIZE * (i + 1) <= data.byteLength; i++) {
      const at = idsAt + STACK_BUILD_ID_FRAME_SIZE * i;
      if (view.getInt32(at, true) !== BUILD_ID_VALID) continue;
      const id = Buffer.from(data.buffer, data.byteOffset + at + 4, BUILD_ID_SIZE).toString('hex');
      const fileOffset = Number(view.getBigUint64(at + 24, true));
      own.set(walked[i], { id, fileOffset });
      if (!anchors.some((a) => a.id === id)) anchors.push({ bias: walked[i] - fileOffset, id });
    }
    return this.stackOf(spWord, walked, (addr) => {
      const inMaps = this.placeInMaps(addr, snapshot);
      if (inMaps) return inMaps;
      const mine = own.get(addr);
      if (mine) {
        const place = this.placeInObject(mine.id, mine.fileOffset);
        if (place === null) return { kind: 'unknown', buildId: mine.id };
        // Older kernels name the mapping above an address outside every mapping (a frame
        // walk gone astray), with an offset outside the file's code.
        if (place !== UNKNOWN) return place;
      }
      // Another frame's object, if the address is in its code at the same load address.
      for (const anchor of anchors) {
        const place = this.placeInObject(anchor.id, addr - anchor.bias);
        if (place && place !== UNKNOWN) return place;
      }
      return UNKNOWN;
    });
  }

  private stackOf(spWord: number, walked: number[], placeOf: (addr: number) => Place): Stack {
    // The kernel's walk stores the return address of the outermost frame even when it is 0.
    const addresses = walked.filter((addr) => addr !== 0);
    const frames = addresses.map((addr, i) => this.frame(addr, placeOf(addr), i > 0));
    // A call made from a function that keeps no frame (a libc wrapper): its return address is
    // the word at the stack pointer, which the frame-pointer walk skips.
    if (frames.length > 0 && spWord !== 0 && spWord !== addresses[1]) {
      const place = placeOf(spWord);
      if (this.isReturnAddress(place)) frames.splice(1, 0, this.frame(spWord, place, true));
    }
    const cut = addresses.length < this.depth && frames.length > 0 && !reachedStart(frames);
    return { frames, cut };
  }

  private placeInMaps(addr: number, snapshot: MapsSnapshot | undefined): Place | null {
    const mapping = snapshot?.find(addr);
    if (!mapping) return null;
    if (!mapping.path.startsWith('/')) return { kind: 'memory', object: mapping.path || null, offset: addr - mapping.start };
    return {
      kind: 'file', object: mapping.path, fileOffset: addr - mapping.start + mapping.fileOffset,
      symbols: this.symbolsOf(mapping.path, mapping.inode), fileKey: `${mapping.path}\0${mapping.inode}`,
    };
  }

  /** The place at fileOffset in the object with build ID id: null if no file here has the ID,
   * UNKNOWN if the offset is not in its code. */
  private placeInObject(id: string, fileOffset: number): Place | null {
    const file = this.buildIds.find(id);
    if (file === null) return null;
    const symbols = this.symbolsOf(file, null);
    if (!symbols?.isCode(fileOffset)) return UNKNOWN;
    return { kind: 'file', object: file, fileOffset, symbols, fileKey: id };
  }

  private frame(addr: number, place: Place, returnAddress: boolean): StackFrame {
    if (place.kind === 'unknown') return { addr, object: null, symbol: null, offset: addr, fileOffset: null, ...(place.buildId ? { buildId: place.buildId } : {}) };
    if (place.kind === 'memory') return { addr, object: place.object, symbol: null, offset: place.offset, fileOffset: null };
    const { object, fileOffset, symbols } = place;
    const vaddr = symbols?.vaddrOfFileOffset(fileOffset) ?? null;
    // A return address can be just past a call that ends its function: name the call's.
    const hit = vaddr === null ? null : symbols?.lookup(returnAddress ? vaddr - 1 : vaddr) ?? null;
    if (!hit) return { addr, object, symbol: null, offset: fileOffset, fileOffset };
    return { addr, object, symbol: hit.name, offset: hit.offset + (returnAddress ? 1 : 0), fileOffset };
  }

  /** The symbols of the file at path, if it is still the one that was mapped (inode: the
   * mapping's; null when a build ID vouched for it). */
  private symbolsOf(file: string, inode: number | null): ElfSymbols | null {
    let stats: fs.Stats;
    try {
      stats = fs.statSync(file);
    } catch {
      return null;
    }
    if (inode !== null && stats.ino !== inode) return null; // replaced since (an upgrade): its symbols would lie
    const key = `${file}\0${stats.ino}\0${stats.mtimeMs}`;
    let symbols = this.objects.get(key);
    if (symbols === undefined) {
      symbols = ElfSymbols.load(file);
      if (this.objects.size >= MAX_OBJECTS) this.objects.delete(this.objects.keys().next().value as string);
    } else {
      this.objects.delete(key); // most recently used goes last
    }
    this.objects.set(key, symbols);
    return symbols;
  }

  /** Whether the bytes before this place end with a call instruction. */
  private isReturnAddress(place: Place): boolean {
    if (place.kind !== 'file' || place.fileOffset < 7) return false;
    const key = `${place.fileKey}\0${place.fileOffset}`;
    let answer = this.callChecks.get(key);
    if (answer === undefined) {
      answer = false;
      try {
        const fd = fs.openSync(place.object, 'r');
        try {
          const bytes = Buffer.alloc(7);
          answer = fs.readSync(fd, bytes, 0, 7, place.fileOffset - 7) === 7 && endsWithCall(bytes);
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
