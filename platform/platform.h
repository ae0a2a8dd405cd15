/* The platform contract: address spaces built from memory-file ranges, and
 * contexts that run application code until it traps back to the sentry.
 *
 * Everything above this header (tasks, signals, mm, syscalls) is
 * platform-independent.  A platform knows nothing of tasks or files.
 *
 * Threading: a pf_ctx is always run from the same host thread (the sentry
 * thread of its task).  pf_as operations may be called from any sentry thread
 * that owns a ctx in that address space, or from the thread that created it;
 * the platform serialises them internally.  map/unmap take effect before any
 * ctx of that address space next executes application code.
 *
 * Lock order: platform locks are leaves; callers may hold mm locks.
 */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/user.h>

/* <sys/user.h> defines PAGE_SIZE, PAGE_SHIFT and PAGE_MASK the same way. */
#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif
#ifndef PAGE_SIZE
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#endif
#ifndef PAGE_MASK
#define PAGE_MASK (~(PAGE_SIZE - 1))
#endif
#define PAGE_ROUND_UP(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define PAGE_ROUND_DOWN(x) ((x)&PAGE_MASK)

/* Protection bits for pf_map (same values as PROT_*). */
#define PF_PROT_READ 1
#define PF_PROT_WRITE 2
#define PF_PROT_EXEC 4

/* Access kinds of a fault. */
#define PF_ACCESS_READ 1
#define PF_ACCESS_WRITE 2
#define PF_ACCESS_EXEC 4

/* The application's register state.  regs is the kernel's user_regs_struct
 * (it carries fs_base and gs_base).  The FPU/XSAVE state is fetched lazily:
 * it stays inside the platform (the stub thread, the vCPU) until the sentry
 * asks for it with pf_fpu_fetch(); if the sentry modifies it, it sets
 * fpu_dirty and the platform loads it before the next run. */
struct arch_state {
	struct user_regs_struct regs;
	uint8_t *fpu;    /* XSAVE image, pf_fpu_size() bytes, 64-byte aligned */
	bool fpu_valid;  /* fpu holds the current state */
	bool fpu_dirty;  /* sentry changed fpu; platform must load it */
};

enum pf_event_kind {
	PF_EV_SYSCALL,   /* regs.orig_rax = number, rdi.. = args; rip is after the syscall
			    instruction.  The sentry stores the result in regs.rax. */
	PF_EV_FAULT,     /* page fault: addr, access (PF_ACCESS_*, 0 if the platform cannot tell),
			    si_code (SEGV_MAPERR/SEGV_ACCERR) as the host reported it */
	PF_EV_SIGNAL,    /* a synchronous host signal other than a page fault
			    (SIGILL, SIGFPE, SIGTRAP, SIGBUS, SIGSEGV from a GP fault...):
			    signo and info as the host reported them */
	PF_EV_INTERRUPT, /* pf_interrupt() was called */
};

struct pf_event {
	enum pf_event_kind kind;
	uint64_t addr;
	int access;
	int si_code;
	int signo;
	siginfo_t info;
};

struct pf_as;  /* one application address space */
struct pf_ctx; /* one application thread's execution context */

struct platform {
	const char *name;
	/* Once per sentry, before anything else.  memfd is the memory file. */
	int (*init)(int memfd);
	/* Highest application address + 1: the platform's own pages (ptrace stub,
	 * KVM trampoline) live at or above it and can never be mapped over. */
	uint64_t max_addr;

	struct pf_as *(*as_new)(void);
	void (*as_free)(struct pf_as *as);
	/* Map [va, va+len) to memory-file bytes [off, off+len) with prot,
	 * replacing whatever was there.  va, len, off page aligned. */
	int (*map)(struct pf_as *as, uint64_t va, uint64_t len, int prot, uint64_t off);
	int (*unmap)(struct pf_as *as, uint64_t va, uint64_t len);

	struct pf_ctx *(*ctx_new)(void);
	void (*ctx_free)(struct pf_ctx *ctx);
	/* Run the application in address space as with registers st until it
	 * traps; fill ev and the updated st.  Returns 0, or -errno if the
	 * platform itself failed (the task cannot continue). */
	int (*run)(struct pf_ctx *ctx, struct pf_as *as, struct arch_state *st,
		   struct pf_event *ev);
	/* From any thread: make run() on ctx return PF_EV_INTERRUPT promptly
	 * (or make the next run() return it at once). */
	void (*interrupt)(struct pf_ctx *ctx);
	/* Fill st->fpu with the context's current FPU/XSAVE state. */
	int (*fpu_fetch)(struct pf_ctx *ctx, struct arch_state *st);
	/* Optional: the memory file now holds size bytes (it only grows),
	 * before any of the new bytes is mapped.  Called with the memory
	 * file's allocator lock held.  0 or -errno (the growth fails). */
	int (*mem_grow)(uint64_t size);
};

extern const struct platform platform_ptrace;
extern const struct platform platform_kvm;
/* /dev/kvm opened by the launcher (a sentry in a user namespace may not
 * open it itself), or -1: kvm's init opens it. */
extern int platform_kvm_dev_fd;

/* The platform chosen with --platform (set once at sentry start). */
extern const struct platform *pf;

/* Looks a platform up by name; NULL if unknown. */
const struct platform *pf_lookup(const char *name);
/* Size of an XSAVE image on this CPU (CPUID 0xd), for arch_state.fpu. */
size_t pf_fpu_size(void);
/* Allocates an aligned, zeroed arch_state.fpu buffer. */
uint8_t *pf_fpu_alloc(void);
/* The XSAVE image of a fresh program's FPU (Linux's initial state), built
 * once; NULL if it could not be allocated. */
const uint8_t *pf_fpu_init_image(void);
