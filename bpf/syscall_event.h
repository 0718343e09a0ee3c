/* Event layout shared by the BPF programs (bpf/) and the ring-buffer consumer (native/).
 * Both sides include this header, so the layout cannot drift. Fixed-width types only:
 * the BPF side gets them from vmlinux.h, the native side from <linux/types.h>. */
#ifndef BPFTRACE_TS_SYSCALL_EVENT_H
#define BPFTRACE_TS_SYSCALL_EVENT_H

#define TASK_COMM_LEN 16
#define SYSCALL_ARG_COUNT 6
/* Room for syscall numbers 0..511 in the -e filter bitmap (x86_64 tops out near 470). */
#define SYSCALL_BITMAP_WORDS 8
/* Rows of the per-syscall statistics: every number the bitmap can name. */
#define SYSCALL_ROWS (SYSCALL_BITMAP_WORDS * 64)
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
	EVENT_TASK_EXIT = 2,   /* a traced task (thread) ended: struct task_exit_event */
	EVENT_CHILD_RETURN = 3, /* a new task's first return: struct child_return_event */
	EVENT_SIGNAL = 4,      /* a signal delivered to a traced thread: struct signal_event */
	EVENT_ENTER_SHORT = 5, /* sys_enter of a call of at most SHORT_ENTER_ARGS arguments */
	/* The same two without the comm, which is then that of the last entry with a comm written
	 * on the same CPU (h.cpu), by the same thread: what most entries are. */
	EVENT_ENTER_SAME_COMM = 6,
	EVENT_ENTER_SHORT_SAME_COMM = 7,
	/* A signal the kernel discarded because its target ignores it (signal_generate): struct
	 * signal_event, h.tid the target. strace sees it (a ptraced task never ignores a signal). */
	EVENT_SIGNAL_IGNORED = 8,
};

/* CPUs whose entries may leave their comm out (EVENT_ENTER_SAME_COMM); higher ones send it
 * always. Also the CPUs that count their own bytes for wakeups. */
#define CPU_LINES 1024

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
	COUNTER_CAPTURED_AT_ENTRY = 2, /* argument copies that worked at the call's entry */
	COUNTER_CAPTURE_RETRIED = 3,  /* copies that faulted at entry and worked at the exit */
	COUNTER_CAPTURE_FAILED = 4,   /* copies that failed (shown as the pointer) */
	COUNTER_CAPTURE_NO_STATE = 5, /* exit captures skipped: no task storage for the entry's args */
	COUNTER_LOST_TASK_EXITS = 6,  /* ring buffer full: a task exit event dropped (not a syscall event) */
	COUNTER_LOST_SIGNALS = 7,     /* ring buffer full: a signal event dropped (not a syscall event) */
	COUNTER_SLOTS = 8,
};

/* Where the kernel has no task storage for tracing programs, what a task keeps from a call's
 * entry to its exit is in a hash keyed by tid: threads in a call at once, at most. */
#define TASK_STATE_TABLE_ENTRIES 65536
#define TASK_STATE_MAX_SIZE 64        /* bytes of the largest such value */

/* --- in-kernel aggregation (--summary-only, --hist) --- */

/* Latency buckets: 0-3 ns one each, then each power of two split in 4 linear sub-buckets,
 * up to 2^40 ns (18 min); longer calls count in the last. src/aggregate/latency-buckets.ts computes
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

/* --- argument capture --- */

/* What a capture rule copies (src/syscalls/capture-rules.ts: CAPTURE_SOURCES, same order). */
enum capture_source {
	CAPTURE_SOURCE_STRING = 0,
	CAPTURE_SOURCE_ARGV = 1,
	CAPTURE_SOURCE_ENVC = 2,
	CAPTURE_SOURCE_BYTES = 3,
	CAPTURE_SOURCE_STRUCT = 4,
	CAPTURE_SOURCE_IOVEC = 5,
	CAPTURE_SOURCE_MSGHDR = 6,    /* a msghdr, then its name, control and iovec data */
	CAPTURE_SOURCE_DIRENTS = 7,   /* getdents(64) at the exit: how many entries in the ret bytes */
	/* What a pointer inside a struct argument points to: the 8 bytes at offset `field` of the
	 * struct at args[arg] are an address, whose first elem_size bytes (CAPTURE_LENGTH_FIXED) are
	 * copied as a CAPTURE_KIND_POINTEE item (clone3's pidfd, pselect6's sigmask). */
	CAPTURE_SOURCE_POINTEE = 8,
	/* select's three fd sets, args[1..3], each of the rule's length (CAPTURE_LENGTH_BITS): a
	 * CAPTURE_KIND_STRUCT item for each that is not NULL, with its own argument's index. */
	CAPTURE_SOURCE_FDSETS = 9,
	CAPTURE_SOURCE_NONE = 0xff,
};

/* Where a rule's length comes from (src/syscalls/capture-rules.ts: LENGTH_FROM, same order). */
enum capture_length_from {
	CAPTURE_LENGTH_NONE = 0,     /* strings, arrays: until the terminator, up to max_bytes */
	CAPTURE_LENGTH_FIXED = 1,    /* elem_size bytes */
	CAPTURE_LENGTH_ARG = 2,      /* args[length_arg] * elem_size */
	CAPTURE_LENGTH_RET = 3,      /* ret * elem_size */
	CAPTURE_LENGTH_POINTER = 4,  /* *(__u32 *)args[length_arg] */
	CAPTURE_LENGTH_BITS = 5,     /* args[length_arg] bits in whole 64-bit words (an fd_set of nfds) */
};

/* pselect6 copies its fd sets and timeout at both ends, its sigmask struct and the mask it
 * points to: 6 rules. */
#define CAPTURE_RULES_PER_SYSCALL 8
#define CAPTURE_SYSCALLS (SYSCALL_BITMAP_WORDS * 64)
#define CAPTURE_ARGV_MAX 256           /* argv elements; strace shows -s of them */
#define CAPTURE_IOVEC_MAX 8
/* rt_sigreturn takes no argument; both backends give it one, the address of the signal mask it
 * restores, for the capture rule that copies it (strace: rt_sigreturn({mask=[...]})). On x86_64
 * the handler's return popped the frame's return address, so the user stack pointer is the
 * frame's ucontext, whose uc_sigmask follows uc_flags (8), uc_link (8), uc_stack (24) and
 * uc_mcontext (256). */
#define RT_SIGFRAME_MASK_OFFSET 296
#define CAPTURE_ENVC_MAX 4096
/* Directory entries counted per getdents call (glibc's 32 KiB buffer holds at most 1365);
 * past it the count says "or more" (TRUNCATED). */
#define CAPTURE_DIRENTS_MAX 4096
#define CAPTURE_SOCKADDR_MAX 128      /* sizeof(struct sockaddr_storage) */
#define CAPTURE_CONTROL_MAX 256       /* a msghdr's control messages */
/* The eBPF backend copies at most this much per item (the ptrace backend has no limit)... */
#define CAPTURE_ITEM_MAX 4096
/* ...and this much per event, items included; later items of a fuller event are dropped. */
#define CAPTURE_EVENT_MAX 16384
/* The largest record in the ring: an event being assembled is sized so that an item starting
 * just below CAPTURE_EVENT_MAX fits. */
#define CAPTURE_RECORD_SIZE (CAPTURE_EVENT_MAX + 2 * CAPTURE_ITEM_MAX)

struct capture_rule {
	__u8 source;                  /* enum capture_source */
	__u8 arg;
	__u8 at_exit;
	__u8 length_from;             /* enum capture_length_from */
	__u8 length_arg;
	__u8 field;                   /* CAPTURE_SOURCE_POINTEE: the pointer's offset in the struct */
	__u16 elem_size;
	__u32 max_bytes;
};

/* Bits of syscall_capture.when, so the hot path tests one byte. */
enum capture_when {
	CAPTURE_AT_ENTRY = 1,
	CAPTURE_AT_EXIT_RULES = 2,
	/* The call's only copy is rule 0, a buffer of at most CAPTURE_INLINE_MAX bytes at the
	 * entry with its length in an argument (write, pwrite64): it is copied straight into a
	 * fixed-size ring record, without the scratch buffer. */
	CAPTURE_INLINE_BYTES = 4,
};
#define CAPTURE_INLINE_MAX 256

struct syscall_capture {
	__u8 when;                    /* enum capture_when bits; 0: nothing to copy */
	__u8 pad[7];
	struct capture_rule rules[CAPTURE_RULES_PER_SYSCALL]; /* unused ones: CAPTURE_SOURCE_NONE */
};

/* Item kinds and flags in the ring, as in proto/batch.proto (CaptureKind, CaptureFlag). */
enum capture_kind {
	CAPTURE_KIND_STRING = 0,
	CAPTURE_KIND_BYTES = 1,
	CAPTURE_KIND_STRUCT = 2,
	CAPTURE_KIND_STRING_ARRAY = 3,
	CAPTURE_KIND_COUNT = 4,
	CAPTURE_KIND_SIGINFO = 5,
	CAPTURE_KIND_MSG_NAME = 6,
	CAPTURE_KIND_MSG_IOV = 7,
	CAPTURE_KIND_MSG_CONTROL = 8,
	CAPTURE_KIND_STACK = 9,
	/* Unused room at the end of a fixed-size record (CAPTURE_INLINE_BYTES); never reaches
	 * user space. */
	CAPTURE_KIND_PAD = 10,
	CAPTURE_KIND_STACK_BUILD_ID = 11,
	CAPTURE_KIND_POINTEE = 12,    /* CAPTURE_SOURCE_POINTEE's bytes */
};

enum capture_flag {
	CAPTURE_FLAG_AT_EXIT = 1,
	CAPTURE_FLAG_TRUNCATED = 2,
	CAPTURE_FLAG_FAULT = 4,
	CAPTURE_FLAG_RETRIED = 8,
	CAPTURE_FLAG_SIGNAL_IGNORED = 16,
};

/* struct user_msghdr as x86_64 lays it out (CAPTURE_SOURCE_MSGHDR). */
struct capture_msghdr {
	__u64 name;
	__u32 namelen;
	__u32 pad;
	__u64 iov;
	__u64 iovlen;
	__u64 control;
	__u64 controllen;
	__u32 flags;
	__u32 pad2;
};

/* One item after an enter or exit event: the header, then len bytes, then padding to 8. */
struct capture_item {
	__u8 arg;
	__u8 kind;                    /* enum capture_kind */
	__u8 flags;                   /* enum capture_flag bits */
	__u8 pad;
	__u32 len;
};

/* --- user-space stacks (-k) ---
 * A CAPTURE_KIND_STACK item after an enter event (the ptrace backend): little-endian __u64
 * words, the first the word at the user stack pointer at the call (the return address when
 * the call was made from a function that keeps no frame, as most libc wrappers; 0 if
 * unreadable; user space decides whether it is one), then the frames, innermost first: the
 * instruction after the syscall, then the return addresses found by walking the frame
 * pointers.
 * A CAPTURE_KIND_STACK_BUILD_ID item (the eBPF backend): STACK_HEADER_SIZE bytes (the word at
 * the stack pointer, then the number of frames N), N frame addresses as above, then the same
 * frames as the kernel's struct bpf_stack_build_id (STACK_BUILD_ID_FRAME_SIZE bytes each:
 * __s32 status, 20 bytes of build ID, then the offset in the object's file when status is
 * BPF_STACK_BUILD_ID_VALID, else the address again): N of them until user space has read the
 * process's maps (bpf/stack_capture.h: maps_read), none after. With them user space names
 * frames of processes that ended before it could read their maps. */
#define STACK_HEADER_SIZE 16
#define STACK_BUILD_ID_FRAME_SIZE 32
#define STACK_MAPS_READ_MAX 8192     /* processes remembered as read; past it, build IDs */
#define STACK_ITEM_ARG 0xff          /* capture_item.arg of a stack: no argument */
#define STACK_MAX_FRAMES 127         /* the kernel's default perf_event_max_stack */
#define STACK_DEFAULT_FRAMES 32

struct event_header {
	__u64 ts_ns;                  /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 tid;
	__u32 tgid;
	__s32 nr;                     /* syscall number */
	__u16 kind;                   /* enum event_kind */
	__u16 cpu;                    /* where it was written (the entries' comm dedupe needs it) */
};

struct enter_event {
	struct event_header h;
	char comm[TASK_COMM_LEN];
	__u64 args[SYSCALL_ARG_COUNT];
	/* capture_item records follow, up to the record's end */
};

/* The entry of a call the syscall table gives at most SHORT_ENTER_ARGS arguments (most
 * calls): 24 bytes less to write into the ring, on the traced program's time. */
#define SHORT_ENTER_ARGS 3
struct short_enter_event {
	struct event_header h;
	char comm[TASK_COMM_LEN];
	__u64 args[SHORT_ENTER_ARGS];
	/* capture_item records follow, as after an enter_event */
};

/* Entries whose comm is the last one sent from their CPU (EVENT_ENTER_SAME_COMM and
 * EVENT_ENTER_SHORT_SAME_COMM): 16 bytes less again. */
struct same_comm_enter_event {
	struct event_header h;
	__u64 args[SYSCALL_ARG_COUNT];
};

struct short_same_comm_enter_event {
	struct event_header h;
	__u64 args[SHORT_ENTER_ARGS];
};

struct exit_event {
	struct event_header h;
	__s64 ret;
	/* capture_item records follow (output arguments, retried copies) */
};

/* A new task returns 0 from the fork, vfork, clone or clone3 that made it, a call it never
 * entered: no entry names it, so its exit carries its name (its parent's, until it execs). */
struct child_return_event {
	struct exit_event exit;
	char comm[TASK_COMM_LEN];
};

/* The kernel's siginfo (struct kernel_siginfo): signo, errno, code and the fields union,
 * laid out as the first bytes of the user's 128-byte siginfo_t. */
#define KERNEL_SIGINFO_SIZE 48
#define SIGINFO_SIZE 128

/* A signal delivered to a traced thread (signal_deliver: the moment strace shows it; h.nr is
 * the signal). siginfo is a user siginfo_t: the kernel's fields, then zeros. */
struct signal_event {
	struct event_header h;
	char comm[TASK_COMM_LEN];
	__u8 siginfo[SIGINFO_SIZE];
};

/* A traced task ended (sched_process_exit; h.nr is 0). Per task exit, never per call. */
struct task_exit_event {
	struct event_header h;
	__u32 process_ended;          /* the process's last thread: wait_status is the process's,
	                               * h.tid its tgid */
	__s32 wait_status;            /* as waitpid() reports it: exit code << 8, or the signal */
	char comm[TASK_COMM_LEN];     /* the process's name: its leader's */
};

#endif
