/* Event layout shared by the BPF programs (bpf/) and the ring-buffer consumer (native/).
 * Both sides include this header, so the layout cannot drift. Fixed-width types only:
 * the BPF side gets them from vmlinux.h, the native side from <linux/types.h>. */
#ifndef BPFTRACE_TS_SYSCALL_EVENT_H
#define BPFTRACE_TS_SYSCALL_EVENT_H

#define TASK_COMM_LEN 16
#define SYSCALL_ARG_COUNT 6
/* Room for syscall numbers 0..511 in the -e filter bitmap (x86_64 tops out near 470). */
#define SYSCALL_BITMAP_WORDS 8
/* The target set is a bitmap indexed by tgid with TARGET_BITS per process, up to the
 * kernel's PID_MAX_LIMIT on 64-bit: 1 MiB, and it can never be full. */
#define PID_MAX_LIMIT (1 << 22)
#define TARGET_BITS 2
#define TARGETS_PER_WORD (64 / TARGET_BITS)
#define TARGET_WORDS (PID_MAX_LIMIT / TARGETS_PER_WORD)
#define TARGET_MASK 3ULL

enum event_kind {
	EVENT_ENTER = 0,       /* sys_enter: args valid */
	EVENT_EXIT = 1,        /* sys_exit: ret valid */
};

/* A process's TARGET_BITS in the target bitmap. */
enum target_state {
	TARGET_TRACED = 1,
	/* A launched command between fork and its execve: nothing is traced until the
	 * execve enters, so the trace starts exactly at the command's first call. */
	TARGET_AWAIT_EXEC = 2,
};

/* Slots of the per-CPU counters map. */
enum counter_slot {
	COUNTER_LOST_EVENTS = 0,      /* ring buffer full: event dropped */
	COUNTER_UNCOUNTED_CALLS = 1,  /* aggregation: the stats table was full, or no task storage */
	COUNTER_SLOTS = 2,
};

/* --- in-kernel aggregation (--summary-only, --hist) --- */

/* Latency buckets: 0-3 ns one each, then each power of two split in 4 linear sub-buckets,
 * up to 2^40 ns (18 min); longer calls count in the last. src/latency-buckets.ts computes
 * the same index. */
#define LATENCY_SUB_BUCKET_BITS 2
#define LATENCY_BUCKETS (4 + 4 * (40 - 2))
/* Distinct (group, syscall) rows the stats tables hold per interval. */
#define AGGREGATE_MAX_ROWS 8192

enum aggregate_by {
	AGGREGATE_BY_SYSCALL = 0, /* group 0 */
	AGGREGATE_BY_PROCESS = 1, /* group = tgid */
	AGGREGATE_BY_THREAD = 2,  /* group = tid */
	AGGREGATE_BY_COMM = 3,    /* group 0, key.comm */
};

struct aggregate_key {
	__u32 group;
	__u32 nr;
	char comm[TASK_COMM_LEN]; /* AGGREGATE_BY_COMM only; zero otherwise */
};

struct aggregate_value {
	__u64 calls;
	__u64 errors;
	__u64 total_ns;
	__u64 min_ns;
	__u64 max_ns;
	char comm[TASK_COMM_LEN]; /* of the task that made the row's first call */
	__u32 buckets[LATENCY_BUCKETS];
};

struct event_header {
	__u64 ts_ns;                  /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 tid;
	__u32 tgid;
	__s32 nr;                     /* syscall number */
	__u32 kind;                   /* enum event_kind */
};

struct enter_event {
	struct event_header h;
	char comm[TASK_COMM_LEN];
	__u64 args[SYSCALL_ARG_COUNT];
};

struct exit_event {
	struct event_header h;
	__s64 ret;
};

#endif
