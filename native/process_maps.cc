#include "process_maps.h"

#include <cstring>
#include <fstream>
#include <sstream>

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
	return lines;
}

std::optional<std::string> MapsSnapshots::before_stack(uint32_t pid, const uint8_t *stack, size_t len,
                                                      uint64_t batch_number)
{
	auto found = processes_.find(pid);
	if (found == processes_.end()) {
		if (processes_.size() >= kMaxProcesses) processes_.clear();
		found = processes_.emplace(pid, Snapshot{}).first;
	} else {
		if (found->second.read_in_batch == batch_number) return std::nullopt;
		bool covered = true;
		// Word 0 is the word at the stack pointer, not necessarily an address: frames only.
		for (size_t off = 8; covered && off + 8 <= len; off += 8) {
			uint64_t addr;
			memcpy(&addr, stack + off, sizeof(addr));
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
