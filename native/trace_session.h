// One trace: loads and attaches the BPF programs, starts or adopts the targets, and drains
// the ring buffer on its own thread into protobuf batches handed to JavaScript.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <napi.h>
#include "batch_encoder.h"
#include "bpf_tracer.h"
#include "ring_reader.h"
#include "sent_comms.h"
#include "user_identity.h"

struct CommandSpec {
	std::string path;
	std::vector<std::string> argv, env;
	std::optional<UserIdentity> user; // -u: run as this user
};

struct SessionSpec {
	TracerConfig tracer;
	uint64_t interval_ns = 0;   // aggregation: a snapshot every interval; 0: only at the end
	std::optional<CommandSpec> command;
	std::vector<uint32_t> pids; // tgids to attach to
	int nice_increment = 0;     // the tracer's own threads run this much nicer (own_priority.h)
};

// How the drain thread ended, reported after the last batch.
struct SessionEnd {
	std::string reason;          // "command-exited", "targets-exited", "stopped"
	int exit_code = -1;          // the launched command's, when it exited
	int term_signal = 0;         // the signal that killed it, if one did
	uint64_t lost_events = 0;
	uint64_t lost_task_exits = 0; // thread and process ends the ring had no room for (eBPF)
	uint64_t lost_signals = 0;    // signal deliveries the ring had no room for (eBPF)
	// Argument copies (bpf/argument_capture.h): taken at the entry, retried at the exit, failed.
	uint64_t captured_at_entry = 0, capture_retried = 0, capture_failed = 0;
	// ptrace under the -e seccomp filter: the processes killed when the trace stopped.
	std::vector<pid_t> killed_pids;
};

class TraceSession : public Napi::ObjectWrap<TraceSession> {
public:
	static Napi::Function Define(Napi::Env env);
	TraceSession(const Napi::CallbackInfo &info);
	~TraceSession() override;

private:
	// JS: prepare(): the BPF programs load (open, verify) and attach on a thread of their own,
	// while JavaScript goes on getting ready; start() waits for it and throws what it threw.
	Napi::Value Prepare(const Napi::CallbackInfo &info);
	// JS: start(onBatch(Buffer), onEnd(info)) -> {attachMode, childPid, log, startNs, loadMs, attachMs}
	Napi::Value Start(const Napi::CallbackInfo &info);
	// The tracer prepare() made, or one made now; throws NativeError.
	std::unique_ptr<BpfTracer> take_prepared_tracer();
	// JS: stop(): drain what is queued, detach, then onEnd.
	Napi::Value Stop(const Napi::CallbackInfo &info);

	void drain_loop();
	static int on_ring_event(void *ctx, void *data, size_t size);
	// One pass over the ring, of at most kMaxPassEvents events; true if it ended early (the
	// pass was full, or an event came after cutoff_ns_).
	bool consume_pass();
	void mark_lost();
	void flush();
	// Aggregation: hands JavaScript the stats since the last snapshot.
	void send_aggregate(bool final);
	// Queues an encoded message for the JavaScript callback, waiting while the queue is full.
	void hand_to_js(std::string message);
	void finish(SessionEnd end);

	SessionSpec spec_;
	std::unique_ptr<BpfTracer> tracer_;
	std::thread prepare_thread_;
	std::unique_ptr<BpfTracer> prepared_;   // set by prepare_thread_
	std::exception_ptr prepare_error_;      // or what it threw
	uint64_t load_wait_ns_ = 0;             // start()'s wait for prepare_thread_
	std::unique_ptr<RingReader> ring_;
	uint64_t start_ns_ = 0;
	std::unique_ptr<BatchBuilder> batch_;
	SentComms sent_comms_;        // names of the entries that come without (drain thread)
	bool last_flush_was_quiet_ = true;
	uint64_t cutoff_ns_ = UINT64_MAX; // at a stop: events stamped later are not taken
	bool past_cutoff_ = false;
	uint64_t lost_marked_ = 0; // lost events already marked in the stream (LOST)
	uint64_t last_snapshot_ns_ = 0;
	pid_t child_pid_ = -1;
	std::vector<int> pidfds_;     // one per target we wait on; -1 once it exited
	int stop_fd_ = -1;            // eventfd: JS asks the drain thread to finish
	Napi::ThreadSafeFunction on_batch_, on_end_;
	std::thread thread_;
	// The drain thread's tid, set when it starts, and whether it is to drain (false: Start()
	// failed after creating it). Members, not locals of Start(): the thread may still be
	// inside set_value() when Start()'s wait returns.
	std::promise<pid_t> drain_tid_;
	std::promise<bool> drain_go_;
	std::atomic<bool> running_{false};
};
