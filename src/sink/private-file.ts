// Files the tracer writes: created readable by their owner only (traces can hold secrets),
// written whole, and a failure named after the file (src/sink/file-error.ts).
import fs from 'node:fs';
import path from 'node:path';
import { FileError } from './file-error';

/**
 * Creates or truncates file for writing, readable by its owner only. In a directory anyone
 * can write to (/tmp), a symlink there may have been planted to make root overwrite
 * another file: it is not followed.
 */
export function openPrivateFile(file: string, append = false): number {
  const { O_WRONLY, O_CREAT, O_TRUNC, O_APPEND, O_NOFOLLOW } = fs.constants;
  try {
    const worldWritable = (fs.statSync(path.dirname(path.resolve(file))).mode & 0o002) !== 0;
    const flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | (worldWritable ? O_NOFOLLOW : 0);
    try {
      return fs.openSync(file, flags, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP' && worldWritable)
        throw new FileError('write', file, error, 'it is a symlink in a world-writable directory, which is not followed');
      throw error;
    }
  } catch (error) {
    throw error instanceof FileError ? error : new FileError('write', file, error);
  }
}

/** Writes every byte of data to fd (named file in an error), after short writes too. */
export function writeAll(fd: number, data: Uint8Array, file: string, length = data.length): void {
  let offset = 0;
  try {
    while (offset < length) offset += fs.writeSync(fd, data, offset, length - offset);
  } catch (error) {
    throw new FileError('write', file, error);
  }
}

/**
 * A file that is whole only once the trace is over (a Perfetto trace, an HTML page): if a
 * write fails, a regular file is removed, so nothing half-written is left as if complete.
 */
export class WholeFile {
  private fd: number | null;

  constructor(readonly file: string) {
    this.fd = openPrivateFile(file);
  }

  write(data: Uint8Array): void {
    if (this.fd === null) return;
    try {
      writeAll(this.fd, data, this.file);
    } catch (error) {
      this.discard();
      throw error;
    }
  }

  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }

  /** Closes and removes what was written (a device such as /dev/full is left alone). */
  discard(): void {
    if (this.fd === null) return;
    const regular = fs.fstatSync(this.fd).isFile();
    this.close();
    if (regular) fs.rmSync(this.file, { force: true });
  }
}
