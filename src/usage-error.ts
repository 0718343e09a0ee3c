/** A mistake in the command line: reported in one line, exit status 2. */
export class UsageError extends Error {}

/** Anything else the user can cause (no such process, unwritable file...): exit status 1. */
export class UserError extends Error {}
