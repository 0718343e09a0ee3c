// -k: snapshots of the traced processes' executable mappings (/proc/PID/maps), which user
// space needs to symbolise stacks and can no longer read once a process has exited or
// exec'd. Read on the session's thread as the stacks are drained: for the ptrace backend at
// the stop (the process cannot have changed), for the eBPF one soon after the call (a
// process that exits first leaves its stacks unsymbolised: README, "Stacks").
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

class MapsSnapshots {
public:
	// read: called with each process whose maps were read (the eBPF session tells its
	// programs, which then leave build IDs out of its stacks).
	explicit MapsSnapshots(std::function<void(uint32_t pid)> read = nullptr) : on_read_(std::move(read)) {}

	// The maps to send before a stack of pid (a CAPTURE_KIND_STACK or _STACK_BUILD_ID item), or
	// nothing when the last snapshot sent covers its frames. A process is read again on a
	// miss (a library loaded since), at most once per batch: code outside any mapping (bad
	// frames) must not cost a read per call.
	std::optional<std::string> before_stack(uint32_t pid, uint8_t kind, const uint8_t *stack, size_t len,
	                                        uint64_t batch_number);
	// pid's execve succeeded: its mappings are new; returns them if it can still be read.
	std::optional<std::string> after_exec(uint32_t pid);

private:
	struct Snapshot {
		std::vector<std::pair<uint64_t, uint64_t>> ranges; // executable [start, end)
		uint64_t read_in_batch = UINT64_MAX;
	};
	std::optional<std::string> read(uint32_t pid, Snapshot &snapshot);

	// At most this many processes are remembered; past it the table starts over (each
	// process is then read again at its next stack: a cost, never a wrong symbol).
	static constexpr size_t kMaxProcesses = 4096;
	std::unordered_map<uint32_t, Snapshot> processes_;
	std::function<void(uint32_t pid)> on_read_;
};

// The lines of a /proc/PID/maps text whose permissions include x, and their ranges.
std::string executable_lines(const std::string &maps, std::vector<std::pair<uint64_t, uint64_t>> &ranges);
