/* Which tasks and calls are traced: the target set (the processes followed), the syscall
 * bitmap of -e, --comm and --cgroup, and the exits of calls a dying thread abandons. wanted()
 * is the prologue of every sys_enter and sys_exit program, and runs for every syscall on the
 * host: it stays tiny and rejects early (our own tgid, the target set, the syscall bitmap,
 * then the rest). process_traced() and process_event_wanted() are the same rules for events
 * outside a call (task exits, signals), where -e does not apply. */
#ifndef BPFTRACE_TS_FILTERS_BPF_H
#define BPFTRACE_TS_FILTERS_BPF_H

#include "kernel.bpf.h"

/* Set by user space before load; the verifier prunes the branches they disable. */
const volatile __u32 tracer_tgid = 0;
const volatile bool trace_all = false;
const volatile bool filter_syscalls = false;
const volatile __u64 syscall_bitmap[SYSCALL_BITMAP_WORDS] = {};
const volatile bool filter_comm = false;
const volatile __u64 comm_filter[2] = {};
/* --cgroup: only tasks in this cgroup v2 (its id). */
const volatile bool filter_cgroup = false;
const volatile __u64 cgroup_id = 0;

/* The target set: TARGET_BITS of enum target_state per tgid. A plain load in the prologue,
 * where a hash lookup cost every syscall on the host ~25 ns; user space sets bits through
 * the skeleton's mmap of .bss. Changed only with atomics: forks race on shared words. */
__u64 target_state[TARGET_WORDS] = {};

_Static_assert(TARGET_WORDS == 131072 && SYSCALL_BITMAP_WORDS == 8,
               "the literal bounds of BOUNDED() below and in streaming.bpf.h assume these sizes");

static __always_inline __u64 *target_word(__u32 tgid)
{
	__u32 index = tgid / TARGETS_PER_WORD;

	if (tgid >= PID_MAX_LIMIT)
		return NULL;
	return &target_state[BOUNDED(index, 131071 /* TARGET_WORDS - 1 */)];
}

static __always_inline __u32 target_shift(__u32 tgid)
{
	return (tgid % TARGETS_PER_WORD) * TARGET_BITS;
}

static __always_inline __u64 target_state_of(const __u64 *word, __u32 tgid)
{
	return (*word >> target_shift(tgid)) & TARGET_MASK;
}

/* Moves a process from the state `from`, which the caller has just read, to `to`: an atomic
 * add of the difference, which leaves the other processes of the word alone. Exact as long
 * as nothing else changes this process's state meanwhile, which holds for every caller (the
 * held command's only thread at its execve, a parent for a child that has not run yet, a
 * process's last thread at its exit). An add, not fetch-and-or/and/xor: those need Linux
 * 5.12, and the verifier of older kernels rejects them. */
static __always_inline void set_target_state(__u64 *word, __u32 tgid, __u64 from, __u64 to)
{
	__sync_fetch_and_add(word, (to - from) << target_shift(tgid));
}

static __always_inline bool comm_passes(const __u64 *comm)
{
	return comm[0] == comm_filter[0] && comm[1] == comm_filter[1];
}

static __always_inline bool comm_wanted(void)
{
	__u64 comm[2] = {};

	if (!filter_comm)
		return true;
	bpf_get_current_comm(comm, sizeof(comm));
	return comm_passes(comm);
}

static __always_inline bool cgroup_wanted(void)
{
	return !filter_cgroup || bpf_get_current_cgroup_id() == cgroup_id;
}

static __always_inline bool wanted(__u32 tgid, long nr, bool entering)
{
	if (tgid == tracer_tgid)
		return false;
	if (!trace_all) {
		__u64 *word = target_word(tgid);
		__u64 state;

		if (!word)
			return false;
		state = target_state_of(word, tgid);
		if (state != TARGET_TRACED) {
			if (state != TARGET_AWAIT_EXEC || !entering || (nr != NR_execve && nr != NR_execveat))
				return false;
			set_target_state(word, tgid, TARGET_AWAIT_EXEC, TARGET_TRACED);
		}
	}
	if (filter_syscalls) {
		if ((unsigned long)nr >= SYSCALL_BITMAP_WORDS * 64)
			return false;
		if (!(syscall_bitmap[BOUNDED(nr >> 6, 7 /* SYSCALL_BITMAP_WORDS - 1 */)] & (1ULL << (nr & 63))))
			return false;
	}
	return comm_wanted() && cgroup_wanted();
}

/* Whether a process's events (a task's exit, a signal) can be reported: it is traced
 * (whatever syscalls -e selects) and it is not this tracer. */
static __always_inline bool process_traced(__u32 tgid)
{
	__u64 *word;

	if (tgid == tracer_tgid)
		return false;
	if (!trace_all) {
		word = target_word(tgid);
		if (!word || target_state_of(word, tgid) != TARGET_TRACED)
			return false;
	}
	return true;
}

/* Whether the current task's exit or signal is reported: its process is traced and its name
 * and cgroup pass --comm and --cgroup. */
static __always_inline bool process_event_wanted(__u32 tgid)
{
	return process_traced(tgid) && comm_wanted() && cgroup_wanted();
}

#define SIGKILL 9
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

/* A call cut short because its thread is being killed: the process exits (exit_group, a
 * fatal signal) or another thread execs. The kernel then runs sys_exit with an
 * interrupted result (-ERESTART*, or -EINTR from killable waits) that no program code will
 * ever see. Not emitting that exit leaves the call unfinished in user space, which is
 * what it is (strace: "<unfinished ...>"). All these kills queue SIGKILL on each thread. */
static __always_inline bool abandoned_by_dying_thread(long ret)
{
	if (ret != -EINTR && ret != -ERESTARTSYS && ret != -ERESTARTNOINTR && ret != -ERESTARTNOHAND &&
	    ret != -ERESTART_RESTARTBLOCK)
		return false;
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), pending.signal.sig[0]) & (1UL << (SIGKILL - 1));
}

#endif
