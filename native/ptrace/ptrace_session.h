// The ptrace backend's trace session: the same JavaScript interface as TraceSession
// (src/session/native-addon.ts), for where eBPF cannot run (no BTF or ring buffer, no CAP_BPF,
// an unprivileged user). A tracer thread of its own does every ptrace request, waits for
// the tracees' stops and hands the same protobuf batches to JavaScript.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

#include <napi.h>
#include "native_error.h"
#include "session/js_hand_off.h"
#include "ptrace/ptrace_tracer.h"
#include "session/session_spec.h"

class PtraceSession : public Napi::ObjectWrap<PtraceSession> {
public:
	static Napi::Function Define(Napi::Env env);
	PtraceSession(const Napi::CallbackInfo &info);
	~PtraceSession() override;

private:
	// JS: start(onBatch(Buffer), onEnd(info)) -> {attachMode: 'ptrace', childPid, log, startNs}
	Napi::Value Start(const Napi::CallbackInfo &info);
	// JS: stop(): let every tracee go where it is, then onEnd.
	Napi::Value Stop(const Napi::CallbackInfo &info);

	// The tracer thread: setup (reported through setup_error_), then the stop loop.
	void run(std::promise<void> &set_up);
	void finish(SessionEnd end);
	void wake();

	PtraceOptions options_;
	std::optional<CommandSpec> command_;
	std::vector<uint32_t> pids_;
	uint64_t start_ns_ = 0;
	pid_t child_pid_ = -1;
	std::optional<NativeError> setup_error_;
	std::atomic<pid_t> tracer_tid_{0};
	std::atomic<bool> stop_requested_{false};
	JsHandOff to_js_;
	std::thread thread_;
	std::atomic<bool> running_{false};
};
