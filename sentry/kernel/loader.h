/* The program loader: execve's work of turning a file into a fresh address
 * space (ELF64 executables, their ld.so, "#!" scripts) and an initial stack.
 *
 * Lock order: takes tg->lock briefly to set comm; holds no lock while
 * reading files or building the new mm (nothing else can see it yet).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct task;
struct mm;

/* Replaces t's address space with a new one running path with argv/envp
 * (sentry strings).  On success t->mm is the new mm (the old one put),
 * t->arch.regs are set for the first instruction (rip = entry of the
 * interpreter if any, rsp = initial stack, all other GPRs zero, cs 0x33,
 * ss 0x2b, eflags 0x202), t->exe holds the path and
 * t->tg->comm the basename.  On failure t is unchanged and -errno is
 * returned (ENOENT, EACCES, ENOEXEC, ENOTDIR, ELOOP, E2BIG, ENOMEM, EIO;
 * ELIBBAD when the ELF interpreter is not a loadable ELF file, as Linux).
 *
 * For scripts, t->exe is the final ELF interpreter (what /proc/self/exe
 * shows on Linux) while AT_EXECFN and comm come from path. */
int loader_exec(struct task *t, const char *path, char *const argv[], char *const envp[]);

/* ---- Inside the loader (loader.c <-> stack.c) ---- */

/* Linux's limits on execve arguments. */
#define LOADER_MAX_ARG_STRLEN (32 * 4096UL) /* one string, NUL included */
#define LOADER_ARG_MAX (32 * 4096UL)	    /* floor of the total limit */

struct loader_args {
	const char **argv;
	size_t argc;
	const char *const *envp;
	size_t envc;
	const char *execfn; /* AT_EXECFN: the path execve was given */
};

/* E2BIG if a string is longer than MAX_ARG_STRLEN or strings plus pointers
 * exceed a quarter of the stack limit (at least ARG_MAX), as Linux. */
int loader_check_args(const struct loader_args *a, uint64_t stack_rlimit);

/* Maps the [stack] VMA of stack_size bytes below top, writes strings, the
 * AT_RANDOM bytes, the platform string, auxv (the caller's pairs, then
 * AT_RANDOM, AT_PLATFORM, AT_EXECFN and AT_NULL), envp, argv and argc, and
 * records mm->stack_top and the arg, env and auxv bounds.  *sp is the initial rsp.
 * 0 or -ENOMEM/-E2BIG/-EIO/-EFAULT. */
int loader_setup_stack(struct mm *mm, uint64_t top, uint64_t stack_size, int prot,
		       const struct loader_args *a, const uint64_t *auxv, size_t nauxv_pairs,
		       uint64_t *sp);

/* Random bytes for layout and AT_RANDOM.  0 or -EIO. */
int loader_random(void *buf, size_t len);
