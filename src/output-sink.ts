// Where trace lines go: stdout or the -o file, written synchronously in chunks so a slow
// reader slows the drain (and the kernel counts what it then drops) instead of Node
// buffering without bound.
import fs from 'node:fs';
import path from 'node:path';

const FLUSH_BYTES = 64 * 1024;
/** Where the pending text is encoded, shared by every sink (writes are synchronous): a fresh
 * Buffer per flush is memory outside V8's heap that its GC must notice and collect. Text of
 * more UTF-16 units than a third of it (UTF-8 needs at most 3 bytes each) gets its own. */
const encoded = Buffer.allocUnsafe(4 * FLUSH_BYTES);
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Creates or truncates file for writing, readable by its owner only: traces can hold
 * secrets. In a directory anyone can write to (/tmp), a symlink there may have been
 * planted to make root overwrite another file: it is not followed.
 */
export function openPrivateFile(file: string, append = false): number {
  const { O_WRONLY, O_CREAT, O_TRUNC, O_APPEND, O_NOFOLLOW } = fs.constants;
  const worldWritable = (fs.statSync(path.dirname(path.resolve(file))).mode & 0o002) !== 0;
  const flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | (worldWritable ? O_NOFOLLOW : 0);
  try {
    return fs.openSync(file, flags, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP' && worldWritable)
      throw new Error('it is a symlink in a world-writable directory, which is not followed');
    throw error;
  }
}

/** The reader went away (EPIPE): stop tracing quietly. */
export class OutputClosedError extends Error {}

/** Where the lines of a trace go. tid: the task a line is about, if any (-ff sorts by it). */
export interface LineSink {
  write(line: string, tid?: number): void;
  flush(): void;
  close(): void;
}

export class OutputSink implements LineSink {
  private pending = '';

  private constructor(private readonly fd: number, private readonly ownsFd: boolean) {}

  static stdout(): OutputSink {
    return new OutputSink(1, false);
  }

  static stderr(): OutputSink {
    return new OutputSink(2, false);
  }

  /** The -o file, opened by openPrivateFile (appended to, or truncated first). */
  static file(file: string, append = false): OutputSink {
    return new OutputSink(openPrivateFile(file, append), true);
  }

  write(line: string): void {
    this.pending += line + '\n';
    if (this.pending.length >= FLUSH_BYTES) this.flush();
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
        throw error;
      }
    }
  }

  close(): void {
    this.flush();
    if (this.ownsFd) fs.closeSync(this.fd);
  }
}
