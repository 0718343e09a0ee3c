// The argument decoders: pure functions from raw values to strace's and perf's names.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { ARG_DECODERS } = require('../../dist/decode/arg-decoders');
const { enumDecoder, flagsDecoder } = require('../../dist/decode/symbols');
const fs = require('../../dist/decode/fs');
const memory = require('../../dist/decode/memory');
const processes = require('../../dist/decode/process');
const net = require('../../dist/decode/net');
const events = require('../../dist/decode/events');
const { syscallByName } = require('../../dist/syscalls/syscall-table');
const { siginfoFieldText } = require('../../dist/decode/siginfo');

test('every decoder is attached to a syscall argument that exists', () => {
  for (const [syscall, args] of Object.entries(ARG_DECODERS)) {
    const info = syscallByName(syscall);
    assert.ok(info, `syscall ${syscall}`);
    for (const arg of Object.keys(args)) assert.ok(info.args.some((a) => a.name === arg), `${syscall}(${arg})`);
  }
});

const cases = [
  [fs.dirfd(-100), 'AT_FDCWD', 'CWD'],
  [fs.dirfd(2 ** 32 - 100), 'AT_FDCWD', 'CWD'], // an int register read as unsigned
  [fs.dirfd(3), '3', '3'],
  [fs.openFlags(0), 'O_RDONLY', 'RDONLY'],
  [fs.openFlags(0o2000000), 'O_RDONLY|O_CLOEXEC', 'RDONLY|CLOEXEC'],
  [fs.openFlags(0o1 | 0o100 | 0o1000 | 0o2000000), 'O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC', 'WRONLY|CREAT|TRUNC|CLOEXEC'],
  [fs.openFlags(0o2 | 0o200000), 'O_RDWR|O_DIRECTORY', 'RDWR|DIRECTORY'],
  [fs.fileMode(0o644), '0644', '0644'],
  [fs.accessMode(0), 'F_OK', 'F_OK'],
  [fs.accessMode(4 | 2), 'R_OK|W_OK', 'R_OK|W_OK'],
  [flagsDecoder('at_flags')(0x1000), 'AT_EMPTY_PATH', 'EMPTY_PATH'],
  [flagsDecoder('at_flags')(0x100 | 0x80000000), 'AT_SYMLINK_NOFOLLOW|0x80000000', 'SYMLINK_NOFOLLOW|0x80000000'],
  [enumDecoder('seek_whence')(1), 'SEEK_CUR', 'CUR'],
  [enumDecoder('fcntl_cmd')(5), 'F_GETLK', 'GETLK'],
  [memory.mmapProt(0), 'PROT_NONE', 'NONE'],
  [memory.mmapProt(3), 'PROT_READ|PROT_WRITE', 'READ|WRITE'],
  [memory.mmapFlags(0x22), 'MAP_PRIVATE|MAP_ANONYMOUS', 'PRIVATE|ANONYMOUS'],
  [memory.mmapFlags(0x812), 'MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE', 'PRIVATE|FIXED|DENYWRITE'],
  [enumDecoder('madvise_advice')(4), 'MADV_DONTNEED', 'DONTNEED'],
  [processes.cloneFlags(0x01200011), 'CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD', 'CHILD_CLEARTID|CHILD_SETTID|SIGCHLD'],
  [processes.cloneFlags(0x3d0f00), 'CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID', 'VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID'],
  [enumDecoder('signals')(9), 'SIGKILL', 'KILL'],
  [enumDecoder('signals')(99), '99', '99'],
  [flagsDecoder('wait_options')(1), 'WNOHANG', 'NOHANG'],
  [enumDecoder('rlimit_resource')(7), 'RLIMIT_NOFILE', 'NOFILE'],
  [processes.clockId(1), 'CLOCK_MONOTONIC', 'MONOTONIC'],
  [enumDecoder('arch_prctl_code')(0x1002), 'ARCH_SET_FS', 'SET_FS'],
  [enumDecoder('sigprocmask_how')(2), 'SIG_SETMASK', 'SETMASK'],
  [enumDecoder('socket_family')(2), 'AF_INET', 'INET'],
  [net.socketType(1 | 0o2000000 | 0o4000), 'SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK', 'STREAM|CLOEXEC|NONBLOCK'],
  [flagsDecoder('msg_flags')(0x4000), 'MSG_NOSIGNAL', 'NOSIGNAL'],
  [events.futexOp(0x80), 'FUTEX_WAIT_PRIVATE', 'WAIT|PRIVATE_FLAG'],
  [events.futexOp(0x81), 'FUTEX_WAKE_PRIVATE', 'WAKE|PRIVATE_FLAG'],
  [enumDecoder('epoll_ctl_op')(1), 'EPOLL_CTL_ADD', 'ADD'],
  [events.ioctlRequest(0x5401), 'TCGETS', 'TCGETS'],
  [events.ioctlRequest(0x541b), 'FIONREAD', 'FIONREAD'],
  [events.ioctlRequest(0xdeadbeef), '0xdeadbeef', '0xdeadbeef'],
];

for (const [decoded, strace, perf] of cases) {
  test(`decodes to ${strace}`, () => {
    assert.is(decoded.strace, strace);
    assert.is(decoded.perf, perf);
  });
}


test('siginfo CPU times: strace adds the seconds after a tick count that is not 0', () => {
  assert.is(siginfoFieldText('si_utime', '0'), '0');
  assert.is(siginfoFieldText('si_stime', '1'), '1 /* 0.01 s */');
  assert.is(siginfoFieldText('si_utime', '150'), '150 /* 1.50 s */');
  assert.is(siginfoFieldText('si_pid', '150'), '150');
});

test('flock operations, mknod modes and devices, priorities as strace 6.1 prints them', () => {
  assert.is(fs.flockOp(2 | 4).strace, 'LOCK_EX|LOCK_NB');
  assert.is(fs.flockOp(0).strace, '0');
  // LOCK_READ|LOCK_WRITE is LOCK_RW in strace's table, after LOCK_MAND.
  assert.is(fs.flockOp(0x20 | 0x40 | 0x80 | 0x100).strace, 'LOCK_MAND|LOCK_RW|0x100');
  assert.is(fs.flockOp(0x40).strace, 'LOCK_READ');
  assert.is(fs.mknodMode(0o10666).strace, 'S_IFIFO|0666');
  assert.is(fs.mknodMode(0o644).strace, '0644', 'no type: the permissions alone');
  assert.ok(fs.isDeviceMode(0o20600) && fs.isDeviceMode(0o60600) && !fs.isDeviceMode(0o10600));
  assert.is(fs.mknodDevice((8 << 8) | 17).strace, 'makedev(0x8, 0x11)');
  assert.is(processes.priorityWhich(2).strace, 'PRIO_USER');
  assert.is(processes.priorityWhich(-1).strace, '0xffffffff /* PRIO_??? */');
  assert.is(processes.priorityWho(-1, [2]).strace, '-1');
  assert.is(processes.priorityWho(1000, [2]).strace, '1000');
  assert.is(processes.priorityWho(-5, [1]).strace, '-5');
});

test.run();
