// Bytes from the traced program as strace quotes them: printable ASCII as is, C escapes for
// the usual controls, octal for the rest (\0, \177; \000 only before an octal digit); -x
// writes non-ASCII bytes in hex, -xx every byte.
export type HexMode = 'none' | 'non-ascii' | 'all';

const ESCAPES: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

function isOctalDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x37;
}

const hexEscape = (byte: number): string => '\\x' + byte.toString(16).padStart(2, '0');

/** The text of one byte that is not shown as itself. */
function escapeOf(byte: number, next: number | undefined, hex: HexMode): string {
  if (hex === 'all') return hexEscape(byte);
  const escape = ESCAPES[byte];
  if (escape) return escape;
  if (hex === 'non-ascii') return hexEscape(byte);
  // Octal as short as it can be, unless an octal digit follows and would be read as part of
  // it (strace: "\\0007" but "\\08").
  return '\\' + (isOctalDigit(next) ? byte.toString(8).padStart(3, '0') : byte.toString(8));
}

// The quoted text is assembled as latin1 bytes and made a string once: appending a
// character at a time builds a rope that JSON.stringify and writes must flatten later.
let scratch = Buffer.allocUnsafe(4096);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DOT = 0x2e;

/** Writes the quoted text of bytes[0, length) into scratch and returns its length. In JSON,
 * the text is written as a JSON string holding it: between quotes, with each quote and
 * backslash of the text escaped (the text is printable ASCII: nothing else needs it). */
function writeQuoted(bytes: Uint8Array, length: number, cut: boolean, hex: HexMode, json: boolean): number {
  const longest = 16 + length * 5; // every byte as \\ooo (in JSON), the quotes, the escapes around them, "..."
  if (scratch.length < longest) scratch = Buffer.allocUnsafe(longest);
  const out = scratch;
  let n = 0;
  if (json) out[n++] = QUOTE;
  if (json) out[n++] = BACKSLASH;
  out[n++] = QUOTE;
  for (let i = 0; i < length; i++) {
    const byte = bytes[i];
    if (hex !== 'all' && byte >= 0x20 && byte < 0x7f && byte !== QUOTE && byte !== BACKSLASH) {
      out[n++] = byte;
      continue;
    }
    const escape = escapeOf(byte, i + 1 < length ? bytes[i + 1] : undefined, hex);
    for (let k = 0; k < escape.length; k++) {
      const c = escape.charCodeAt(k);
      if (json && (c === BACKSLASH || c === QUOTE)) out[n++] = BACKSLASH;
      out[n++] = c;
    }
  }
  if (json) out[n++] = BACKSLASH;
  out[n++] = QUOTE;
  if (cut) for (let k = 0; k < 3; k++) out[n++] = DOT;
  if (json) out[n++] = QUOTE;
  return n;
}

/** The bytes between quotes; `cut` adds strace's "..." after the closing quote. Only the
 * first `length` bytes are shown (all by default). */
export function quoteBytes(bytes: Uint8Array, cut: boolean, hex: HexMode = 'none', length = bytes.length): string {
  const n = writeQuoted(bytes, length, cut, hex, false);
  return scratch.toString('latin1', 0, n);
}

/** JSON.stringify(quoteBytes(...)), made in one pass. */
export function quoteBytesJson(bytes: Uint8Array, cut: boolean, hex: HexMode, length = bytes.length): string {
  const n = writeQuoted(bytes, length, cut, hex, true);
  return scratch.toString('latin1', 0, n);
}
