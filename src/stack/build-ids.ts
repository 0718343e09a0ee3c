// -k on the eBPF backend: which file on this host has a given GNU build ID. The kernel names
// the object of each frame by its build ID (bpf/stack_capture.bpf.h), which still means something
// after the process has ended, when its /proc/PID/maps can no longer be read.
//
// Where it looks, in order: the files it was told of (objects of maps snapshots, programs the
// traced processes ran, the tracer's own libraries); then, one directory at a time and only while an ID is unknown, the
// directories programs and libraries are loaded from: the dynamic linker's (ld.so.conf), the
// usual library directories, those of the files it was told of, and PATH; last the
// distribution's debug files (/usr/lib/debug/.build-id/), for an object deleted since.
import fs from 'node:fs';
import path from 'node:path';
import { KERNEL_VALUES as K } from '../generated/flag-tables';

const { PT_NOTE, NT_GNU_BUILD_ID } = K;
/** Notes larger than this are not read (a build ID note is 36 bytes). */
const MAX_NOTES_BYTES = 64 << 10;
/** Files read by the scans at most: a directory of a million files must not stall the trace. */
const MAX_SCANNED_FILES = 50_000;
/** IDs remembered at most (files told of and scanned); past it the oldest go first. */
const MAX_IDS = 100_000;
const LIBRARY_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib', '/usr/local/lib'];

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** The GNU build ID of an ELF64 little-endian file, in hex, or null (not ELF, none, unreadable). */
export function readBuildId(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const header = Buffer.alloc(64);
    if (fs.readSync(fd, header, 0, 64, 0) !== 64) return null;
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return null;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36), phnum = header.readUInt16LE(0x38);
    if (phentsize < 56 || phnum === 0) return null;
    const phdrs = Buffer.alloc(phentsize * phnum);
    if (fs.readSync(fd, phdrs, 0, phdrs.length, phoff) !== phdrs.length) return null;
    for (let i = 0; i < phnum; i++) {
      const ph = phdrs.subarray(i * phentsize);
      if (ph.readUInt32LE(0) !== PT_NOTE) continue;
      const size = Number(ph.readBigUInt64LE(32));
      if (size > MAX_NOTES_BYTES) continue;
      const notes = Buffer.alloc(size);
      if (fs.readSync(fd, notes, 0, size, Number(ph.readBigUInt64LE(8))) !== size) continue;
      for (let at = 0; at + 12 <= size;) {
        const nameSize = notes.readUInt32LE(at), descSize = notes.readUInt32LE(at + 4), type = notes.readUInt32LE(at + 8);
        const desc = at + 12 + align4(nameSize);
        if (desc + descSize > size) break;
        if (type === NT_GNU_BUILD_ID && nameSize === 4 && notes.toString('latin1', at + 12, at + 15) === 'GNU')
          return notes.toString('hex', desc, desc + descSize);
        at = desc + align4(descSize);
      }
    }
    return null;
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/** The directories the dynamic linker searches, from /etc/ld.so.conf and its includes. */
function linkerDirs(): string[] {
  const dirs: string[] = [];
  const read = (file: string, depth: number): void => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      return;
    }
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const include = /^include\s+(.+)$/.exec(line);
      if (include && depth < 2) {
        const pattern = include[1];
        const dir = path.dirname(pattern), suffix = path.basename(pattern).replace(/^\*/, '');
        let names: string[] = [];
        try {
          names = fs.readdirSync(dir).filter((name) => name.endsWith(suffix)).sort();
        } catch { /* no such directory */ }
        for (const name of names) read(path.join(dir, name), depth + 1);
      } else if (line.startsWith('/')) {
        dirs.push(line);
      }
    }
  };
  read('/etc/ld.so.conf', 0);
  return dirs;
}

/** The kernel's build IDs are 20 bytes, a shorter one padded with zeros (BPF_BUILD_ID_SIZE). */
const KERNEL_ID_HEX = 40;

/** Where a distribution's debug package puts the file of an ID (a 20-byte one, or a 16-byte
 * one padded by the kernel). */
function debugNames(id: string): string[] {
  const name = (hex: string) => `/usr/lib/debug/.build-id/${hex.slice(0, 2)}/${hex.slice(2)}.debug`;
  return id.endsWith('00000000') ? [name(id), name(id.slice(0, 32))] : [name(id)];
}

export class BuildIdFiles {
  private readonly byId = new Map<string, string>();
  /** Files already read, by path, inode and change time: each is read once. */
  private readonly known = new Set<string>();
  private readonly dirsToScan = new Set<string>();
  /** The directories still to read, once the first unknown ID asked for them. */
  private toScan?: string[];
  private scanBudget = MAX_SCANNED_FILES;
  /** IDs looked for everywhere in vain: not looked for again (each frame of each stack asks)
   * until a file is read. */
  private readonly missing = new Set<string>();

  /** The objects this process has mapped (the C library, the dynamic linker...): most
   * programs' frames are in some of them, and reading them is cheaper than a scan. */
  learnOwnObjects(): void {
    let maps = '';
    try {
      maps = fs.readFileSync('/proc/self/maps', 'latin1');
    } catch {
      return;
    }
    const files = new Set(maps.split('\n').map((line) => /^\S+ \S+x\S* \S+ \S+ \d+\s+(\/.*)$/.exec(line)?.[1]));
    for (const file of files) if (file !== undefined) this.learn(file);
  }

  /** A file that may be the object of some frame: a mapped object, a program a process ran. */
  learn(file: string): void {
    let stats: fs.Stats;
    try {
      stats = fs.statSync(file);
    } catch {
      return;
    }
    if (!stats.isFile()) return;
    this.dirsToScan.add(path.dirname(file));
    this.index(file, stats);
  }

  /** The file with this build ID (hex, as the kernel gives it: 20 bytes), or null. */
  find(id: string): string | null {
    const hit = this.checked(this.byId.get(id), id);
    if (hit) return hit;
    if (this.missing.has(id)) return null;
    // Directory by directory, until a file has the ID: most IDs are in the first ones.
    while (this.scanNextDir()) {
      const scanned = this.checked(this.byId.get(id), id);
      if (scanned) return scanned;
    }
    // The object itself is gone; its debug file, if installed, has its symbols.
    for (const name of debugNames(id)) if (readBuildId(name)?.padEnd(KERNEL_ID_HEX, '0') === id) return name;
    if (this.missing.size >= MAX_IDS) this.missing.clear();
    this.missing.add(id);
    return null;
  }

  /** file if it still has the build ID it had when it was read (not replaced since). */
  private checked(file: string | undefined, id: string): string | null {
    if (file === undefined) return null;
    let stats: fs.Stats;
    try {
      stats = fs.statSync(file);
    } catch {
      return null;
    }
    if (this.known.has(this.keyOf(file, stats))) return file;
    this.index(file, stats);
    return this.byId.get(id) === file ? file : null;
  }

  private keyOf(file: string, stats: fs.Stats): string {
    return `${file}\0${stats.ino}\0${stats.ctimeMs}`;
  }

  private index(file: string, stats: fs.Stats): void {
    const key = this.keyOf(file, stats);
    if (this.known.has(key)) return;
    this.known.add(key);
    const id = readBuildId(file)?.padEnd(KERNEL_ID_HEX, '0');
    if (id === undefined) return;
    if (this.byId.size >= MAX_IDS) this.byId.delete(this.byId.keys().next().value as string);
    // The name the kernel gives it in /proc/PID/maps, as the ptrace backend's stacks show it.
    let real = file;
    try {
      real = fs.realpathSync(file);
    } catch { /* gone meanwhile: keep the name it was found by */ }
    this.byId.set(id, real);
    this.missing.clear(); // a file read since may be what an ID looked for in vain names
    if (this.known.size > 4 * MAX_IDS) this.known.clear(); // only the cost of reading files again
  }

  /** Reads the files of the next directory not read yet; false when none is left. */
  private scanNextDir(): boolean {
    if (this.toScan === undefined) {
      this.toScan = [...new Set([...linkerDirs(), ...LIBRARY_DIRS, ...this.dirsToScan,
        ...(process.env.PATH ?? '').split(':').filter((dir) => dir.startsWith('/'))])];
    }
    const dir = this.toScan.shift();
    if (dir === undefined || this.scanBudget <= 0) return false;
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch { /* gone, or not a directory */ }
    for (const entry of entries) {
      if (this.scanBudget-- <= 0) break;
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      const file = path.join(dir, entry.name);
      let stats: fs.Stats;
      try {
        stats = fs.statSync(file);
      } catch {
        continue;
      }
      if (stats.isFile() && (stats.mode & 0o111 || /\.so(\.|$)/.test(entry.name))) this.index(file, stats);
    }
    return true;
  }
}
