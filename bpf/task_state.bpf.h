/* What a task keeps between a call's entry and its exit: the saved arguments of calls whose
 * copies are taken or retried at the exit (streaming), and the entry time (aggregation). Both
 * maps are here, not with their users, because a thread's exit (task_events.bpf.h) must
 * remove its entries from both where they are hashes by tid. */
#ifndef BPFTRACE_TS_TASK_STATE_BPF_H
#define BPFTRACE_TS_TASK_STATE_BPF_H

#include "kernel.bpf.h"

/* What a task keeps from a call's entry to its exit (struct saved_call, struct call_start): in
 * task storage, freed with the task, where tracing programs have it; else in a hash keyed by
 * tid that the loader makes of the same map, whose entries task_exited() removes
 * (forget_task_state()). map: one of
 * those maps; create: add a zeroed entry if the task has none (NULL when the hash is full). */
const volatile __u8 task_state_zeros[TASK_STATE_MAX_SIZE] = {};

/* The hash stand-in for task storage: tid's entry, added zeroed if create and it has none. */
static __always_inline void *task_state_by_tid(void *map, __u32 tid, bool create)
{
	void *state = bpf_map_lookup_elem(map, &tid);

	if (state || !create)
		return state;
	bpf_map_update_elem(map, &tid, (const void *)task_state_zeros, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, &tid);
}

static __always_inline void *task_state(void *map, bool create)
{
	if (has_task_storage)
		return bpf_task_storage_get(map, bpf_get_current_task_btf(), 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	return task_state_by_tid(map, (__u32)bpf_get_current_pid_tgid(), create);
}

/* Another task's state, created if it has none (NULL when the hash is full): task is a
 * BTF-typed task the program was given (tp_btf/sched_switch's prev), not the current one. */
static __always_inline void *task_state_of(void *map, struct task_struct *task)
{
	if (has_task_storage)
		return bpf_task_storage_get(map, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	return task_state_by_tid(map, task->pid, true);
}

/* What an exit needs of its entry when it copies outputs or retries faulted copies: the
 * arguments (registers may have changed) and which entry copies faulted. */
struct saved_call {
	__s64 nr;                     /* -1 once used */
	__u64 args[SYSCALL_ARG_COUNT];
	__u32 retry;                  /* bit i: rule i faulted at entry */
};

/* In-kernel aggregation: when the task's call began. */
struct call_start {
	__u64 ts_ns;
	__s64 nr;
};

_Static_assert(sizeof(struct saved_call) <= TASK_STATE_MAX_SIZE && sizeof(struct call_start) <= TASK_STATE_MAX_SIZE,
               "task_state() zeroes at most TASK_STATE_MAX_SIZE bytes");

/* Declared as task storage; the loader turns them into hashes by tid where it must. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct saved_call);
} saved_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct call_start);
} call_starts SEC(".maps");

/* An ended thread's entries, where they are in hashes by tid (task storage frees its own). */
static __always_inline void forget_task_state(__u32 tid)
{
	if (has_task_storage)
		return;
	bpf_map_delete_elem(&saved_calls, &tid);
	bpf_map_delete_elem(&call_starts, &tid);
}

#endif
