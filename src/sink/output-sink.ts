// Where trace lines go: stdout or the -o file, written synchronously in chunks so a slow
// reader slows the drain (and the kernel counts what it then drops) instead of Node
// buffering without bound.
import fs from 'node:fs';
import { FileError } from './file-error';
import { openPrivateFile } from './private-file';

const FLUSH_BYTES = 64 * 1024;
/** Where the pending text is encoded, shared by every sink (writes are synchronous): a fresh
 * Buffer per flush is memory outside V8's heap that its GC must notice and collect. Text of
 * more UTF-16 units than a third of it (UTF-8 needs at most 3 bytes each) gets its own. */
const encoded = Buffer.allocUnsafe(4 * FLUSH_BYTES);
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** The reader went away (EPIPE): stop tracing quietly. */
export class OutputClosedError extends Error {}

/** Where the lines of a trace go. tid: the task a line is about, if any (-ff sorts by it). */
export interface LineSink {
  write(line: string, tid?: number): void;
  /** Text that begins a line, left open for the next write to end: false if not supported. */
  begin?(text: string): boolean;
  flush(): void;
  close(): void;
}

export class OutputSink implements LineSink {
  private pending = '';

  /** name: the file, as an error names it. */
  private constructor(private readonly fd: number, private readonly ownsFd: boolean, private readonly name: string) {}

  static stdout(): OutputSink {
    return new OutputSink(1, false, 'standard output');
  }

  static stderr(): OutputSink {
    return new OutputSink(2, false, 'standard error');
  }

  /** The -o file, opened by openPrivateFile (appended to, or truncated first). */
  static file(file: string, append = false): OutputSink {
    return new OutputSink(openPrivateFile(file, append), true, file);
  }

  write(line: string): void {
    this.pending += line + '\n';
    if (this.pending.length >= FLUSH_BYTES) this.flush();
  }

  begin(text: string): boolean {
    this.pending += text;
    return true;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const fits = this.pending.length * 3 <= encoded.length;
    const data = fits ? encoded : Buffer.from(this.pending);
    const length = fits ? encoded.write(this.pending, 0) : data.length;
    this.pending = '';
    let offset = 0;
    while (offset < length) {
      try {
        offset += fs.writeSync(this.fd, data, offset, length - offset);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(sleepCell, 0, 0, 1); // a non-blocking pipe is full: wait for the reader
          continue;
        }
        if (code === 'EPIPE') throw new OutputClosedError('output closed');
        throw new FileError('write', this.name, error);
      }
    }
  }

  close(): void {
    this.flush();
    if (this.ownsFd) fs.closeSync(this.fd);
  }
}
