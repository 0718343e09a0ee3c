// What both trace sessions (eBPF and ptrace) exchange with JavaScript: the values they read
// from the spec object, the errors they throw, and the two thread-safe hand-overs (a
// batch, then the end of the session).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <napi.h>
#include "native_error.h"
#include "trace_session.h"

// CLOCK_MONOTONIC in ns: the clock of every event time.
uint64_t monotonic_ns();

// A JavaScript Error with the NativeError's message, errno and code ("EPERM").
Napi::Error js_error(Napi::Env env, const NativeError &e);

std::vector<std::string> string_array(const Napi::Value &value);
std::vector<uint32_t> number_array(const Napi::Value &value);
// spec.captures, the rules of src/capture-rules.ts (NativeCaptureRule[]), as the table the
// BPF programs index by syscall number: at most CAPTURE_RULES_PER_SYSCALL each, unused
// slots CAPTURE_SOURCE_NONE.
std::vector<syscall_capture> capture_table(const Napi::Array &rules);
// spec.stackFrames (-k): frames per stack, 1..STACK_MAX_FRAMES; 0 when absent.
uint32_t stack_frames(const Napi::Object &spec);
// spec.command: {path, argv, env, user?: {uid, gid, groups}}
CommandSpec command_spec(const Napi::Object &command);

// Queues an encoded message for the batch callback as a Buffer that owns it (no copy),
// waiting while the queue is full. From the session's own thread.
void send_buffer(Napi::ThreadSafeFunction &on_batch, std::string message);

// Calls the end callback with {reason, exitCode, signal, lostEvents}; on the JavaScript
// thread, before that, runs release (join the session's thread, Unref the session).
void deliver_end(Napi::ThreadSafeFunction &on_end, SessionEnd end, std::function<void()> release);
