// The function symbols of an ELF64 little-endian object (.symtab, else .dynsym) and its
// loadable segments, read with positional reads: only the headers and the symbol and string
// tables are read, never the whole file (a program can be hundreds of MiB).
import fs from 'node:fs';
import { KERNEL_VALUES as K } from '../generated/flag-tables';

export interface SymbolHit {
  name: string;
  /** Bytes from the symbol's start. */
  offset: number;
}

interface Segment {
  fileOffset: number;
  vaddr: number;
  fileSize: number;
  executable: boolean;
}

const { SHT_SYMTAB, SHT_DYNSYM, PT_LOAD, PF_X, STT_FUNC, STT_GNU_IFUNC, SIZEOF_ELF64_SYM: SYMBOL_SIZE } = K;
/** A symbol table larger than this is not read (no object this side of sanity has one). */
const MAX_TABLE_BYTES = 256 << 20;

function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const n = fs.readSync(fd, buffer, 0, length, offset);
  if (n !== length) throw new Error('short read');
  return buffer;
}

function cString(table: Buffer, at: number): string {
  const end = table.indexOf(0, at);
  return table.toString('latin1', at, end < 0 ? table.length : end);
}

export class ElfSymbols {
  private constructor(
    /** Start addresses, ascending, with each symbol's size and name at the same index. */
    private readonly starts: Float64Array,
    private readonly sizes: Float64Array,
    private readonly names: string[],
    private readonly segments: Segment[],
  ) {}

  /** The object at path, or null if it is not a readable ELF64 little-endian file. */
  static load(path: string): ElfSymbols | null {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch {
      return null;
    }
    try {
      return ElfSymbols.parse(fd);
    } catch {
      return null;
    } finally {
      fs.closeSync(fd);
    }
  }

  private static parse(fd: number): ElfSymbols | null {
    const header = readAt(fd, 0, 64);
    // \x7fELF, ELFCLASS64, ELFDATA2LSB
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return null;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const shoff = Number(header.readBigUInt64LE(0x28));
    const phentsize = header.readUInt16LE(0x36), phnum = header.readUInt16LE(0x38);
    const shentsize = header.readUInt16LE(0x3a), shnum = header.readUInt16LE(0x3c);

    const segments: Segment[] = [];
    const programHeaders = readAt(fd, phoff, phentsize * phnum);
    for (let i = 0; i < phnum; i++) {
      const ph = programHeaders.subarray(i * phentsize);
      if (ph.readUInt32LE(0) !== PT_LOAD) continue;
      segments.push({
        fileOffset: Number(ph.readBigUInt64LE(8)), vaddr: Number(ph.readBigUInt64LE(16)), fileSize: Number(ph.readBigUInt64LE(32)),
        executable: (ph.readUInt32LE(4) & PF_X) !== 0,
      });
    }

    const sections = shnum > 0 ? readAt(fd, shoff, shentsize * shnum) : Buffer.alloc(0);
    const section = (i: number) => {
      const sh = sections.subarray(i * shentsize);
      return { type: sh.readUInt32LE(4), offset: Number(sh.readBigUInt64LE(24)), size: Number(sh.readBigUInt64LE(32)), link: sh.readUInt32LE(40) };
    };
    // .symtab has every function; a stripped object keeps only .dynsym, its exported ones.
    let table: ReturnType<typeof section> | undefined;
    for (const wanted of [SHT_SYMTAB, SHT_DYNSYM]) {
      for (let i = 0; i < shnum && !table; i++) if (section(i).type === wanted && section(i).size > 0) table = section(i);
      if (table) break;
    }
    const found: { start: number; size: number; name: string }[] = [];
    if (table && table.link < shnum && table.size <= MAX_TABLE_BYTES) {
      const strings = section(table.link);
      const symbols = readAt(fd, table.offset, table.size);
      const names = readAt(fd, strings.offset, Math.min(strings.size, MAX_TABLE_BYTES));
      for (let at = 0; at + SYMBOL_SIZE <= symbols.length; at += SYMBOL_SIZE) {
        const type = symbols[at + 4] & 0xf;
        const sectionIndex = symbols.readUInt16LE(at + 6);
        if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || sectionIndex === 0) continue;
        const start = Number(symbols.readBigUInt64LE(at + 8));
        if (start === 0) continue;
        found.push({ start, size: Number(symbols.readBigUInt64LE(at + 16)), name: cString(names, symbols.readUInt32LE(at)) });
      }
    }
    found.sort((a, b) => a.start - b.start || b.size - a.size);
    return new ElfSymbols(Float64Array.from(found, (s) => s.start), Float64Array.from(found, (s) => s.size),
      found.map((s) => s.name), segments);
  }

  /** The virtual address (as the symbols count) of a byte at this file offset, or null. */
  vaddrOfFileOffset(fileOffset: number): number | null {
    for (const s of this.segments)
      if (fileOffset >= s.fileOffset && fileOffset < s.fileOffset + s.fileSize) return fileOffset - s.fileOffset + s.vaddr;
    return null;
  }

  /** Whether the byte at this file offset is loaded as code. */
  isCode(fileOffset: number): boolean {
    return this.segments.some((s) => s.executable && fileOffset >= s.fileOffset && fileOffset < s.fileOffset + s.fileSize);
  }

  /** The function containing vaddr, or null. A symbol of size 0 (hand-written assembly)
   * covers up to the next one. */
  lookup(vaddr: number): SymbolHit | null {
    const { starts } = this;
    let low = 0, high = starts.length - 1, index = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (starts[mid] <= vaddr) {
        index = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    // Aliases share a start: the search lands on the last; any of them that covers vaddr will do.
    for (let i = index; i >= 0 && starts[i] === starts[index]; i--) {
      if (this.sizes[i] === 0 || vaddr < starts[i] + this.sizes[i]) return { name: this.names[i], offset: vaddr - starts[i] };
    }
    return null;
  }
}
