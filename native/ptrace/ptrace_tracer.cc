#include "ptrace/ptrace_tracer.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include "encode/batch_encoder.h"
#include "process/held_command.h"
#include "native_error.h"
#include "ptrace/ptrace_stack.h"
#include "ptrace/seccomp_filter.h"
#include "session/session_spec.h"
#include "ptrace/tracee_memory.h"

namespace {

// A syscall-stop under PTRACE_O_TRACESYSGOOD.
constexpr int kSyscallTrap = SIGTRAP | 0x80;
constexpr uint32_t kNrPrctl = 157, kNrExecve = 59, kNrExecveat = 322, kNrRtSigreturn = 15;
// Calls of another ABI (i386, x32) have numbers that mean other calls: not reported.
constexpr uint32_t kForeignCall = UINT32_MAX;
constexpr uint64_t kX32SyscallBit = 0x40000000;

bool is_stop_signal(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

// The thread group of a thread, from /proc; 0 if it is gone.
pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	FILE *f = fopen(path, "re");
	if (!f) return 0;
	pid_t tgid = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1) break;
	fclose(f);
	return tgid;
}

std::vector<pid_t> threads_of(pid_t tgid)
{
	std::vector<pid_t> tids;
	std::string dir_path = "/proc/" + std::to_string(tgid) + "/task";
	DIR *dir = opendir(dir_path.c_str());
	if (!dir) return tids;
	while (dirent *entry = readdir(dir)) {
		char *end;
		long tid = strtol(entry->d_name, &end, 10);
		if (!*end && tid > 0) tids.push_back(pid_t(tid));
	}
	closedir(dir);
	return tids;
}

} // namespace

PtraceTracer::PtraceTracer(PtraceOptions options, BatchBuilder &batch) : options_(std::move(options)), batch_(batch)
{
	if (options_.stack_frames) stack_maps_.emplace();
	if (options_.syscalls) {
		selected_.assign(CAPTURE_SYSCALLS, false);
		for (uint32_t nr : *options_.syscalls)
			if (nr < selected_.size()) selected_[nr] = true;
	}
	bool delays = false;
	if (!options_.inject.empty()) inject_rule_.assign(CAPTURE_SYSCALLS, -1);
	for (size_t i = 0; i < options_.inject.size(); i++) {
		for (uint32_t nr : options_.inject[i].syscalls)
			if (nr < inject_rule_.size()) inject_rule_[nr] = int(i);
		delays |= options_.inject[i].delay_enter_ns > 0;
	}
	if (delays && options_.wake_signal) {
		// Constructed on the tracer thread: the timer signals this thread only.
		sigevent event = {};
		event.sigev_notify = SIGEV_THREAD_ID;
		event.sigev_signo = options_.wake_signal;
		event._sigev_un._tid = gettid();
		timer_t timer;
		if (timer_create(CLOCK_MONOTONIC, &event, &timer) == 0) delay_timer_ = timer;
	}
	// Threads are always followed (PTRACE_O_TRACECLONE); other children only if asked.
	ptrace_options_ = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE;
	if (options_.follow_children) ptrace_options_ |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
}

PtraceTracer::~PtraceTracer()
{
	if (!tracees_.empty()) release_all();
	if (delay_timer_) timer_delete(*delay_timer_);
}

bool PtraceTracer::selected(uint32_t nr) const
{
	return selected_.empty() || (nr < selected_.size() && selected_[nr]);
}

void PtraceTracer::read_comm(pid_t tid, Tracee &t)
{
	char path[64], comm[TASK_COMM_LEN + 2] = {};
	snprintf(path, sizeof(path), "/proc/%d/comm", tid);
	FILE *f = fopen(path, "re");
	if (!f) return;
	size_t n = fread(comm, 1, sizeof(comm) - 1, f);
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	(void)n;
	memset(t.comm, 0, sizeof(t.comm));
	memcpy(t.comm, comm, TASK_COMM_LEN - 1);
}

PtraceTracer::Tracee &PtraceTracer::add_tracee(pid_t tid, pid_t tgid)
{
	Tracee &t = tracees_[tid];
	t.tgid = tgid;
	read_comm(tid, t);
	return t;
}

void PtraceTracer::seize(pid_t tid, unsigned long options)
{
	if (ptrace(PTRACE_SEIZE, tid, nullptr, options) != 0) throw NativeError::process(tid, errno);
	ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
}

pid_t PtraceTracer::launch(const CommandSpec &command)
{
	std::vector<sock_filter> filter;
	if (options_.syscalls && options_.seccomp) {
		// The calls to inject into must stop too, traced or not.
		std::vector<uint32_t> stops = *options_.syscalls;
		for (const InjectRule &rule : options_.inject) stops.insert(stops.end(), rule.syscalls.begin(), rule.syscalls.end());
		filter = seccomp_trace_filter(stops);
		seccomp_ = true;
	}
	HeldCommand held(command.path, command.argv, command.env, filter, command.user);
	// Without a tracer, the filter's selected calls would fail with ENOSYS: a command under
	// it dies with its tracer (EXITKILL). Without the filter, a tracer that dies is just
	// detached by the kernel and the command runs on unharmed.
	seize(held.pid(), ptrace_options_ | (seccomp_ ? PTRACE_O_EXITKILL | PTRACE_O_TRACESECCOMP : 0));
	command_pid_ = held.pid();
	add_tracee(command_pid_, command_pid_).awaiting_exec = true;
	held.let_go();
	for (;;) {
		auto it = tracees_.find(command_pid_);
		if (it == tracees_.end() || !it->second.awaiting_exec) break;
		step();
	}
	held.check_exec(); // throws if the child could not exec (it has been reaped)
	return command_pid_;
}

void PtraceTracer::attach(pid_t tgid)
{
	targets_.insert(tgid);
	// Threads the process starts while we seize the others are seized on a second pass
	// (or followed by PTRACE_O_TRACECLONE from a thread already seized).
	for (bool added = true; added;) {
		added = false;
		for (pid_t tid : threads_of(tgid)) {
			if (tracees_.count(tid)) continue;
			try {
				seize(tid, ptrace_options_);
			} catch (const NativeError &e) {
				if (e.err == ESRCH && tid != tgid) continue; // the thread exited meanwhile
				throw;
			}
			add_tracee(tid, tgid);
			added = true;
		}
	}
	if (!tracees_.count(tgid)) throw NativeError::process(tgid, ESRCH);
}

bool PtraceTracer::step()
{
	if (!delayed_.empty()) resume_delayed();
	int status;
	// __WNOTHREAD: only this thread's tracees and children, never a status Node's own
	// child processes are waited for with.
	pid_t tid = waitpid(-1, &status, __WALL | __WNOTHREAD);
	if (tid < 0) {
		if (errno == ECHILD && !ended_) end(command_pid_ > 0 ? "command-exited" : "targets-exited");
		return false;
	}
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		handle_exit(tid, status);
		return true;
	}
	auto it = tracees_.find(tid);
	if (it == tracees_.end()) {
		// A new child whose first stop came before its parent's fork event.
		pid_t tgid = tgid_of(tid);
		Tracee &t = add_tracee(tid, tgid ? tgid : tid);
		t.unwanted = !options_.follow_children && t.tgid == tid;
		handle_stop(tid, t, status);
		return true;
	}
	handle_stop(tid, it->second, status);
	return true;
}

void PtraceTracer::end(const std::string &reason)
{
	if (!ended_) ended_ = PtraceEnd{reason};
}

void PtraceTracer::handle_exit(pid_t tid, int status)
{
	auto it = tracees_.find(tid);
	if (it == tracees_.end()) return;
	const Tracee t = it->second;
	tracees_.erase(it);
	// The leader's exit is reported last, once the whole thread group has gone.
	if (tid == t.tgid) {
		if (!t.awaiting_exec) batch_.add_process_exit({options_.clock(), uint32_t(tid), uint32_t(t.tgid), 0, EVENT_EXIT, 0}, t.comm, status);
		if (tid == command_pid_) {
			command_end_.reason = "command-exited";
			if (WIFEXITED(status)) command_end_.exit_code = WEXITSTATUS(status);
			if (WIFSIGNALED(status)) command_end_.term_signal = WTERMSIG(status);
			command_exited_ = true;
		}
		if (targets_.erase(tid) && targets_.empty()) end("targets-exited");
	}
	// Under the seccomp filter the command's children cannot be let go: trace them to the end.
	if (command_exited_ && (!seccomp_ || tracees_.empty()) && !ended_) ended_ = command_end_;
}

void PtraceTracer::handle_stop(pid_t tid, Tracee &t, int status)
{
	const int sig = WSTOPSIG(status);
	const int event = unsigned(status) >> 16;
	t.listening = false;
	if (t.unwanted) {
		// A child of a --no-inherit trace: let it go at its first stop.
		ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
		tracees_.erase(tid);
		return;
	}
	if (sig == kSyscallTrap) {
		handle_syscall_stop(tid, t);
	} else if (event == PTRACE_EVENT_STOP) {
		if (is_stop_signal(sig)) {
			// Group-stop: stay stopped, as the process asked, yet hear when it continues.
			t.listening = true;
			ptrace(PTRACE_LISTEN, tid, nullptr, nullptr);
			return;
		}
		// Our PTRACE_INTERRUPT, or a new tracee's first stop: nothing to report.
	} else if (event) {
		handle_event(tid, t, event);
		if (!tracees_.count(tid)) return;
	} else {
		// Signal-delivery-stop: report the signal, then deliver it unchanged.
		siginfo_t info;
		if (!t.awaiting_exec && ptrace(PTRACE_GETSIGINFO, tid, nullptr, &info) == 0)
			batch_.add_signal({options_.clock(), uint32_t(tid), uint32_t(t.tgid), sig, EVENT_ENTER, 0}, t.comm, &info, sizeof(info));
		return resume(tid, t, sig);
	}
	Tracee &now = tracees_[tid]; // t may have been replaced by an exec in another thread
	if (now.resume_at_ns) {
		// delay_enter: held in this stop; the others run on meanwhile.
		delayed_.emplace_back(now.resume_at_ns, tid);
		now.resume_at_ns = 0;
		resume_delayed();
		return;
	}
	resume(tid, now, 0);
}

void PtraceTracer::resume(pid_t tid, Tracee &t, int sig)
{
	// Under the seccomp filter only the exit of a call that stopped needs a syscall-stop.
	int request = seccomp_ && !t.in_syscall ? PTRACE_CONT : PTRACE_SYSCALL;
	// ESRCH: killed meanwhile (SIGKILL needs no stop); its exit is reported next.
	ptrace(__ptrace_request(request), tid, nullptr, reinterpret_cast<void *>(intptr_t(sig)));
}

void PtraceTracer::handle_syscall_stop(pid_t tid, Tracee &t)
{
	__ptrace_syscall_info info;
	if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, reinterpret_cast<void *>(sizeof(info)), &info) <= 0) return;
	auto call_nr = [&](uint64_t nr) {
		return info.arch != AUDIT_ARCH_X86_64 || (nr & kX32SyscallBit) ? kForeignCall : uint32_t(nr);
	};
	// rt_sigreturn's pseudo-argument, as the eBPF programs give it: the address of the signal
	// mask it restores (bpf/syscall_event.h: RT_SIGFRAME_MASK_OFFSET).
	auto enter = [&](uint32_t nr, const uint64_t *given) {
		uint64_t args[SYSCALL_ARG_COUNT];
		std::copy(given, given + SYSCALL_ARG_COUNT, args);
		if (nr == kNrRtSigreturn) args[0] = info.stack_pointer + RT_SIGFRAME_MASK_OFFSET;
		enter_call(tid, t, nr, args);
	};
	if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
		enter(call_nr(info.entry.nr), info.entry.args);
	else if (info.op == PTRACE_SYSCALL_INFO_SECCOMP)
		enter(call_nr(info.seccomp.nr), info.seccomp.args);
	else if (info.op == PTRACE_SYSCALL_INFO_EXIT)
		exit_call(tid, t, info.exit.rval);
}

void PtraceTracer::enter_call(pid_t tid, Tracee &t, uint32_t nr, const uint64_t *args)
{
	t.in_syscall = true;
	t.entry_known = true;
	t.entry_emitted = false;
	t.nr = nr;
	memcpy(t.args, args, sizeof(t.args));
	if (t.awaiting_exec) {
		// The launched command's trace starts at its execve, as with the BPF backend.
		if (nr != kNrExecve && nr != kNrExecveat) return;
		t.awaiting_exec = false;
		read_comm(tid, t);
	}
	if (nr != kForeignCall) inject_at_entry(tid, t, nr);
	if (nr == kForeignCall || !selected(nr)) return;
	enter_event e = {};
	e.h = {options_.clock(), uint32_t(tid), uint32_t(t.tgid), int32_t(nr), EVENT_ENTER, 0};
	memcpy(e.comm, t.comm, TASK_COMM_LEN);
	memcpy(e.args, args, sizeof(e.args));
	batch_.add_enter(e);
	t.entry_emitted = true;
	if (!options_.captures.empty()) {
		TraceeMemory memory(tid);
		options_.captures.capture(batch_, memory, nr, t.args, false, 0);
	}
	if (stack_maps_) capture_user_stack(batch_, *stack_maps_, tid, t.tgid, options_.stack_frames);
}

void PtraceTracer::exit_call(pid_t tid, Tracee &t, int64_t ret)
{
	t.in_syscall = false;
	uint32_t nr = t.nr;
	bool emit = t.entry_emitted;
	if (!t.entry_known) {
		// Entered before we attached: the number is still in orig_rax.
		user_regs_struct regs;
		if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0) return;
		nr = regs.orig_rax >= kX32SyscallBit ? kForeignCall : uint32_t(regs.orig_rax);
		emit = !t.awaiting_exec && nr != kForeignCall && selected(nr);
	}
	const bool entry_known = t.entry_known;
	t.entry_known = false;
	const uint32_t tampered = entry_known ? t.tampered : 0;
	if (entry_known && t.injected_result) {
		// The kernel skipped the call (-ENOSYS): the program gets the injected result instead.
		user_regs_struct regs;
		if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0) {
			regs.rax = uint64_t(*t.injected_result);
			if (ptrace(PTRACE_SETREGS, tid, nullptr, &regs) == 0) ret = *t.injected_result;
		}
	}
	t.injected_result.reset();
	t.tampered = 0;
	if (nr == kNrPrctl && entry_known && t.args[0] == PR_SET_NAME && ret == 0) read_comm(tid, t);
	if (!emit) return;
	exit_event e = {{options_.clock(), uint32_t(tid), uint32_t(t.tgid), int32_t(nr), EVENT_EXIT, 0}, ret};
	batch_.add_exit(e);
	if (stack_maps_) stack_maps_->after_exit(batch_, e);
	if (tampered) batch_.mark_tampered(tampered);
	if (entry_known && !options_.captures.empty()) {
		TraceeMemory memory(tid);
		options_.captures.capture(batch_, memory, nr, t.args, true, ret);
	}
}

void PtraceTracer::inject_at_entry(pid_t tid, Tracee &t, uint32_t nr)
{
	t.injected_result.reset();
	t.tampered = 0;
	if (nr >= inject_rule_.size() || inject_rule_[nr] < 0) return;
	const InjectRule &rule = options_.inject[size_t(inject_rule_[nr])];
	const uint32_t n = ++t.inject_calls[nr];
	const bool due = n == rule.first || (rule.step > 0 && n > rule.first && (n - rule.first) % rule.step == 0);
	if (!due) return;
	if (rule.result) {
		// As strace does: the call number becomes -1, which the kernel skips; its exit
		// stop then gets the result.
		user_regs_struct regs;
		if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0) return;
		regs.orig_rax = uint64_t(-1);
		if (ptrace(PTRACE_SETREGS, tid, nullptr, &regs) != 0) return;
		t.injected_result = rule.result;
		t.tampered |= kTamperInjected;
	}
	if (rule.delay_enter_ns) {
		t.resume_at_ns = options_.clock() + rule.delay_enter_ns;
		t.tampered |= kTamperDelayed;
	}
}

void PtraceTracer::resume_delayed()
{
	const uint64_t now = options_.clock();
	uint64_t next = 0;
	for (auto it = delayed_.begin(); it != delayed_.end();) {
		if (it->first > now) {
			next = next ? std::min(next, it->first) : it->first;
			++it;
			continue;
		}
		auto tracee = tracees_.find(it->second);
		if (tracee != tracees_.end()) resume(it->second, tracee->second, 0);
		it = delayed_.erase(it);
	}
	// The timer interrupts waitpid() when the next one is due (the session's periodic
	// wakeup bounds the lateness if the signal comes just before waitpid()).
	if (next && delay_timer_) {
		itimerspec at = {{0, 0}, {time_t(next / 1'000'000'000), long(next % 1'000'000'000)}};
		timer_settime(*delay_timer_, TIMER_ABSTIME, &at, nullptr);
	}
}

void PtraceTracer::handle_event(pid_t tid, Tracee &t, int event)
{
	unsigned long message = 0;
	switch (event) {
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE: {
		if (ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &message) != 0) return;
		pid_t child = pid_t(message);
		if (tracees_.count(child)) return; // its first stop came first
		pid_t tgid = tgid_of(child);
		if (!tgid) tgid = event == PTRACE_EVENT_CLONE ? t.tgid : child;
		add_tracee(child, tgid).unwanted = !options_.follow_children && tgid != t.tgid;
		return;
	}
	case PTRACE_EVENT_EXEC: {
		// A thread other than the leader exec'd: it now has the leader's tid, and the
		// old leader is gone without an exit report.
		if (ptrace(PTRACE_GETEVENTMSG, tid, nullptr, &message) == 0 && pid_t(message) != tid) {
			auto former = tracees_.find(pid_t(message));
			if (former != tracees_.end()) {
				t = former->second;
				tracees_.erase(former);
			}
		}
		Tracee &self = tracees_[tid];
		self.awaiting_exec = false;
		read_comm(tid, self);
		return;
	}
	case PTRACE_EVENT_SECCOMP:
		handle_syscall_stop(tid, t);
		return;
	}
}

std::vector<pid_t> PtraceTracer::release_all()
{
	std::vector<pid_t> killed;
	// Tracees held at a call's entry (delay_enter) are in a stop already: let them go from
	// it, their call made as the program asked (not skipped for an injection to come).
	for (const auto &[resume_at, tid] : delayed_) {
		auto it = tracees_.find(tid);
		if (seccomp_ || it == tracees_.end()) continue;
		user_regs_struct regs;
		if (it->second.injected_result && ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0) {
			regs.orig_rax = it->second.nr;
			ptrace(PTRACE_SETREGS, tid, nullptr, &regs);
		}
		ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
		tracees_.erase(it);
	}
	delayed_.clear();
	if (seccomp_ && !tracees_.empty()) {
		for (const auto &[tid, t] : tracees_) {
			if (std::find(killed.begin(), killed.end(), t.tgid) == killed.end()) killed.push_back(t.tgid);
			kill(t.tgid, SIGKILL);
		}
	} else {
		for (auto it = tracees_.begin(); it != tracees_.end();) {
			if (it->second.listening) {
				// In group-stop: detached, it stays stopped.
				ptrace(PTRACE_DETACH, it->first, nullptr, nullptr);
				it = tracees_.erase(it);
			} else {
				ptrace(PTRACE_INTERRUPT, it->first, nullptr, nullptr);
				++it;
			}
		}
	}
	// Each running tracee stops (our interrupt, or anything it met first) and is let go
	// from that stop.
	while (!tracees_.empty()) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL | __WNOTHREAD);
		if (tid < 0) {
			if (errno == EINTR) continue;
			break; // ECHILD: nothing left to wait for
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			handle_exit(tid, status);
			continue;
		}
		const int sig = WSTOPSIG(status);
		const int event = unsigned(status) >> 16;
		// A signal being delivered is passed on; a group-stop stays a stop once detached.
		// New children of a fork at this moment report a first stop of their own, and
		// are detached from it.
		const bool signal_delivery = sig != kSyscallTrap && event == 0;
		if (seccomp_) {
			kill(tid, SIGKILL); // a child forked at this moment too
			ptrace(PTRACE_CONT, tid, nullptr, nullptr);
			continue; // its exit comes next
		}
		auto it = tracees_.find(tid);
		if (sig == kSyscallTrap && it != tracees_.end() && it->second.injected_result) {
			// The exit of a call skipped for an injection: the program still gets its result.
			user_regs_struct regs;
			if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) == 0) {
				regs.rax = uint64_t(*it->second.injected_result);
				ptrace(PTRACE_SETREGS, tid, nullptr, &regs);
			}
		}
		ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void *>(intptr_t(signal_delivery ? sig : 0)));
		tracees_.erase(tid);
	}
	tracees_.clear();
	return killed;
}
