// -k for the ptrace backend: the user-space stack of a thread stopped at a syscall entry,
// walked by frame pointers as the kernel walks it for the eBPF backend, added to the batch's
// last event as the same CAPTURE_KIND_STACK item (bpf/syscall_event.h), after the mappings
// of process tgid that place it if they are not in the trace yet.
#pragma once

#include <cstdint>
#include <sys/types.h>

class BatchBuilder;
class StackMaps;

void capture_user_stack(BatchBuilder &batch, StackMaps &maps, pid_t tid, pid_t tgid, uint32_t max_frames);
