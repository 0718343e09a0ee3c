#include "session/session_values.h"

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
	if (e.err) error.Set("errnoMessage", Napi::String::New(env, strerror(e.err)));
	if (!e.detail.empty()) error.Set("detail", Napi::String::New(env, e.detail));
	error.Set("kind", Napi::Number::New(env, double(e.kind)));
	if (e.kind == NativeErrorKind::ErrorProcess) error.Set("pid", Napi::Number::New(env, e.pid));
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

// The capture rules of src/syscalls/capture-rules.ts (NativeCaptureRule[]), as the table the BPF
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
		slot->field = uint8_t(field(o, "field"));
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
