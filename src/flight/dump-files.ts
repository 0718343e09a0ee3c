// The files the flight recorder writes its dumps to: -o crash.bpt, then crash.1.bpt,
// crash.2.bpt... Each is created, never opened if it exists (a dump never overwrites a
// file) nor through a symlink, readable by its owner only.
import fs from 'node:fs';
import path from 'node:path';
import { FileError } from '../sink/file-error';

/** The name of dump n (0: the file as given). */
export function dumpFileName(file: string, n: number): string {
  if (n === 0) return file;
  const ext = path.extname(file);
  const dir = path.dirname(file);
  const stem = path.basename(file, ext);
  return path.join(dir, `${stem}.${n}${ext}`);
}

/** Creates file for writing (0600), failing if anything, a symlink too, is at its name. */
export function createDumpFile(file: string): number {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  try {
    return fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new FileError('write', file, error, 'it exists: a dump never replaces a file');
    throw new FileError('write', file, error);
  }
}

/** Before the trace: the first dump's name is free and its directory can be written to, so a
 * dump cannot fail there for a reason known now. */
export function checkDumpFile(file: string): void {
  try {
    fs.lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new FileError('write', file, error);
    try {
      fs.accessSync(path.dirname(path.resolve(file)), fs.constants.W_OK);
    } catch (dirError) {
      throw new FileError('write', file, dirError);
    }
    return;
  }
  throw new FileError('write', file, new Error('exists'), 'it exists: a dump never replaces a file');
}
