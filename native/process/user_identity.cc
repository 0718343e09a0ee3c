#include "process/user_identity.h"

#include <cerrno>
#include <grp.h>
#include <pwd.h>
#include <sys/syscall.h>
#include <unistd.h>

std::optional<UserIdentity> lookup_user(const std::string &name)
{
	std::vector<char> buffer(16384);
	passwd entry, *found = nullptr;
	while (getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == ERANGE)
		buffer.resize(buffer.size() * 2);
	if (!found) return std::nullopt;

	UserIdentity identity{entry.pw_uid, entry.pw_gid, {}};
	int count = 32;
	identity.groups.resize(size_t(count));
	while (getgrouplist(name.c_str(), entry.pw_gid, identity.groups.data(), &count) < 0)
		identity.groups.resize(size_t(count)); // count now holds the number needed
	identity.groups.resize(size_t(count));
	return identity;
}

int become_user(const UserIdentity &identity)
{
	if (syscall(SYS_setgroups, identity.groups.size(), identity.groups.data()) < 0) return errno;
	if (syscall(SYS_setresgid, identity.gid, identity.gid, identity.gid) < 0) return errno;
	if (syscall(SYS_setresuid, identity.uid, identity.uid, identity.uid) < 0) return errno;
	return 0;
}
