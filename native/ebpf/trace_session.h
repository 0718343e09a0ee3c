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
#include "encode/batch_encoder.h"
#include "ebpf/bpf_tracer.h"
#include "session/js_hand_off.h"
#include "ebpf/ring_reader.h"
#include "ebpf/ring_records.h"
#include "session/session_spec.h"

// What JavaScript asks of an eBPF trace.
struct SessionSpec {
	TracerConfig tracer;
	uint64_t interval_ns = 0;   // aggregation: a snapshot every interval; 0: only at the end
	std::optional<CommandSpec> command;
	std::vector<uint32_t> pids; // tgids to attach to
	int nice_increment = 0;     // the tracer's own threads run this much nicer (own_priority.h)
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
	std::unique_ptr<StackMaps> stack_maps_; // -k
	std::unique_ptr<RingRecords> records_;  // what the ring holds, into batch_
	uint64_t cutoff_ns_ = UINT64_MAX; // at a stop: events stamped later are not taken
	bool past_cutoff_ = false;
	uint64_t lost_marked_ = 0; // lost events already marked in the stream (LOST)
	uint64_t last_snapshot_ns_ = 0;
	pid_t child_pid_ = -1;
	std::vector<int> pidfds_;     // one per target we wait on; -1 once it exited
	int stop_fd_ = -1;            // eventfd: JS asks the drain thread to finish
	JsHandOff to_js_;
	std::thread thread_;
	// The drain thread's tid, set when it starts, and whether it is to drain (false: Start()
	// failed after creating it). Members, not locals of Start(): the thread may still be
	// inside set_value() when Start()'s wait returns.
	std::promise<pid_t> drain_tid_;
	std::promise<bool> drain_go_;
	std::atomic<bool> running_{false};
};
