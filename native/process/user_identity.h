// -u USER: the identity a launched command runs as (like strace -u), looked up in the
// tracer before fork, because the child of a multithreaded process may not call NSS.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

struct UserIdentity {
	uid_t uid;
	gid_t gid;                  // the user's primary group
	std::vector<gid_t> groups;  // supplementary groups, as initgroups would set them
};

// The user's passwd entry and group list; nullopt if there is no such user.
std::optional<UserIdentity> lookup_user(const std::string &name);

// In the forked child, before execve: groups, then gid, then uid (after setuid the
// others could no longer be changed). Raw system calls only: async-signal-safe, and
// they change this one thread, the only one a forked child has. Returns 0 or an errno.
int become_user(const UserIdentity &identity);
