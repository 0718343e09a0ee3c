#include "ptrace/ptrace_stack.h"

#include <sys/ptrace.h>
#include <sys/user.h>
#include <vector>

#include "encode/batch_encoder.h"
#include "session/stack_maps.h"
#include "ptrace/tracee_memory.h"

void capture_user_stack(BatchBuilder &batch, StackMaps &maps, pid_t tid, pid_t tgid, uint32_t max_frames)
{
	user_regs_struct regs;
	if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0) return;
	TraceeMemory memory(tid);
	std::vector<uint64_t> words;
	uint64_t sp_word = 0;
	if (!memory.read(regs.rsp, &sp_word, sizeof(sp_word))) sp_word = 0;
	words.push_back(sp_word);
	words.push_back(regs.rip); // the instruction after the syscall
	uint64_t fp = regs.rbp;
	// Each frame: the caller's frame pointer, then the return address. A frame pointer must
	// be aligned and move up the stack, else it is not one (code without frame pointers
	// uses rbp as it likes): the walk stops there, as the kernel's stops at a bad read.
	while (words.size() - 1 < max_frames && fp != 0 && (fp & 7) == 0) {
		uint64_t frame[2];
		if (!memory.read(fp, frame, sizeof(frame)) || frame[1] == 0) break;
		words.push_back(frame[1]);
		if (frame[0] <= fp) break;
		fp = frame[0];
	}
	const uint32_t len = uint32_t(words.size() * sizeof(uint64_t));
	maps.before_stack(batch, uint32_t(tgid), CAPTURE_KIND_STACK, words.data(), len);
	batch.add_capture(STACK_ITEM_ARG, CAPTURE_KIND_STACK, 0, words.data(), len);
}
