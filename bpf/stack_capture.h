/* -k: the user-space stack of each traced call, taken at its entry and appended to the event
 * as a CAPTURE_KIND_STACK item (layout: bpf/syscall_event.h). Included by syscall_trace.bpf.c
 * after argument_capture.h, whose scratch buffer and item helpers it uses.
 *
 * bpf_get_stack() with BPF_F_USER_STACK walks the user registers saved at the syscall entry
 * (the kernel's task_pt_regs), whatever the program type: the instruction after the syscall,
 * then one return address per frame pointer. Code built without frame pointers breaks that
 * chain: user space says so (src/stack-symbols.ts). The word at the stack pointer rides
 * along: in a wrapper that keeps no frame it is the wrapper's return address, which the
 * frame-pointer walk never sees. */
#ifndef BPFTRACE_TS_STACK_CAPTURE_H
#define BPFTRACE_TS_STACK_CAPTURE_H

/* Set by user space before load: without -k the verifier prunes every use. */
const volatile bool stack_enabled = false;
const volatile __u32 stack_frames = STACK_DEFAULT_FRAMES; /* 1..STACK_MAX_FRAMES */

_Static_assert(STACK_MAX_FRAMES * 8 <= 1023, "the BOUNDED() mask below assumes this");

/* The user stack pointer at the call for the classic tracepoint, whose context has no
 * registers: from the task's saved ones where the kernel names them (bpf_task_pt_regs(),
 * Linux 5.15); else 0, and the stack goes without its word at the stack pointer. The BTF
 * flavours read it from their regs argument. */
static __always_inline __u64 tracepoint_user_sp(void)
{
	if (!has_task_pt_regs)
		return 0;
	return BPF_CORE_READ((struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf()), sp);
}

static __always_inline void capture_stack(void *ctx, struct capture_scratch *c, __u64 user_sp)
{
	long data_off = item_data_offset(c);
	__u64 *words, sp_word = 0;
	long n;

	if (data_off < 0)
		return;
	words = (__u64 *)record_at(c, data_off);
	if (!user_sp || bpf_probe_read_user(&sp_word, sizeof(sp_word), (const void *)user_sp))
		sp_word = 0;
	words[0] = sp_word;
	n = bpf_get_stack(ctx, words + 1, BOUNDED(stack_frames * 8, 1023), BPF_F_USER_STACK);
	if (n < 0)
		n = 0;
	close_item(c, STACK_ITEM_ARG, CAPTURE_KIND_STACK, 0, sizeof(sp_word) + n);
}

/* A successful execve replaced the process's mappings: wake the consumer at once, so it
 * reads the new ones (/proc/PID/maps) while the process most likely still runs. */
static __always_inline __u64 stack_wakeup(long nr, long ret, __u64 flags)
{
	if (stack_enabled && ret == 0 && (nr == NR_execve || nr == NR_execveat))
		return BPF_RB_FORCE_WAKEUP;
	return flags;
}

#endif
