#include "session/stack_maps.h"

#include <optional>
#include <string>
#include <sys/syscall.h>
#include <utility>

void StackMaps::before_stack(BatchBuilder &batch, uint32_t pid, uint8_t kind, const void *stack, size_t len)
{
	if (batch.empty()) return; // the item has no event to go with
	std::optional<std::string> maps =
	    snapshots_.before_stack(pid, kind, static_cast<const uint8_t *>(stack), len, batch.batches_finished());
	if (maps) batch.add_maps(uint32_t(batch.size() - 1), pid, std::move(*maps));
}

void StackMaps::after_exit(BatchBuilder &batch, const exit_event &e)
{
	if (e.ret != 0 || (e.h.nr != SYS_execve && e.h.nr != SYS_execveat)) return;
	std::optional<std::string> maps = snapshots_.after_exec(e.h.tgid);
	if (maps) batch.add_maps(uint32_t(batch.size()), e.h.tgid, std::move(*maps));
}
