#include "process/own_priority.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <sys/resource.h>

void lower_own_priority(int increment, pid_t spared_tid)
{
	if (increment <= 0) return;
	// Linux keeps a nice value per thread (setpriority on a tid): every one is changed,
	// V8's and libuv's workers included, or they would still compete at the old priority.
	DIR *tasks = opendir("/proc/self/task");
	if (!tasks) return;
	while (const dirent *entry = readdir(tasks)) {
		char *end = nullptr;
		const long tid = std::strtol(entry->d_name, &end, 10);
		if (tid <= 0 || *end != '\0' || tid == spared_tid) continue;
		errno = 0;
		const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
		// A thread that ended since the listing (ESRCH) needs nothing; raising one's own
		// nice value is never refused otherwise.
		if (nice == -1 && errno != 0) continue;
		setpriority(PRIO_PROCESS, static_cast<id_t>(tid), std::min(19, nice + increment));
	}
	closedir(tasks);
}
