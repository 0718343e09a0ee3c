#include "held_command.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "native_error.h"

namespace {

std::vector<char *> c_strings(const std::vector<std::string> &strings)
{
	std::vector<char *> out;
	for (const std::string &s : strings) out.push_back(const_cast<char *>(s.c_str()));
	out.push_back(nullptr);
	return out;
}

ssize_t read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;
	do n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

} // namespace

HeldCommand::HeldCommand(const std::string &path, const std::vector<std::string> &argv, const std::vector<std::string> &env)
    : path_(path)
{
	int go[2], error[2];
	if (pipe2(go, O_CLOEXEC)) throw NativeError(std::string("pipe: ") + strerror(errno), errno);
	if (pipe2(error, O_CLOEXEC)) {
		int err = errno;
		close(go[0]);
		close(go[1]);
		throw NativeError(std::string("pipe: ") + strerror(err), err);
	}
	// Everything the child needs is built before fork: in a multithreaded parent the child
	// may only make async-signal-safe calls until execve.
	std::vector<char *> c_argv = c_strings(argv), c_env = c_strings(env);
	// Until execve the child is a copy of node; name it after the command, so even its
	// execve line says whose it is (the kernel keeps the first 15 bytes).
	std::string name = path.substr(path.rfind('/') + 1);

	pid_ = fork();
	if (pid_ == 0) {
		// Node ignores SIGPIPE and blocks some signals; ignored dispositions and the mask
		// survive execve, and the command must start with the defaults.
		struct sigaction default_action = {};
		default_action.sa_handler = SIG_DFL;
		for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &default_action, nullptr);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, nullptr);
		// Node marks its stdio close-on-exec; the command inherits our terminal or pipes.
		for (int fd = 0; fd <= 2; fd++) fcntl(fd, F_SETFD, 0);
		prctl(PR_SET_NAME, name.c_str(), 0, 0, 0);
		char go_byte;
		if (read_retry(go[0], &go_byte, 1) != 1) _exit(127); // the tracer went away first
		execve(path.c_str(), c_argv.data(), c_env.data());
		int err = errno;
		ssize_t ignored = write(error[1], &err, sizeof(err));
		(void)ignored;
		_exit(127);
	}
	int fork_err = errno;
	close(go[0]);
	close(error[1]);
	go_fd_ = go[1];
	error_fd_ = error[0];
	if (pid_ < 0) {
		close(go_fd_);
		close(error_fd_);
		throw NativeError(std::string("fork: ") + strerror(fork_err), fork_err);
	}
}

void HeldCommand::release()
{
	char go_byte = 1;
	ssize_t written = write(go_fd_, &go_byte, 1);
	(void)written; // if the child is gone, the read below sees EOF and waitpid tells
	close(go_fd_);
	go_fd_ = -1;
	int exec_errno = 0;
	ssize_t n = read_retry(error_fd_, &exec_errno, sizeof(exec_errno));
	close(error_fd_);
	error_fd_ = -1;
	if (n == sizeof(exec_errno)) {
		waitpid(pid_, nullptr, 0);
		pid_ = -1;
		throw NativeError("cannot execute '" + path_ + "': " + strerror(exec_errno), exec_errno);
	}
}

HeldCommand::~HeldCommand()
{
	if (go_fd_ < 0) return; // released: the command is on its own now
	close(go_fd_);          // the child reads EOF and exits 127
	close(error_fd_);
	if (pid_ > 0) {
		kill(pid_, SIGKILL);
		waitpid(pid_, nullptr, 0);
	}
}
