// The capture rule table (src/syscalls/capture-rules.ts) applied by the ptrace backend: copies the
// arguments a rule names out of the stopped tracee's memory into the batch, as the BPF
// programs do (same item kinds, flags and limits; see proto/batch.proto).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <linux/types.h>
#include "syscall_event.h"

class BatchBuilder;
class TraceeMemory;

class PtraceCaptures {
public:
	void add_rule(uint32_t nr, const capture_rule &rule);
	bool empty() const { return empty_; }
	// Adds the items of nr's entry (at_exit false) or exit rules to the batch's last event.
	// At the exit only a successful call's (ret >= 0) arguments are copied.
	void capture(BatchBuilder &batch, TraceeMemory &memory, uint32_t nr, const uint64_t args[SYSCALL_ARG_COUNT],
	             bool at_exit, int64_t ret) const;

	// Copies that worked at the entry, and copies that failed (FAULT items), as the eBPF
	// backend counts them. Its third count, copies retried at the exit, is always 0 here:
	// process_vm_readv faults pages in, so an entry copy never needs a second try.
	uint64_t copied_at_entry() const { return copied_at_entry_; }
	uint64_t failed() const { return failed_; }

private:
	void apply(BatchBuilder &batch, TraceeMemory &memory, const capture_rule &rule,
	           const uint64_t args[SYSCALL_ARG_COUNT], bool at_exit, int64_t ret) const;
	// An iovec array as an item of array_kind, then the data of its elements.
	void copy_iovec(BatchBuilder &batch, TraceeMemory &memory, const capture_rule &rule, uint8_t array_kind,
	                uint64_t addr, uint64_t count, bool at_exit, int64_t ret) const;

	std::array<std::vector<capture_rule>, CAPTURE_SYSCALLS> rules_;
	bool empty_ = true;
	mutable uint64_t copied_at_entry_ = 0, failed_ = 0;
};
