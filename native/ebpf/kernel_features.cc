#include "ebpf/kernel_features.h"

#include <bpf/libbpf.h>

namespace {

// libbpf cannot probe tp_btf (tracing) programs' helpers, which need an attach point; a raw
// tracepoint's helpers are the tracing programs' too (they share the kernel's list).
bool tracing_helper(enum bpf_func_id helper)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, helper, nullptr) == 1;
}

KernelFeatures probe()
{
	KernelFeatures f;
	// libbpf answers 0 both for "no such map type" and for "may not create maps" (no
	// privilege); only a kernel that creates an array but no ring buffer lacks them. Without
	// privilege the answer is left to the load, which names the missing capabilities.
	f.ring_buffer = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1 ||
	                libbpf_probe_bpf_map_type(BPF_MAP_TYPE_ARRAY, nullptr) != 1;
	f.task_btf = tracing_helper(BPF_FUNC_get_current_task_btf);
	f.task_storage = f.task_btf && libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, nullptr) == 1 &&
	                 tracing_helper(BPF_FUNC_task_storage_get);
	f.task_pt_regs = f.task_btf && tracing_helper(BPF_FUNC_task_pt_regs);
	return f;
}

} // namespace

std::string KernelFeatures::describe() const
{
	std::string text = task_storage ? "task storage" : "per-thread hashes (no task storage)";
	text += task_btf ? ", BTF tasks" : ", tasks by probe reads";
	if (!task_pt_regs) text += ", no task_pt_regs";
	return text;
}

const KernelFeatures &kernel_features()
{
	static const KernelFeatures features = probe();
	return features;
}
