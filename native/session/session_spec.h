// What JavaScript asks of a trace session and what it is told at the end: the types both
// backends' sessions (eBPF: ebpf/trace_session.h, ptrace: ptrace/ptrace_session.h) share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "process/user_identity.h"

struct CommandSpec {
	std::string path;
	std::vector<std::string> argv, env;
	std::optional<UserIdentity> user; // -u: run as this user
};

// How the drain thread ended, reported after the last batch.
struct SessionEnd {
	std::string reason;          // "command-exited", "targets-exited", "stopped"
	int exit_code = -1;          // the launched command's, when it exited
	int term_signal = 0;         // the signal that killed it, if one did
	uint64_t lost_events = 0;
	uint64_t lost_task_exits = 0; // thread and process ends the ring had no room for (eBPF)
	uint64_t lost_signals = 0;    // signal deliveries the ring had no room for (eBPF)
	// Argument copies (bpf/argument_capture.bpf.h): taken at the entry, retried at the exit, failed.
	uint64_t captured_at_entry = 0, capture_retried = 0, capture_failed = 0;
	// ptrace under the -e seccomp filter: the processes killed when the trace stopped.
	std::vector<pid_t> killed_pids;
};
