/* The sentry's own seccomp allow-list: what it needs once set up.  Why each
 * syscall is here is in docs/isolation.md ("The sentry's list"). */
#include <linux/kvm.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "common/sandbox.h"
#include "common/seccomp_filter.h"

#define ANY -1

/* Host terminal ioctls on the application's stdio (sentry/fs/host). */
#define TTY_IOCTLS TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCSWINSZ, FIONREAD, FIONBIO

static const uint64_t ioctls_ptrace[] = {TTY_IOCTLS, 0};
/* The KVM platform's ioctls after start-up: vCPUs are created per
 * context, memory regions added as the memory file grows. */
static const uint64_t ioctls_kvm[] = {
    TTY_IOCTLS,		  KVM_RUN,	       KVM_CREATE_VCPU,	    KVM_GET_VCPU_MMAP_SIZE,
    KVM_GET_SREGS,	  KVM_SET_SREGS,       KVM_GET_REGS,	    KVM_SET_REGS,
    KVM_SET_CPUID2,	  KVM_GET_SUPPORTED_CPUID, KVM_SET_MSRS,    KVM_GET_MSRS,
    KVM_SET_SIGNAL_MASK,  KVM_SET_XCRS,	       KVM_GET_XCRS,	    KVM_SET_XSAVE,
    KVM_GET_XSAVE,	  KVM_SET_FPU,	       KVM_GET_FPU,	    KVM_SET_USER_MEMORY_REGION,
    KVM_CHECK_EXTENSION, 0,
};

#define R(n) {#n, ANY, NULL}

static const struct sc_rule common_rules[] = {
    /* memory: the memory file, glibc's allocator, thread stacks */
    R(mmap), R(munmap), R(mprotect), R(mremap), R(madvise), R(brk), R(fallocate),
    R(ftruncate), R(memfd_create), R(msync), R(mincore),
    /* files: host fds donated by the gofer, stdio, cached dentry fds */
    R(read), R(write), R(pread64), R(pwrite64), R(readv), R(writev), R(preadv), R(pwritev),
    R(preadv2), R(pwritev2), R(lseek), R(close), R(close_range), R(dup), R(dup2), R(dup3),
    R(fcntl), R(fstat), R(newfstatat), R(statx), R(fstatfs), R(getdents64), R(readlinkat),
    R(openat), R(fsync), R(fdatasync), R(fchmod), R(fchown), R(utimensat), R(fgetxattr),
    R(flistxattr), R(sendfile), R(copy_file_range), R(splice), R(pipe2), R(fadvise64),
    /* the gofer socket and the sentry's own sockets/eventfds */
    R(sendmsg), R(recvmsg), R(sendto), R(recvfrom), R(socketpair), R(shutdown),
    R(getsockopt), R(setsockopt), R(eventfd2),
    /* the control socket (sentry/control): accepting the runtime's commands */
    R(socket), R(bind), R(listen), R(accept), R(accept4), R(connect), R(getsockname),
    R(getpeername), R(flock),
    /* waiting */
    R(futex), R(poll), R(ppoll), R(epoll_create1), R(epoll_ctl), R(epoll_wait),
    R(epoll_pwait), R(epoll_pwait2), R(nanosleep), R(clock_nanosleep), R(sched_yield),
    R(select), R(pselect6),
    /* clocks and timers */
    R(clock_gettime), R(clock_getres), R(gettimeofday), R(time), R(timer_create),
    R(timer_settime), R(timer_delete), R(timerfd_create), R(timerfd_settime),
    R(timerfd_gettime), R(setitimer), R(getitimer),
    /* threads: one per task, the stub factory, signal forwarding */
    R(clone), R(clone3), R(set_robust_list), R(get_robust_list), R(rseq), R(set_tid_address),
    R(exit), R(exit_group), R(gettid), R(getpid), R(getppid), R(sched_getaffinity),
    R(sched_setaffinity), R(getcpu), R(prctl), R(arch_prctl),
    /* signals: interrupting task threads, forwarding, crash reports */
    R(rt_sigaction), R(rt_sigprocmask), R(rt_sigreturn), R(rt_sigtimedwait), R(sigaltstack),
    R(tgkill), R(tkill), R(kill), R(rt_sigqueueinfo), R(rt_tgsigqueueinfo), R(pause),
    /* children: the stubs (ptrace) and their reaping */
    R(wait4), R(waitid),
    /* identity and limits asked by glibc or procfs */
    R(getuid), R(geteuid), R(getgid), R(getegid), R(getresuid), R(getresgid), R(getgroups),
    R(getrlimit), R(prlimit64), R(getrusage), R(times), R(uname), R(sysinfo),
    R(getrandom), R(getpriority), R(sched_getparam), R(sched_getscheduler),
    R(membarrier), R(restart_syscall), R(seccomp),
    /* a new ptrace stub, before its own filter: its own session, and no
     * capabilities (it runs application code) */
    R(setsid), R(setpgid), R(capset),
};

/* The ptrace platform: tracing stubs, reading their memory for faults. */
static const struct sc_rule ptrace_rules[] = {
    R(ptrace), R(process_vm_readv), R(process_vm_writev),
    {"ioctl", 1, ioctls_ptrace},
};

static const struct sc_rule kvm_rules[] = {
    {"ioctl", 1, ioctls_kvm},
};

int sandbox_seccomp_sentry(const char *platform)
{
	enum sc_mode mode = sc_mode_from_env();
	bool kvm = platform && !strcmp(platform, "kvm");
	const struct sc_rule *extra = kvm ? kvm_rules : ptrace_rules;
	size_t nextra = kvm ? sizeof kvm_rules / sizeof *kvm_rules
			    : sizeof ptrace_rules / sizeof *ptrace_rules;
	size_t n = sizeof common_rules / sizeof *common_rules;
	struct sc_rule all[sizeof common_rules / sizeof *common_rules + 8];
	memcpy(all, common_rules, sizeof common_rules);
	memcpy(all + n, extra, nextra * sizeof *extra);
	return sc_install("sentry", all, n + nextra, mode);
}
