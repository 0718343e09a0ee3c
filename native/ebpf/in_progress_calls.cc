#include "ebpf/in_progress_calls.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string>

namespace {

bool read_small_file(const std::string &path, char *buf, size_t size)
{
	FILE *f = fopen(path.c_str(), "re");
	if (!f) return false;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n > 0;
}

} // namespace

std::vector<enter_event> in_progress_calls(uint32_t tgid, uint64_t now_ns)
{
	std::vector<enter_event> calls;
	std::string task_dir = "/proc/" + std::to_string(tgid) + "/task";
	DIR *dir = opendir(task_dir.c_str());
	if (!dir) return calls;
	while (dirent *entry = readdir(dir)) {
		char *end;
		unsigned long tid = strtoul(entry->d_name, &end, 10);
		if (*end || tid == 0) continue;
		std::string base = task_dir + "/" + entry->d_name;
		// "NR ARG0 ... ARG5 SP PC" while blocked in a call; "running", or "-1 SP PC" otherwise.
		char line[512];
		if (!read_small_file(base + "/syscall", line, sizeof(line))) continue;
		enter_event e = {};
		unsigned long long args[SYSCALL_ARG_COUNT];
		int nr;
		if (sscanf(line, "%d %llx %llx %llx %llx %llx %llx", &nr, &args[0], &args[1], &args[2], &args[3],
		           &args[4], &args[5]) != 1 + SYSCALL_ARG_COUNT || nr < 0)
			continue;
		e.h = {now_ns, static_cast<__u32>(tid), tgid, nr, EVENT_ENTER, 0};
		for (int i = 0; i < SYSCALL_ARG_COUNT; i++) e.args[i] = args[i];
		char comm[TASK_COMM_LEN + 2] = {};
		if (read_small_file(base + "/comm", comm, sizeof(comm))) comm[strcspn(comm, "\n")] = '\0';
		memcpy(e.comm, comm, TASK_COMM_LEN - 1);
		calls.push_back(e);
	}
	closedir(dir);
	return calls;
}
