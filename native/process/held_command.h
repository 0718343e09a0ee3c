// Starts a command held just before its execve, so the tracer can put the child's pid in
// the target set first: then the trace begins exactly at the command's execve.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include <linux/filter.h>
#include "process/user_identity.h"

class HeldCommand {
public:
	// path must already be resolved (no PATH search here: the child may not allocate).
	// seccomp: a filter the child installs just before its execve (the ptrace backend's -e).
	// user: the command runs as that user (-u), with its groups.
	HeldCommand(const std::string &path, const std::vector<std::string> &argv, const std::vector<std::string> &env,
	            const std::vector<sock_filter> &seccomp = {}, const std::optional<UserIdentity> &user = std::nullopt);
	~HeldCommand(); // a command never released is killed and reaped
	HeldCommand(const HeldCommand &) = delete;
	HeldCommand &operator=(const HeldCommand &) = delete;

	pid_t pid() const { return pid_; }
	// Lets the child exec; throws NativeError if execve failed (the child is then reaped).
	void release();
	// The two halves of release() for a tracer, which must keep serving the child's ptrace
	// stops between them: let_go() lets the child exec; check_exec(), once the child has
	// exec'd or exited, throws NativeError if it could not exec (the caller reaps it).
	void let_go();
	void check_exec();

private:
	std::string path_;
	std::vector<sock_filter> seccomp_;
	pid_t pid_ = -1;
	int go_fd_ = -1;     // write end: one byte releases the child
	int error_fd_ = -1;  // read end: execve's errno, or EOF once exec succeeded
};
