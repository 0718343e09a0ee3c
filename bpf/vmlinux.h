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

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
	struct task_struct *group_leader;
	struct signal_struct *signal;
	struct sigpending pending;
	int exit_code;            /* set by do_exit() before sched_process_exit */
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
