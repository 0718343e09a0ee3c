#include "process/process_maps.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include <linux/types.h>

#include "syscall_event.h"

std::string executable_lines(const std::string &maps, std::vector<std::pair<uint64_t, uint64_t>> &ranges)
{
	std::string out;
	std::istringstream in(maps);
	std::string line;
	ranges.clear();
	while (std::getline(in, line)) {
		// "start-end perms offset dev inode path"
		unsigned long long start = 0, end = 0;
		char perms[5] = {};
		if (sscanf(line.c_str(), "%llx-%llx %4s", &start, &end, perms) != 3 || perms[2] != 'x') continue;
		ranges.emplace_back(start, end);
		out += line;
		out += '\n';
	}
	return out;
}

std::optional<std::string> MapsSnapshots::read(uint32_t pid, Snapshot &snapshot)
{
	std::ifstream file("/proc/" + std::to_string(pid) + "/maps");
	if (!file) return std::nullopt;
	std::stringstream text;
	text << file.rdbuf();
	std::vector<std::pair<uint64_t, uint64_t>> ranges;
	std::string lines = executable_lines(text.str(), ranges);
	if (ranges.empty()) return std::nullopt; // gone meanwhile (an empty read), or a kernel thread
	snapshot.ranges = std::move(ranges);
	if (on_read_) on_read_(pid);
	return lines;
}

// The frame addresses of a stack item (bpf/syscall_event.h: STACK_*): after the word at the
// stack pointer, and for a build-ID stack after the frame count, N words.
static std::pair<const uint8_t *, size_t> frame_words(uint8_t kind, const uint8_t *stack, size_t len)
{
	if (kind == CAPTURE_KIND_STACK) return len < 8 ? std::make_pair(stack, size_t(0)) : std::make_pair(stack + 8, (len - 8) / 8);
	if (len < STACK_HEADER_SIZE) return {stack, 0};
	uint64_t n;
	memcpy(&n, stack + 8, sizeof(n));
	return {stack + STACK_HEADER_SIZE, std::min<uint64_t>(n, (len - STACK_HEADER_SIZE) / 8)};
}

std::optional<std::string> MapsSnapshots::before_stack(uint32_t pid, uint8_t kind, const uint8_t *stack, size_t len,
                                                      uint64_t batch_number)
{
	auto found = processes_.find(pid);
	if (found == processes_.end()) {
		if (processes_.size() >= kMaxProcesses) processes_.clear();
		found = processes_.emplace(pid, Snapshot{}).first;
	} else {
		if (found->second.read_in_batch == batch_number) return std::nullopt;
		bool covered = true;
		// The word at the stack pointer is not necessarily an address: frames only.
		const auto [frames, count] = frame_words(kind, stack, len);
		for (size_t i = 0; covered && i < count; i++) {
			uint64_t addr;
			memcpy(&addr, frames + 8 * i, sizeof(addr));
			covered = false;
			for (const auto &[start, end] : found->second.ranges)
				if (addr >= start && addr < end) covered = true;
		}
		if (covered) return std::nullopt;
	}
	found->second.read_in_batch = batch_number;
	return read(pid, found->second);
}

std::optional<std::string> MapsSnapshots::after_exec(uint32_t pid)
{
	if (processes_.size() >= kMaxProcesses && !processes_.count(pid)) processes_.clear();
	Snapshot &snapshot = processes_[pid];
	snapshot.ranges.clear();
	snapshot.read_in_batch = UINT64_MAX;
	return read(pid, snapshot);
}
