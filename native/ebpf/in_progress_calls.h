// The system calls a process's threads are blocked in right now, read from
// /proc/PID/task/TID/syscall: a tracer that attaches after they began never sees their
// entry, yet a user attaching to a hung process must see at once what it waits in.
#pragma once

#include <cstdint>
#include <vector>

#include <linux/types.h>
#include "syscall_event.h"

// One enter_event per blocked thread of process tgid, stamped now_ns.
std::vector<enter_event> in_progress_calls(uint32_t tgid, uint64_t now_ns);
