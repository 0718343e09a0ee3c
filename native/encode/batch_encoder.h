// Builds one protobuf Batch (proto/batch.proto) column by column as events are drained.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <linux/types.h>
#include "generated/batch_schema.h"
#include "syscall_event.h"

using batch_schema::EventKind;
// enum Tampering of proto/batch.proto.
constexpr uint32_t kTamperInjected = uint32_t(batch_schema::Tampering::TamperInjected),
                   kTamperDelayed = uint32_t(batch_schema::Tampering::TamperDelayed);

class BatchBuilder {
public:
	// start_ns: CLOCK_MONOTONIC of the trace start; every time in the batch is relative to it.
	explicit BatchBuilder(uint64_t start_ns) : start_ns_(start_ns) {}

	void add_enter(const enter_event &e, EventKind kind = EventKind::Enter);
	// An entry that carries its first nargs arguments; the others read as 0.
	void add_enter(const event_header &h, const char *comm, const __u64 *args, int nargs,
	               EventKind kind = EventKind::Enter);
	// An exit right after its own entry merges with it into one Call record.
	void add_exit(const exit_event &e);
	// Attaches a captured argument to the last event added (to the Call an exit merged into).
	void add_capture(uint8_t arg, uint8_t kind, uint8_t flags, const void *data, uint32_t len);
	// The last event added (an exit, or the Call it merged into) was tampered with:
	// how, Tampering bits of proto/batch.proto (kTamperInjected, kTamperDelayed).
	void mark_tampered(uint32_t how);
	// A new task's return from the call that made it, which it never entered.
	void add_child_return(const child_return_event &e);
	// A signal delivered to a thread named comm: nr is the signal, its siginfo_t a
	// CAPTURE_SIGINFO item with flags (CAPTURE_FLAG_SIGNAL_IGNORED: one the kernel discarded).
	void add_signal(const event_header &h, const char *comm, const void *siginfo, uint32_t len, uint8_t flags = 0);
	// A process named comm ended: ret is its wait status (h.nr is 0).
	void add_process_exit(const event_header &h, const char *comm, int wait_status);
	// count more events were lost (the ring was full), seen at ts_ns (CLOCK_MONOTONIC).
	void add_lost(uint64_t ts_ns, uint64_t count);
	// A thread other than its process's last ended.
	void add_thread_exit(const event_header &h) { add_common(h, EventKind::ThreadExit); }
	// -k: pid's executable mappings (as the session read them), which place the stacks
	// of its events from event on (an index in this batch; size(): the next event added).
	void add_maps(uint32_t event, uint32_t pid, std::string maps);
	// How many batches were finished before the one being built.
	uint64_t batches_finished() const { return batches_finished_; }
	size_t size() const { return kind_.size(); }
	bool empty() const { return kind_.empty(); }
	// Bytes of captured data in the batch so far: a batch also closes when they grow large.
	size_t capture_bytes() const { return capture_bytes_; }

	// Encodes the batch, then resets the builder for the next one.
	std::string finish(uint64_t flush_ns, uint64_t lost_events);

private:
	void add_common(const event_header &h, EventKind kind);
	uint32_t comm_index(const char *comm);

	uint64_t start_ns_;
	uint64_t last_ts_ns_ = 0;
	int64_t base_ts_ns_ = 0;
	std::vector<uint32_t> kind_, tid_, nr_, pid_, comm_index_;
	std::vector<int64_t> ts_delta_, args_[SYSCALL_ARG_COUNT], ret_, duration_;
	std::vector<std::string> comms_;
	std::vector<uint32_t> capture_event_, capture_arg_, capture_kind_, capture_flags_;
	std::vector<uint32_t> tampered_event_, tampered_how_, event_comm_index_;
	// The captures' bytes end to end, and where each one ends: one allocation, not one each.
	std::string capture_data_;
	std::vector<uint32_t> capture_ends_;
	size_t capture_bytes_ = 0;
	std::vector<uint32_t> maps_event_, maps_pid_;
	std::vector<std::string> maps_text_;
	uint64_t batches_finished_ = 0;
	// Consecutive events mostly come from one task: remember the last comm to skip the search.
	char last_comm_[TASK_COMM_LEN] = {};
	uint32_t last_comm_index_ = UINT32_MAX;
};
