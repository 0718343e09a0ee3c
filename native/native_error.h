// An error users can cause or the kernel can report, carried to JavaScript with its errno
// and its kind (enum NativeErrorKind of proto/batch.proto, which TypeScript reads too).
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <utility>

#include "generated/batch_schema.h"

using batch_schema::NativeErrorKind;

struct NativeError : std::runtime_error {
	NativeError(NativeErrorKind kind, const std::string &message, int err, std::string detail = "")
	    : std::runtime_error(message), err(err), detail(std::move(detail)), kind(kind)
	{
	}
	NativeError(const std::string &message, int err, std::string detail = "")
	    : NativeError(NativeErrorKind::ErrorOther, message, err, std::move(detail))
	{
	}
	// Process pid cannot be traced (err says why): "process PID: why", with its pid.
	static NativeError process(pid_t pid, int err)
	{
		NativeError e(NativeErrorKind::ErrorProcess, "process " + std::to_string(pid) + ": " + strerror(err), err);
		e.pid = pid;
		return e;
	}
	int err; // positive errno, or 0
	std::string detail; // lines for -v (the verifier's last words), or empty
	NativeErrorKind kind;
	pid_t pid = 0; // ErrorProcess: the process
};
