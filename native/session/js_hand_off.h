// How both trace sessions (eBPF and ptrace) hand JavaScript what they traced: batches through
// a bounded queue, then, last, the end of the session; and the rules for closing a batch that
// they share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <napi.h>
#include "encode/batch_encoder.h"
#include "session/session_spec.h"

// A batch closes when it holds this many events, or kFlushIntervalNs after the last flush
// (the same timer collects a quiet trace: the BPF side wakes the drain thread only every
// 256 KiB, and the ptrace tracer thread sleeps in waitpid()).
constexpr size_t kMaxBatchEvents = 8192;
constexpr uint64_t kFlushIntervalNs = 25'000'000;

class JsHandOff {
public:
	// On the JavaScript thread, before the session's thread starts: the two callbacks,
	// onBatch(Buffer) and onEnd(info). `name` names the queues in Node's diagnostics.
	void open(Napi::Env env, const Napi::Function &on_batch, const Napi::Function &on_end, const std::string &name);
	// On the JavaScript thread, when the session's thread failed to start: no end will come.
	void release();
	// From the session's thread: the batch, closed now; an empty one only after activity (one
	// quiet tick tells JavaScript which calls are still blocked; an idle trace sends nothing).
	void flush(BatchBuilder &batch, uint64_t lost_events);
	// From the session's thread: an encoded message as a Buffer that owns it (no copy),
	// waiting while kMaxQueuedBatches are queued.
	void send(std::string message);
	// From the session's thread, after its last send: onEnd({reason, exitCode, signal, ...}).
	// on_js_thread runs first, on the JavaScript thread (join the session's thread, Unref).
	void finish(SessionEnd end, std::function<void()> on_js_thread);

private:
	// Batches queued for JavaScript before the session's thread waits (and, on eBPF, the
	// ring absorbs the rest). A call takes ~32 bytes here against ~136 in the kernel's
	// ring, so bursts are better absorbed here: 256 full batches hold up to 2M calls, ~65 MB.
	static constexpr size_t kMaxQueuedBatches = 256;

	Napi::ThreadSafeFunction on_batch_, on_end_;
	bool last_flush_was_quiet_ = true;
};
