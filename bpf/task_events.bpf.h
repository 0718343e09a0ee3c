/* What happens to traced tasks outside their syscalls: a fork adds the child to the target
 * set, an exit removes the process (and its per-task state) and is reported, and signals
 * delivered or ignored are reported. The exit programs run in every mode, streaming or
 * aggregating: the target set and the task state must be kept right in both. */
#ifndef BPFTRACE_TS_TASK_EVENTS_BPF_H
#define BPFTRACE_TS_TASK_EVENTS_BPF_H

#include "kernel.bpf.h"
#include "ring.bpf.h"
#include "filters.bpf.h"
#include "task_state.bpf.h"
#include "stack_capture.bpf.h"

/* Streaming: task exits go into the ring too (in-kernel counting has no ring consumer). */
const volatile bool report_task_exits = false;

/* --- following children: loaded only when a target set is in use and --no-inherit is off --- */

static __always_inline void adopt_child(__u32 parent_tgid, __u32 child_tgid)
{
	__u64 *parent = target_word(parent_tgid), *child = target_word(child_tgid);

	if (parent_tgid == child_tgid || !parent || !child) /* a new thread: already covered */
		return;
	if (target_state_of(parent, parent_tgid) != TARGET_TRACED || target_state_of(child, child_tgid) != 0)
		return;
	set_target_state(child, child_tgid, 0, TARGET_TRACED);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(task_fork_tp_btf, struct task_struct *parent, struct task_struct *child)
{
	adopt_child(parent->tgid, child->tgid);
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(task_fork_raw_tp, struct task_struct *parent, struct task_struct *child)
{
	adopt_child(BPF_CORE_READ(parent, tgid), BPF_CORE_READ(child, tgid));
	return 0;
}

/* The classic tracepoint names only the child's tid, not whether it is a new thread, so a
 * new thread's tid is adopted as if it were a process. Harmless: no process has that tgid
 * while the thread lives, and task_exited() removes it when the thread exits. */
SEC("tracepoint/sched/sched_process_fork")
int task_fork_tracepoint(struct trace_event_raw_sched_process_fork *ctx)
{
	adopt_child(bpf_get_current_pid_tgid() >> 32, ctx->child_pid);
	return 0;
}

static __always_inline void forget(__u32 tgid)
{
	__u64 *word = target_word(tgid);
	__u64 state;

	if (!word)
		return;
	state = target_state_of(word, tgid);
	if (state)
		set_target_state(word, tgid, state, 0);
}

#define SIGNAL_GROUP_EXIT 0x00000004

/* A traced task ended: user space reports its call in progress, if any, as unfinished now
 * (a dying thread's call has no exit: see abandoned_by_dying_thread()), and shows the
 * process's end when it was the last thread. */
static __always_inline void emit_task_exit(struct task_struct *task, __u64 pid_tgid, bool process_ended)
{
	struct task_exit_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(COUNTER_LOST_TASK_EXITS);
		return;
	}
	fill_header(&e->h, pid_tgid, 0, EVENT_TASK_EXIT);
	e->process_ended = process_ended;
	if (process_ended) /* a process's end is shown under its id, as wait() and ptrace see it */
		e->h.tid = e->h.tgid;
	/* A group exit (exit_group, a fatal signal) gives every thread the group's code; the
	 * process's status is the group's then, else that of the thread that ended last. */
	if (process_ended && (BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT))
		e->wait_status = BPF_CORE_READ(task, signal, group_exit_code);
	else
		e->wait_status = BPF_CORE_READ(task, exit_code);
	BPF_CORE_READ_STR_INTO(&e->comm, task, group_leader, comm);
	bpf_ringbuf_submit(e, wakeup_flag(sizeof(*e)));
}

/* Runs in the exiting task in every flavour, once per task exit. Reports the exit of a
 * traced task, then removes a process from the target set when its last thread exits: a
 * later process that reuses its pid must not be traced. */
static __always_inline void task_exited(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	bool process_ended = BPF_CORE_READ(task, signal, live.counter) == 0;

	if (report_task_exits && process_event_wanted(tgid))
		emit_task_exit(task, pid_tgid, process_ended);
	forget_task_state(tid);
	if (process_ended) {
		forget(tgid);
		stack_process_ended(tgid);
	}
	else if (tid != tgid)
		forget(tid); /* a thread adopted by the classic fork hook */
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(task_exit_tp_btf)
{
	task_exited();
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(task_exit_raw_tp)
{
	task_exited();
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int task_exit_tracepoint(void *ctx)
{
	task_exited();
	return 0;
}

/* A signal is delivered to a traced thread: its handler is about to run, or its default
 * action (stop, end). Not for SIGKILL, nor for the kill of a group exit (no siginfo), which
 * strace never sees either: the task's exit says it. tp_btf only. */
SEC("tp_btf/signal_deliver")
int BPF_PROG(signal_delivered, int sig, void *info, void *ka)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct signal_event *e;

	if (!info || sig == SIGKILL || !process_event_wanted(pid_tgid >> 32))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(COUNTER_LOST_SIGNALS);
		return 0;
	}
	fill_header(&e->h, pid_tgid, sig, EVENT_SIGNAL);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_kernel(e->siginfo, KERNEL_SIGINFO_SIZE, info))
		__builtin_memset(e->siginfo, 0, KERNEL_SIGINFO_SIZE);
	__builtin_memset(e->siginfo + KERNEL_SIGINFO_SIZE, 0, SIGINFO_SIZE - KERNEL_SIGINFO_SIZE);
	bpf_ringbuf_submit(e, wakeup_flag(sizeof(*e)));
	return 0;
}

/* signal_generate's result for a signal discarded as ignored. The kernel's enum is anonymous
 * (include/trace/events/signal.h), so CO-RE cannot look it up: 1 from 3.5 to 6.18 at least. */
#define TRACE_SIGNAL_IGNORED 1
#define SEND_SIG_PRIV 1          /* info of a signal the kernel sends; SEND_SIG_NOINFO is 0 */
#define SI_USER 0
#define SI_KERNEL 0x80
#define MAX_PID_NS_LEVEL 32
#define UID_GID_MAP_MAX_BASE_EXTENTS 5
#define UID_GID_MAP_MAX_EXTENTS 340
#define DEFAULT_OVERFLOWUID 65534 /* what a uid the namespace cannot map reads as */

/* The current task's process id as the pid namespace of task sees it, 0 if it cannot (the
 * kernel's task_tgid_nr_ns(current, task_active_pid_ns(task))). */
static __always_inline __u32 sender_tgid_seen_by(struct task_struct *task)
{
	struct task_struct *sender = (struct task_struct *)bpf_get_current_task();
	struct pid *theirs = BPF_CORE_READ(task, thread_pid);
	struct pid *mine = BPF_CORE_READ(sender, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(theirs, level);
	__u64 numbers = bpf_core_field_offset(struct pid, numbers);
	struct upid their_id, my_id;

	if (level > MAX_PID_NS_LEVEL || BPF_CORE_READ(mine, level) < level)
		return 0;
	if (bpf_probe_read_kernel(&their_id, sizeof(their_id), (void *)theirs + numbers + level * sizeof(struct upid)) ||
	    bpf_probe_read_kernel(&my_id, sizeof(my_id), (void *)mine + numbers + level * sizeof(struct upid)))
		return 0;
	return my_id.ns == their_id.ns ? my_id.nr : 0;
}

/* The current task's uid as the user namespace of task sees it (the kernel's
 * from_kuid_munged(task_cred_xxx(task, user_ns), current_uid())). */
static __always_inline __u32 sender_uid_seen_by(struct task_struct *task)
{
	struct user_namespace *ns = BPF_CORE_READ(task, real_cred, user_ns);
	__u32 uid = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), cred, uid.val);
	__u32 extents = BPF_CORE_READ(ns, uid_map.nr_extents);
	struct uid_gid_extent *extent = extents <= UID_GID_MAP_MAX_BASE_EXTENTS
		? (void *)ns + bpf_core_field_offset(struct user_namespace, uid_map) +
			bpf_core_field_offset(struct uid_gid_map, extent)
		: BPF_CORE_READ(ns, uid_map.forward);
	struct uid_gid_extent range;

	for (__u32 i = 0; i < UID_GID_MAP_MAX_EXTENTS && i < extents; i++) {
		if (bpf_probe_read_kernel(&range, sizeof(range), extent + i))
			break;
		if (uid - range.lower_first < range.count)
			return uid - range.lower_first + range.first;
	}
	return DEFAULT_OVERFLOWUID;
}

/* A signal its target ignores (SIG_IGN, or a default action of ignoring it: SIGCHLD, SIGWINCH,
 * SIGURG, SIGCONT): the kernel discards it at once and signal_deliver never fires, but strace
 * shows it (a ptraced task never ignores a signal: it stops for it). Runs in the sender; the
 * event is the target's, and --comm and --cgroup are checked on the target. info may be SEND_SIG_NOINFO (0: a signal from the sender, SI_USER) or
 * SEND_SIG_PRIV (1: from the kernel, SI_KERNEL): the siginfo is then built as the kernel
 * builds it. tp_btf only. */
SEC("tp_btf/signal_generate")
int BPF_PROG(signal_ignored, int sig, void *info, struct task_struct *task, int group, int result)
{
	__u64 comm[2] = {};
	struct signal_event *e;
	__u32 tgid, tid;
	__s32 *fields;

	if (result != TRACE_SIGNAL_IGNORED)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	tid = BPF_CORE_READ(task, pid);
	BPF_CORE_READ_STR_INTO(&comm, task, comm);
	if (!process_traced(tgid) || (filter_comm && !comm_passes(comm)) ||
	    (filter_cgroup && BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id) != cgroup_id))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(COUNTER_LOST_SIGNALS);
		return 0;
	}
	fill_header(&e->h, (__u64)tgid << 32 | tid, sig, EVENT_SIGNAL_IGNORED);
	__builtin_memcpy(e->comm, comm, sizeof(e->comm));
	__builtin_memset(e->siginfo, 0, SIGINFO_SIZE);
	fields = (__s32 *)e->siginfo;
	if ((unsigned long)info > SEND_SIG_PRIV) {
		if (bpf_probe_read_kernel(e->siginfo, KERNEL_SIGINFO_SIZE, info))
			fields[0] = sig;
	} else {
		/* si_signo, si_errno, si_code, then the union from byte 16: si_pid, si_uid */
		fields[0] = sig;
		fields[2] = info ? SI_KERNEL : SI_USER;
		if (!info) {
			fields[4] = sender_tgid_seen_by(task);
			fields[5] = sender_uid_seen_by(task);
		}
	}
	bpf_ringbuf_submit(e, wakeup_flag(sizeof(*e)));
	return 0;
}

#endif
