// What the running kernel offers the BPF programs, probed once: each facility the programs
// use where the kernel has it, and an older mechanism stands in where it has not (see the
// has_* settings in bpf/kernel.bpf.h).
#pragma once

#include <string>

struct KernelFeatures {
	bool ring_buffer = true;   // BPF ring buffers (Linux 5.8): without them, no eBPF backend
	bool task_btf = false;     // bpf_get_current_task_btf() (Linux 5.11)
	bool task_storage = false; // task storage in tracing programs (5.12); else hashes by tid
	bool task_pt_regs = false; // bpf_task_pt_regs() (5.15)

	// "task storage, BTF tasks, task_pt_regs", or what stands in: for -v and the kernel table.
	std::string describe() const;
};

// Probes with libbpf's helper and map probes (tiny programs the verifier checks in
// microseconds); the answer is kept for the process.
const KernelFeatures &kernel_features();
