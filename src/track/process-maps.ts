// A process's executable mappings as the addon snapshots them (/proc/PID/maps lines; see
// proto/batch.proto: maps), and which snapshot each stack was taken under.
import type { Batch } from '../wire/batch-decoder';

export interface Mapping {
  start: number;
  end: number;
  /** Offset in the file of the mapping's first byte. */
  fileOffset: number;
  inode: number;
  /** The file, or a pseudo-name ([vdso]), or '' for anonymous memory. */
  path: string;
}

export class MapsSnapshot {
  private constructor(private readonly mappings: Mapping[]) {}

  /** From the lines of /proc/PID/maps: "start-end perms offset dev inode path". */
  static parse(text: string): MapsSnapshot {
    const mappings: Mapping[] = [];
    for (const line of text.split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ (\d+)\s*(.*)$/.exec(line);
      if (!m) continue;
      mappings.push({ start: parseInt(m[1], 16), end: parseInt(m[2], 16), fileOffset: parseInt(m[3], 16), inode: Number(m[4]), path: m[5] });
    }
    mappings.sort((a, b) => a.start - b.start);
    return new MapsSnapshot(mappings);
  }

  find(addr: number): Mapping | undefined {
    return this.mappings.find((m) => addr >= m.start && addr < m.end);
  }
}

/** The processes remembered at most; past it the oldest is forgotten (its later stacks, if
 * any, come with a new snapshot only after a miss: they may show addresses only). */
const MAX_PROCESSES = 4096;

/** Follows the snapshots through the batches, in order, and ties each stack to the one of its
 * process in force when it was taken. */
export class ProcessMaps {
  private readonly current = new Map<number, MapsSnapshot>();
  /** By a stack's data (the Uint8Array the batch decoded, which the call keeps). */
  private readonly ofStack = new WeakMap<Uint8Array, MapsSnapshot>();

  /** Before the batch's calls are paired: its snapshots, and the stacks (items of stackKinds)
   * they cover. */
  addBatch(batch: Batch, stackKinds: readonly number[]): void {
    const { mapsEvent, mapsPid, maps, captureEvent, captureKind, captureData, pid } = batch;
    if (maps.length === 0 && !stackKinds.some((kind) => captureKind.includes(kind))) return;
    let next = 0;
    for (let j = 0; j < captureEvent.length; j++) {
      if (!stackKinds.includes(captureKind[j])) continue;
      const event = captureEvent[j];
      for (; next < maps.length && mapsEvent[next] <= event; next++) this.set(mapsPid[next], MapsSnapshot.parse(maps[next]));
      const snapshot = this.current.get(pid[event]);
      if (snapshot) this.ofStack.set(captureData[j], snapshot);
    }
    for (; next < maps.length; next++) this.set(mapsPid[next], MapsSnapshot.parse(maps[next]));
  }

  snapshotOf(stack: Uint8Array): MapsSnapshot | undefined {
    return this.ofStack.get(stack);
  }

  private set(pid: number, snapshot: MapsSnapshot): void {
    this.current.delete(pid);
    this.current.set(pid, snapshot);
    if (this.current.size > MAX_PROCESSES) this.current.delete(this.current.keys().next().value as number);
  }
}
