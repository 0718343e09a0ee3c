/* -k: the user-space stack of each traced call, taken at its entry and appended to the event
 * as a CAPTURE_KIND_STACK item (layout: bpf/syscall_event.h), through the scratch buffer
 * and item helpers of argument_capture.bpf.h.
 *
 * bpf_get_stack() with BPF_F_USER_STACK walks the user registers saved at the syscall entry
 * (the kernel's task_pt_regs), whatever the program type: the instruction after the syscall,
 * then one return address per frame pointer. Code built without frame pointers breaks that
 * chain: user space says so (src/stack-symbols.ts). The word at the stack pointer rides
 * along: in a wrapper that keeps no frame it is the wrapper's return address, which the
 * frame-pointer walk never sees.
 *
 * Until user space has read the process's /proc/PID/maps, the walk is taken twice: as
 * addresses, and with BPF_F_USER_BUILD_ID as (build ID, offset in the file) per frame. A
 * short-lived process has often ended before user space reads its maps; the build IDs still
 * name its objects, and the pairs (address, build ID and offset) give each object's load
 * address, which places the word at the stack pointer too. The kernel gives a frame's
 * address instead when it cannot read the build ID without waiting (the mm's lock taken,
 * the file's first page not in memory). */
#ifndef BPFTRACE_TS_STACK_CAPTURE_H
#define BPFTRACE_TS_STACK_CAPTURE_H

#include "kernel.bpf.h"
#include "argument_capture.bpf.h"

/* Set by user space before load: without -k the verifier prunes every use. */
const volatile bool stack_enabled = false;
const volatile __u32 stack_frames = STACK_DEFAULT_FRAMES; /* 1..STACK_MAX_FRAMES */

_Static_assert(STACK_MAX_FRAMES * 8 <= 1023 && STACK_MAX_FRAMES * STACK_BUILD_ID_FRAME_SIZE <= 4095,
               "the BOUNDED() masks below assume this");

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

/* Processes whose mappings user space has read since their last execve (key: tgid; it adds
 * them: native/process/process_maps.h). Their stacks go as addresses, which those maps place; the
 * others' also with build IDs, which cost the kernel a lookup per frame. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STACK_MAPS_READ_MAX); /* 1 without -k: user space shrinks it */
	__type(key, __u32);
	__type(value, __u8);
} maps_read SEC(".maps");

static __always_inline void capture_stack(void *ctx, struct capture_scratch *c, __u64 user_sp, __u32 tgid)
{
	long data_off = item_data_offset(c);
	__u64 *words, sp_word = 0;
	long n, ids = 0;

	if (data_off < 0)
		return;
	words = (__u64 *)record_at(c, data_off);
	if (!user_sp || bpf_probe_read_user(&sp_word, sizeof(sp_word), (const void *)user_sp))
		sp_word = 0;
	words[0] = sp_word;
	n = bpf_get_stack(ctx, words + 2, BOUNDED(stack_frames * 8, 1023), BPF_F_USER_STACK);
	if (n < 0)
		n = 0;
	n &= 1023;
	words[1] = n / 8;
	if (!bpf_map_lookup_elem(&maps_read, &tgid)) {
		ids = bpf_get_stack(ctx, record_at(c, data_off + STACK_HEADER_SIZE + n),
		                    BOUNDED(stack_frames * STACK_BUILD_ID_FRAME_SIZE, 4095),
		                    BPF_F_USER_STACK | BPF_F_USER_BUILD_ID);
		if (ids < 0)
			ids = 0;
	}
	close_item(c, STACK_ITEM_ARG, CAPTURE_KIND_STACK_BUILD_ID, 0, STACK_HEADER_SIZE + n + (ids & 4095));
}

/* After a call's exit: a successful execve replaced the process's mappings. User space has
 * not read the new ones (stacks go with build IDs again until it has), and is woken at once
 * to read them while the process most likely still runs. Returns the ring flags. */
static __always_inline __u64 stack_after_exit(long nr, long ret, __u64 flags)
{
	__u32 tgid;

	if (!stack_enabled || ret != 0 || (nr != NR_execve && nr != NR_execveat))
		return flags;
	tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_map_delete_elem(&maps_read, &tgid);
	return BPF_RB_FORCE_WAKEUP;
}

/* A process ended: a later one with its pid has mappings nobody read. */
static __always_inline void stack_process_ended(__u32 tgid)
{
	if (stack_enabled)
		bpf_map_delete_elem(&maps_read, &tgid);
}

#endif
