#include "session/js_hand_off.h"

#include <cstring>
#include <utility>

#include "session/session_values.h"

namespace {

void send_buffer(Napi::ThreadSafeFunction &on_batch, std::string message)
{
	auto *encoded = new std::string(std::move(message));
	napi_status status = on_batch.BlockingCall(encoded, [](Napi::Env env, Napi::Function callback, std::string *data) {
		Napi::Buffer<char> buffer = Napi::Buffer<char>::New(
		    env, data->data(), data->size(), [](Napi::Env, char *, std::string *owned) { delete owned; }, data);
		callback.Call({buffer});
	});
	if (status != napi_ok) delete encoded; // JavaScript is shutting down
}

void deliver_end(Napi::ThreadSafeFunction &on_end, SessionEnd end, std::function<void()> release)
{
	struct Delivery {
		SessionEnd end;
		std::function<void()> release;
	};
	auto *owned = new Delivery{std::move(end), std::move(release)};
	napi_status status = on_end.BlockingCall(owned, [](Napi::Env env, Napi::Function callback, Delivery *d) {
		d->release();
		const SessionEnd &e = d->end;
		Napi::Object info = Napi::Object::New(env);
		info.Set("reason", e.reason);
		info.Set("exitCode", e.exit_code >= 0 ? Napi::Number::New(env, e.exit_code) : env.Null());
		info.Set("signal", e.term_signal ? Napi::String::New(env, sigabbrev_np(e.term_signal)) : env.Null());
		info.Set("lostEvents", Napi::Number::New(env, double(e.lost_events)));
		info.Set("lostTaskExits", Napi::Number::New(env, double(e.lost_task_exits)));
		info.Set("lostSignals", Napi::Number::New(env, double(e.lost_signals)));
		Napi::Object copies = Napi::Object::New(env);
		copies.Set("atEntry", Napi::Number::New(env, double(e.captured_at_entry)));
		copies.Set("retriedAtExit", Napi::Number::New(env, double(e.capture_retried)));
		copies.Set("failed", Napi::Number::New(env, double(e.capture_failed)));
		info.Set("argumentCopies", copies);
		Napi::Array killed = Napi::Array::New(env, e.killed_pids.size());
		for (uint32_t i = 0; i < e.killed_pids.size(); i++) killed.Set(i, Napi::Number::New(env, e.killed_pids[i]));
		info.Set("killedPids", killed);
		delete d;
		callback.Call({info});
	});
	if (status != napi_ok) delete owned;
}

} // namespace

void JsHandOff::open(Napi::Env env, const Napi::Function &on_batch, const Napi::Function &on_end, const std::string &name)
{
	on_batch_ = Napi::ThreadSafeFunction::New(env, on_batch, name + " batches", kMaxQueuedBatches, 1);
	on_end_ = Napi::ThreadSafeFunction::New(env, on_end, name + " end", 1, 1);
}

void JsHandOff::release()
{
	on_batch_.Release();
	on_end_.Release();
}

void JsHandOff::flush(BatchBuilder &batch, uint64_t lost_events)
{
	bool quiet = batch.empty();
	if (quiet && last_flush_was_quiet_) return;
	last_flush_was_quiet_ = quiet;
	send(batch.finish(monotonic_ns(), lost_events));
}

void JsHandOff::send(std::string message)
{
	send_buffer(on_batch_, std::move(message));
}

void JsHandOff::finish(SessionEnd end, std::function<void()> on_js_thread)
{
	deliver_end(on_end_, std::move(end), std::move(on_js_thread));
	release();
}
