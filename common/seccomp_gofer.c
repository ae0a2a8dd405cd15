/* The gofer's seccomp allow-list: file syscalls on the fds it holds, its
 * one socket, memory and exit.  Why each is here: docs/isolation.md. */
#include <sys/ioctl.h>

#include "common/sandbox.h"
#include "common/seccomp_filter.h"

#define R(n) {#n, -1, NULL}

static const uint64_t gofer_ioctls[] = {FIONREAD, 0};

static const struct sc_rule gofer_rules[] = {
    /* the protocol socket */
    R(recvmsg), R(sendmsg), R(recvfrom), R(sendto), R(poll), R(ppoll),
    /* files, always relative to a node's fd (never by host path from /) */
    R(openat), R(openat2), R(close), R(read), R(write), R(pread64), R(pwrite64), R(lseek),
    R(fstat), R(newfstatat), R(statx), R(fstatfs), R(getdents64), R(readlinkat), R(mkdirat),
    R(mknodat), R(unlinkat), R(renameat), R(renameat2), R(symlinkat), R(linkat), R(fchmod),
    R(fchmodat), R(fchown), R(fchownat), R(utimensat), R(ftruncate), R(fallocate), R(fsync),
    R(fdatasync), R(fcntl), R(dup), R(fgetxattr), R(flistxattr), R(fsetxattr),
    R(fremovexattr), R(close_range),
    {"ioctl", 1, gofer_ioctls},
    /* memory and the rest of a C program */
    R(mmap), R(munmap), R(mprotect), R(mremap), R(madvise), R(brk), R(futex),
    R(rt_sigaction), R(rt_sigprocmask), R(rt_sigreturn), R(sigaltstack), R(clock_gettime),
    R(gettimeofday), R(nanosleep), R(clock_nanosleep), R(getpid), R(gettid), R(tgkill),
    R(getrandom), R(exit), R(exit_group), R(restart_syscall),
    /* libunwind probing addresses for a crash backtrace */
    R(mincore), R(msync),
};

int sandbox_seccomp_gofer(void)
{
	return sc_install("gofer", gofer_rules, sizeof gofer_rules / sizeof *gofer_rules,
			  sc_mode_from_env());
}
