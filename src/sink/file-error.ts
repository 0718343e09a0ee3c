// The files bpftrace-ts reads and writes (-o, -ff, recordings, --perfetto, --html): a
// failure is one line naming the file and the reason, as the user can act on it.
import { UserError } from '../user-errors';

/** The reason in a system error: "no space left on device" of Node's "ENOSPC: no space
 * left on device, write" or "ENOENT: no such file or directory, open '/x/y'". */
export function systemReason(error: unknown): string {
  if (error instanceof FileError) return error.reason;
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^E[A-Z0-9]+: /, '').replace(/, [a-z]+( '.*')?$/, '');
}

/** A file could not be opened, read or written. */
export class FileError extends UserError {
  constructor(verb: 'read' | 'write', readonly file: string, cause: unknown, readonly reason = systemReason(cause)) {
    super(`cannot ${verb} '${file}': ${reason}`);
  }
}
