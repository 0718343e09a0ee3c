// The flight recorder's memory: the last batches, stored deflated (as a recording stores
// them), dropped oldest first once they fall out of the window: older than its time span
// behind the newest batch, or past its byte budget.
import type { FlightWindow } from './flight-options';

export interface StoredBatch {
  /** When the batch was closed (ns since the trace started). */
  flushNs: number;
  deflated: Buffer;
  /** Cumulative lost events when it was closed. */
  lostEvents: number;
}

export class BatchRing {
  /** Dropped slots before head are emptied at once, so their bytes are freed. */
  private batches: (StoredBatch | undefined)[] = [];
  private head = 0;
  private storedBytes = 0;

  constructor(private readonly window: FlightWindow) {}

  get bytes(): number {
    return this.storedBytes;
  }

  /** Keeps batch; returns the last batch it dropped to make room, if any. */
  add(batch: StoredBatch): StoredBatch | undefined {
    let dropped: StoredBatch | undefined;
    this.batches.push(batch);
    this.storedBytes += batch.deflated.length;
    const { ns, bytes } = this.window;
    // A batch closed before the window's start is dropped: what is kept reaches back the
    // window and at most one batch's span more. The newest is always kept.
    while (this.head < this.batches.length - 1) {
      const oldest = this.batches[this.head] as StoredBatch;
      const tooOld = ns !== undefined && oldest.flushNs < batch.flushNs - ns;
      const tooBig = bytes !== undefined && this.storedBytes > bytes;
      if (!tooOld && !tooBig) break;
      this.storedBytes -= oldest.deflated.length;
      dropped = oldest;
      this.batches[this.head++] = undefined;
    }
    // The array's dropped slots are let go in bulk, not one shift() at a time.
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
    return dropped;
  }

  /** The batches kept, oldest first. */
  *kept(): Generator<StoredBatch> {
    for (let i = this.head; i < this.batches.length; i++) yield this.batches[i] as StoredBatch;
  }
}
