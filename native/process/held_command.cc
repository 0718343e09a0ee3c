#include "process/held_command.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/seccomp.h>
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

// What the child reports on the error pipe when it cannot start the command.
struct ChildFailure {
	enum Stage : int { kExec, kSeccomp, kUser } stage;
	int err;
};

// Installs the filter; without CAP_SYS_ADMIN the kernel requires no_new_privs first.
int install_seccomp(const sock_fprog &program)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0) return 0;
	if (errno != EACCES) return errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return errno;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0 ? 0 : errno;
}

} // namespace

HeldCommand::HeldCommand(const std::string &path, const std::vector<std::string> &argv, const std::vector<std::string> &env,
                         const std::vector<sock_filter> &seccomp, const std::optional<UserIdentity> &user)
    : path_(path), seccomp_(seccomp)
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
	sock_fprog filter = {static_cast<unsigned short>(seccomp_.size()), seccomp_.data()};

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
		// Like strace -u: the identity changes, the environment (HOME, USER...) does not. The
		// user first: the seccomp filter would otherwise apply to these calls too.
		ChildFailure failure = {ChildFailure::kUser, user ? become_user(*user) : 0};
		if (failure.err == 0) failure = {ChildFailure::kSeccomp, filter.len ? install_seccomp(filter) : 0};
		if (failure.err == 0) {
			execve(path.c_str(), c_argv.data(), c_env.data());
			failure = {ChildFailure::kExec, errno};
		}
		ssize_t ignored = write(error[1], &failure, sizeof(failure));
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
	let_go();
	try {
		check_exec();
	} catch (const NativeError &) {
		waitpid(pid_, nullptr, 0);
		pid_ = -1;
		throw;
	}
}

void HeldCommand::let_go()
{
	char go_byte = 1;
	ssize_t written = write(go_fd_, &go_byte, 1);
	(void)written; // if the child is gone, check_exec() sees EOF and waitpid tells
	close(go_fd_);
	go_fd_ = -1;
}

void HeldCommand::check_exec()
{
	ChildFailure failure;
	ssize_t n = read_retry(error_fd_, &failure, sizeof(failure));
	close(error_fd_);
	error_fd_ = -1;
	if (n != sizeof(failure)) return;
	if (failure.stage == ChildFailure::kUser)
		throw NativeError(std::string("cannot run the command as the -u user: ") + strerror(failure.err), failure.err);
	if (failure.stage == ChildFailure::kSeccomp)
		throw NativeError(std::string("cannot install the seccomp filter: ") + strerror(failure.err), failure.err);
	throw NativeError("cannot execute '" + path_ + "': " + strerror(failure.err), failure.err);
}

HeldCommand::~HeldCommand()
{
	if (error_fd_ >= 0) close(error_fd_);
	if (go_fd_ < 0) return; // released: the command is on its own now
	close(go_fd_);          // the child reads EOF and exits 127
	if (pid_ > 0) {
		kill(pid_, SIGKILL);
		waitpid(pid_, nullptr, 0);
	}
}
