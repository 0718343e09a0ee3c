// Bytes from the traced program as strace quotes them: printable ASCII as is, C escapes for
// the usual controls, octal for the rest (\0, \177); -x writes non-ASCII bytes in hex, -xx
// every byte.
export type HexMode = 'none' | 'non-ascii' | 'all';

const ESCAPES: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

const hexEscape = (byte: number): string => '\\x' + byte.toString(16).padStart(2, '0');

/** The text of one byte that is not shown as itself. */
function escapeOf(byte: number, next: number | undefined, hex: HexMode): string {
  if (hex === 'all') return hexEscape(byte);
  const escape = ESCAPES[byte];
  if (escape) return escape;
  if (hex === 'non-ascii') return hexEscape(byte);
  // Octal as short as it can be, unless a digit follows and would be read as part of it.
  return '\\' + (isDigit(next) ? byte.toString(8).padStart(3, '0') : byte.toString(8));
}

// The quoted text is assembled as latin1 bytes and made a string once: appending a
// character at a time builds a rope that JSON.stringify and writes must flatten later.
let scratch = Buffer.allocUnsafe(4096);

/** The bytes between quotes; `cut` adds strace's "..." after the closing quote. */
export function quoteBytes(bytes: Uint8Array, cut: boolean, hex: HexMode = 'none'): string {
  const longest = 2 + bytes.length * 4; // every byte as \ooo or \xhh
  if (scratch.length < longest) scratch = Buffer.allocUnsafe(longest);
  const out = scratch;
  let n = 0;
  out[n++] = 0x22;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (hex !== 'all' && byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c) {
      out[n++] = byte;
      continue;
    }
    const escape = escapeOf(byte, bytes[i + 1], hex);
    for (let k = 0; k < escape.length; k++) out[n++] = escape.charCodeAt(k);
  }
  out[n++] = 0x22;
  return out.toString('latin1', 0, n) + (cut ? '...' : '');
}
