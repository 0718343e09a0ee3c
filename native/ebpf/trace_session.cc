#include "ebpf/trace_session.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include "encode/aggregate_encoder.h"
#include "process/held_command.h"
#include "ebpf/in_progress_calls.h"
#include "native_error.h"
#include "process/own_priority.h"
#include "session/session_values.h"
#include "session/stop_signals.h"

namespace {

// Events taken from the ring per pass. Under a load the tracer cannot keep up with (-a on a
// busy host) the ring never empties, and a pass until it is empty would never return to see
// a stop request or a target's exit.
constexpr size_t kMaxPassEvents = kMaxBatchEvents;
// What on_ring_event returns to end a pass early, at an event past the cutoff.
constexpr int kEndPass = -EAGAIN;

int pidfd_open(pid_t pid)
{
	return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

// Reads the options object built by src/session/native-addon.ts.
SessionSpec parse_spec(const Napi::Object &o)
{
	SessionSpec spec;
	TracerConfig &t = spec.tracer;
	t.trace_all = o.Get("all").ToBoolean();
	t.follow_children = o.Get("followChildren").ToBoolean();
	if (o.Get("syscalls").IsArray()) {
		t.filter_syscalls = true;
		t.syscalls = number_array(o.Get("syscalls"));
	}
	if (o.Get("comm").IsString()) t.comm = o.Get("comm").As<Napi::String>().Utf8Value();
	t.ring_bytes = o.Get("ringBytes").As<Napi::Number>().Int64Value();
	t.verbose = o.Get("verbose").ToBoolean();
	if (o.Get("attachMode").IsString()) {
		std::string name = o.Get("attachMode").As<Napi::String>().Utf8Value();
		t.forced_mode = attach_mode_from_name(name);
		if (!t.forced_mode) throw NativeError("unknown attach mode: " + name, EINVAL);
	}
	if (o.Get("command").IsObject()) {
		spec.command = command_spec(o.Get("command").As<Napi::Object>());
	}
	if (o.Get("pids").IsArray()) spec.pids = number_array(o.Get("pids"));
	if (o.Get("niceIncrement").IsNumber()) spec.nice_increment = o.Get("niceIncrement").As<Napi::Number>().Int32Value();
	if (o.Get("argCounts").IsArray()) {
		std::vector<uint32_t> counts = number_array(o.Get("argCounts"));
		for (uint32_t nr = 0; nr < counts.size(); nr++)
			if (counts[nr] <= SHORT_ENTER_ARGS) t.short_arg_syscalls.push_back(nr);
	}
	if (o.Get("captures").IsArray()) t.captures = capture_table(o.Get("captures").As<Napi::Array>());
	t.stack_frames = stack_frames(o);
	if (o.Get("cgroupId").IsNumber()) t.cgroup_id = o.Get("cgroupId").As<Napi::Number>().Int64Value();
	if (o.Get("aggregate").IsObject()) {
		Napi::Object a = o.Get("aggregate").As<Napi::Object>();
		static const std::pair<const char *, aggregate_by> kGroups[] = {
		    {"syscall", AGGREGATE_BY_SYSCALL}, {"process", AGGREGATE_BY_PROCESS},
		    {"thread", AGGREGATE_BY_THREAD}, {"comm", AGGREGATE_BY_COMM}};
		std::string by = a.Get("by").As<Napi::String>().Utf8Value();
		t.aggregate = true;
		t.group_by = AGGREGATE_BY_SYSCALL;
		for (const auto &[name, value] : kGroups)
			if (by == name) t.group_by = value;
		t.failures_only = a.Get("failuresOnly").ToBoolean();
		if (a.Get("intervalMs").IsNumber())
			spec.interval_ns = uint64_t(a.Get("intervalMs").As<Napi::Number>().Int64Value()) * 1'000'000;
	}
	return spec;
}

} // namespace

Napi::Function TraceSession::Define(Napi::Env env)
{
	return DefineClass(env, "TraceSession",
	                   {InstanceMethod("prepare", &TraceSession::Prepare), InstanceMethod("start", &TraceSession::Start),
	                    InstanceMethod("stop", &TraceSession::Stop)});
}

TraceSession::TraceSession(const Napi::CallbackInfo &info) : Napi::ObjectWrap<TraceSession>(info)
{
	try {
		spec_ = parse_spec(info[0].As<Napi::Object>());
	} catch (const NativeError &e) {
		throw js_error(info.Env(), e);
	}
}

// Runs only once the session has ended (see Ref() in Start), or if it never started; at
// environment teardown JavaScript is gone, so a drain thread still running is stopped.
TraceSession::~TraceSession()
{
	if (prepare_thread_.joinable()) prepare_thread_.join(); // start() never came
	if (thread_.joinable()) {
		uint64_t one = 1;
		if (write(stop_fd_, &one, sizeof(one)) < 0) { /* the thread is finishing anyway */ }
		thread_.join();
	}
	ring_.reset();
	for (int fd : pidfds_) if (fd >= 0) close(fd);
	if (stop_fd_ >= 0) close(stop_fd_);
}

Napi::Value TraceSession::Prepare(const Napi::CallbackInfo &info)
{
	if (running_ || prepare_thread_.joinable() || prepared_ || prepare_error_)
		throw Napi::Error::New(info.Env(), "the trace session is already prepared");
	// The same constructor start() would run, only sooner and beside JavaScript. Signals go to
	// the other threads: the verifier gives up when one arrives (try_mode blocks them too).
	sigset_t all, before;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &before);
	prepare_thread_ = std::thread([this] {
		prctl(PR_SET_NAME, "bpfts-load", 0, 0, 0);
		try {
			prepared_ = std::make_unique<BpfTracer>(spec_.tracer);
		} catch (...) {
			prepare_error_ = std::current_exception();
		}
	});
	pthread_sigmask(SIG_SETMASK, &before, nullptr);
	return info.Env().Undefined();
}

std::unique_ptr<BpfTracer> TraceSession::take_prepared_tracer()
{
	if (!prepare_thread_.joinable() && !prepared_ && !prepare_error_) return std::make_unique<BpfTracer>(spec_.tracer);
	if (prepare_thread_.joinable()) {
		const uint64_t wait_start = monotonic_ns();
		prepare_thread_.join();
		load_wait_ns_ = monotonic_ns() - wait_start;
	}
	if (prepare_error_) std::rethrow_exception(std::exchange(prepare_error_, nullptr));
	return std::move(prepared_);
}

Napi::Value TraceSession::Start(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	if (running_) throw Napi::Error::New(env, "the trace session is already running");
	try {
		tracer_ = take_prepared_tracer();
		start_ns_ = monotonic_ns();
		batch_ = std::make_unique<BatchBuilder>(start_ns_);
		if (spec_.tracer.stack_frames)
			stack_maps_ = std::make_unique<StackMaps>([tracer = tracer_.get()](uint32_t pid) { tracer->note_maps_read(pid); });
		records_ = std::make_unique<RingRecords>(*batch_, stack_maps_.get());
		last_snapshot_ns_ = start_ns_;
		if (!spec_.tracer.aggregate) {
			bpf_map *events = tracer_->events();
			ring_ = std::make_unique<RingReader>(bpf_map__fd(events), bpf_map__max_entries(events), on_ring_event, this);
		}
		stop_fd_ = eventfd(0, EFD_CLOEXEC);
		if (stop_fd_ < 0) throw NativeError(std::string("eventfd: ") + strerror(errno), errno);

		std::optional<HeldCommand> command;
		if (spec_.command) {
			command.emplace(spec_.command->path, spec_.command->argv, spec_.command->env, std::vector<sock_filter>{},
			                spec_.command->user);
			tracer_->add_target(command->pid(), TARGET_AWAIT_EXEC);
			int pidfd = pidfd_open(command->pid());
			if (pidfd < 0) throw NativeError(std::string("pidfd_open: ") + strerror(errno), errno);
			pidfds_.push_back(pidfd);
		}
		for (uint32_t tgid : spec_.pids) {
			int pidfd = pidfd_open(static_cast<pid_t>(tgid));
			if (pidfd < 0) throw NativeError::process(pid_t(tgid), errno);
			pidfds_.push_back(pidfd);
			tracer_->add_target(tgid, TARGET_TRACED);
			if (!spec_.tracer.aggregate)
				for (const enter_event &e : in_progress_calls(tgid, monotonic_ns()))
					batch_->add_enter(e, EventKind::InProgress);
		}
		// The drain thread exists before the command runs and the other threads are made
		// nicer, so the command sees the tracer as it stays; it drains once told to go.
		std::future<pid_t> started = drain_tid_.get_future();
		thread_ = std::thread([this] {
			prctl(PR_SET_NAME, "bpfts-drain", 0, 0, 0);
			drain_tid_.set_value(gettid());
			if (drain_go_.get_future().get()) drain_loop();
		});
		// After the command's fork, so it keeps the priority the tracer was started with; the
		// drain thread keeps it too (own_priority.h says why).
		lower_own_priority(spec_.nice_increment, started.get());
		if (command) {
			command->release();
			child_pid_ = command->pid();
		}
	} catch (const NativeError &e) {
		if (thread_.joinable()) {
			drain_go_.set_value(false);
			thread_.join();
		}
		tracer_.reset(); // detach before reporting
		throw js_error(env, e);
	}

	to_js_.open(env, info[0].As<Napi::Function>(), info[1].As<Napi::Function>(), "bpftrace-ts");
	// What JavaScript is told is read before the drain thread goes: the thread resets
	// tracer_ when the targets end, which a short command can do before Start() returns.
	Napi::Object result = Napi::Object::New(env);
	result.Set("attachMode", attach_mode_name(tracer_->mode()));
	result.Set("childPid", child_pid_ > 0 ? Napi::Number::New(env, child_pid_) : env.Null());
	// CLOCK_MONOTONIC of time 0 in the batches (a double keeps it to well under a microsecond).
	result.Set("startNs", Napi::Number::New(env, double(start_ns_)));
	result.Set("log", tracer_->log());
	// Start-up figures (BPFTRACE_TS_STARTUP_TIMES, scripts/bench/startup), in milliseconds.
	result.Set("loadMs", Napi::Number::New(env, tracer_->load_us() / 1000.0));
	result.Set("attachMs", Napi::Number::New(env, tracer_->attach_us() / 1000.0));
	result.Set("loadWaitMs", Napi::Number::New(env, load_wait_ns_ / 1e6));

	running_ = true;
	// Stay alive while the drain thread runs, whatever JavaScript keeps: a finalizer joining
	// a thread that waits for the main thread would deadlock. Released in finish().
	Ref();
	drain_go_.set_value(true);
	return result;
}

Napi::Value TraceSession::Stop(const Napi::CallbackInfo &info)
{
	if (running_) {
		uint64_t one = 1;
		if (write(stop_fd_, &one, sizeof(one)) < 0)
			throw Napi::Error::New(info.Env(), std::string("stop: ") + strerror(errno));
	}
	return info.Env().Undefined();
}

int TraceSession::on_ring_event(void *ctx, void *data, size_t size)
{
	auto *self = static_cast<TraceSession *>(ctx);
	const auto *h = static_cast<const event_header *>(data);
	if (size >= sizeof(event_header) && h->ts_ns > self->cutoff_ns_) {
		self->past_cutoff_ = true;
		return kEndPass;
	}
	// Before time 0 the programs were being attached one after the other: an entry then may
	// have no exit (sys_exit not attached yet). The trace starts once both are: a call begun
	// before shows as its exit alone, as one begun before the attach does.
	if (size >= sizeof(event_header) && h->ts_ns < self->start_ns_) return 0;
	self->records_->add(data, size);
	if (self->batch_->size() >= kMaxBatchEvents) self->flush();
	return 0;
}

bool TraceSession::consume_pass()
{
	long taken = ring_->consume(kMaxPassEvents);
	if (ring_->may_have_been_full(CAPTURE_RECORD_SIZE)) mark_lost();
	return taken == kEndPass || taken == long(kMaxPassEvents);
}

// Events the ring had no room for were lost before the ones still in it: the place they
// are marked at is after what this pass took. A lookup of the per-CPU counter is a system
// call: once a pass, it made the drain thread wake for every few events (79 000 passes
// instead of 700 for 200 000 calls), so it is asked only when the ring came near full.
void TraceSession::mark_lost()
{
	uint64_t lost = tracer_->counter(COUNTER_LOST_EVENTS);
	if (lost <= lost_marked_) return;
	batch_->add_lost(monotonic_ns(), lost - lost_marked_);
	lost_marked_ = lost;
}

void TraceSession::flush()
{
	to_js_.flush(*batch_, tracer_->counter(COUNTER_LOST_EVENTS));
}

void TraceSession::send_aggregate(bool final)
{
	uint64_t now = monotonic_ns();
	std::string message = encode_aggregate(tracer_->take_aggregate(), int64_t(last_snapshot_ns_ - start_ns_),
	                                       int64_t(now - start_ns_), tracer_->counter(COUNTER_UNCOUNTED_CALLS), final);
	last_snapshot_ns_ = now;
	to_js_.send(std::move(message));
}

void TraceSession::drain_loop()
{
	int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	auto watch = [&](int fd, uint64_t tag) {
		epoll_event ev = {};
		ev.events = EPOLLIN;
		ev.data.u64 = tag;
		epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
	};
	enum : uint64_t { kRingTag, kStopTag, kSignalTag, kFirstTargetTag }; // then one per target
	const bool streaming = ring_ != nullptr;
	if (streaming) watch(ring_->fd(), kRingTag);
	watch(stop_fd_, kStopTag);
	StopSignals signals;
	watch(signals.fd(), kSignalTag);
	for (size_t i = 0; i < pidfds_.size(); i++) watch(pidfds_[i], kFirstTargetTag + i);

	SessionEnd end;
	size_t live_targets = pidfds_.size();
	bool finishing = false;
	bool backlog = false; // the last pass ended early: the ring holds more
	uint64_t last_flush = monotonic_ns();
	while (!finishing) {
		uint64_t now = monotonic_ns();
		uint64_t due = streaming ? last_flush + kFlushIntervalNs : last_snapshot_ns_ + spec_.interval_ns;
		int timeout_ms = due > now && !backlog ? int((due - now + 999'999) / 1'000'000) : 0;
		if (!streaming && spec_.interval_ns == 0) timeout_ms = -1; // a snapshot at the end only
		epoll_event events[8];
		int n = epoll_wait(epoll_fd, events, 8, timeout_ms);
		for (int i = 0; i < n; i++) {
			uint64_t tag = events[i].data.u64;
			if (tag == kStopTag || (tag == kSignalTag && signals.heard())) {
				end.reason = "stopped";
				finishing = true;
			} else if (tag >= kFirstTargetTag) {
				int &pidfd = pidfds_[tag - kFirstTargetTag];
				epoll_ctl(epoll_fd, EPOLL_CTL_DEL, pidfd, nullptr);
				close(pidfd);
				pidfd = -1;
				live_targets--;
				if (spec_.command && tag == kFirstTargetTag) {
					int status = 0;
					if (waitpid(child_pid_, &status, 0) == child_pid_) {
						if (WIFEXITED(status)) end.exit_code = WEXITSTATUS(status);
						if (WIFSIGNALED(status)) end.term_signal = WTERMSIG(status);
					}
					end.reason = "command-exited";
					finishing = true;
				} else if (live_targets == 0) {
					end.reason = "targets-exited";
					finishing = true;
				}
			}
		}
		if (!streaming) {
			if (!finishing && spec_.interval_ns && monotonic_ns() >= last_snapshot_ns_ + spec_.interval_ns)
				send_aggregate(false);
			continue;
		}
		backlog = consume_pass();
		if (finishing || monotonic_ns() - last_flush >= kFlushIntervalNs) {
			flush();
			last_flush = monotonic_ns();
		}
	}
	close(epoll_fd);
	// Everything the targets did is in the ring or the tables by now: take it, then detach.
	// A host busier than the tracer keeps the ring full: the trace ends at this moment.
	if (streaming) {
		cutoff_ns_ = monotonic_ns();
		while (consume_pass() && !past_cutoff_) {}
		flush();
	} else {
		send_aggregate(true);
	}
	end.lost_events = tracer_->counter(COUNTER_LOST_EVENTS);
	end.lost_task_exits = tracer_->counter(COUNTER_LOST_TASK_EXITS);
	end.lost_signals = tracer_->counter(COUNTER_LOST_SIGNALS);
	end.captured_at_entry = tracer_->counter(COUNTER_CAPTURED_AT_ENTRY);
	end.capture_retried = tracer_->counter(COUNTER_CAPTURE_RETRIED);
	end.capture_failed = tracer_->counter(COUNTER_CAPTURE_FAILED) + tracer_->counter(COUNTER_CAPTURE_NO_STATE);
	ring_.reset();
	tracer_.reset();
	finish(end);
}

void TraceSession::finish(SessionEnd end)
{
	// On the JavaScript thread: the drain thread is past its last call into JavaScript.
	to_js_.finish(std::move(end), [this] {
		thread_.join();
		running_ = false;
		Unref();
	});
}
