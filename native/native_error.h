// An error users can cause or the kernel can report, carried to JavaScript with its errno.
#pragma once

#include <stdexcept>
#include <string>

struct NativeError : std::runtime_error {
	NativeError(const std::string &message, int err) : std::runtime_error(message), err(err) {}
	int err; // positive errno, or 0
};
