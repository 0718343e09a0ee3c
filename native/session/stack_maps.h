// -k: the processes' executable mappings, sent in the batch with the stacks they place
// (proto/batch.proto: maps). Both sessions read them (process/process_maps.h) on their own
// thread as they add stacks and execs to the batch, and hand the encoder the text to write:
// the encoder itself reads nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

#include <linux/types.h>
#include "encode/batch_encoder.h"
#include "process/process_maps.h"
#include "syscall_event.h"

class StackMaps {
public:
	// read: called with each process whose maps were read (MapsSnapshots).
	explicit StackMaps(std::function<void(uint32_t pid)> read = nullptr) : snapshots_(std::move(read)) {}

	// Before a stack item of pid (CAPTURE_KIND_STACK or _STACK_BUILD_ID) goes to the batch's
	// last event: pid's mappings, when the last ones sent do not cover its frames.
	void before_stack(BatchBuilder &batch, uint32_t pid, uint8_t kind, const void *stack, size_t len);
	// After an exit went into the batch: a successful execve's new mappings, which apply
	// from the next event on (this call's stack is the old image's).
	void after_exit(BatchBuilder &batch, const exit_event &e);

private:
	MapsSnapshots snapshots_;
};
