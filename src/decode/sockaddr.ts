// Socket addresses as strace prints them: {sa_family=AF_INET, sin_port=htons(80),
// sin_addr=inet_addr("127.0.0.1")}, AF_INET6, AF_UNIX paths (abstract ones with @), AF_NETLINK.
import { quoteBytes } from './quote';
import { enumName, tableValue } from './symbols';

const [AF_UNIX, AF_INET, AF_INET6, AF_NETLINK] = ['AF_UNIX', 'AF_INET', 'AF_INET6', 'AF_NETLINK'].map((name) => tableValue('socket_family', name));

/** An IPv6 address the way inet_ntop writes it: the longest run of zero groups as ::. */
export function ipv6Text(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i > 1) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

function ipv4Text(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

const port = (bytes: Uint8Array, offset: number): number => (bytes[offset] << 8) | bytes[offset + 1];

/** A sockaddr of the given length (the bytes may be fewer, when the copy was cut). */
export function sockaddr(bytes: Uint8Array): string {
  if (bytes.length < 2) return '{...}';
  const family = bytes[0] | (bytes[1] << 8);
  const familyText = `sa_family=${enumName('socket_family', family) ?? family}`;
  switch (family) {
    case AF_UNIX: {
      const path = bytes.subarray(2);
      if (path.length === 0) return `{${familyText}}`;
      if (path[0] === 0) return `{${familyText}, sun_path=@${quoteBytes(path.subarray(1), false)}}`;
      const end = path.indexOf(0);
      return `{${familyText}, sun_path=${quoteBytes(end >= 0 ? path.subarray(0, end) : path, false)}}`;
    }
    case AF_INET:
      if (bytes.length < 8) break;
      return `{${familyText}, sin_port=htons(${port(bytes, 2)}), sin_addr=inet_addr("${ipv4Text(bytes, 4)}")}`;
    case AF_INET6: {
      if (bytes.length < 24) break;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const scope = bytes.length >= 28 ? view.getUint32(24, true) : 0;
      return `{${familyText}, sin6_port=htons(${port(bytes, 2)}), sin6_flowinfo=htonl(${view.getUint32(4, false)}), ` +
        `inet_pton(AF_INET6, "${ipv6Text(bytes.subarray(8, 24))}", &sin6_addr), sin6_scope_id=${scope}}`;
    }
    case AF_NETLINK: {
      if (bytes.length < 12) break;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return `{${familyText}, nl_pid=${view.getUint32(4, true)}, nl_groups=${view.getUint32(8, true).toString(16).padStart(8, '0')}}`;
    }
  }
  return `{${familyText}, sa_data=${quoteBytes(bytes.subarray(2), false)}}`;
}

/** The endpoint part of -yy: 127.0.0.1:8080, [::1]:8080, or a unix path. */
export function endpointText(bytes: Uint8Array): string | null {
  if (bytes.length < 2) return null;
  const family = bytes[0] | (bytes[1] << 8);
  if (family === AF_INET && bytes.length >= 8) return `${ipv4Text(bytes, 4)}:${port(bytes, 2)}`;
  if (family === AF_INET6 && bytes.length >= 24) return `[${ipv6Text(bytes.subarray(8, 24))}]:${port(bytes, 2)}`;
  if (family === AF_UNIX && bytes.length > 2) {
    const path = bytes.subarray(2);
    const end = path[0] === 0 ? path.length : path.indexOf(0) >= 0 ? path.indexOf(0) : path.length;
    return (path[0] === 0 ? '@' : '') + Buffer.from(path.subarray(path[0] === 0 ? 1 : 0, end)).toString('latin1');
  }
  return null;
}
