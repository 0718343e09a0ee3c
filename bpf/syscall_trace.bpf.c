// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* Streams every traced system call's entry and exit into one BPF ring buffer.
 *
 * Each syscall pair exists in three attach flavours and user space loads exactly one set:
 * tp_btf (BTF raw tracepoint: direct register loads, cheapest), raw_tp (probe reads), and
 * the classic raw_syscalls tracepoint (needs tracefs). They share the prologue below,
 * which runs for every syscall on the host, so it stays tiny and rejects early:
 * our own tgid, then the target set, then the syscall bitmap, and only then the ring. */
#include "streaming.bpf.h"
#include "task_events.bpf.h"
#include "aggregation.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";
