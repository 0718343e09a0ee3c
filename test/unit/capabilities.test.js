// Capabilities (session/capabilities): CapEff read from a status text, and the reason the eBPF
// backend gives when one it needs is missing. The tracer with capabilities dropped:
// test/e2e/least-privilege.test.js.
'use strict';
const { test } = require('uvu');
const assert = require('uvu/assert');
const { bpfCapabilityReason, bpfStartFailure, effectiveCapabilities, missingCapabilities } = require('../../dist/session/capabilities');

test('capabilities: CapEff is read, and the reason names what is missing', () => {
  const status = (hex) => `Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t${hex}\n`;
  const bpf = 1n << 39n, perfmon = 1n << 38n, sysAdmin = 1n << 21n;
  assert.is(effectiveCapabilities(status('000001ffffffffff')), 0x1ffffffffffn);
  assert.equal(missingCapabilities(['CAP_BPF', 'CAP_PERFMON'], bpf), ['CAP_PERFMON']);
  assert.is(bpfCapabilityReason(bpf | perfmon), null);
  assert.is(bpfCapabilityReason(sysAdmin), null, 'CAP_SYS_ADMIN grants both');
  assert.match(bpfCapabilityReason(perfmon), /^missing CAP_BPF: /);
  assert.is(bpfStartFailure({ message: 'verifier said no', errno: 13 }, 0n), 'verifier said no', 'only EPERM is about capabilities');
  assert.match(bpfStartFailure({ message: 'x', errno: 1 }, 0n), /missing CAP_BPF and CAP_PERFMON/);
});

test.run();
