#include "ptrace/seccomp_filter.h"

#include <algorithm>
#include <cstddef>

#include <linux/audit.h>
#include <linux/seccomp.h>

namespace {

constexpr uint32_t kX32SyscallBit = 0x40000000;

sock_filter statement(uint16_t code, uint32_t k) { return sock_filter{code, 0, 0, k}; }
sock_filter jump(uint16_t code, uint32_t k, uint8_t if_true, uint8_t if_false) { return sock_filter{code, if_true, if_false, k}; }

} // namespace

std::vector<sock_filter> seccomp_trace_filter(const std::vector<uint32_t> &nrs)
{
	std::vector<uint32_t> sorted(nrs);
	std::sort(sorted.begin(), sorted.end());
	sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

	std::vector<sock_filter> program;
	program.push_back(statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
	program.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	program.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
	program.push_back(statement(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
	program.push_back(jump(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, 0, 1));
	program.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
	// One test and one return per number: every jump is short, whatever the list's length
	// (conditional jumps reach at most 255 instructions).
	for (uint32_t nr : sorted) {
		program.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
		program.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_TRACE));
	}
	program.push_back(statement(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	return program;
}
