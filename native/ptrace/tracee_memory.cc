#include "ptrace/tracee_memory.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/ptrace.h>
#include <sys/uio.h>

bool TraceeMemory::use_peek_ = false;

namespace {

constexpr size_t kPageSize = 4096;
// Strings are read a chunk at a time, never past the page the chunk starts in: a string
// ending just before an unmapped page must still be read.
constexpr size_t kStringChunk = 256;

} // namespace

size_t TraceeMemory::peek(uint64_t addr, char *out, size_t len)
{
	size_t done = 0;
	while (done < len) {
		uint64_t word_addr = (addr + done) & ~uint64_t(7);
		errno = 0;
		long word = ptrace(PTRACE_PEEKDATA, tid_, word_addr, nullptr);
		if (errno) break;
		size_t skip = (addr + done) - word_addr;
		size_t n = std::min(sizeof(word) - skip, len - done);
		memcpy(out + done, reinterpret_cast<char *>(&word) + skip, n);
		done += n;
	}
	return done;
}

size_t TraceeMemory::read_partial(uint64_t addr, char *out, size_t len)
{
	if (use_peek_) return peek(addr, out, len);
	size_t done = 0;
	while (done < len) {
		// One page at a time after a short read: process_vm_readv stops at the first fault.
		iovec local = {out + done, len - done};
		iovec remote = {reinterpret_cast<void *>(addr + done), len - done};
		ssize_t n = process_vm_readv(tid_, &local, 1, &remote, 1, 0);
		if (n < 0 && (errno == EPERM || errno == ENOSYS)) {
			use_peek_ = true;
			return done + peek(addr + done, out + done, len - done);
		}
		if (n <= 0) break;
		done += size_t(n);
	}
	return done;
}

bool TraceeMemory::read(uint64_t addr, void *out, size_t len)
{
	if (len == 0) return true;
	if (addr == 0) return false;
	return read_partial(addr, static_cast<char *>(out), len) == len;
}

bool TraceeMemory::read_string(uint64_t addr, size_t max, std::string &out, bool &truncated)
{
	out.clear();
	truncated = false;
	if (addr == 0) return false;
	char chunk[kStringChunk];
	while (out.size() < max + 1) {
		uint64_t at = addr + out.size();
		size_t want = std::min({kStringChunk, kPageSize - (at & (kPageSize - 1)), max + 1 - out.size()});
		size_t got = read_partial(at, chunk, want);
		const char *nul = static_cast<const char *>(memchr(chunk, 0, got));
		if (nul) {
			out.append(chunk, nul - chunk);
			return true;
		}
		out.append(chunk, got);
		if (got < want) return !out.empty();
	}
	// max + 1 bytes without a NUL: longer than max.
	out.resize(max);
	truncated = true;
	return true;
}
