/* A minimal, hand-written kernel type header for CO-RE.
 *
 * Why not `bpftool btf dump file /sys/kernel/btf/vmlinux format c`: that header is ~3 MB,
 * ties the build to the build host's kernel BTF (a build host need not have any), and
 * hides which kernel fields we actually depend on. Every struct below carries
 * preserve_access_index, so each field access is a CO-RE relocation resolved against the
 * running kernel's BTF at load time: only the field names and types must match, never
 * the layout or the field order. Keep it to the fields the programs read. */
#ifndef BPFTRACE_TS_VMLINUX_H
#define BPFTRACE_TS_VMLINUX_H

#include <linux/types.h>
#include <linux/bpf.h>

typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;
typedef _Bool bool;
#define true 1
#define false 0

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

/* x86_64 register frame; the syscall arguments are di, si, dx, r10, r8, r9. */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

typedef struct { int counter; } atomic_t;

struct signal_struct {
	atomic_t live;            /* threads still alive in the thread group */
	int group_exit_code;      /* the wait status of a group exit (exit_group, fatal signal) */
	unsigned int flags;       /* SIGNAL_GROUP_EXIT: a group exit is under way */
};

struct list_head {
	struct list_head *next, *prev;
};

typedef struct { unsigned long sig[1]; } sigset_t; /* x86_64: _NSIG_WORDS is 1 */

struct sigpending {
	struct list_head list;
	sigset_t signal;          /* signals pending for this thread alone */
};

/* Ids as a pid namespace sees them: numbers[i] in the namespace of level i. */
struct pid_namespace {
	unsigned int level;
};

struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	unsigned int level;       /* of the namespace the task was made in: numbers[0..level] */
	struct upid numbers[1];
};

/* A user namespace's uid map: up to 5 extents inline, more in a sorted array. */
struct uid_gid_extent {
	u32 first;
	u32 lower_first;
	u32 count;
};

struct uid_gid_map {
	u32 nr_extents;
	union {
		struct uid_gid_extent extent[5];
		struct {
			struct uid_gid_extent *forward;
			struct uid_gid_extent *reverse;
		};
	};
};

struct user_namespace {
	struct uid_gid_map uid_map;
};

typedef struct { u32 val; } kuid_t;

struct cred {
	kuid_t uid;
	struct user_namespace *user_ns;
};

/* A task's cgroup v2 id, as bpf_get_current_cgroup_id() reads the current task's. */
struct kernfs_node {
	u64 id;
};

struct cgroup {
	struct kernfs_node *kn;
};

struct css_set {
	struct cgroup *dfl_cgrp;
};

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
	struct task_struct *group_leader;
	struct signal_struct *signal;
	struct sigpending pending;
	int exit_state;           /* set by exit_notify(), before the task's last switch */
	int exit_code;            /* set by do_exit() before sched_process_exit */
	struct pid *thread_pid;
	const struct cred *real_cred;  /* the task's own (objective) credentials */
	const struct cred *cred;       /* those it acts with (subjective) */
	struct css_set *cgroups;
};


/* Contexts of the classic raw_syscalls tracepoints (the last fallback). */
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

struct trace_event_raw_sys_enter {
	struct trace_entry ent;
	long id;
	unsigned long args[6];
};

struct trace_event_raw_sys_exit {
	struct trace_entry ent;
	long id;
	long ret;
};

/* Only the fields read: the comm fields changed type across kernels (char[16], then __data_loc). */
struct trace_event_raw_sched_process_fork {
	struct trace_entry ent;
	int parent_pid;
	int child_pid;
};

#pragma clang attribute pop

#endif
