/* The ring buffer every event goes through, and what writing to it needs: the per-CPU line
 * that paces wakeups and the header every event starts with. Also the per-CPU counters user
 * space reports at the end (events lost to a full ring, argument copies, uncounted calls),
 * which every part bumps. */
#ifndef BPFTRACE_TS_RING_BPF_H
#define BPFTRACE_TS_RING_BPF_H

#include "kernel.bpf.h"

/* Wake the consumer once per this many bytes from each CPU (a power of two); a user-space
 * timer collects the rest. A wakeup per event costs the traced program more than the
 * event itself. */
const volatile __u64 wakeup_bytes = 256 * 1024;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20); /* resized by user space before load */
} events SEC(".maps");

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

/* A cache line per CPU (8 words), written by that CPU only: the bytes it has put into the
 * ring (wakeup_flag()), then the tid and comm of its last entry sent with a comm (see
 * comm_already_sent(), streaming.bpf.h). CPUs from CPU_LINES on share lines for the bytes, which only shifts
 * when wakeups happen, and always send the comm. A plain array: the skeleton has no name
 * for a struct type here. */
#define WORDS_PER_LINE 8
#define LINE_RING_BYTES 0
#define LINE_TID 1
#define LINE_COMM 2 /* and 3 */
_Static_assert(CPU_LINES == 1024, "the literal bounds of BOUNDED() here and in streaming.bpf.h assume this size");
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

static __always_inline void fill_header(struct event_header *h, __u64 pid_tgid, long nr, __u32 kind)
{
	h->ts_ns = bpf_ktime_get_ns();
	h->tid = (__u32)pid_tgid;
	h->tgid = pid_tgid >> 32;
	h->nr = nr;
	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
}

#endif
