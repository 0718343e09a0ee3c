// -k: a call's stack as each format shows it: strace's " > object(function+0x14) [0x...]"
// lines, perf trace --call-graph's indented "function (object)" lines, or a JSON array.
import type { OutputFormat } from './render-options';
import type { Stack, StackFrame } from '../stack/stack-symbols';

const hex = (n: number): string => '0x' + n.toString(16);

/** strace -k: the offset in brackets is the one in the object's file, as strace prints it;
 * a frame outside any known mapping shows its address. */
function straceLine(f: StackFrame): string {
  if (f.object === null) return ` > ?? [${hex(f.addr)}]`;
  const where = f.symbol !== null ? `${f.symbol}+${hex(f.offset)}` : `+${hex(f.offset)}`;
  return ` > ${f.object}(${where}) [${hex(f.fileOffset ?? f.addr)}]`;
}

/** perf trace --call-graph: frames under the call, indented past its time columns. */
const PERF_INDENT = ' '.repeat(39);

function perfLine(f: StackFrame): string {
  const name = f.symbol !== null ? `${f.symbol}+${hex(f.offset)}` : f.object !== null ? `+${hex(f.offset)}` : hex(f.addr);
  return `${PERF_INDENT}${name} (${f.object ?? '[unknown]'})`;
}

export function stackLines(stack: Stack, format: Exclude<OutputFormat, 'json'>): string[] {
  return stack.frames.map(format === 'strace' ? straceLine : perfLine);
}

/** The value of a JSON line's "stack" field. */
export function stackJson(stack: Stack): string {
  return JSON.stringify(stack.frames.map((f) => ({
    addr: hex(f.addr), object: f.object, symbol: f.symbol, offset: f.offset, ...(f.buildId !== undefined ? { buildId: f.buildId } : {}),
  })));
}

/** A JSON Lines object with a "stack" field added at its end. */
export function withStackField(line: string, stack: Stack): string {
  return line.slice(0, -1) + ',"stack":' + stackJson(stack) + '}';
}
