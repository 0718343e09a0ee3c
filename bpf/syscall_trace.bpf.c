// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* The BPF object: every program of the tracer, in one object and one skeleton
 * (native/ebpf/ loads the subset a session needs). The programs are in the *.bpf.h files
 * included here, one per concern; each includes what it uses. Always-inlined helpers
 * become part of each program that calls them, so the split costs no instructions.
 *
 *   streaming.bpf.h    sys_enter/sys_exit into the ring (three attach flavours)
 *   task_events.bpf.h  following children, task exits, signals
 *   aggregation.bpf.h  in-kernel counting (--summary-only, --hist), no ring
 *
 * Their shared parts: kernel.bpf.h (kernel types, libbpf, features the loader found),
 * ring.bpf.h (the ring and counters), filters.bpf.h (which tasks and calls are traced),
 * task_state.bpf.h (state kept from a call's entry to its exit), argument_capture.bpf.h
 * and stack_capture.bpf.h (copies from the traced program's memory). */
#include "streaming.bpf.h"
#include "task_events.bpf.h"
#include "aggregation.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";
