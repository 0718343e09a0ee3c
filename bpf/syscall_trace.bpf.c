// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* Streams every traced system call's entry and exit into one BPF ring buffer.
 *
 * Each syscall pair exists in three attach flavours and user space loads exactly one set:
 * tp_btf (BTF raw tracepoint: direct register loads, cheapest), raw_tp (probe reads), and
 * the classic raw_syscalls tracepoint (needs tracefs). They share the prologue below,
 * which runs for every syscall on the host, so it stays tiny and rejects early:
 * our own tgid, then the target set, then the syscall bitmap, and only then the ring. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <asm-generic/errno-base.h>
#include "syscall_event.h"
#include "bounds.h"

#define NR_execve 59
#define NR_execveat 322
#define NR_brk 12
#define NR_clone 56
#define NR_fork 57
#define NR_vfork 58
#define NR_clone3 435
#define NR_rt_sigreturn 15

/* What the running kernel offers, probed by the loader (native/ebpf/kernel_features.cc). Each
 * mechanism has a stand-in for kernels without it, and the verifier prunes the one not in
 * use; false, the default, is what every kernel with a BPF ring buffer (5.8) can run. */
const volatile bool has_task_btf = false;     /* bpf_get_current_task_btf(): Linux 5.11 */
const volatile bool has_task_storage = false; /* task storage in tracing programs (5.12): else
                                               * the loader makes those maps LRU hashes by tid */
const volatile bool has_task_pt_regs = false; /* bpf_task_pt_regs(): 5.15 */

/* Set by user space before load; the verifier prunes the branches they disable. */
const volatile __u32 tracer_tgid = 0;
const volatile bool trace_all = false;
const volatile bool filter_syscalls = false;
const volatile __u64 syscall_bitmap[SYSCALL_BITMAP_WORDS] = {};
/* Syscalls whose entries carry SHORT_ENTER_ARGS arguments (the table gives them no more). */
const volatile __u64 short_args_bitmap[SYSCALL_BITMAP_WORDS] = {};
const volatile bool filter_comm = false;
const volatile __u64 comm_filter[2] = {};
/* --cgroup: only tasks in this cgroup v2 (its id). */
const volatile bool filter_cgroup = false;
const volatile __u64 cgroup_id = 0;
/* Wake the consumer once per this many bytes from each CPU (a power of two); a user-space
 * timer collects the rest. A wakeup per event costs the traced program more than the
 * event itself. */
const volatile __u64 wakeup_bytes = 256 * 1024;
/* Streaming: task exits go into the ring too (in-kernel counting has no ring consumer). */
const volatile bool report_task_exits = false;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20); /* resized by user space before load */
} events SEC(".maps");

/* The target set: TARGET_BITS of enum target_state per tgid. A plain load in the prologue,
 * where a hash lookup cost every syscall on the host ~25 ns; user space sets bits through
 * the skeleton's mmap of .bss. Changed only with atomics: forks race on shared words. */
__u64 target_state[TARGET_WORDS] = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &slot);

	if (value)
		*value += 1; /* per-CPU slot, and these programs do not nest on a CPU */
}

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

/* A cache line per CPU (8 words), written by that CPU only: the bytes it has put into the
 * ring (wakeup_flag()), then the tid and comm of its last entry sent with a comm (see
 * comm_already_sent()). CPUs from CPU_LINES on share lines for the bytes, which only shifts
 * when wakeups happen, and always send the comm. A plain array: the skeleton has no name
 * for a struct type here. */
#define WORDS_PER_LINE 8
#define LINE_RING_BYTES 0
#define LINE_TID 1
#define LINE_COMM 2 /* and 3 */
_Static_assert(CPU_LINES == 1024 && TARGET_WORDS == 131072 && SYSCALL_BITMAP_WORDS == 8 && LATENCY_BUCKETS == 156,
               "the literal bounds of BOUNDED() and CLAMPED() below assume these sizes");
__u64 cpu_lines[CPU_LINES * WORDS_PER_LINE] = {};

/* Force a wakeup when this record made its CPU's bytes cross a multiple of wakeup_bytes:
 * once per wakeup_bytes per CPU however far behind the consumer is, never per event (when it
 * falls behind is exactly when per-event wakeups would hurt most). Counted per CPU, not
 * asked of the ring (bpf_ringbuf_query()): that reads the position the consumer keeps
 * writing, a cache line from the other core on every event. */
static __always_inline __u64 wakeup_flag(__u64 size)
{
	__u64 *mine = &cpu_lines[BOUNDED(bpf_get_smp_processor_id(), 1023 /* CPU_LINES - 1 */) * WORDS_PER_LINE + LINE_RING_BYTES];
	__u64 before = *mine, after = before + size;

	*mine = after; /* no atomics: these programs do not nest on a CPU */
	return (before ^ after) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* What a task keeps from a call's entry to its exit (struct saved_call, struct call_start): in
 * task storage, freed with the task, where tracing programs have it; else in a hash keyed by
 * tid that the loader makes of the same map, whose entries task_exited() removes. map: one of
 * those maps; create: add a zeroed entry if the task has none (NULL when the hash is full). */
const volatile __u8 task_state_zeros[TASK_STATE_MAX_SIZE] = {};

static __always_inline void *task_state(void *map, bool create)
{
	__u32 tid;
	void *state;

	if (has_task_storage)
		return bpf_task_storage_get(map, bpf_get_current_task_btf(), 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	tid = (__u32)bpf_get_current_pid_tgid();
	state = bpf_map_lookup_elem(map, &tid);
	if (state || !create)
		return state;
	bpf_map_update_elem(map, &tid, (const void *)task_state_zeros, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, &tid);
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

#include "argument_capture.bpf.h"
#include "stack_capture.bpf.h"

static __always_inline void fill_header(struct event_header *h, __u64 pid_tgid, long nr, __u32 kind)
{
	h->ts_ns = bpf_ktime_get_ns();
	h->tid = (__u32)pid_tgid;
	h->tgid = pid_tgid >> 32;
	h->nr = nr;
	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
}

static __always_inline bool short_args(long nr)
{
	if ((unsigned long)nr >= SYSCALL_BITMAP_WORDS * 64)
		return false;
	return short_args_bitmap[BOUNDED(nr >> 6, 7 /* SYSCALL_BITMAP_WORDS - 1 */)] & (1ULL << (nr & 63));
}

/* The task's comm, as two words. btf_comm: the program can read it through BTF (tp_btf),
 * two loads where the bpf_get_current_comm() helper costs the traced program ~60 ns per
 * call; the others use the helper. */
static __always_inline void read_comm(__u64 *comm, bool btf_comm)
{
	if (btf_comm && has_task_btf) {
		const __u64 *from = (const __u64 *)bpf_get_current_task_btf()->comm;

		comm[0] = from[0];
		comm[1] = from[1];
	} else {
		bpf_get_current_comm(comm, TASK_COMM_LEN);
	}
}

/* Whether the last entry this CPU sent with a comm was this thread's, with this comm: then
 * this one can leave it out (EVENT_ENTER_SAME_COMM), and user space, which reads each CPU's
 * entries in the order they were written, takes it from there. A thread keeps its name for
 * most of its life and stays on its CPU for many calls: most entries go without. */
static __always_inline __u64 *own_comm_line(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return cpu < CPU_LINES ? &cpu_lines[BOUNDED(cpu, 1023 /* CPU_LINES - 1 */) * WORDS_PER_LINE] : NULL;
}

static __always_inline bool comm_already_sent(__u32 tid, const __u64 *comm)
{
	const __u64 *line = own_comm_line();

	return line && line[LINE_TID] == tid && line[LINE_COMM] == comm[0] && line[LINE_COMM + 1] == comm[1];
}

/* An entry with this comm is in the ring (not before: one lost would leave user space
 * without the name the next ones refer to). */
static __always_inline void comm_sent(__u32 tid, const __u64 *comm)
{
	__u64 *line = own_comm_line();

	if (!line)
		return;
	line[LINE_TID] = tid;
	line[LINE_COMM] = comm[0];
	line[LINE_COMM + 1] = comm[1];
}

/* An entry's fixed part: the header, the comm if with_comm, then nargs arguments
 * (SYSCALL_ARG_COUNT, or SHORT_ENTER_ARGS for the short kinds). nargs and with_comm are
 * constants once inlined, so each layout is its own code with constant offsets. */
static __always_inline __u32 enter_size(__u32 nargs, bool with_comm)
{
	return sizeof(struct event_header) + (with_comm ? TASK_COMM_LEN : 0) + nargs * sizeof(__u64);
}

_Static_assert(sizeof(struct enter_event) == sizeof(struct event_header) + TASK_COMM_LEN + SYSCALL_ARG_COUNT * 8 &&
               sizeof(struct short_enter_event) == sizeof(struct event_header) + TASK_COMM_LEN + SHORT_ENTER_ARGS * 8 &&
               sizeof(struct same_comm_enter_event) == sizeof(struct event_header) + SYSCALL_ARG_COUNT * 8 &&
               sizeof(struct short_same_comm_enter_event) == sizeof(struct event_header) + SHORT_ENTER_ARGS * 8,
               "enter_size() is the size of the entry structs user space reads");

static __always_inline void fill_enter(void *record, __u64 pid_tgid, long nr, const __u64 *args, const __u64 *comm,
                                       __u32 nargs, bool with_comm)
{
	struct event_header *h = record;
	__u64 *words = (__u64 *)(h + 1);
	__u32 kind;

	if (nargs == SYSCALL_ARG_COUNT)
		kind = with_comm ? EVENT_ENTER : EVENT_ENTER_SAME_COMM;
	else
		kind = with_comm ? EVENT_ENTER_SHORT : EVENT_ENTER_SHORT_SAME_COMM;
	fill_header(h, pid_tgid, nr, kind);
	if (with_comm) {
		words[0] = comm[0];
		words[1] = comm[1];
		words += 2;
	}
	words[0] = args[0];
	words[1] = args[1];
	words[2] = args[2];
	if (nargs == SYSCALL_ARG_COUNT) {
		words[3] = args[3];
		words[4] = args[4];
		words[5] = args[5];
	}
}

/* An event assembled in the scratch buffer, with its items, goes into the ring; false if it
 * did not fit. */
static __always_inline bool output_captured(struct capture_scratch *c, __u64 extra_flags)
{
	__u32 size = c->off;

	if (size > CAPTURE_RECORD_SIZE)
		return false;
	if (bpf_ringbuf_output(&events, c->record, size, wakeup_flag(size) | extra_flags)) {
		count(COUNTER_LOST_EVENTS);
		return false;
	}
	return true;
}

/* The entry of a call whose arguments or stack are copied. ctx: the program's. */
static __always_inline void emit_enter_captured(void *ctx, __u64 pid_tgid, long nr, const __u64 *args,
                                                const __u64 *comm, bool short_entry, __u32 when, __u64 user_sp)
{
	struct capture_scratch *c = scratch();
	struct enter_event *e;
	__u32 retry = 0;

	if (!c)
		return;
	/* Always with its comm (a rarer path: not worth two more layouts here). */
	e = (struct enter_event *)c->record;
	fill_enter(e, pid_tgid, nr, args, comm, SYSCALL_ARG_COUNT, true);
	c->off = sizeof(*e);
	if (short_entry) { /* the items then go over args[3..5] */
		e->h.kind = EVENT_ENTER_SHORT;
		c->off = sizeof(struct short_enter_event);
	}
	__builtin_memcpy(c->args, args, sizeof(c->args));
	c->ret = 0;
	if (when & CAPTURE_AT_ENTRY)
		retry = capture_at_entry(nr);
	if ((when & CAPTURE_AT_EXIT_RULES) || retry) {
		struct saved_call *saved = task_state(&saved_calls, true);

		if (saved) {
			saved->nr = nr;
			__builtin_memcpy(saved->args, args, sizeof(saved->args));
			saved->retry = retry;
			if (!(when & CAPTURE_AT_EXIT_RULES))
				__sync_fetch_and_add(&exit_retries_pending, 1);
		} else {
			count(COUNTER_CAPTURE_NO_STATE);
		}
	}
	if (stack_enabled)
		capture_stack(ctx, c, user_sp, pid_tgid >> 32);
	if (output_captured(c, 0))
		comm_sent((__u32)pid_tgid, comm);
}

/* The entry of a CAPTURE_INLINE_BYTES call (write, pwrite64): the buffer goes straight into
 * a ring record of fixed size (the verifier wants a constant), instead of through the
 * scratch buffer and a second copy by bpf_ringbuf_output(). A shorter buffer leaves room at
 * the end, at least 8 bytes (sizes are multiples of 8), which a PAD item covers. nargs and
 * with_comm as fill_enter() takes them. False when the buffer could not be read: then the
 * scratch path tries, and saves a retry. */
static __always_inline bool emit_enter_inline_as(__u64 pid_tgid, long nr, const __u64 *args, const __u64 *comm,
                                                 __u32 nargs, bool with_comm)
{
	const volatile struct capture_rule *r = &rules_of(nr)[0];
	const __u64 room = inline_bytes, max = r->max_bytes;
	const __u32 fixed = enter_size(nargs, with_comm);
	__u64 ptr = arg_value(args, r->arg), n = arg_value(args, r->length_arg), used;
	struct capture_item *item, *pad;
	void *e;

	/* 64-bit bounds throughout, so that the verifier sees the comparisons on the registers used. */
	if (!ptr)
		return false; /* NULL: no item, which the scratch path does as well */
	if (n > max)
		n = max;
	if (n > room)
		n = room;
	e = bpf_ringbuf_reserve(&events, fixed + sizeof(*item) + room, 0);
	if (!e) {
		count(COUNTER_LOST_EVENTS);
		return true;
	}
	item = (struct capture_item *)((__u8 *)e + fixed);
	if (bpf_probe_read_user(item + 1, n, (const void *)ptr)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return false;
	}
	fill_enter(e, pid_tgid, nr, args, comm, nargs, with_comm);
	item->arg = r->arg;
	item->kind = CAPTURE_KIND_BYTES;
	item->flags = 0;
	item->pad = 0;
	item->len = n;
	used = (n + 7) & ~7ULL;
	/* Not used + sizeof(*pad) <= room: 6.12.95's verifier loses the bound of a register
	 * compared after a constant was added to it. */
	if (used <= room - sizeof(*pad)) {
		pad = (struct capture_item *)((__u8 *)(item + 1) + used);
		pad->arg = 0;
		pad->kind = CAPTURE_KIND_PAD;
		pad->flags = 0;
		pad->pad = 0;
		pad->len = room - used - sizeof(*pad);
	}
	count(COUNTER_CAPTURED_AT_ENTRY);
	bpf_ringbuf_submit(e, wakeup_flag(fixed + sizeof(*item) + room));
	if (with_comm)
		comm_sent((__u32)pid_tgid, comm);
	return true;
}

static __always_inline bool emit_enter_inline(__u64 pid_tgid, long nr, const __u64 *args, const __u64 *comm, __u32 nargs)
{
	if (comm_already_sent((__u32)pid_tgid, comm))
		return emit_enter_inline_as(pid_tgid, nr, args, comm, nargs, false);
	return emit_enter_inline_as(pid_tgid, nr, args, comm, nargs, true);
}

/* The exit of a call with outputs to copy or copies to retry; false if there are none. */
static __always_inline bool emit_exit_captured(__u64 pid_tgid, long nr, long ret, __u32 when)
{
	struct saved_call *saved;
	struct capture_scratch *c;
	struct exit_event *e;
	__u32 retry;

	/* Most calls with copies only at the entry (every write) have nothing saved for their exit. */
	if (!(when & CAPTURE_AT_EXIT_RULES) && !exit_retries_pending)
		return false;
	saved = task_state(&saved_calls, false);
	if (!saved || saved->nr != nr)
		return false;
	saved->nr = -1;
	if (!(when & CAPTURE_AT_EXIT_RULES))
		__sync_fetch_and_add(&exit_retries_pending, -1);
	c = scratch();
	if (!c)
		return false;
	__builtin_memcpy(c->args, saved->args, sizeof(c->args));
	retry = saved->retry;
	c->ret = ret;
	e = (struct exit_event *)c->record;
	fill_header(&e->h, pid_tgid, nr, EVENT_EXIT);
	e->ret = ret;
	c->off = sizeof(*e);
	capture_at_exit(nr, ret, retry);
	output_captured(c, stack_after_exit(nr, ret, 0));
	return true;
}

/* The entry of a call with nothing to copy: the fixed part alone, as fill_enter() lays it out. */
static __always_inline void emit_enter_plain_as(__u64 pid_tgid, long nr, const __u64 *args, const __u64 *comm,
                                                __u32 nargs, bool with_comm)
{
	void *e = bpf_ringbuf_reserve(&events, enter_size(nargs, with_comm), 0);

	if (!e) {
		count(COUNTER_LOST_EVENTS);
		return;
	}
	fill_enter(e, pid_tgid, nr, args, comm, nargs, with_comm);
	bpf_ringbuf_submit(e, wakeup_flag(enter_size(nargs, with_comm)));
	if (with_comm)
		comm_sent((__u32)pid_tgid, comm);
}

static __always_inline void emit_enter_plain(__u64 pid_tgid, long nr, const __u64 *args, const __u64 *comm, __u32 nargs)
{
	if (comm_already_sent((__u32)pid_tgid, comm))
		emit_enter_plain_as(pid_tgid, nr, args, comm, nargs, false);
	else
		emit_enter_plain_as(pid_tgid, nr, args, comm, nargs, true);
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

/* Only the new task returns 0 from the calls that make tasks: it never entered the call, and
 * its task storage is fresh, so it has nothing saved to copy either. */
static __always_inline bool is_child_return(long nr, long ret)
{
	return ret == 0 && (nr == NR_clone || nr == NR_fork || nr == NR_vfork || nr == NR_clone3);
}

static __always_inline void emit_child_return(__u64 pid_tgid, long nr)
{
	struct child_return_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(COUNTER_LOST_EVENTS);
		return;
	}
	fill_header(&e->exit.h, pid_tgid, nr, EVENT_CHILD_RETURN);
	e->exit.ret = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, wakeup_flag(sizeof(*e)));
}

static __always_inline void emit_exit(long nr, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct exit_event *e;
	__u32 when;

	/* rt_sigreturn's exit reports syscall -1: the kernel restored orig_ax from the signal
	 * frame. -e selects it by the call it ends (user space pairs it with the thread's call). */
	if (!wanted(pid_tgid >> 32, nr == -1 ? NR_rt_sigreturn : nr, false) || abandoned_by_dying_thread(ret))
		return;
	if (is_child_return(nr, ret)) {
		emit_child_return(pid_tgid, nr);
		return;
	}
	when = capture_when(nr);
	if (when && emit_exit_captured(pid_tgid, nr, ret, when))
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(COUNTER_LOST_EVENTS);
		return;
	}
	fill_header(&e->h, pid_tgid, nr, EVENT_EXIT);
	e->ret = ret;
	bpf_ringbuf_submit(e, stack_after_exit(nr, ret, wakeup_flag(sizeof(*e))));
}

/* Every flavour's sys_enter of a traced call: its event, with its copies if it has any.
 * args: its six argument registers, read by the caller only once wanted() said yes: raw_tp reads each
 * with a helper, which every untraced call on the host would pay. user_sp: the user stack
 * pointer at the call, read only for -k. */
static __always_inline void emit_enter(void *ctx, __u64 pid_tgid, long nr, const __u64 *args, bool btf_comm,
                                       __u64 user_sp)
{
	__u32 when = capture_when(nr);
	bool short_entry = short_args(nr);
	__u64 comm[2];

	read_comm(comm, btf_comm);
	if (when || stack_enabled) {
		if ((when & CAPTURE_INLINE_BYTES) && !stack_enabled &&
		    (short_entry ? emit_enter_inline(pid_tgid, nr, args, comm, SHORT_ENTER_ARGS)
		                 : emit_enter_inline(pid_tgid, nr, args, comm, SYSCALL_ARG_COUNT)))
			return;
		emit_enter_captured(ctx, pid_tgid, nr, args, comm, short_entry, when, user_sp);
		return;
	}
	if (short_entry)
		emit_enter_plain(pid_tgid, nr, args, comm, SHORT_ENTER_ARGS);
	else
		emit_enter_plain(pid_tgid, nr, args, comm, SYSCALL_ARG_COUNT);
}

/* rt_sigreturn's pseudo-argument (bpf/syscall_event.h: RT_SIGFRAME_MASK_OFFSET), set by the
 * callers only for that call (the stack pointer is a probe read for raw_tp); user_sp 0 (not
 * known) leaves it NULL. */
static __always_inline void sigreturn_mask_arg(__u64 *args, __u64 user_sp)
{
	if (user_sp)
		args[0] = user_sp + RT_SIGFRAME_MASK_OFFSET;
}

/* --- tp_btf: the arguments are BTF-typed, so registers are plain loads --- */

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_tp_btf, struct pt_regs *regs, long nr)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (wanted(pid_tgid >> 32, nr, true)) {
		__u64 args[SYSCALL_ARG_COUNT] = { regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9 };

		if (nr == NR_rt_sigreturn)
			sigreturn_mask_arg(args, regs->sp);
		emit_enter(ctx, pid_tgid, nr, args, true, stack_enabled ? regs->sp : 0);
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_tp_btf, struct pt_regs *regs, long ret)
{
	emit_exit(regs->orig_ax, ret);
	return 0;
}

/* --- raw_tp: same hook, untyped context, registers need probe reads --- */

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw_tp, struct pt_regs *regs, long nr)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (wanted(pid_tgid >> 32, nr, true)) {
		__u64 args[SYSCALL_ARG_COUNT] = { BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, si), BPF_CORE_READ(regs, dx),
		                  BPF_CORE_READ(regs, r10), BPF_CORE_READ(regs, r8), BPF_CORE_READ(regs, r9) };

		if (nr == NR_rt_sigreturn)
			sigreturn_mask_arg(args, BPF_CORE_READ(regs, sp));
		emit_enter(ctx, pid_tgid, nr, args, false, stack_enabled ? BPF_CORE_READ(regs, sp) : 0);
	}
	return 0;
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw_tp, struct pt_regs *regs, long ret)
{
	emit_exit(BPF_CORE_READ(regs, orig_ax), ret);
	return 0;
}

/* --- classic tracepoint: the kernel has already copied the arguments out --- */

SEC("tracepoint/raw_syscalls/sys_enter")
int sys_enter_tracepoint(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	long nr = ctx->id;

	if (wanted(pid_tgid >> 32, nr, true)) {
		/* One load per argument: the verifier rejects ctx accesses through a computed pointer. */
		__u64 args[SYSCALL_ARG_COUNT] = { ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3], ctx->args[4], ctx->args[5] };

		if (nr == NR_rt_sigreturn)
			sigreturn_mask_arg(args, tracepoint_user_sp());
		emit_enter(ctx, pid_tgid, nr, args, false, stack_enabled ? tracepoint_user_sp() : 0);
	}
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int sys_exit_tracepoint(struct trace_event_raw_sys_exit *ctx)
{
	emit_exit(ctx->id, ctx->ret);
	return 0;
}

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

/* --- in-kernel aggregation: per-call cost without the ring (tp_btf only) ---
 * sys_enter keeps the entry time in task storage; sys_exit adds the call to a stats row.
 * Two tables take turns: the programs fill the one `generation` names while user space
 * reads and clears the other, so intervals lose no calls. */

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

/* sys_enter_aggregate takes the tgid from the task with a plain load where the kernel
 * gives BTF-typed tasks: bpf_get_current_pid_tgid() is one more helper call on every
 * syscall of the host. */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_aggregate, struct pt_regs *regs, long nr)
{
	__u32 tgid = has_task_btf ? bpf_get_current_task_btf()->tgid : bpf_get_current_pid_tgid() >> 32;
	struct call_start *start;

	if (!wanted(tgid, nr, true))
		return 0;
	start = task_state(&call_starts, true);
	if (!start) {
		count(COUNTER_UNCOUNTED_CALLS); /* no memory for this task's entry time */
		return 0;
	}
	start->ts_ns = bpf_ktime_get_ns();
	start->nr = nr;
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
	struct call_start *start = task_state(&call_starts, false);
	bool failed = ret < 0 && ret >= -4095;
	__u64 ns, nr;

	if (!start || !start->ts_ns)
		return 0;
	ns = bpf_ktime_get_ns() - start->ts_ns;
	start->ts_ns = 0;
	if (abandoned_by_dying_thread(ret)) /* unfinished: -S does not count it either */
		return 0;
	/* The entry's number: rt_sigreturn's exit reports -1. brk returns the break, never -errno. */
	nr = start->nr;
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

char LICENSE[] SEC("license") = "Dual MIT/GPL";
