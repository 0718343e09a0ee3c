// Reads a traced process's memory from the tracer: process_vm_readv, or PTRACE_PEEKDATA
// word by word where process_vm_readv is not allowed (it needs the same permission as
// ptrace attach, but some kernels or security modules refuse it to a tracer that could
// still PEEKDATA a stopped tracee).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>

class TraceeMemory {
public:
	explicit TraceeMemory(pid_t tid) : tid_(tid) {}

	// Copies len bytes at addr into out; false if any byte could not be read.
	bool read(uint64_t addr, void *out, size_t len);
	// A NUL-terminated string at addr, up to max bytes (without the NUL). truncated: no NUL
	// within max bytes. False if the first byte cannot be read.
	bool read_string(uint64_t addr, size_t max, std::string &out, bool &truncated);

private:
	// Up to len bytes at addr, stopping at the first unreadable page; how many were read.
	size_t read_partial(uint64_t addr, char *out, size_t len);
	size_t peek(uint64_t addr, char *out, size_t len);

	pid_t tid_;
	// process_vm_readv failed with EPERM/ENOSYS once: PEEKDATA from then on.
	static bool use_peek_;
};
