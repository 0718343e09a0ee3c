// Decoders of copied argument data on edge values: quoting, structs, socket addresses.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { quoteBytes, quoteBytesJson } = require('../../dist/decode/quote');
const structs = require('../../dist/decode/structs');
const { sockaddr, ipv6Text, endpointText } = require('../../dist/decode/sockaddr');
const { flags } = require('../../dist/decode/symbols');
const { fcntlArg, fileTypeAndMode, makedev, openFlags, statxFlags, statxMask } = require('../../dist/decode/fs');
const { capturedArgs } = require('../../dist/decode/captured');
const { bpftrace_ts } = require('../../dist/generated/batch');
const { syscallByName } = require('../../dist/syscalls/syscall-table');

const bytes = (...values) => Uint8Array.from(values);
const le64 = (value) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(value)); return [...b]; };
const le32 = (value) => { const b = Buffer.alloc(4); b.writeInt32LE(value); return [...b]; };

test('quoting: C escapes, short octal unless an octal digit follows, non-UTF-8 bytes, -x and -xx', () => {
  assert.is(quoteBytes(Buffer.from('hi\n\t"\\'), false), '"hi\\n\\t\\"\\\\"');
  assert.is(quoteBytes(bytes(0, 0x41, 0, 0x31, 0x7f, 0xff), false), '"\\0A\\0001\\177\\377"');
  // strace's three-digit form only before an octal digit: '8' and '9' cannot extend an escape.
  assert.is(quoteBytes(Buffer.from('@\x008\x00'), false), '"@\\08\\0"');
  assert.is(quoteBytes(Buffer.from('\x007\x009\x1b5\x1b8\x01'), false), '"\\0007\\09\\0335\\338\\1"');
  assert.is(quoteBytes(Buffer.from('\xc3\xa9', 'latin1'), false, 'non-ascii'), '"\\xc3\\xa9"');
  assert.is(quoteBytes(Buffer.from('ab'), false, 'all'), '"\\x61\\x62"');
  assert.is(quoteBytes(Buffer.from(''), false), '""');
  assert.is(quoteBytes(Buffer.from('abcd'), true), '"abcd"...');
});

test('quoting for JSON: the JSON string of the quoted text, for every byte, mode, length and cut', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (const hex of ['none', 'non-ascii', 'all']) {
    for (const [data, length] of [[all, 256], [all, 40], [Buffer.from('"\\x\n1'), 5], [Buffer.from(''), 0], [Buffer.alloc(3000, 0xff), 3000]]) {
      for (const cut of [false, true]) {
        assert.is(quoteBytesJson(data, cut, hex, length), JSON.stringify(quoteBytes(data.subarray(0, length), cut, hex)), `${hex} ${length} ${cut}`);
      }
    }
  }
  assert.is(quoteBytes(Buffer.from('abc1'), false, 'none', 2), '"ab"', 'a length shows the first bytes only');
  assert.is(quoteBytes(bytes(0, 0x31), false, 'none', 1), '"\\0"', 'the byte past the length is not a following digit');
});

test('flags: zero, unknown bits as |0x..., multi-bit O_SYNC and O_TMPFILE folded', () => {
  assert.is(flags('poll_events', 0).strace, '0');
  assert.is(flags('poll_events', 0x1 | 0x80000000).strace, 'POLLIN|0x80000000');
  assert.is(openFlags(0o4010001).strace, 'O_WRONLY|O_SYNC');
  assert.is(openFlags(0o20200002).strace, 'O_RDWR|O_TMPFILE');
  assert.is(openFlags(0o10000).strace, 'O_RDONLY|O_DSYNC');
  assert.is(statxMask(0xfff).strace, 'STATX_BASIC_STATS|STATX_BTIME');
  assert.is(statxMask(0x3).strace, 'STATX_TYPE|STATX_MODE');
  // strace 6.1 names the sync type first: statx(AT_FDCWD, "/etc/hostname", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT, ...)
  assert.is(statxFlags(0x900).strace, 'AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT');
  assert.is(statxFlags(0x4000).strace, 'AT_STATX_DONT_SYNC');
  // fcntl's third argument by command (F_SETFD, F_SETFL, F_SETSIG, F_SETLK, F_DUPFD).
  assert.is(fcntlArg(3, [0, 2]).strace, 'FD_CLOEXEC|0x2');
  assert.is(fcntlArg(0, [0, 4]).strace, 'O_RDONLY');
  assert.is(fcntlArg(10, [0, 10]).strace, 'SIGUSR1');
  assert.is(fcntlArg(0x7ffd1000, [0, 6]).strace, '0x7ffd1000');
  assert.is(fcntlArg(10, [0, 0]).strace, '10');
});

test('struct statx: the mask and attributes by name, as strace 6.1 prints ls -l\'s', () => {
  const stx = new Uint8Array(256);
  const view = new DataView(stx.buffer);
  view.setUint32(0, 0x17ff, true);         // stx_mask
  view.setUint16(28, 0o100755, true);      // stx_mode
  view.setBigUint64(40, 3n, true);         // stx_size
  assert.is(structs.statx(stx), '{stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0755, stx_size=3, ...}');
  view.setBigUint64(8, 0x2028n, true);     // stx_attributes, 0x8 unknown
  assert.match(structs.statx(stx), 'stx_attributes=STATX_ATTR_APPEND|STATX_ATTR_MOUNT_ROOT|0x8,');
});

test('structs: stat of a device, a short copy, timespecs, signal sets, wait statuses', () => {
  const st = new Uint8Array(144);
  new DataView(st.buffer).setUint32(24, 0o20620, true); // S_IFCHR|0620
  new DataView(st.buffer).setBigUint64(40, (136n << 8n) | 3n, true);
  assert.is(structs.stat(st), '{st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0x3), ...}');
  new DataView(st.buffer).setBigUint64(40, 136n << 8n, true);
  assert.is(structs.stat(st), '{st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0), ...}', "a zero as printf's %#x writes it");
  assert.is(structs.stat(new Uint8Array(10)), '{...}', 'a copy cut short shows no garbage');
  assert.is(fileTypeAndMode(0o104755), 'S_IFREG|S_ISUID|0755');
  assert.is(fileTypeAndMode(0o100005), 'S_IFREG|005', "the permissions as C's %#03o");
  assert.is(fileTypeAndMode(0o030644), '030644', 'a type without a name: the whole mode in octal');
  assert.is(fileTypeAndMode(0o1644), 'S_ISVTX|0644');
  assert.is(structs.timespec(bytes(...le64(-1), ...le64(999999999))), '{tv_sec=-1, tv_nsec=999999999}');
  assert.is(structs.sigset(bytes(...le64(0))), '[]');
  assert.is(structs.sigset(bytes(...le64((1 << 1) | (1 << 14)))), '[INT TERM]');
  assert.is(structs.sigset(bytes(...le64(-1n & ~(1n << 8n)))), '~[KILL]');
  assert.is(structs.waitStatus(bytes(...le32(9))), '[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]');
  assert.is(structs.waitStatus(bytes(...le32(0x137f))), '[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}]');
  assert.is(structs.fdPair(bytes(...le32(-1), ...le32(4))), '[-1, 4]');
  assert.is(structs.rlimit(bytes(...le64(-1), ...le64(1000))), '{rlim_cur=RLIM64_INFINITY, rlim_max=1000}');
  assert.is(structs.gids(bytes(...le32(0), ...le32(-1)), 2, 32), '[0, -1]', '(gid_t)-1 as strace writes it');
  assert.is(structs.gids(bytes(...le32(0), ...le32(1), ...le32(2)), 3, 2), '[0, 1, ...]', 'cut at -s elements');
  assert.is(structs.gids(bytes(...le32(7)), 2, 32), '[7, ...]', 'a copy cut short shows no garbage');
  assert.is(structs.gids(new Uint8Array(0), -1, 32), undefined, 'a count no call accepts: the pointer');
  assert.is(structs.gids(new Uint8Array(0), 65537, 32), undefined);
  assert.is(structs.pollResult(bytes(...le32(3), 1, 0, 0, 0, ...le32(4), 4, 0, 4, 0), 2, 32), '[{fd=4, revents=POLLOUT}]');
  assert.is(structs.pollfds(bytes(...le32(-1), 1, 0, 0, 0, ...le32(4), 4, 0, 0, 0), 2, 32), '[{fd=-1}, {fd=4, events=POLLOUT}]',
    'a negative fd without its events');
  assert.is(structs.pollfds(bytes(...le32(3), 1, 0, 0, 0, ...le32(4), 4, 0, 0, 0), 2, 1), '[{fd=3, events=POLLIN}, ...]', '-s elements');
  assert.is(structs.pollResult(bytes(...le32(3), 1, 0, 0, 0), 2, 32), undefined, 'a copy cut short before the text ends: nothing');
});

test('times: clock ticks with the seconds they make, as strace writes them', () => {
  assert.is(structs.tms(bytes(...le64(2), ...le64(1234), ...le64(0), ...le64(100))),
    '{tms_utime=2 /* 0.02 s */, tms_stime=1234 /* 12.34 s */, tms_cutime=0, tms_cstime=100 /* 1.00 s */}');
  assert.is(structs.itimerval(bytes(...le64(0), ...le64(5), ...le64(30), ...le64(0))),
    '{it_interval={tv_sec=0, tv_usec=5}, it_value={tv_sec=30, tv_usec=0}}');
  assert.is(structs.offset(bytes(...le64(-1))), '[-1]');
});

test("poll's result: cut with `...` where strace's 1024-byte text runs out (xargs polling 64 fds, -s 64)", () => {
  const revents = (fd) => (fd === 0 ? 0 : fd === 1 ? 0x5 : fd === 2 ? 0x4 : 0x20);
  const fds = [];
  for (let fd = 0; fd < 64; fd++) fds.push(...le32(fd), 0x5, 0, revents(fd), 0);
  const shown = ['{fd=1, revents=POLLIN|POLLOUT}', '{fd=2, revents=POLLOUT}'];
  for (let fd = 3; fd <= 37; fd++) shown.push(`{fd=${fd}, revents=POLLNVAL}`);
  assert.is(structs.pollResult(bytes(...fds), 64, 64), `[${shown.join(', ')}, ...]`);
});

test('iovecs: each element gets its share of the data, "..." only where it was cut', () => {
  const vec = bytes(...le64(0x1000), ...le64(3), ...le64(0x2000), ...le64(5));
  const quote = (b, cut) => quoteBytes(b, cut);
  assert.is(structs.iovecs(vec, Buffer.from('abcdefgh'), 8, 32, quote), '[{iov_base="abc", iov_len=3}, {iov_base="defgh", iov_len=5}]');
  assert.is(structs.iovecs(vec, Buffer.from('abcd'), 4, 32, quote), '[{iov_base="abc", iov_len=3}, {iov_base="d", iov_len=5}]', 'readv returned 4');
  assert.is(structs.iovecs(vec, null, 8, 32, quote), '[{iov_base=0x1000, iov_len=3}, {iov_base=0x2000, iov_len=5}]');
});

test('getdents64: entries counted, "or more" past the bound, nothing on failure', () => {
  const { CaptureKind, CaptureFlag } = bpftrace_ts;
  const count = (n, flags = 0) => ({ arg: 1, kind: CaptureKind.CAPTURE_COUNT, flags: CaptureFlag.CAPTURE_AT_EXIT | flags, data: bytes(...le32(n)) });
  const call = (ret, item) => ({ state: 'returned', nr: syscallByName('getdents64').nr, args: [3, 0x7ffc1000, 32768, 0, 0, 0], ret, captures: [item] });
  const options = { stringLimit: 32, hex: 'none' };
  assert.is(capturedArgs(call(368, count(13)), options).args[1], '0x7ffc1000 /* 13 entries */');
  assert.is(capturedArgs(call(24, count(1)), options).args[1], '0x7ffc1000 /* 1 entries */', 'strace writes "entries" for one too');
  assert.is(capturedArgs(call(32768, count(4096, CaptureFlag.CAPTURE_TRUNCATED)), options).args[1], '0x7ffc1000 /* 4096 or more entries */');
  assert.is(capturedArgs(call(-9, count(0)), options).args[1], undefined, 'a failed call shows its pointer');
});

test('select: fd sets below nfds only, the exit\'s ready sets and what is left after the result, (Timeout), nothing after a failure', () => {
  const { CaptureKind, CaptureFlag } = bpftrace_ts;
  const set = (...fds) => {
    const data = new Uint8Array(128);
    for (const fd of fds) data[fd >> 3] |= 1 << (fd & 7);
    return data;
  };
  assert.is(structs.fdSet(set(0, 3, 9), 10), '[0 3 9]');
  assert.is(structs.fdSet(set(3, 9), 9), '[3]', 'a bit at nfds or above is not the call\'s');
  assert.is(structs.fdSet(set(), 64), '[]');
  assert.is(structs.fdSet(set(1023), 1024), '[1023]');
  assert.is(structs.fdSet(set(5).subarray(0, 8), 4096), '[5]', 'no more than was copied');
  const item = (arg, data, atExit) => ({ arg, kind: CaptureKind.CAPTURE_STRUCT, flags: atExit ? CaptureFlag.CAPTURE_AT_EXIT : 0, data });
  const timeval = (sec, usec) => bytes(...le64(sec), ...le64(usec));
  const call = (ret, captures) => ({ state: 'returned', nr: syscallByName('select').nr, args: [8, 0x1000, 0x2000, 0, 0x3000, 0], ret, captures });
  const options = { stringLimit: 32, hex: 'none' };
  const asked = [item(1, set(3, 7)), item(2, set(4)), item(4, timeval(5, 0))];
  const ready = capturedArgs(call(2, [...asked, item(1, set(7), true), item(2, set(4), true), item(4, timeval(4, 999), true)]), options);
  assert.equal(ready.args, [undefined, '[3 7]', '[4]', undefined, '{tv_sec=5, tv_usec=0}']);
  assert.is(ready.afterReturn, ' (in [7], out [4], left {tv_sec=4, tv_usec=999})');
  const inOnly = capturedArgs(call(1, [...asked, item(1, set(3), true), item(2, set(), true)]), options);
  assert.is(inOnly.afterReturn, ' (in [3])', 'an empty set and a missing timeout are not shown');
  assert.is(capturedArgs(call(0, [...asked, item(1, set(), true), item(2, set(), true), item(4, timeval(0, 0), true)]), options).afterReturn, ' (Timeout)');
  const failed = capturedArgs(call(-4, asked), options);
  assert.is(failed.afterReturn, null);
  assert.is(failed.args[1], '[3 7]', 'a failed call still shows what it asked');
});

test('msghdr: parts shown or their pointers, namelen before => after, control messages of each kind, cut', () => {
  const header = (name, namelen, control, controllen, flags) => bytes(...le64(name), ...le32(namelen), 0, 0, 0, 0,
    ...le64(0x3000), ...le64(1), ...le64(control), ...le64(controllen), ...le32(flags), 0, 0, 0, 0);
  const none = { name: null, namelenBefore: null, iov: null, control: null };
  assert.is(structs.msghdr(header(0, 0, 0, 0, 0), none),
    '{msg_name=NULL, msg_namelen=0, msg_iov=0x3000, msg_iovlen=1, msg_controllen=0, msg_flags=0}');
  assert.is(structs.msghdr(header(0x1000, 16, 0x2000, 24, 0x20), { name: '{...}', namelenBefore: 128, iov: '[]', control: null }),
    '{msg_name={...}, msg_namelen=128 => 16, msg_iov=[], msg_iovlen=1, msg_control=0x2000, msg_controllen=24, msg_flags=MSG_TRUNC}');
  assert.is(structs.msghdr(header(0x1000, 16, 0, 0, 0), { ...none, namelenBefore: 16 }).includes('msg_namelen=16,'), true);
  assert.is(structs.msghdr(bytes(1, 2, 3), none), '{...}');
  assert.is(structs.msghdrNamelen(header(0, 16, 0, 0, 0)), '{msg_namelen=16}');
  const cmsg = (level, type, ...data) => bytes(...le64(16 + data.length), ...le32(level), ...le32(type), ...data,
    ...new Array((8 - (data.length % 8)) % 8).fill(0));
  const rights = cmsg(1, 1, ...le32(3), ...le32(7));
  assert.is(structs.controlMessages(rights, rights.length),
    '[{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[3, 7]}]');
  const both = bytes(...rights, ...cmsg(1, 2, ...le32(42), ...le32(1000), ...le32(100)));
  assert.is(structs.controlMessages(both, both.length), '[{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, ' +
    'cmsg_data=[3, 7]}, {cmsg_len=28, cmsg_level=SOL_SOCKET, cmsg_type=SCM_CREDENTIALS, cmsg_data={pid=42, uid=1000, gid=100}}]');
  assert.is(structs.controlMessages(cmsg(0, 2, 0x40), 24), '[{cmsg_len=17, cmsg_level=SOL_IP, cmsg_type=0x2, cmsg_data="\\x40"}]');
  assert.is(structs.controlMessages(rights, 4096), '[{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[3, 7]}, ...]',
    'more control data than was copied');
  assert.is(structs.controlMessages(bytes(...le64(4), 0, 0, 0, 0, 0, 0, 0, 0), 16), '[]', 'a cmsg_len shorter than its header ends the list');
});

test('socket addresses: every family, abstract unix names, short copies', () => {
  assert.is(sockaddr(bytes(2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)),
    '{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}');
  assert.is(sockaddr(bytes(1, 0, 0, 0x61, 0x62)), '{sa_family=AF_UNIX, sun_path=@"ab"}');
  assert.is(sockaddr(bytes(1, 0)), '{sa_family=AF_UNIX}');
  assert.is(sockaddr(bytes(2)), '{...}');
  assert.is(ipv6Text(bytes(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)), '2001:db8::1');
  assert.is(ipv6Text(bytes(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1)), '::ffff:10.0.0.1');
  assert.is(endpointText(bytes(10, 0, 0, 80, 0, 0, 0, 0, ...new Array(15).fill(0), 1, 0, 0, 0, 0)), '[::1]:80');
  assert.match(sockaddr(bytes(16, 0, 0, 0, 7, 0, 0, 0, 1, 0, 0, 0)), /^\{sa_family=AF_NETLINK, nl_pid=7, nl_groups=00000001\}$/);
});

test.run();
