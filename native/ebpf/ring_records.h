// The records the BPF programs write to the ring (bpf/syscall_event.h), one by one into the
// batch: the eight event kinds, the capture items after an event's fixed part, and the task
// names the programs leave out of an entry (sent_comms.h). On the drain thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "encode/batch_encoder.h"
#include "ebpf/sent_comms.h"
#include "session/stack_maps.h"

class RingRecords {
public:
	// stack_maps: -k, else null.
	RingRecords(BatchBuilder &batch, StackMaps *stack_maps) : batch_(batch), stack_maps_(stack_maps) {}

	// One record, as the ring holds it; one of an unknown kind or cut short is left out.
	void add(const void *record, size_t size);

private:
	// The capture_item records after an event's fixed part, into the batch's last event (an
	// event of process pid); -k: a stack's mappings before it.
	void add_capture_items(uint32_t pid, const uint8_t *items, size_t size);

	BatchBuilder &batch_;
	StackMaps *stack_maps_;
	SentComms sent_comms_;
};
