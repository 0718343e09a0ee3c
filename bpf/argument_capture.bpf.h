/* Copies the arguments the capture table names (strings, buffers, sockaddrs, structs) from the
 * traced program's memory into the event, as capture_item records after its fixed part.
 * Used by the streaming programs (streaming.bpf.h) and stack_capture.bpf.h: the static
 * helpers here are always inlined into the programs, the __noinline ones are global functions
 * the verifier checks once.
 *
 * Inputs are copied at the entry, outputs at the exit. A copy at the entry can fault when the
 * page is not resident yet (these programs cannot sleep to fault it in): such a copy is
 * retried at the exit from the pointer saved in task storage, once the kernel has touched it.
 * Events with captures are assembled in a per-CPU scratch buffer and copied into the ring with
 * bpf_ringbuf_output(), whose size may vary; events without keep the reserve/submit fast path. */
#ifndef BPFTRACE_TS_ARGUMENT_CAPTURE_H
#define BPFTRACE_TS_ARGUMENT_CAPTURE_H

#include "kernel.bpf.h"
#include "ring.bpf.h"

/* Set by user space before load. */
const volatile bool capture_enabled = false;
const volatile struct syscall_capture capture_table[CAPTURE_SYSCALLS] = {};
/* The data room of a CAPTURE_INLINE_BYTES record: the largest such rule's max_bytes rounded
 * up to 8, at most CAPTURE_INLINE_MAX. */
const volatile __u32 inline_bytes = 0;

/* Calls with copies only at the entry whose exit has a retry to do (saved in saved_calls).
 * While there are none, their exits skip the task-storage lookup. A task killed before its
 * exit leaves its count behind: then those exits only look up in vain, as they would without it. */
__u64 exit_retries_pending = 0;

/* The event being assembled, and where its next item goes (CAPTURE_RECORD_SIZE: offsets are
 * masked by CAPTURE_EVENT_MAX - 1 and sizes by 2 * CAPTURE_ITEM_MAX - 1, so every access is
 * inside whatever the values are). */
_Static_assert(CAPTURE_EVENT_MAX == 16384 && CAPTURE_ITEM_MAX == 4096 && CAPTURE_SYSCALLS == 512 &&
               CAPTURE_RULES_PER_SYSCALL == 8, "the BOUNDED() masks below assume these sizes");

struct capture_scratch {
	__u64 args[SYSCALL_ARG_COUNT]; /* the call's arguments (at the exit: saved at its entry) */
	__s64 ret;
	__u32 off;                    /* the record's length so far */
	__u32 walk_count;             /* the counting walks' state (count_pointers_chunk()...) */
	__u64 walk_pos;
	__u8 record[CAPTURE_RECORD_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct capture_scratch);
} capture_scratch SEC(".maps");

static __always_inline __u32 capture_when(long nr)
{
	if (!capture_enabled || (unsigned long)nr >= CAPTURE_SYSCALLS)
		return 0;
	return capture_table[BOUNDED(nr, 511 /* CAPTURE_SYSCALLS - 1 */)].when;
}

/* The rules of syscall nr (masked: the verifier needs the bound). */
static __always_inline const volatile struct capture_rule *rules_of(long nr)
{
	return capture_table[BOUNDED(nr, 511 /* CAPTURE_SYSCALLS - 1 */)].rules;
}

/* Rule `index` of syscall nr. */
static __always_inline const volatile struct capture_rule *rule_of(long nr, __u32 index)
{
	return &rules_of(nr)[BOUNDED(index, 7 /* CAPTURE_RULES_PER_SYSCALL - 1 */)];
}

static __always_inline struct capture_scratch *scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&capture_scratch, &zero);
}

/* Argument i of six: a switch, since older verifiers reject a stack read at a variable offset. */
static __always_inline __u64 arg_value(const __u64 *args, __u32 i)
{
	switch (i) {
	case 0: return args[0];
	case 1: return args[1];
	case 2: return args[2];
	case 3: return args[3];
	case 4: return args[4];
	default: return args[5];
	}
}

static __always_inline __u8 *record_at(struct capture_scratch *c, __u32 off)
{
	return c->record + BOUNDED(off, 16383 /* CAPTURE_EVENT_MAX - 1 */);
}

/* Where the next item's data starts, or -1 when the event is full. */
static __always_inline long item_data_offset(const struct capture_scratch *c)
{
	__u32 off = c->off;

	if (off >= CAPTURE_EVENT_MAX - sizeof(struct capture_item))
		return -1;
	return off + sizeof(struct capture_item);
}

static __always_inline void close_item(struct capture_scratch *c, __u8 arg, __u8 kind, __u8 flags, __u32 len)
{
	struct capture_item *item;
	__u32 off = c->off;

	if (off >= CAPTURE_EVENT_MAX - sizeof(*item))
		return;
	item = (struct capture_item *)record_at(c, off);
	item->arg = arg;
	item->kind = kind;
	item->flags = flags;
	item->pad = 0;
	item->len = len;
	c->off = off + sizeof(*item) + ((len + 7) & ~7U);
}

/* Up to size - 1 bytes of a string and its NUL; the count with the NUL, or < 0. */
static __always_inline long read_string(struct capture_scratch *c, __u32 data_off, __u64 ptr, __u32 size)
{
	if (size > CAPTURE_ITEM_MAX + 2)
		size = CAPTURE_ITEM_MAX + 2;
	if (data_off >= CAPTURE_EVENT_MAX)
		return -1;
	return bpf_probe_read_user_str(record_at(c, data_off), BOUNDED(size, 8191 /* 2 * CAPTURE_ITEM_MAX - 1 */),
	                               (const void *)ptr);
}

/* A string of at most max bytes; returns its length, or -1 if it could not be read. */
static __always_inline long copy_string(struct capture_scratch *c, __u32 data_off, __u64 ptr, __u32 max, __u8 *flags)
{
	/* max bytes, one more to see a longer string, and the NUL */
	long n = read_string(c, data_off, ptr, max + 2);

	if (n <= 0)
		return -1;
	n -= 1;
	if (n > max) {
		*flags |= CAPTURE_FLAG_TRUNCATED;
		n = max;
	}
	return n;
}

static __always_inline long copy_bytes(struct capture_scratch *c, __u32 data_off, __u64 ptr, __u64 len)
{
	if (len > CAPTURE_ITEM_MAX)
		len = CAPTURE_ITEM_MAX;
	if (data_off >= CAPTURE_EVENT_MAX)
		return -1;
	if (bpf_probe_read_user(record_at(c, data_off), BOUNDED(len, 8191 /* 2 * CAPTURE_ITEM_MAX - 1 */), (const void *)ptr))
		return -1;
	return len;
}

/* The walks (argv's strings, envp's pointers, a getdents buffer's entries) run as calls of a global
 * function taking WALK_CHUNK steps: the verifier checks that function once, and each of its
 * steps once, where one loop of CAPTURE_ENVC_MAX steps would be checked step by step (past
 * what older verifiers allow), and bpf_loop() needs Linux 5.17. The walk's state is in the
 * scratch buffer: the global functions of older kernels take no pointers. Each returns 1
 * once the walk is over. */
#define WALK_CHUNK 64
_Static_assert(CAPTURE_ENVC_MAX % WALK_CHUNK == 0 && CAPTURE_DIRENTS_MAX % WALK_CHUNK == 0 &&
               CAPTURE_ARGV_MAX % WALK_CHUNK == 0, "whole chunks");

/* Counts the non-NULL pointers of a NULL-terminated array (walk_count). */
__noinline int count_pointers_chunk(__u64 array)
{
	struct capture_scratch *c = scratch();
	int i;

	if (!c)
		return 1;
	for (i = 0; i < WALK_CHUNK; i++) {
		__u64 element = 0;

		if (bpf_probe_read_user(&element, sizeof(element), (const void *)(array + c->walk_count * sizeof(element))) ||
		    !element)
			return 1;
		c->walk_count++;
	}
	return 0;
}

/* Counts the directory entries in the first `size` bytes of a getdents buffer (walk_count),
 * walk_pos being where the next one starts; linux_dirent and linux_dirent64 both keep d_reclen
 * at offset 16. */
__noinline int count_dirents_chunk(__u64 buffer, __u64 size)
{
	struct capture_scratch *c = scratch();
	int i;

	if (!c)
		return 1;
	for (i = 0; i < WALK_CHUNK; i++) {
		__u16 reclen = 0;

		if (c->walk_pos + 18 > size ||
		    bpf_probe_read_user(&reclen, sizeof(reclen), (const void *)(buffer + c->walk_pos + 16)) || !reclen)
			return 1;
		c->walk_count++;
		c->walk_pos += reclen;
	}
	return 0;
}

/* How an argv walk's chunk ended. */
enum argv_walk {
	ARGV_MORE = 0,  /* the chunk was all elements: walk on */
	ARGV_END = 1,   /* the array's NULL, or an element that cannot be read after the first */
	ARGV_CUT = 2,   /* more elements than CAPTURE_ARGV_MAX, or than CAPTURE_ITEM_MAX bytes hold */
	ARGV_FAULT = 3, /* not even the first element could be read */
};

/* Copies argv's strings from element walk_count on, each cut at max + 1 bytes (one more than
 * shown says it was cut) with its NUL, from data_off + walk_pos on (walk_pos: the bytes so
 * far). Returns an enum argv_walk. */
__noinline int copy_argv_chunk(__u64 array, __u32 data_off, __u32 max)
{
	struct capture_scratch *c = scratch();
	int i;

	if (!c)
		return ARGV_FAULT;
	for (i = 0; i < WALK_CHUNK; i++) {
		__u64 element = 0;
		__u64 at = array + c->walk_count * sizeof(element);
		long n;

		if (bpf_probe_read_user(&element, sizeof(element), (const void *)at))
			return c->walk_count == 0 ? ARGV_FAULT : ARGV_END;
		if (!element)
			return ARGV_END;
		if (c->walk_count >= CAPTURE_ARGV_MAX || c->walk_pos >= CAPTURE_ITEM_MAX)
			return ARGV_CUT;
		n = read_string(c, data_off + (__u32)c->walk_pos, element, max + 2);
		if (n <= 0)
			return c->walk_count == 0 ? ARGV_FAULT : ARGV_END;
		c->walk_pos += n;
		c->walk_count++;
	}
	return ARGV_MORE;
}

/* An iovec array (an item of array_kind), then the data of its elements (the first `total`
 * bytes in all). Returns -1 if some of it could not be read. */
static __always_inline int copy_iovec(struct capture_scratch *c, __u8 arg, __u8 flags, __u8 array_kind,
                                       __u64 iov, __u64 count, __u64 total, __u32 max)
{
	struct { __u64 base, len; } vec;
	long data_off = item_data_offset(c);
	__u32 copied = 0;
	int status = 0;
	int i;

	if (count > CAPTURE_IOVEC_MAX)
		count = CAPTURE_IOVEC_MAX;
	if (data_off < 0)
		return 0;
	if (copy_bytes(c, data_off, iov, count * sizeof(vec)) < 0) {
		close_item(c, arg, array_kind, flags | CAPTURE_FLAG_FAULT, 0);
		return -1;
	}
	close_item(c, arg, array_kind, flags, count * sizeof(vec));
	data_off = item_data_offset(c);
	if (data_off < 0)
		return 0;
	if (total > max)
		total = max;
	for (i = 0; i < CAPTURE_IOVEC_MAX; i++) {
		__u64 n;

		if (i >= count || copied >= total)
			break;
		if (bpf_probe_read_user(&vec, sizeof(vec), (const void *)(iov + i * sizeof(vec)))) {
			status = -1;
			break;
		}
		n = vec.len < total - copied ? vec.len : total - copied;
		if (n > CAPTURE_ITEM_MAX || copied > CAPTURE_ITEM_MAX)
			break;
		if (copy_bytes(c, data_off + copied, vec.base, n) < 0) {
			status = -1;
			break;
		}
		copied += n;
	}
	/* Data cut short by a fault is not shown as if the program had passed less. */
	close_item(c, arg, CAPTURE_KIND_BYTES, status < 0 ? flags | CAPTURE_FLAG_FAULT : flags, copied);
	return status;
}

/* len bytes at ptr as an item of this kind: one that says FAULT (and -1) if they cannot be read. */
static __always_inline int copy_item(struct capture_scratch *c, __u8 arg, __u8 kind, __u8 flags, __u64 ptr, __u64 len)
{
	long data_off = item_data_offset(c);
	long n;

	if (data_off < 0)
		return 0;
	n = copy_bytes(c, data_off, ptr, len);
	if (n < 0) {
		close_item(c, arg, kind, flags | CAPTURE_FLAG_FAULT, 0);
		return -1;
	}
	close_item(c, arg, kind, flags, n);
	return 0;
}

/* A msghdr as an item, then what it points to: the name and the control messages. Its iovec
 * array is left to the caller (one copy_iovec() in capture_rule keeps the program small).
 * Returns -1 if the msghdr could not be read (then msg is not filled), 1 if a part could not. */
static __always_inline int copy_msghdr(struct capture_scratch *c, __u8 arg, __u8 flags, long data_off, __u64 ptr,
                                       struct capture_msghdr *msg)
{
	int status = 0;

	if (bpf_probe_read_user(msg, sizeof(*msg), (const void *)ptr)) {
		close_item(c, arg, CAPTURE_KIND_STRUCT, flags | CAPTURE_FLAG_FAULT, 0);
		return -1;
	}
	__builtin_memcpy(record_at(c, data_off), msg, sizeof(*msg));
	close_item(c, arg, CAPTURE_KIND_STRUCT, flags, sizeof(*msg));
	if (msg->name && msg->namelen &&
	    copy_item(c, arg, CAPTURE_KIND_MSG_NAME, flags, msg->name,
	              msg->namelen < CAPTURE_SOCKADDR_MAX ? msg->namelen : CAPTURE_SOCKADDR_MAX) < 0)
		status = 1;
	if (msg->control && msg->controllen &&
	    copy_item(c, arg, CAPTURE_KIND_MSG_CONTROL, flags, msg->control,
	              msg->controllen < CAPTURE_CONTROL_MAX ? msg->controllen : CAPTURE_CONTROL_MAX) < 0)
		status = 1;
	return status;
}

/* The byte count a rule's length names, or -1 when it cannot be known. */
static __always_inline __s64 rule_length(const struct capture_scratch *c, const volatile struct capture_rule *r)
{
	__u64 n;

	switch (r->length_from) {
	case CAPTURE_LENGTH_FIXED:
		return r->elem_size;
	case CAPTURE_LENGTH_ARG:
		n = arg_value(c->args, r->length_arg);
		return n > CAPTURE_ITEM_MAX ? CAPTURE_ITEM_MAX : n * r->elem_size;
	case CAPTURE_LENGTH_RET:
		return c->ret < 0 ? -1 : c->ret > CAPTURE_ITEM_MAX ? CAPTURE_ITEM_MAX : c->ret * r->elem_size;
	case CAPTURE_LENGTH_BITS:
		n = arg_value(c->args, r->length_arg);
		return n > 8 * CAPTURE_ITEM_MAX ? CAPTURE_ITEM_MAX : (n + 63) / 64 * 8;
	case CAPTURE_LENGTH_POINTER: {
		__u32 len = 0;

		if (bpf_probe_read_user(&len, sizeof(len), (const void *)arg_value(c->args, r->length_arg)))
			return -1;
		return len;
	}
	}
	return -1;
}

enum capture_result {
	CAPTURE_DONE = 0,      /* copied, or nothing to copy (NULL, event full) */
	CAPTURE_FAULTED = 1,   /* a copy faulted and left no item: worth a retry at the exit */
	CAPTURE_FAILED = 2,    /* a copy faulted at the exit: its items say FAULT, it is counted */
};

/* The result of a copy in several parts (an iovec array, a msghdr, fd sets), status < 0 or 1
 * when a part faulted: at the entry nothing is kept (c->off back to start), for a retry at
 * the exit; at the exit the faulted parts' items say so, and it is counted. */
static __always_inline int parts_result(struct capture_scratch *c, int status, bool may_retry, __u32 start)
{
	if (!status)
		return CAPTURE_DONE;
	if (may_retry) {
		c->off = start;
		return CAPTURE_FAULTED;
	}
	count(COUNTER_CAPTURE_FAILED);
	return CAPTURE_FAILED;
}

/* select's three fd sets (args 1-3) of the rule's length: an item for each that is not NULL,
 * with its argument's index. An entry's copy that faults leaves none, for a retry at the exit. */
static __always_inline int copy_fd_sets(struct capture_scratch *c, const volatile struct capture_rule *r, __u8 flags,
                                        bool may_retry, __u32 start)
{
	__s64 len = rule_length(c, r);
	int status = 0, i;

	if (len > r->max_bytes)
		len = r->max_bytes;
	for (i = 1; i <= 3; i++) {
		__u64 set = arg_value(c->args, i);

		if (set && copy_item(c, i, CAPTURE_KIND_STRUCT, flags, set, len) < 0)
			status = -1;
	}
	return parts_result(c, status, may_retry, start);
}

/* Applies rule `index` of syscall nr to the event in the scratch buffer. A global function:
 * the verifier checks it once, not once per call site and path, which kept the programs
 * under its instruction limit. An input copied at the entry that faults (a page the program
 * has not touched yet) leaves nothing and returns CAPTURE_FAULTED, for a retry at the exit. */
__noinline int capture_rule(__u32 nr, __u32 index, __u32 flags)
{
	const volatile struct capture_rule *r = rule_of(nr, index);
	struct capture_scratch *c = scratch();
	__u8 arg, source, kind, item_flags = flags;
	bool may_retry = !(flags & (CAPTURE_FLAG_AT_EXIT | CAPTURE_FLAG_RETRIED));
	__u64 ptr;
	__u32 max, start;
	long data_off, n = -1;
	__s64 len;

	if (!c)
		return CAPTURE_DONE;
	start = c->off;
	arg = r->arg;
	source = r->source;
	max = r->max_bytes;
	if (source == CAPTURE_SOURCE_FDSETS)
		return copy_fd_sets(c, r, item_flags, may_retry, start);
	ptr = arg_value(c->args, arg);
	data_off = item_data_offset(c);
	if (!ptr || data_off < 0)
		return CAPTURE_DONE; /* NULL shows as NULL; a full event drops the item */
	switch (source) {
	case CAPTURE_SOURCE_STRING:
		n = copy_string(c, data_off, ptr, max, &item_flags);
		if (n < 0)
			return CAPTURE_FAULTED;
		close_item(c, arg, CAPTURE_KIND_STRING, item_flags, n);
		return CAPTURE_DONE;
	case CAPTURE_SOURCE_ARGV: {
		int i, walk = ARGV_MORE;

		c->walk_pos = 0;
		c->walk_count = 0;
		/* One chunk more than the elements: the last one sees whether the array goes on. */
		for (i = 0; i <= CAPTURE_ARGV_MAX / WALK_CHUNK && walk == ARGV_MORE; i++)
			walk = copy_argv_chunk(ptr, data_off, max);
		if (walk == ARGV_FAULT)
			return CAPTURE_FAULTED;
		if (walk == ARGV_CUT)
			item_flags |= CAPTURE_FLAG_TRUNCATED;
		close_item(c, arg, CAPTURE_KIND_STRING_ARRAY, item_flags, c->walk_pos);
		return CAPTURE_DONE;
	}
	case CAPTURE_SOURCE_ENVC: {
		int i;

		c->walk_count = 0;
		for (i = 0; i < CAPTURE_ENVC_MAX / WALK_CHUNK; i++)
			if (count_pointers_chunk(ptr))
				break;
		*(__u32 *)record_at(c, data_off) = c->walk_count;
		close_item(c, arg, CAPTURE_KIND_COUNT, item_flags, sizeof(__u32));
		return CAPTURE_DONE;
	}
	case CAPTURE_SOURCE_DIRENTS: {
		__u64 size = c->ret > 0 ? c->ret : 0;
		int i;

		c->walk_pos = 0;
		c->walk_count = 0;
		for (i = 0; i < CAPTURE_DIRENTS_MAX / WALK_CHUNK; i++)
			if (count_dirents_chunk(ptr, size))
				break;
		if (c->walk_pos < size && c->walk_count >= CAPTURE_DIRENTS_MAX)
			item_flags |= CAPTURE_FLAG_TRUNCATED;
		*(__u32 *)record_at(c, data_off) = c->walk_count;
		close_item(c, arg, CAPTURE_KIND_COUNT, item_flags, sizeof(__u32));
		return CAPTURE_DONE;
	}
	case CAPTURE_SOURCE_IOVEC:
	case CAPTURE_SOURCE_MSGHDR: {
		__u64 iov = ptr, iovlen = arg_value(c->args, r->length_arg);
		__u8 array_kind = CAPTURE_KIND_STRUCT;
		int status = 0;

		if (source == CAPTURE_SOURCE_MSGHDR) {
			struct capture_msghdr msg;

			status = copy_msghdr(c, arg, item_flags, data_off, ptr, &msg);
			iov = status < 0 ? 0 : msg.iov;
			iovlen = status < 0 ? 0 : msg.iovlen;
			array_kind = CAPTURE_KIND_MSG_IOV;
		}
		if (iov && copy_iovec(c, arg, item_flags, array_kind, iov, iovlen,
		                      (flags & CAPTURE_FLAG_AT_EXIT) ? c->ret : ~0ULL, max) < 0)
			status = -1;
		return parts_result(c, status, may_retry, start);
	}
	}
	/* bytes and structs, and what a pointer in a struct points to: a NULL one shows as NULL */
	kind = source == CAPTURE_SOURCE_BYTES ? CAPTURE_KIND_BYTES :
	       source == CAPTURE_SOURCE_POINTEE ? CAPTURE_KIND_POINTEE : CAPTURE_KIND_STRUCT;
	if (source == CAPTURE_SOURCE_POINTEE &&
	    bpf_probe_read_user(&ptr, sizeof(ptr), (const void *)(ptr + r->field)))
		goto fault;
	if (!ptr)
		return CAPTURE_DONE;
	len = rule_length(c, r);
	if (len >= 0) {
		if (len > max) {
			len = max;
			if (source == CAPTURE_SOURCE_STRUCT)
				item_flags |= CAPTURE_FLAG_TRUNCATED;
		}
		n = copy_bytes(c, data_off, ptr, len);
	}
	if (n < 0) {
fault:
		if (may_retry)
			return CAPTURE_FAULTED;
		count(COUNTER_CAPTURE_FAILED);
		close_item(c, arg, kind, item_flags | CAPTURE_FLAG_FAULT, 0);
		return CAPTURE_FAILED;
	}
	close_item(c, arg, kind, item_flags, n);
	return CAPTURE_DONE;
}

/* A copy that failed for good: an empty item that says so. */
__noinline int capture_failed(__u32 nr, __u32 index)
{
	const volatile struct capture_rule *r = rule_of(nr, index);
	struct capture_scratch *c = scratch();
	__u8 source = r->source, kind;

	count(COUNTER_CAPTURE_FAILED);
	if (!c || item_data_offset(c) < 0)
		return 0;
	switch (source) {
	case CAPTURE_SOURCE_STRING:
		kind = CAPTURE_KIND_STRING;
		break;
	case CAPTURE_SOURCE_ARGV:
		kind = CAPTURE_KIND_STRING_ARRAY;
		break;
	case CAPTURE_SOURCE_BYTES:
		kind = CAPTURE_KIND_BYTES;
		break;
	case CAPTURE_SOURCE_POINTEE:
		kind = CAPTURE_KIND_POINTEE;
		break;
	default:
		kind = CAPTURE_KIND_STRUCT;
	}
	close_item(c, r->arg, kind, CAPTURE_FLAG_FAULT, 0);
	return 0;
}

/* The entry's copies. Returns the bits of the rules that faulted and can be retried. */
static __always_inline __u32 capture_at_entry(long nr)
{
	const volatile struct capture_rule *rules = rules_of(nr);
	__u32 retry = 0;
	int i;

	for (i = 0; i < CAPTURE_RULES_PER_SYSCALL; i++) {
		if (rules[i].source == CAPTURE_SOURCE_NONE || rules[i].at_exit)
			continue;
		if (capture_rule(nr, i, 0) == CAPTURE_DONE)
			count(COUNTER_CAPTURED_AT_ENTRY);
		else
			retry |= 1U << i;
	}
	return retry;
}

/* The exit's copies: outputs of a call that succeeded, and the entry's faulted strings
 * (except after a successful execve: the memory they were in is gone). */
static __always_inline void capture_at_exit(long nr, long ret, __u32 retry)
{
	const volatile struct capture_rule *rules = rules_of(nr);
	bool execed = (nr == NR_execve || nr == NR_execveat) && ret == 0;
	int i;

	for (i = 0; i < CAPTURE_RULES_PER_SYSCALL; i++) {
		if (rules[i].source == CAPTURE_SOURCE_NONE)
			continue;
		if (rules[i].at_exit) {
			if (ret >= 0)
				capture_rule(nr, i, CAPTURE_FLAG_AT_EXIT);
		} else if (retry & (1U << i)) {
			int result = execed ? CAPTURE_FAULTED : capture_rule(nr, i, CAPTURE_FLAG_RETRIED);

			if (result == CAPTURE_DONE)
				count(COUNTER_CAPTURE_RETRIED);
			else if (result == CAPTURE_FAULTED)
				capture_failed(nr, i);
		}
	}
}

#endif
