#include "ptrace/ptrace_session.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <future>
#include <sys/syscall.h>
#include <unistd.h>

#include "encode/batch_encoder.h"
#include "native_error.h"
#include "session/session_values.h"

namespace {

// Besides the rules of js_hand_off.h, a batch closes once its captured bytes grow large.
constexpr size_t kMaxBatchCaptureBytes = 4 << 20;

// The tracer thread blocks in waitpid(), which nothing but a signal interrupts. A timer
// sends it this signal every flush interval (so batches close while the tracees are
// quiet), and stop() sends it at once. Directed at that thread only (SIGEV_THREAD_ID,
// tgkill), so no other thread of Node sees it. A wakeup lost in the instant before
// waitpid() is made up by the next tick.
int wake_signal() { return SIGRTMIN + 8; }

void on_wake_signal(int) {}

// Arms a periodic timer signalling the calling thread; returns it, or nullopt.
std::optional<timer_t> start_tick_timer()
{
	struct sigaction action = {};
	action.sa_handler = on_wake_signal; // no SA_RESTART: waitpid() returns EINTR
	sigemptyset(&action.sa_mask);
	sigaction(wake_signal(), &action, nullptr);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, wake_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, nullptr);

	sigevent event = {};
	event.sigev_notify = SIGEV_THREAD_ID;
	event.sigev_signo = wake_signal();
	event._sigev_un._tid = gettid();
	timer_t timer;
	if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) return std::nullopt;
	itimerspec period = {{0, long(kFlushIntervalNs)}, {0, long(kFlushIntervalNs)}};
	timer_settime(timer, 0, &period, nullptr);
	return timer;
}

PtraceOptions parse_options(const Napi::Object &o)
{
	PtraceOptions options;
	options.follow_children = o.Get("followChildren").ToBoolean();
	if (o.Get("syscalls").IsArray()) options.syscalls = number_array(o.Get("syscalls"));
	if (o.Get("seccomp").IsBoolean()) options.seccomp = o.Get("seccomp").ToBoolean();
	if (o.Get("captures").IsArray()) {
		std::vector<syscall_capture> table = capture_table(o.Get("captures").As<Napi::Array>());
		for (uint32_t nr = 0; nr < table.size(); nr++)
			for (const capture_rule &rule : table[nr].rules)
				if (rule.source != CAPTURE_SOURCE_NONE) options.captures.add_rule(nr, rule);
	}
	options.stack_frames = stack_frames(o);
	if (o.Get("inject").IsArray()) {
		Napi::Array rules = o.Get("inject").As<Napi::Array>();
		for (uint32_t i = 0; i < rules.Length(); i++) {
			Napi::Object r = rules.Get(i).As<Napi::Object>();
			InjectRule rule;
			rule.syscalls = number_array(r.Get("syscalls"));
			if (r.Get("error").IsNumber()) rule.result = -r.Get("error").As<Napi::Number>().Int64Value();
			if (r.Get("retval").IsNumber()) rule.result = r.Get("retval").As<Napi::Number>().Int64Value();
			if (r.Get("delayEnterUs").IsNumber()) rule.delay_enter_ns = uint64_t(r.Get("delayEnterUs").As<Napi::Number>().Int64Value()) * 1000;
			rule.first = r.Get("first").As<Napi::Number>().Uint32Value();
			rule.step = r.Get("step").As<Napi::Number>().Uint32Value();
			options.inject.push_back(std::move(rule));
		}
	}
	options.clock = monotonic_ns;
	options.wake_signal = wake_signal();
	return options;
}

} // namespace

Napi::Function PtraceSession::Define(Napi::Env env)
{
	return DefineClass(env, "PtraceSession",
	                   {InstanceMethod("start", &PtraceSession::Start), InstanceMethod("stop", &PtraceSession::Stop)});
}

PtraceSession::PtraceSession(const Napi::CallbackInfo &info) : Napi::ObjectWrap<PtraceSession>(info)
{
	Napi::Object o = info[0].As<Napi::Object>();
	if (o.Get("all").ToBoolean()) throw Napi::Error::New(info.Env(), "the ptrace backend traces a command or processes, not the whole host");
	options_ = parse_options(o);
	if (o.Get("command").IsObject()) command_ = command_spec(o.Get("command").As<Napi::Object>());
	if (o.Get("pids").IsArray()) pids_ = number_array(o.Get("pids"));
}

PtraceSession::~PtraceSession()
{
	if (thread_.joinable()) {
		stop_requested_ = true;
		wake();
		thread_.join();
	}
}

Napi::Value PtraceSession::Start(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	if (running_ || thread_.joinable()) throw Napi::Error::New(env, "the trace session is already running");
	start_ns_ = monotonic_ns();
	to_js_.open(env, info[0].As<Napi::Function>(), info[1].As<Napi::Function>(), "bpftrace-ts ptrace");
	std::promise<void> set_up;
	std::future<void> setup_done = set_up.get_future();
	running_ = true;
	thread_ = std::thread([this, &set_up] { run(set_up); });
	// The command is started (or the processes seized) on the tracer thread: every ptrace
	// request must come from the thread that attached.
	setup_done.wait();
	if (setup_error_) {
		thread_.join();
		running_ = false;
		to_js_.release();
		throw js_error(env, *setup_error_);
	}
	// Stay alive while the tracer thread runs (see TraceSession::Start). Released in finish().
	Ref();
	Napi::Object result = Napi::Object::New(env);
	result.Set("attachMode", "ptrace");
	result.Set("childPid", child_pid_ > 0 ? Napi::Number::New(env, child_pid_) : env.Null());
	result.Set("startNs", Napi::Number::New(env, double(start_ns_)));
	result.Set("log", "");
	return result;
}

Napi::Value PtraceSession::Stop(const Napi::CallbackInfo &info)
{
	if (running_) {
		stop_requested_ = true;
		wake();
	}
	return info.Env().Undefined();
}

void PtraceSession::wake()
{
	pid_t tid = tracer_tid_;
	if (tid > 0) syscall(SYS_tgkill, getpid(), tid, wake_signal());
}

void PtraceSession::run(std::promise<void> &set_up)
{
	tracer_tid_ = gettid();
	std::optional<timer_t> timer = start_tick_timer();
	BatchBuilder batch(start_ns_);
	SessionEnd end;
	{
		PtraceTracer tracer(std::move(options_), batch);
		try {
			if (!timer) throw NativeError(std::string("timer_create: ") + strerror(errno), errno);
			if (command_) child_pid_ = tracer.launch(*command_);
			for (uint32_t tgid : pids_) tracer.attach(pid_t(tgid));
		} catch (const NativeError &e) {
			setup_error_ = e;
		}
		bool failed = setup_error_.has_value();
		set_up.set_value(); // Start() returns (or throws) now; set_up is gone after this
		if (failed) {
			tracer_tid_ = 0;
			if (timer) timer_delete(*timer);
			return; // ~PtraceTracer lets go of whatever was attached
		}

		uint64_t last_flush = monotonic_ns();
		while (!tracer.ended() && !stop_requested_) {
			tracer.step();
			uint64_t now = monotonic_ns();
			if (batch.size() >= kMaxBatchEvents || batch.capture_bytes() >= kMaxBatchCaptureBytes ||
			    now - last_flush >= kFlushIntervalNs) {
				to_js_.flush(batch, 0);
				last_flush = now;
			}
		}
		end.killed_pids = tracer.release_all();
		if (tracer.ended()) {
			end.reason = tracer.ended()->reason;
			end.exit_code = tracer.ended()->exit_code;
			end.term_signal = tracer.ended()->term_signal;
		} else {
			end.reason = "stopped";
		}
		end.captured_at_entry = tracer.captures().copied_at_entry();
		end.capture_failed = tracer.captures().failed();
	}
	tracer_tid_ = 0;
	if (timer) timer_delete(*timer);
	to_js_.flush(batch, 0);
	finish(end);
}

void PtraceSession::finish(SessionEnd end)
{
	to_js_.finish(std::move(end), [this] {
		thread_.join();
		running_ = false;
		Unref();
	});
}
