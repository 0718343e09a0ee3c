// The seccomp-bpf program that makes only the selected system calls stop a launched
// command (strace's --seccomp-bpf): SECCOMP_RET_TRACE for them, SECCOMP_RET_ALLOW for the
// rest, so an -e trace costs the command almost nothing for the calls it does not show.
#pragma once

#include <cstdint>
#include <vector>

#include <linux/filter.h>

// The program for x86_64 syscall numbers nrs. Calls of another ABI (i386, x32) always
// stop: their numbers mean other calls, and the tracer decides with the call's own info.
std::vector<sock_filter> seccomp_trace_filter(const std::vector<uint32_t> &nrs);
