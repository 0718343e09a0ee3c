// A command line as a shell would read it back: `sh -c 'cat /etc/services | grep tcp'`.

/** Characters a POSIX shell takes literally in a word. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word, single-quoted unless it is plain ('' for an empty one; ' as '\''). */
export function shellQuote(word: string): string {
  if (PLAIN_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellCommandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
