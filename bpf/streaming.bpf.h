/* Streams every traced system call's entry and exit into the ring, with the arguments and
 * stacks copied for it.
 *
 * Each syscall pair exists in three attach flavours and user space loads exactly one set:
 * tp_btf (BTF raw tracepoint: direct register loads, cheapest), raw_tp (probe reads), and
 * the classic raw_syscalls tracepoint (needs tracefs). They share the prologue wanted()
 * (filters.bpf.h), and only then write to the ring. */
#ifndef BPFTRACE_TS_STREAMING_BPF_H
#define BPFTRACE_TS_STREAMING_BPF_H

#include "kernel.bpf.h"
#include "ring.bpf.h"
#include "filters.bpf.h"
#include "task_state.bpf.h"
#include "argument_capture.bpf.h"
#include "stack_capture.bpf.h"

/* Syscalls whose entries carry SHORT_ENTER_ARGS arguments (the table gives them no more). */
const volatile __u64 short_args_bitmap[SYSCALL_BITMAP_WORDS] = {};

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

#endif
