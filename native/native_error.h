// An error users can cause or the kernel can report, carried to JavaScript with its errno.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

struct NativeError : std::runtime_error {
	NativeError(const std::string &message, int err, std::string detail = "")
	    : std::runtime_error(message), err(err), detail(std::move(detail))
	{
	}
	int err; // positive errno, or 0
	std::string detail; // lines for -v (the verifier's last words), or empty
};
