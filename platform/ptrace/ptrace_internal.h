/* Internals of the ptrace platform: stub layout shared with stub_code.S, and the
 * address-space and context structures.
 *
 * Model
 * -----
 * Every pf_as is a host "stub" process forked from the sentry.  After setup
 * the stub has nothing mapped but two regions at the very top of the user
 * address space, above platform_ptrace.max_addr, where the sentry's mm never
 * lets the application map:
 *
 *   STUB_CODE_ADDR  code page (stub_code.S), a MAP_SHARED view of a sealed memfd
 *   STUB_OPS_ADDR   the op page: a per-as memfd, read-only in the stub and
 *                   read-write in the sentry; holds the batched map/unmap list
 *
 * plus whatever application memory the sentry maps (always MAP_SHARED views
 * of the memory file, whose fd the stub keeps open under its inherited
 * number).  The stub runs under its own seccomp filter (mmap, munmap,
 * mprotect, exit, exit_group, clone, kill, tgkill, getpid, gettid,
 * rt_sigreturn; anything else kills it), is in its own session, and dies
 * with its parent thread (PR_SET_PDEATHSIG) or its tracer (PTRACE_O_EXITKILL).
 *
 * Every pf_ctx is one stub thread.  The application runs under PTRACE_SYSEMU,
 * so none of its system calls reach the host; only code the sentry points
 * the stub at with PTRACE_CONT (the op loop and the `syscall; int3` gadget)
 * makes host calls.  Every signal the stub receives is suppressed.
 *
 * map/unmap only append to the op list (merging adjacent maps); the list is
 * applied in one injection right before the next run() of a ctx in that as,
 * or at once when it is full and the caller is the tracer of an idle stub
 * thread.  A failed host mmap/munmap makes that run() fail with -errno.
 *
 * CPU placement: a ctx is pinned, together with the sentry thread that runs
 * it, to the CPU that sentry thread is on when the ctx first runs; a
 * ptrace round trip across cores costs 7-10x one on the same core.
 *
 * Next milestone (threads, fork), the design this layout leaves room for:
 *  - Stub processes are forked by one long-lived "stub factory" sentry
 *    thread (PR_SET_PDEATHSIG fires when the *thread* that forked exits, so
 *    a task thread must not be the parent).  The factory traces the stub's
 *    main thread, which then stays a parked control thread; a request queue
 *    plus a futex lets any sentry thread ask for a new as.
 *  - A ctx gets its own stub thread by injecting, into a stopped thread of
 *    the as (the control thread, through its tracer), clone(CLONE_VM |
 *    CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)
 *    with no stack; the child starts after the syscall with rax = 0 and
 *    spins in a `jmp .` loop of the stub page.  The sentry thread of the new
 *    ctx then PTRACE_SEIZEs it (allowed: the sentry is its ancestor) and
 *    PTRACE_INTERRUPTs it, so all later ptrace requests for it come from its
 *    own thread.  A ctx thread leaves with an injected exit(0).
 *  - With several threads per as, unmap must be synchronous: the op list is
 *    flushed through an idle thread and running ctxs of the as are
 *    interrupted (pf_interrupt) before unmap returns, since freed memory-file
 *    frames may be reused at once.
 * Until then run() of a second ctx in an as returns -EAGAIN.
 *
 * Lock order: pf_as.lock is a leaf.
 */
#pragma once

/* The top of the 47-bit user address space and the stub just below it. */
#define STUB_TOP 0x7ffffffff000
#define STUB_MAX_ADDR 0x7ffffff00000 /* platform_ptrace.max_addr */
#define STUB_CODE_ADDR STUB_MAX_ADDR
#define STUB_CODE_SIZE 0x1000
#define STUB_OPS_ADDR (STUB_CODE_ADDR + STUB_CODE_SIZE)
#define STUB_OPS_SIZE 0x4000

/* Op page layout (byte offsets). */
#define OPS_N 0	       /* u64: ops to apply */
#define OPS_MEMFD 8    /* u64: memory-file fd number inside the stub */
#define OPS_FPROG 64   /* struct sock_fprog for the stub's seccomp filter */
#define OPS_FILTER 128 /* the filter's instructions */
#define OPS_LIST 1024  /* struct stub_op[] */
#define OP_SIZE 32
#define OP_UNMAP (-1) /* stub_op.prot of an unmap */
#define STUB_OPS_MAX ((STUB_OPS_SIZE - OPS_LIST) / OP_SIZE)

#ifndef __ASSEMBLER__
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "platform/platform.h"

struct stub_op {
	uint64_t va, len;
	int64_t prot; /* PROT_* of an mmap, or OP_UNMAP */
	uint64_t off;
};
_Static_assert(sizeof(struct stub_op) == OP_SIZE, "stub_op layout is shared with stub_code.S");

struct pf_as {
	pthread_mutex_t lock;
	pid_t pid;    /* stub process (and its main thread) */
	pid_t tracer; /* sentry thread tracing the main thread */
	bool dead;
	uint8_t *page;		 /* sentry view of the op page */
	uint32_t nops;		 /* ops queued in the page */
	struct pf_ctx *main_ctx; /* ctx bound to the main thread */
};

struct pf_ctx {
	struct pf_as *as;   /* bound address space; NULL before the first run */
	_Atomic pid_t tgid; /* for interrupt(): the stub thread, 0 if none */
	_Atomic pid_t tid;
	atomic_bool intr;
	bool dead;
	bool kregs_valid; /* kregs is what the host thread holds */
	bool fpu_init;	  /* load the initial FPU image before running */
	int cpu;
	struct user_regs_struct kregs;
};

/* Global state set by init(). */
extern int ptrace_memfd;
extern int ptrace_codefd;
extern pid_t ptrace_sentry_pid;
extern uint8_t *ptrace_fpu_init_image;

/* The stub's code (stub_code.S), copied into the code memfd by init(). */
extern const char stub_start[], stub_end[], stub_stage1[], stub_ready[], stub_ops[],
    stub_ops_done[], stub_syscall[], stub_syscall_done[];
#define STUB_ADDR_OF(sym) (STUB_CODE_ADDR + (uint64_t)((sym)-stub_start))

/* Signal interrupt() sends to a stub thread. */
#define PTRACE_INTR_SIG SIGUSR2

/* stub.c */
int stub_code_init(void);
/* Forks a stub process traced by the calling thread and fills as->pid,
 * as->tracer; the op page (as->page, fd opsfd) must exist.  0 or -errno. */
int stub_create(struct pf_as *as, int opsfd);
/* Waits for the next stop of tid; returns the waitpid status, or -ESRCH
 * after logging why the thread is gone. */
int stub_wait(pid_t tid);
/* Runs the code at rip in the stopped thread tid with PTRACE_CONT until the
 * int3 that ends it; regs (in: whole register set if set_all, else only rip
 * is written) receives the registers at the int3.  0 or -errno. */
int stub_call(pid_t tid, struct user_regs_struct *regs, bool set_all, uint64_t done_rip);
/* Executes host syscall nr in the stopped thread tid (for clone/exit of
 * stub threads); the thread's registers are clobbered.  Result or -errno. */
long stub_syscall_inject(pid_t tid, long nr, const uint64_t args[6]);
/* Kills and reaps a stub process. */
void stub_kill(pid_t pid);

/* as.c */
struct pf_as *ptrace_as_new(void);
void ptrace_as_free(struct pf_as *as);
int ptrace_map(struct pf_as *as, uint64_t va, uint64_t len, int prot, uint64_t off);
int ptrace_unmap(struct pf_as *as, uint64_t va, uint64_t len);
/* Applies the queued ops through stopped thread tid of as (caller holds
 * as->lock and is tid's tracer).  0 or -errno. */
int as_flush_locked(struct pf_as *as, pid_t tid);

/* ctx.c */
struct pf_ctx *ptrace_ctx_new(void);
void ptrace_ctx_free(struct pf_ctx *ctx);
int ptrace_run(struct pf_ctx *ctx, struct pf_as *as, struct arch_state *st, struct pf_event *ev);
void ptrace_interrupt(struct pf_ctx *ctx);
int ptrace_fpu_fetch(struct pf_ctx *ctx, struct arch_state *st);
#endif
