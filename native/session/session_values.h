// What both trace sessions (eBPF and ptrace) read from JavaScript: the values of the spec
// object, and the errors they throw (what they hand back: js_hand_off.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <linux/types.h>
#include <napi.h>
#include "native_error.h"
#include "session/session_spec.h"
#include "syscall_event.h"

// CLOCK_MONOTONIC in ns: the clock of every event time.
uint64_t monotonic_ns();

// A JavaScript Error with the NativeError's message, errno, code ("EPERM") and errnoMessage
// (strerror), kind and, for ErrorProcess, pid.
Napi::Error js_error(Napi::Env env, const NativeError &e);

std::vector<std::string> string_array(const Napi::Value &value);
std::vector<uint32_t> number_array(const Napi::Value &value);
// spec.captures, the rules of src/syscalls/capture-rules.ts (NativeCaptureRule[]), as the table the
// BPF programs index by syscall number: at most CAPTURE_RULES_PER_SYSCALL each, unused
// slots CAPTURE_SOURCE_NONE.
std::vector<syscall_capture> capture_table(const Napi::Array &rules);
// spec.stackFrames (-k): frames per stack, 1..STACK_MAX_FRAMES; 0 when absent.
uint32_t stack_frames(const Napi::Object &spec);
// spec.command: {path, argv, env, user?: {uid, gid, groups}}
CommandSpec command_spec(const Napi::Object &command);
