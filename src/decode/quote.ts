// Bytes from the traced program as strace quotes them: printable ASCII as is, C escapes for
// the usual controls, octal for the rest (\0, \177); -x writes non-ASCII bytes in hex, -xx
// every byte.
export type HexMode = 'none' | 'non-ascii' | 'all';

const ESCAPES: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

/** The bytes between quotes; `cut` adds strace's "..." after the closing quote. */
export function quoteBytes(bytes: Uint8Array, cut: boolean, hex: HexMode = 'none'): string {
  let text = '"';
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (hex === 'all') {
      text += '\\x' + byte.toString(16).padStart(2, '0');
      continue;
    }
    const escape = ESCAPES[byte];
    if (escape) text += escape;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else if (hex === 'non-ascii') text += '\\x' + byte.toString(16).padStart(2, '0');
    // Octal as short as it can be, unless a digit follows and would be read as part of it.
    else text += '\\' + (isDigit(bytes[i + 1]) ? byte.toString(8).padStart(3, '0') : byte.toString(8));
  }
  return text + '"' + (cut ? '...' : '');
}
