// The automatic choice of backend: which eBPF load errors make it fall back to ptrace, and the
// reason it gives (session/trace-run). The fallback on a real unprivileged run:
// test/e2e/ptrace.test.js and test/e2e/least-privilege.test.js.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');

test('which eBPF load errors make the automatic choice fall back to ptrace, and the reason it gives: by their kind', () => {
  const { ebpfUnavailableReason } = require('../../dist/session/trace-run');
  const { NativeErrorKind } = require('../../dist/generated/batch').bpftrace_ts;
  const error = (kind, message) => ({ kind: NativeErrorKind[kind], message });
  assert.is(ebpfUnavailableReason(error('ERROR_NO_BTF', 'the kernel has no BTF (/sys/kernel/btf/vmlinux is missing): ...')), 'the kernel has no BTF');
  assert.is(ebpfUnavailableReason(error('ERROR_NO_BPF_PERMISSION', 'no permission to load BPF programs (needs root, ...): tp_btf: load: EPERM')),
    'no permission to load BPF programs');
  assert.is(ebpfUnavailableReason(error('ERROR_NO_RING_BUFFER', 'the kernel has no BPF ring buffer: the eBPF backend needs Linux 5.8 or later')),
    'the kernel has no BPF ring buffer (Linux 5.8 or later)');
  const rejected = 'cannot load the BPF programs: tp_btf: the kernel\'s verifier rejected sys_enter_tp_btf: Permission denied';
  assert.is(ebpfUnavailableReason(error('ERROR_BPF_LOAD', rejected)), rejected);
  assert.is(ebpfUnavailableReason(error('ERROR_RING_BUFFER', 'ring buffer: mmap: Cannot allocate memory')), 'ring buffer: mmap: Cannot allocate memory');
  for (const other of [error('ERROR_PROCESS', 'process 42: No such process'), error('ERROR_OTHER', "cannot execute '/x': Permission denied"),
    error('ERROR_OTHER', 'the kernel has no BTF, says a message of another kind'), { message: 'the trace session is already running' }])
    assert.is(ebpfUnavailableReason(other), null, other.message);
});

test.run();
