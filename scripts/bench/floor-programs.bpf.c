/* The floors of what any eBPF syscall tracer costs a call on this host (scripts/bench/floor):
 * a pair of tp_btf programs that do nothing, and a pair that each read the clock once, as a
 * latency measurement must at a call's entry and at its exit. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(empty_enter, struct pt_regs *regs, long nr) { return 0; }

SEC("tp_btf/sys_exit")
int BPF_PROG(empty_exit, struct pt_regs *regs, long ret) { return 0; }

/* The comparison keeps the read: a result nobody uses would be optimised away. */
SEC("tp_btf/sys_enter")
int BPF_PROG(clock_enter, struct pt_regs *regs, long nr) { return bpf_ktime_get_ns() == 1; }

SEC("tp_btf/sys_exit")
int BPF_PROG(clock_exit, struct pt_regs *regs, long ret) { return bpf_ktime_get_ns() == 1; }
