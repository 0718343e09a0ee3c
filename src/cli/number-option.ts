// Numbers given on the command line (--duration, --max-events, --top, ...).
import { UsageError } from '../user-errors';

/** text as a number >= 0 (integer: > 0 and whole), or a usage error naming the option. */
export function positiveNumber(text: string, what: string, integer: boolean): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (integer && (!Number.isInteger(value) || value === 0)))
    throw new UsageError(`${what} must be a ${integer ? 'positive integer' : 'non-negative number'}, not '${text}'`);
  return value;
}
