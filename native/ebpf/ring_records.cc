#include "ebpf/ring_records.h"

#include <algorithm>
#include <cstring>

void RingRecords::add(const void *record, size_t size)
{
	const auto *h = static_cast<const event_header *>(record);
	size_t fixed = 0;
	if (h->kind == EVENT_ENTER && size >= sizeof(enter_event)) {
		const auto *e = static_cast<const enter_event *>(record);
		sent_comms_.sent(h->cpu, h->tid, e->comm);
		batch_.add_enter(*e);
		fixed = sizeof(enter_event);
	} else if (h->kind == EVENT_ENTER_SHORT && size >= sizeof(short_enter_event)) {
		const auto *e = static_cast<const short_enter_event *>(record);
		sent_comms_.sent(h->cpu, h->tid, e->comm);
		batch_.add_enter(e->h, e->comm, e->args, SHORT_ENTER_ARGS);
		fixed = sizeof(short_enter_event);
	} else if (h->kind == EVENT_ENTER_SAME_COMM && size >= sizeof(same_comm_enter_event)) {
		const auto *e = static_cast<const same_comm_enter_event *>(record);
		batch_.add_enter(e->h, sent_comms_.of(h->cpu, h->tid), e->args, SYSCALL_ARG_COUNT);
		fixed = sizeof(same_comm_enter_event);
	} else if (h->kind == EVENT_ENTER_SHORT_SAME_COMM && size >= sizeof(short_same_comm_enter_event)) {
		const auto *e = static_cast<const short_same_comm_enter_event *>(record);
		batch_.add_enter(e->h, sent_comms_.of(h->cpu, h->tid), e->args, SHORT_ENTER_ARGS);
		fixed = sizeof(short_same_comm_enter_event);
	} else if (h->kind == EVENT_EXIT && size >= sizeof(exit_event)) {
		const auto *e = static_cast<const exit_event *>(record);
		batch_.add_exit(*e);
		if (stack_maps_) stack_maps_->after_exit(batch_, *e);
		fixed = sizeof(exit_event);
	} else if (h->kind == EVENT_CHILD_RETURN && size >= sizeof(child_return_event)) {
		batch_.add_child_return(*static_cast<const child_return_event *>(record));
	} else if ((h->kind == EVENT_SIGNAL || h->kind == EVENT_SIGNAL_IGNORED) && size >= sizeof(signal_event)) {
		const auto *e = static_cast<const signal_event *>(record);
		batch_.add_signal(e->h, e->comm, e->siginfo, sizeof(e->siginfo),
		                  h->kind == EVENT_SIGNAL_IGNORED ? CAPTURE_FLAG_SIGNAL_IGNORED : 0);
	} else if (h->kind == EVENT_TASK_EXIT && size >= sizeof(task_exit_event)) {
		const auto *e = static_cast<const task_exit_event *>(record);
		if (e->process_ended) batch_.add_process_exit(e->h, e->comm, e->wait_status);
		else batch_.add_thread_exit(e->h);
	}
	if (fixed) add_capture_items(h->tgid, static_cast<const uint8_t *>(record) + fixed, size - fixed);
}

void RingRecords::add_capture_items(uint32_t pid, const uint8_t *items, size_t size)
{
	while (size >= sizeof(capture_item)) {
		capture_item item;
		memcpy(&item, items, sizeof(item));
		size_t padded = (size_t(item.len) + 7) & ~size_t(7);
		if (item.len > size - sizeof(item)) return; // never from our programs: stop rather than overread
		const uint8_t *data = items + sizeof(item);
		if (stack_maps_ && (item.kind == CAPTURE_KIND_STACK || item.kind == CAPTURE_KIND_STACK_BUILD_ID))
			stack_maps_->before_stack(batch_, pid, item.kind, data, item.len);
		if (item.kind != CAPTURE_KIND_PAD) batch_.add_capture(item.arg, item.kind, item.flags, data, item.len);
		padded = std::min(padded, size - sizeof(item));
		items += sizeof(item) + padded;
		size -= sizeof(item) + padded;
	}
}
