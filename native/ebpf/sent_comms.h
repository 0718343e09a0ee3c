// The eBPF programs leave an entry's comm out when the last entry with a comm from the same
// CPU was the same thread's with the same name (EVENT_ENTER_SAME_COMM, bpf/streaming.bpf.h:
// comm_already_sent()). This keeps, per CPU, what that last one said, to name the others: the
// drain thread reads each CPU's entries in the order they were written.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include <linux/types.h>
#include "syscall_event.h"

class SentComms {
public:
	SentComms() : by_cpu_(CPU_LINES) {}

	// An entry with its comm, written on cpu.
	void sent(uint16_t cpu, uint32_t tid, const char *comm)
	{
		if (cpu >= CPU_LINES) return;
		by_cpu_[cpu].tid = tid;
		memcpy(by_cpu_[cpu].comm, comm, TASK_COMM_LEN);
	}

	// The comm of an entry written on cpu without one. Always known for our programs' entries;
	// "?" if not (the tid differs), rather than another thread's name.
	const char *of(uint16_t cpu, uint32_t tid) const
	{
		static const char unknown[TASK_COMM_LEN] = "?";
		if (cpu >= CPU_LINES || by_cpu_[cpu].tid != tid) return unknown;
		return by_cpu_[cpu].comm;
	}

private:
	struct Sent {
		uint32_t tid = 0;
		char comm[TASK_COMM_LEN] = {};
	};
	std::vector<Sent> by_cpu_;
};
