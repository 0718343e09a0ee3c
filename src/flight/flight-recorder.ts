// record --flight-recorder: the session's batches kept in a bounded ring (src/flight/
// batch-ring.ts), nothing written until a trigger fires; then a dump, a normal recording:
// the ring's batches, those of the next --after, and the trigger in its header.
import fs from 'node:fs';
import { decodeBatchWithoutArguments } from '../wire/batch-decoder';
import { deflateBatch, RecordingWriter, type RecordingHeader } from '../wire/recording';
import type { SessionEnd } from '../session/native-addon';
import { bpftrace_ts } from '../generated/batch';
import { FileError } from '../sink/file-error';
import { BatchRing } from './batch-ring';
import { createDumpFile, dumpFileName } from './dump-files';
import type { FlightOptions } from './flight-options';
import { TriggerScanner, type FlightTrigger } from './trigger-scanner';
import { describeTrigger } from './trigger-text';

const { TriggerKind } = bpftrace_ts;
/** A dump still waiting for batches this long after its --after is closed without them
 * (the traced programs went quiet). */
const AFTER_GRACE_MS = 250;
/** How often blocked calls are checked against slow=, as a fraction of it. */
const SLOW_CHECKS_PER_THRESHOLD = 4;
const MIN_SLOW_CHECK_MS = 10;
const MAX_SLOW_CHECK_MS = 1000;

interface OpenDump {
  file: string;
  writer: RecordingWriter;
  trigger: FlightTrigger;
  /** Cumulative lost events before its first batch. */
  lostBefore: number;
  timer: NodeJS.Timeout;
}

export interface FlightStart {
  /** What only the started session knows: its backend, clock and command. */
  session: Pick<RecordingHeader, 'backend' | 'startUnixNs' | 'commandPid'>;
  /** CLOCK_MONOTONIC ns (process.hrtime's clock) of the trace's time 0. */
  startNs: number;
  /** A dump could not be written: the trace stops. */
  onError: (error: unknown) => void;
}

function log(line: string): void {
  process.stderr.write(`bpftrace-ts: flight recorder: ${line}\n`);
}

export class FlightRecorder {
  /** Dumps begun, and those lost because their file could not be written. */
  dumps = 0;
  failed = 0;
  private readonly ring: BatchRing;
  private readonly scanner: TriggerScanner;
  private header?: RecordingHeader;
  private onError: (error: unknown) => void = () => undefined;
  private startNs = 0;
  private dump: OpenDump | null = null;
  private lostEvents = 0;
  /** Cumulative lost events of the last batch the ring dropped. */
  private ringLostBefore = 0;
  private slowTimer?: NodeJS.Timeout;
  private saidMaxDumps = false;
  private readonly onUsr1 = (): void => this.fire({ kind: TriggerKind.TRIGGER_USR1, tsNs: this.nowNs(), nr: -1 });

  /** file: -o, the first dump's name; header: the recording's, as record makes it. */
  constructor(private readonly file: string, private readonly options: FlightOptions, private readonly baseHeader: RecordingHeader) {
    this.ring = new BatchRing(options.window);
    this.scanner = new TriggerScanner(options.triggers);
  }

  /** The session started: its header is what every dump starts with. */
  started(start: FlightStart): void {
    this.header = { ...this.baseHeader, ...start.session };
    this.startNs = start.startNs;
    this.onError = start.onError;
    process.on('SIGUSR1', this.onUsr1);
    const slowNs = this.options.triggers.slowNs;
    if (slowNs !== undefined) {
      const everyMs = Math.min(MAX_SLOW_CHECK_MS, Math.max(MIN_SLOW_CHECK_MS, slowNs / 1e6 / SLOW_CHECKS_PER_THRESHOLD));
      this.slowTimer = setInterval(() => {
        const trigger = this.scanner.blocked(this.nowNs());
        if (trigger) this.fire(trigger);
      }, everyMs);
    }
  }

  /** One batch of the session. */
  add(message: Buffer): void {
    const batch = decodeBatchWithoutArguments(message);
    this.lostEvents = batch.lostEvents;
    const stored = { flushNs: batch.flushTsNs, deflated: deflateBatch(message), lostEvents: batch.lostEvents };
    const dropped = this.ring.add(stored);
    if (dropped) this.ringLostBefore = dropped.lostEvents;
    if (this.dump) this.write(() => this.dump?.writer.writeDeflatedBatch(stored.deflated));
    for (const trigger of this.scanner.scan(batch)) this.fire(trigger);
    const dump = this.dump;
    if (dump && batch.flushTsNs >= (dump.trigger.tsNs ?? 0) + this.options.afterNs) this.close('dump-window-end');
  }

  /** The trace ended: a dump under way is closed with how it ended. */
  end(end: SessionEnd): void {
    process.off('SIGUSR1', this.onUsr1);
    clearInterval(this.slowTimer);
    this.lostEvents = Math.max(this.lostEvents, end.lostEvents);
    this.close(end.reason, end);
  }

  /** The tracer's closing line. */
  summary(): string {
    const written = this.dumps - this.failed;
    return `flight recorder: ${written} dump${written === 1 ? '' : 's'} written${this.failed > 0 ? `, ${this.failed} lost` : ''}, ${this.lostEvents} events lost`;
  }

  private nowNs(): number {
    return Number(process.hrtime.bigint()) - this.startNs;
  }

  private fire(trigger: FlightTrigger): void {
    if (this.dump || !this.header) return; // a trigger during a dump's --after is in that dump
    if (this.dumps >= this.options.maxDumps) {
      if (!this.saidMaxDumps) log(`${describeTrigger(trigger)}: not written, --max-dumps ${this.options.maxDumps} were written already`);
      this.saidMaxDumps = true;
      return;
    }
    const file = dumpFileName(this.file, this.dumps);
    this.dumps++;
    this.write(() => {
      const fd = createDumpFile(file);
      let writer: RecordingWriter;
      try {
        writer = new RecordingWriter(fd, file);
      } catch (error) {
        fs.closeSync(fd);
        throw error;
      }
      const full: FlightTrigger = { ...trigger, window: this.options.window.text, afterNs: this.options.afterNs };
      const timer = setTimeout(() => this.close('dump-window-end'), this.options.afterNs / 1e6 + AFTER_GRACE_MS);
      this.dump = { file, writer, trigger: full, lostBefore: this.ringLostBefore, timer };
      log(`${describeTrigger(full)}: writing ${file}`);
      writer.writeHeader({ ...this.header, trigger: full });
      for (const stored of this.ring.kept()) writer.writeDeflatedBatch(stored.deflated);
    });
  }

  private close(reason: string, end?: SessionEnd): void {
    const dump = this.dump;
    if (!dump) return;
    this.dump = null;
    clearTimeout(dump.timer);
    this.write(() => {
      dump.writer.close({ lostEvents: this.lostEvents - dump.lostBefore, endReason: reason, exitCode: end?.exitCode ?? -1,
        signal: end?.signal ?? '', endUnixNs: Date.now() * 1e6 });
      log(`wrote ${dump.file} (${dump.writer.records} batches, ${dump.writer.bytes} bytes)`);
    });
  }

  /** Does what writes a dump: a file that cannot be written (a full disk, a name taken
   * since the start) loses that dump, said in one line, and the trace goes on. */
  private write(action: () => void): void {
    try {
      action();
    } catch (error) {
      if (!(error instanceof FileError)) {
        this.onError(error);
        return;
      }
      this.failed++;
      log(`${error.message}: the dump is lost`);
      const dump = this.dump;
      this.dump = null;
      if (dump) {
        clearTimeout(dump.timer);
        dump.writer.abandon();
      }
    }
  }
}
