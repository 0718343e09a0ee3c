// Loads the BPF programs of bpf/syscall_trace.bpf.c, attaches them, and owns them until
// destroyed: destruction detaches everything, so nothing of ours stays in the kernel.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include <linux/types.h>
#include "encode/aggregate_encoder.h"
#include "syscall_event.h"

struct syscall_trace;
struct bpf_map;
struct bpf_link;

// Attach flavours, cheapest first; user space tries them in this order.
enum class AttachMode { TpBtf, RawTp, Tracepoint };
const char *attach_mode_name(AttachMode mode);
std::optional<AttachMode> attach_mode_from_name(const std::string &name);

struct TracerConfig {
	bool trace_all = false;          // -a: no target set
	bool follow_children = true;     // add children of targets to the set
	bool filter_syscalls = false;
	std::vector<uint32_t> syscalls;  // numbers traced when filter_syscalls
	// Syscalls of at most SHORT_ENTER_ARGS arguments: their entries carry only those.
	std::vector<uint32_t> short_arg_syscalls;
	std::string comm;                // only tasks with this comm, if not empty
	uint64_t ring_bytes = 0;         // power of two, multiple of the page size
	std::optional<AttachMode> forced_mode;
	bool verbose = false;            // keep libbpf's informational messages too
	// In-kernel aggregation instead of streaming every call (tp_btf only).
	bool aggregate = false;
	aggregate_by group_by = AGGREGATE_BY_SYSCALL;
	bool failures_only = false;      // aggregate failed calls only
	uint64_t cgroup_id = 0;          // only tasks in this cgroup (v2 id), if not 0
	// Arguments to copy, by syscall number (CAPTURE_SYSCALLS entries); empty: none.
	std::vector<syscall_capture> captures;
	// -k: frames of each call's user-space stack, at most STACK_MAX_FRAMES; 0: no stacks.
	uint32_t stack_frames = 0;
};

class BpfTracer {
public:
	explicit BpfTracer(const TracerConfig &config); // throws NativeError
	~BpfTracer();
	BpfTracer(const BpfTracer &) = delete;
	BpfTracer &operator=(const BpfTracer &) = delete;

	AttachMode mode() const { return mode_; }
	// What was tried and libbpf's messages, for -v.
	const std::string &log() const { return log_; }
	// Microseconds from the construction to the programs' load (opening, the flavours that
	// failed, the verifier), and from there to their attachment.
	long load_us() const { return load_us_; }
	long attach_us() const { return attach_us_; }
	// Adds a process to the target set.
	void add_target(uint32_t tgid, target_state state);
	// -k: user space has read pid's mappings; its stacks can go without build IDs.
	void note_maps_read(uint32_t pid);
	// Sum of one per-CPU counter over all CPUs.
	uint64_t counter(counter_slot slot) const;
	bpf_map *events() const;
	// Aggregation: switches the programs to the other stats table, then reads and empties
	// the one they were filling.
	std::vector<AggregateRow> take_aggregate();

private:
	bool try_mode(const TracerConfig &config, AttachMode mode, std::string &why);
	void detach();
	std::vector<AggregateRow> take_syscall_rows(__u32 generation);

	syscall_trace *skel_ = nullptr;
	std::vector<bpf_link *> links_;
	bool by_syscall_ = false; // aggregation rows are per syscall and CPU (see the BPF source)
	AttachMode mode_ = AttachMode::TpBtf;
	std::string log_;
	std::string first_verifier_tail_; // of the first flavour that failed to load
	timespec began_ = {};
	long load_us_ = 0, attach_us_ = 0;
};
