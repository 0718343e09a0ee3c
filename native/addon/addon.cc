// The bpftrace-ts native addon: the eBPF and ptrace trace sessions, and the batch encoder exposed for tests.
#include <napi.h>

#include <cstring>

#include "encode/batch_encoder.h"
#include "ptrace/ptrace_session.h"
#include "ebpf/trace_session.h"
#include "process/user_identity.h"

namespace {

// encodeBatch(events) -> Buffer: encodes synthetic events with the production encoder, so
// tests can check that the generated TypeScript decoder reads back what was written.
// Each event: {kind, tsNs, tid, pid, nr, ...} as EventKind numbers them: ENTER and
// IN_PROGRESS (0, 2) with comm and args: number[6]; EXIT (1) with ret and tampered?;
// SIGNAL (4) with comm (an empty siginfo) and ignored? (one the kernel discarded); PROCESS_EXIT (5) with comm and ret, the status;
// CHILD_RETURN (7) with comm.
Napi::Value EncodeBatch(const Napi::CallbackInfo &info)
{
	Napi::Array events = info[0].As<Napi::Array>();
	uint64_t start_ns = 1'000'000'000;
	BatchBuilder builder(start_ns);
	for (uint32_t i = 0; i < events.Length(); i++) {
		Napi::Object o = events.Get(i).As<Napi::Object>();
		uint32_t kind = o.Get("kind").As<Napi::Number>().Uint32Value();
		event_header h = {start_ns + uint64_t(o.Get("tsNs").As<Napi::Number>().Int64Value()),
		                  o.Get("tid").As<Napi::Number>().Uint32Value(),
		                  o.Get("pid").As<Napi::Number>().Uint32Value(),
		                  o.Get("nr").As<Napi::Number>().Int32Value(), kind == 1 ? EVENT_EXIT : EVENT_ENTER, 0};
		char comm[TASK_COMM_LEN] = {};
		if (o.Get("comm").IsString()) o.Get("comm").As<Napi::String>().Utf8Value().copy(comm, TASK_COMM_LEN - 1);
		if (kind == 1) {
			exit_event e = {h, o.Get("ret").As<Napi::Number>().Int64Value()};
			builder.add_exit(e);
			if (o.Get("tampered").IsNumber()) builder.mark_tampered(o.Get("tampered").As<Napi::Number>().Uint32Value());
		} else if (kind == 4) {
			bool ignored = o.Get("ignored").IsBoolean() && o.Get("ignored").As<Napi::Boolean>().Value();
			builder.add_signal(h, comm, nullptr, 0, ignored ? CAPTURE_FLAG_SIGNAL_IGNORED : 0);
		} else if (kind == 5) {
			builder.add_process_exit(h, comm, o.Get("ret").As<Napi::Number>().Int32Value());
		} else if (kind == 8) {
			builder.add_lost(h.ts_ns, uint64_t(o.Get("ret").As<Napi::Number>().Int64Value()));
		} else if (kind == 7) {
			child_return_event e = {{h, 0}, {}};
			memcpy(e.comm, comm, TASK_COMM_LEN);
			builder.add_child_return(e);
		} else {
			enter_event e = {};
			e.h = h;
			memcpy(e.comm, comm, TASK_COMM_LEN);
			Napi::Array args = o.Get("args").As<Napi::Array>();
			for (uint32_t a = 0; a < SYSCALL_ARG_COUNT; a++)
				e.args[a] = uint64_t(args.Get(a).As<Napi::Number>().Int64Value());
			builder.add_enter(e, kind == 2 ? EventKind::InProgress : EventKind::Enter);
		}
	}
	std::string encoded = builder.finish(start_ns + 5'000'000, 7);
	return Napi::Buffer<char>::Copy(info.Env(), encoded.data(), encoded.size());
}

// lookupUser(name) -> {uid, gid, groups} or null: the identity -u runs a command as.
Napi::Value LookupUser(const Napi::CallbackInfo &info)
{
	Napi::Env env = info.Env();
	std::optional<UserIdentity> user = lookup_user(info[0].As<Napi::String>().Utf8Value());
	if (!user) return env.Null();
	Napi::Object result = Napi::Object::New(env);
	result.Set("uid", Napi::Number::New(env, user->uid));
	result.Set("gid", Napi::Number::New(env, user->gid));
	Napi::Array groups = Napi::Array::New(env, user->groups.size());
	for (size_t i = 0; i < user->groups.size(); i++) groups.Set(uint32_t(i), Napi::Number::New(env, user->groups[i]));
	result.Set("groups", groups);
	return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports)
{
	exports.Set("TraceSession", TraceSession::Define(env));
	exports.Set("PtraceSession", PtraceSession::Define(env));
	exports.Set("encodeBatch", Napi::Function::New(env, EncodeBatch));
	exports.Set("lookupUser", Napi::Function::New(env, LookupUser));
	exports.Set("latencyBuckets", Napi::Number::New(env, LATENCY_BUCKETS));
	return exports;
}

} // namespace

NODE_API_MODULE(bpftrace_ts, Init)
