/* In-kernel aggregation (--summary-only, --hist): per-call cost without the ring (tp_btf only).
 * sys_enter keeps the entry time in task storage; sys_exit adds the call to a stats row.
 * Two tables take turns: the programs fill the one `generation` names while user space
 * reads and clears the other, so intervals lose no calls. */
#ifndef BPFTRACE_TS_AGGREGATION_BPF_H
#define BPFTRACE_TS_AGGREGATION_BPF_H

#include "kernel.bpf.h"
#include "ring.bpf.h"
#include "filters.bpf.h"
#include "task_state.bpf.h"

_Static_assert(LATENCY_BUCKETS == 156, "the literal bound of CLAMPED() in latency_bucket() assumes this size");

const volatile __u32 aggregate_by = AGGREGATE_BY_SYSCALL;
const volatile bool failures_only = false;
__u32 generation = 0;

struct stats_table {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AGGREGATE_MAX_ROWS); /* 1 when streaming: user space shrinks it */
	__type(key, struct aggregate_key);
	__type(value, struct aggregate_value);
};
struct stats_table stats0 SEC(".maps"), stats1 SEC(".maps");

/* Grouped by syscall only (-a --hist): a row per syscall number and CPU, so the lookup is
 * an inlined array access and the updates need no atomics. User space sums the CPUs. One
 * map holds both generations (rows [0, SYSCALL_ROWS) and [SYSCALL_ROWS, 2 * SYSCALL_ROWS)):
 * a lookup is inlined only when the map is a constant, and that saves a helper call. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * SYSCALL_ROWS); /* 1 when not in use: user space shrinks it */
	__type(key, __u32);
	__type(value, struct aggregate_value);
} syscall_stats SEC(".maps");

/* What a new row starts as; too large for the BPF stack, so it lives in .rodata. */
const volatile struct aggregate_value empty_row = { .min_ns = ~0ULL };

/* floor(log2(v)) for v > 0, without loops. */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

static __always_inline __u32 latency_bucket(__u64 ns)
{
	__u32 e, bucket;

	if (ns < 4)
		return ns;
	e = log2_u64(ns);
	bucket = 4 + (e - LATENCY_SUB_BUCKET_BITS) * 4 + ((ns >> (e - LATENCY_SUB_BUCKET_BITS)) & 3);
	return CLAMPED(bucket, 155 /* LATENCY_BUCKETS - 1 */);
}

/* The call in progress on each CPU (a cache line per CPU, written by that CPU only): its
 * entry time (0: none), task and number. A call that returns on the CPU it entered on, without
 * being switched out, goes from sys_enter to sys_exit through its CPU's line, two plain loads
 * and stores where task storage costs a helper call at each end; call_switched_out() moves
 * the entry of a call that blocks or is preempted into the task's storage. The task is its
 * task_struct's address, not its tid: a thread that execs returns with its leader's tid.
 * CPUs from CPU_LINES on use task storage alone. A plain array: the skeleton has no name for
 * a struct type here. */
#define CALL_LINE_TS 0
#define CALL_LINE_TASK 1
#define CALL_LINE_NR 2
__u64 call_lines[CPU_LINES * WORDS_PER_LINE] __attribute__((aligned(64))) = {};

static __always_inline __u64 *call_line(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return cpu < CPU_LINES ? &call_lines[BOUNDED(cpu, 1023 /* CPU_LINES - 1 */) * WORDS_PER_LINE] : NULL;
}

static __always_inline __u64 current_task_address(void)
{
	return has_task_btf ? (__u64)bpf_get_current_task_btf() : bpf_get_current_task();
}

/* sys_enter_aggregate takes the tgid from the task with a plain load where the kernel
 * gives BTF-typed tasks: bpf_get_current_pid_tgid() is one more helper call on every
 * syscall of the host. */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_aggregate, struct pt_regs *regs, long nr)
{
	struct task_struct *task = has_task_btf ? bpf_get_current_task_btf() : NULL;
	__u32 tgid = task ? task->tgid : bpf_get_current_pid_tgid() >> 32;
	struct call_start *start;
	__u64 *line;

	if (!wanted(tgid, nr, true))
		return 0;
	line = call_line();
	if (line) {
		line[CALL_LINE_TASK] = task ? (__u64)task : bpf_get_current_task();
		line[CALL_LINE_NR] = nr;
		line[CALL_LINE_TS] = bpf_ktime_get_ns();
		return 0;
	}
	start = task_state(&call_starts, true);
	if (!start) {
		count(COUNTER_UNCOUNTED_CALLS); /* no memory for this task's entry time */
		return 0;
	}
	start->ts_ns = bpf_ktime_get_ns();
	start->nr = nr;
	return 0;
}

/* A task leaves its CPU (it blocks, is preempted or ends) in the middle of a call its CPU's
 * line holds: the entry moves to its task storage, where its sys_exit finds it on whichever
 * CPU it returns, and the line is free for the next task. Only the running task writes its
 * CPU's line, so a line in use is prev's. A task that has exited (exit_group never returns)
 * keeps nothing: where task storage is a hash by tid, its exit hook has already run. */
SEC("tp_btf/sched_switch")
int BPF_PROG(call_switched_out, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 *line = call_line();
	struct call_start *start;

	if (!line || !line[CALL_LINE_TS])
		return 0;
	if (line[CALL_LINE_TASK] == (__u64)prev && !prev->exit_state) {
		start = task_state_of(&call_starts, prev);
		if (start) {
			start->ts_ns = line[CALL_LINE_TS];
			start->nr = line[CALL_LINE_NR];
		} else {
			count(COUNTER_UNCOUNTED_CALLS);
		}
	}
	line[CALL_LINE_TS] = 0;
	return 0;
}

static __always_inline void count_call(void *table, struct aggregate_key *key, __u64 ns, bool failed)
{
	struct aggregate_value *row = bpf_map_lookup_elem(table, key);

	if (!row) {
		/* Another CPU may have added it meanwhile (EEXIST): then use theirs. */
		if (bpf_map_update_elem(table, key, (const void *)&empty_row, BPF_NOEXIST) == -E2BIG) {
			count(COUNTER_UNCOUNTED_CALLS);
			return;
		}
		row = bpf_map_lookup_elem(table, key);
		if (!row)
			return;
		bpf_get_current_comm(row->comm, sizeof(row->comm));
	}
	__sync_fetch_and_add(&row->calls, 1);
	if (failed)
		__sync_fetch_and_add(&row->errors, 1);
	__sync_fetch_and_add(&row->total_ns, ns);
	/* min and max without atomics: a race between CPUs can miss an extreme, never a call. */
	if (ns < row->min_ns)
		row->min_ns = ns;
	if (ns > row->max_ns)
		row->max_ns = ns;
	__sync_fetch_and_add(&row->buckets[latency_bucket(ns)], 1);
}

/* The per-CPU row of a syscall in this generation: this CPU alone writes it. */
static __always_inline void count_call_on_cpu(__u64 nr, __u64 ns, bool failed)
{
	__u32 index = (generation & 1) * SYSCALL_ROWS + nr;
	struct aggregate_value *row;

	if (nr >= SYSCALL_ROWS)
		return;
	row = bpf_map_lookup_elem(&syscall_stats, &index);
	if (!row)
		return;
	if (row->calls == 0 || ns < row->min_ns)
		row->min_ns = ns;
	if (ns > row->max_ns)
		row->max_ns = ns;
	if (row->calls++ == 0)
		bpf_get_current_comm(row->comm, sizeof(row->comm));
	if (failed)
		row->errors++;
	row->total_ns += ns;
	row->buckets[latency_bucket(ns)]++;
}

/* The row of a syscall and a process, thread or comm: the key is built only on this path,
 * not on -a --hist's per-syscall one. */
static __always_inline void count_call_by_group(__u64 nr, __u64 ns, bool failed)
{
	struct aggregate_key key = { .nr = nr };

	if (aggregate_by == AGGREGATE_BY_PROCESS)
		key.group = bpf_get_current_pid_tgid() >> 32;
	else if (aggregate_by == AGGREGATE_BY_THREAD)
		key.group = (__u32)bpf_get_current_pid_tgid();
	else if (aggregate_by == AGGREGATE_BY_COMM)
		bpf_get_current_comm(key.comm, sizeof(key.comm));
	count_call(generation & 1 ? (void *)&stats1 : (void *)&stats0, &key, ns, failed);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_aggregate, struct pt_regs *regs, long ret)
{
	bool failed = ret < 0 && ret >= -4095;
	__u64 *line = call_line();
	__u64 start_ns, ns, nr;

	/* The entry: in this CPU's line if the task never left it, else in its storage. */
	if (line && line[CALL_LINE_TS] && line[CALL_LINE_TASK] == current_task_address()) {
		start_ns = line[CALL_LINE_TS];
		nr = line[CALL_LINE_NR];
		line[CALL_LINE_TS] = 0;
	} else {
		struct call_start *start = task_state(&call_starts, false);

		if (!start || !start->ts_ns)
			return 0;
		start_ns = start->ts_ns;
		nr = start->nr;
		start->ts_ns = 0;
	}
	ns = bpf_ktime_get_ns() - start_ns;
	if (abandoned_by_dying_thread(ret)) /* unfinished: -S does not count it either */
		return 0;
	/* The entry's number: rt_sigreturn's exit reports -1. brk returns the break, never -errno. */
	if (nr == NR_brk)
		failed = false;
	if (failures_only && !failed)
		return 0;
	if (aggregate_by == AGGREGATE_BY_SYSCALL)
		count_call_on_cpu(nr, ns, failed);
	else
		count_call_by_group(nr, ns, failed);
	return 0;
}

#endif
