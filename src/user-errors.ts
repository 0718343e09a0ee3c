/** A mistake in the command line: reported in one line, exit status 2. */
export class UsageError extends Error {}

/** Anything else the user can cause (no such process, unwritable file...): exit status 1. */
export class UserError extends Error {}

/** Refuses an empty file name given to an option (-o '' would otherwise mean stdout). */
export function refuseEmptyFileNames(options: [string | undefined, string][]): void {
  for (const [value, option] of options)
    if (value === '') throw new UsageError(`${option} takes a file name, not an empty string`);
}
