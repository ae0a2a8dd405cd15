/* The syscall table: one descriptor per syscall number (name, handler,
 * argument kinds for --strace, support level) and the dispatcher.
 *
 * Each sys_<family>.c defines its handlers with DEFINE_SYSCALL; the
 * descriptors land in a linker section and syscall_table_init() builds the
 * table indexed by number from them, so families never edit a central list.
 * A number with no descriptor returns -ENOSYS and is logged once (--debug).
 *
 * Handlers run on the task's own sentry thread, take raw argument words,
 * validate them, and return a value or -errno.  Application pointers go
 * through mm_copy_in/mm_copy_out (-EFAULT), never dereferenced.
 */
#pragma once
#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>

struct task;

typedef long sys_handler_t(struct task *t, const uint64_t *a);

/* Argument kinds, for --strace. */
enum sys_argk {
	A_NONE = 0,
	A_INT,      /* signed decimal */
	A_UINT,     /* unsigned decimal (sizes, counts) */
	A_HEX,      /* flags, addresses */
	A_OCT,      /* modes */
	A_FD,       /* file descriptor */
	A_DIRFD,    /* fd or AT_FDCWD */
	A_PTR,      /* pointer, printed in hex (NULL as NULL) */
	A_STR,      /* NUL-terminated string in application memory */
	A_BUFIN,    /* buffer read by the call; its length is the next argument */
	A_BUFOUT,   /* buffer filled by the call; its length is the return value */
	A_STRV,     /* NULL-terminated array of strings (argv, envp) */
	A_SIG,      /* signal number */
};

/* Return kinds, for --strace. */
enum sys_retk {
	R_INT = 0, /* decimal, or -1 ERRNO (message) */
	R_HEX,     /* addresses (mmap, brk) */
	R_NONE,    /* does not return (exit) */
};

enum sys_support {
	SUP_FULL = 0,
	SUP_PARTIAL, /* implemented for common cases; see the handler's comment */
};

struct syscall_def {
	int nr;
	const char *name;
	sys_handler_t *fn;
	uint8_t args[6];
	uint8_t ret;
	uint8_t support;
};

#define SYSCALL_SECTION __attribute__((used, section("cvisor_syscalls"), aligned(8)))

/* DEFINE_SYSCALL(read, R_INT, A_FD, A_BUFOUT, A_UINT) { ... uses t and a[0..5] ... } */
#define DEFINE_SYSCALL_SUP(NAME, SUP, RET, ...)                                                    \
	static long sys_##NAME(struct task *t, const uint64_t *a);                                 \
	static const struct syscall_def sysdef_##NAME SYSCALL_SECTION = {                          \
	    .nr = __NR_##NAME,                                                                     \
	    .name = #NAME,                                                                         \
	    .fn = sys_##NAME,                                                                      \
	    .args = {__VA_ARGS__},                                                                 \
	    .ret = RET,                                                                            \
	    .support = SUP,                                                                        \
	};                                                                                         \
	static long sys_##NAME(struct task *t, const uint64_t *a)
#define DEFINE_SYSCALL(NAME, RET, ...) DEFINE_SYSCALL_SUP(NAME, SUP_FULL, RET, __VA_ARGS__)

/* Kernel-internal restart codes (never seen by the application). */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#define SYSCALL_MAX 512

void syscall_table_init(void);
const struct syscall_def *syscall_lookup(long nr);
/* Runs the syscall in t->arch.regs and stores the result in regs.rax. */
void syscall_dispatch(struct task *t);

/* --strace output (sentry/syscalls/strace.c). */
extern int strace_enabled;
void strace_enter(struct task *t, const struct syscall_def *d, long nr, const uint64_t *a);
void strace_exit(struct task *t, const struct syscall_def *d, long nr, const uint64_t *a,
		 long ret);
