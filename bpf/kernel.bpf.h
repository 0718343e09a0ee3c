/* What every part of the BPF object takes from the kernel and libbpf: kernel types (CO-RE),
 * helpers, the event layout shared with user space, the syscall numbers the programs name,
 * and the features of the running kernel that the loader probed. */
#ifndef BPFTRACE_TS_KERNEL_BPF_H
#define BPFTRACE_TS_KERNEL_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <asm-generic/errno-base.h>
#include "syscall_event.h"
#include "bounds.h"

/* x86-64 numbers, as the register reads of the programs are x86-64's. */
#define NR_execve 59
#define NR_execveat 322
#define NR_brk 12
#define NR_clone 56
#define NR_fork 57
#define NR_vfork 58
#define NR_clone3 435
#define NR_rt_sigreturn 15

/* What the running kernel offers, probed by the loader (native/ebpf/kernel_features.cc). Each
 * mechanism has a stand-in for kernels without it, and the verifier prunes the one not in
 * use; false, the default, is what every kernel with a BPF ring buffer (5.8) can run. */
const volatile bool has_task_btf = false;     /* bpf_get_current_task_btf(): Linux 5.11 */
const volatile bool has_task_storage = false; /* task storage in tracing programs (5.12): else
                                               * the loader makes those maps LRU hashes by tid */
const volatile bool has_task_pt_regs = false; /* bpf_task_pt_regs(): 5.15 */

#endif
