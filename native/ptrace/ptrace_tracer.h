// The ptrace backend's tracer: seizes a launched command or running processes, follows
// their children, and turns every ptrace stop into batch events (the same ones the BPF
// programs produce, plus signals and process exits). Every ptrace request must come from
// the one thread that attached, so an instance lives on that thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <ctime>
#include <sys/types.h>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <linux/types.h>
#include "ptrace/ptrace_captures.h"
#include "session/stack_maps.h"
#include "syscall_event.h"

class BatchBuilder;
class HeldCommand;
struct CommandSpec;

// -e inject: what to do to the calls of some syscalls, and to which of them.
struct InjectRule {
	std::vector<uint32_t> syscalls;
	// The call is not run and returns this (-errno for error=), if set.
	std::optional<int64_t> result;
	uint64_t delay_enter_ns = 0;
	// The invocations (per task and syscall, from 1) tampered with: the first-th, then
	// every step-th after it (step 0: only the first-th).
	uint32_t first = 1, step = 1;
};

struct PtraceOptions {
	bool follow_children = true;
	// -e: the numbers to report; every call if absent.
	std::optional<std::vector<uint32_t>> syscalls;
	// With -e on a launched command: stop only at its calls with a seccomp filter (false:
	// --no-seccomp-bpf, stop at every call and report the selected ones).
	bool seccomp = true;
	// For a syscall in several rules, the last given applies (as in strace).
	std::vector<InjectRule> inject;
	PtraceCaptures captures;
	uint32_t stack_frames = 0;     // -k: frames of each call's user-space stack; 0: none
	uint64_t (*clock)() = nullptr; // CLOCK_MONOTONIC ns
	// Sent to the tracer thread when a delayed call is due (the session's wake signal).
	int wake_signal = 0;
};

// How the trace ended.
struct PtraceEnd {
	std::string reason;   // "command-exited", "targets-exited", "stopped"
	int exit_code = -1;
	int term_signal = 0;
};

class PtraceTracer {
public:
	PtraceTracer(PtraceOptions options, BatchBuilder &batch);
	~PtraceTracer(); // detaches from whatever is still attached
	PtraceTracer(const PtraceTracer &) = delete;
	PtraceTracer &operator=(const PtraceTracer &) = delete;

	// Starts the command under trace and returns its pid once it has exec'd (its stops are
	// served meanwhile). With -e its selected calls alone stop it (a seccomp filter).
	// Throws NativeError if it cannot be started.
	pid_t launch(const CommandSpec &command);
	// Seizes every thread of process tgid. Throws NativeError (no such process, EPERM).
	void attach(pid_t tgid);

	// Waits for one stop or exit of a tracee and handles it. False if the wait was
	// interrupted by a signal (the caller's timer or stop request) with nothing to handle.
	bool step();
	// Set once the trace has ended on its own (the command or the targets exited).
	const std::optional<PtraceEnd> &ended() const { return ended_; }
	const PtraceCaptures &captures() const { return options_.captures; }
	// Lets every tracee go where it is: running, blocked in a call or stopped, with no
	// stray signal; a signal being delivered is passed on. With the seccomp filter the
	// launched command cannot run untraced (its selected calls would fail with ENOSYS):
	// it is killed instead, as strace's --seccomp-bpf implies --kill-on-exit.
	// Under the seccomp filter the tracees cannot be let go: they are killed. Returns the
	// processes (tgids) killed so.
	std::vector<pid_t> release_all();

private:
	struct Tracee {
		pid_t tgid = 0;
		bool in_syscall = false;
		bool entry_known = false;   // nr and args below are this call's
		bool entry_emitted = false; // its entry went into the batch
		bool awaiting_exec = false; // the launched command before its execve: not shown
		bool listening = false;     // in group-stop, under PTRACE_LISTEN
		bool unwanted = false;      // a child process with --no-inherit: detached at its first stop
		uint32_t nr = 0;
		uint64_t args[SYSCALL_ARG_COUNT] = {};
		char comm[TASK_COMM_LEN] = {};
		// -e inject: calls of each injected syscall so far; what is done to this call.
		std::unordered_map<uint32_t, uint32_t> inject_calls;
		std::optional<int64_t> injected_result; // set at the exit instead of the kernel's
		uint32_t tampered = 0;                  // kTamperInjected / kTamperDelayed bits
		uint64_t resume_at_ns = 0;              // held at its entry until then (delay_enter)
	};

	Tracee &add_tracee(pid_t tid, pid_t tgid);
	void seize(pid_t tid, unsigned long options);
	void handle_exit(pid_t tid, int status);
	void handle_stop(pid_t tid, Tracee &t, int status);
	void handle_syscall_stop(pid_t tid, Tracee &t);
	void handle_event(pid_t tid, Tracee &t, int event);
	void enter_call(pid_t tid, Tracee &t, uint32_t nr, const uint64_t *args);
	void exit_call(pid_t tid, Tracee &t, int64_t ret);
	void resume(pid_t tid, Tracee &t, int sig);
	bool selected(uint32_t nr) const;
	// -e inject at a call's entry: counts it, and tampers with it if its turn has come.
	void inject_at_entry(pid_t tid, Tracee &t, uint32_t nr);
	// Resumes the held tracees whose delay is over; arms the timer for the next one.
	void resume_delayed();
	void read_comm(pid_t tid, Tracee &t);
	void end(const std::string &reason);

	PtraceOptions options_;
	std::vector<bool> selected_;  // by syscall number; empty: all
	std::vector<int> inject_rule_; // by syscall number: index in options_.inject, or -1
	std::vector<std::pair<uint64_t, pid_t>> delayed_; // (resume time, tid) of held tracees
	std::optional<timer_t> delay_timer_;              // wakes the tracer thread when one is due
	BatchBuilder &batch_;
	std::optional<StackMaps> stack_maps_; // -k
	std::unordered_map<pid_t, Tracee> tracees_;
	std::unordered_set<pid_t> targets_; // -p processes still alive
	pid_t command_pid_ = -1;
	bool seccomp_ = false;        // the launched command runs under the -e seccomp filter
	unsigned long ptrace_options_ = 0;
	std::optional<PtraceEnd> ended_;
	bool command_exited_ = false;
	PtraceEnd command_end_;       // the launched command's exit status
};
