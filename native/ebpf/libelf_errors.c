// libelf's error state, for the static link of libelf (CMakeLists.txt). Debian's libelf.a is
// position-independent except its error object, whose thread-local error code uses the
// local-exec TLS model that a shared object (our addon) cannot hold; CMakeLists.txt drops that
// object from the archive and this file provides its three functions with the default TLS model.
// libbpf only reports these errors for a malformed ELF object; ours is embedded at build time,
// so the message names the code rather than repeating libelf's text.
#include <stdio.h>

static __thread int last_error;

void __libelf_seterrno(int value) { last_error = value; }

int elf_errno(void) {
  int error = last_error;
  last_error = 0;
  return error;
}

const char *elf_errmsg(int error) {
  static __thread char message[48];
  int code = error == 0 || error == -1 ? last_error : error;
  if (code == 0) return error == 0 ? NULL : "no libelf error";
  snprintf(message, sizeof message, "libelf error %d", code);
  return message;
}
