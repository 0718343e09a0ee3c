#include "session_values.h"

#include <algorithm>
#include <cstring>
#include <ctime>

uint64_t monotonic_ns()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

Napi::Error js_error(Napi::Env env, const NativeError &e)
{
	Napi::Error error = Napi::Error::New(env, e.what());
	error.Set("errno", Napi::Number::New(env, e.err));
	if (e.err) error.Set("code", Napi::String::New(env, strerrorname_np(e.err) ? strerrorname_np(e.err) : ""));
	if (!e.detail.empty()) error.Set("detail", Napi::String::New(env, e.detail));
	return error;
}

std::vector<std::string> string_array(const Napi::Value &value)
{
	std::vector<std::string> out;
	Napi::Array array = value.As<Napi::Array>();
	for (uint32_t i = 0; i < array.Length(); i++) out.push_back(array.Get(i).As<Napi::String>().Utf8Value());
	return out;
}

std::vector<uint32_t> number_array(const Napi::Value &value)
{
	std::vector<uint32_t> out;
	Napi::Array array = value.As<Napi::Array>();
	for (uint32_t i = 0; i < array.Length(); i++) out.push_back(array.Get(i).As<Napi::Number>().Uint32Value());
	return out;
}

CommandSpec command_spec(const Napi::Object &c)
{
	CommandSpec spec{c.Get("path").As<Napi::String>().Utf8Value(), string_array(c.Get("argv")), string_array(c.Get("env")),
	                 std::nullopt};
	if (c.Get("user").IsObject()) {
		Napi::Object u = c.Get("user").As<Napi::Object>();
		std::vector<uint32_t> groups = number_array(u.Get("groups"));
		spec.user = UserIdentity{u.Get("uid").As<Napi::Number>().Uint32Value(), u.Get("gid").As<Napi::Number>().Uint32Value(),
		                         std::vector<gid_t>(groups.begin(), groups.end())};
	}
	return spec;
}

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

// The capture rules of src/capture-rules.ts (NativeCaptureRule[]), as the table the BPF
// programs index by syscall number.
std::vector<syscall_capture> capture_table(const Napi::Array &rules)
{
	std::vector<syscall_capture> table(CAPTURE_SYSCALLS);
	for (syscall_capture &entry : table)
		for (capture_rule &rule : entry.rules) rule.source = CAPTURE_SOURCE_NONE;
	auto field = [](const Napi::Object &o, const char *name) { return o.Get(name).As<Napi::Number>().Uint32Value(); };
	for (uint32_t i = 0; i < rules.Length(); i++) {
		Napi::Object o = rules.Get(i).As<Napi::Object>();
		uint32_t nr = field(o, "nr");
		if (nr >= CAPTURE_SYSCALLS) continue;
		syscall_capture &entry = table[nr];
		capture_rule *slot = nullptr;
		for (capture_rule &rule : entry.rules)
			if (rule.source == CAPTURE_SOURCE_NONE) {
				slot = &rule;
				break;
			}
		if (!slot) throw NativeError("too many capture rules for syscall " + std::to_string(nr), EINVAL);
		slot->source = uint8_t(field(o, "source"));
		slot->arg = uint8_t(field(o, "arg"));
		slot->at_exit = o.Get("atExit").ToBoolean();
		slot->length_from = uint8_t(field(o, "lengthFrom"));
		slot->length_arg = uint8_t(field(o, "lengthArg"));
		slot->elem_size = uint16_t(field(o, "elemSize"));
		slot->max_bytes = field(o, "maxBytes");
		entry.when |= slot->at_exit ? CAPTURE_AT_EXIT_RULES : CAPTURE_AT_ENTRY;
	}
	for (syscall_capture &entry : table) {
		const capture_rule &first = entry.rules[0];
		bool one_rule = true;
		for (int i = 1; i < CAPTURE_RULES_PER_SYSCALL; i++) one_rule = one_rule && entry.rules[i].source == CAPTURE_SOURCE_NONE;
		if (one_rule && first.source == CAPTURE_SOURCE_BYTES && !first.at_exit && first.length_from == CAPTURE_LENGTH_ARG &&
		    first.elem_size == 1 && first.max_bytes <= CAPTURE_INLINE_MAX)
			entry.when |= CAPTURE_INLINE_BYTES;
	}
	return table;
}

uint32_t stack_frames(const Napi::Object &spec)
{
	if (!spec.Get("stackFrames").IsNumber()) return 0;
	int64_t frames = spec.Get("stackFrames").As<Napi::Number>().Int64Value();
	return uint32_t(std::clamp<int64_t>(frames, 0, STACK_MAX_FRAMES));
}
