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
 * rt_sigreturn, pause; anything else kills it), is in its own session, and dies
 * with its parent thread (PR_SET_PDEATHSIG) or its tracer (PTRACE_O_EXITKILL).
 *
 * Every pf_ctx is one stub thread.  The application runs under PTRACE_SYSEMU,
 * so none of its system calls reach the host; only code the sentry points
 * the stub at with PTRACE_CONT (the op loop and the `syscall; int3` gadgets)
 * makes host calls.  Every signal the stub receives is suppressed.
 *
 * CPU placement: a ctx is pinned, together with the sentry thread that runs
 * it, to the CPU that sentry thread is on when the ctx first runs; a
 * ptrace round trip across cores costs 7-10x one on the same core.
 *
 * Threads
 * -------
 * A ptrace tracee answers to one tracer *thread*, PR_SET_PDEATHSIG fires
 * when the forking *thread* exits, and sentry threads come and go with
 * their tasks.  So:
 *
 *  - The stub factory (factory.c), one long-lived sentry thread started by
 *    init(), forks every stub process and traces its main thread, which
 *    stays parked as the as's control thread and never runs application
 *    code.  Other threads hand it requests (new as, flush, clone, inject)
 *    through a mutex-protected queue and wait on a condition variable.  It
 *    also reaps stub processes that as_free() could not reap at once, and
 *    when idle keeps a pool of POOL_MAX ready stubs, so that as_new()
 *    usually takes one without waking it.
 *
 *  - A ctx gets a stub thread of its own when it first runs in an as: a
 *    clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|
 *    CLONE_SYSVSEM) without a stack is injected (stub_clone) into a stopped
 *    thread of the as: one the calling sentry thread already traces, else
 *    the control thread through the factory.  Each new stub comes with one
 *    such thread made by the factory (as->spare), for the as's first ctx,
 *    so fork and execve need no factory round trip.  The child sleeps in
 *    pause() in stub_park with every signal blocked (the control thread's
 *    mask) until the ctx's sentry thread PTRACE_SEIZEs it (EXITKILL,
 *    TRACESYSGOOD), stops it with PTRACE_INTERRUPT and unblocks signals
 *    with PTRACE_SETSIGMASK.  From then on only that sentry
 *    thread (ctx->owner, fixed by the ctx's first run()) touches it; run()
 *    from any other thread returns -EINVAL.
 *
 *  - A stub thread leaves with an injected exit(0), reaped by its tracer:
 *    on ctx_free(), when the ctx runs in another as (execve), and when its
 *    sentry thread exits (a pthread key destructor retires every stub thread
 *    that thread traces, so ctx_free() may then come from any thread).  If
 *    a sentry thread vanished without the destructor, EXITKILL kills the
 *    whole stub process rather than leave application code untraced.
 *
 *  - as_free() kills the stub process.  Stub threads still traced by other
 *    sentry threads (their ctxs were neither freed nor moved) are left for
 *    those threads to reap (ctx->zombie); the stub's main thread then goes
 *    to the factory, which reaps it once they have.
 *
 * map/unmap
 * ---------
 * Both append to the op list (merging neighbours) under as->lock and set
 * as->pending.  The list is applied by an injection of stub_ops into a
 * stopped thread of the as; mmap/munmap act on the whole stub process, so
 * one application serves every thread.
 *
 *  - Before resuming application code, run() increments as->nrunning and
 *    then reads as->pending; if set, it applies the list through its own
 *    thread.  nrunning stays raised until the thread is stopped again.
 *  - map() is lazy: a running thread that faults on a page queued but not
 *    yet applied reports the fault, the sentry maps again, and the next
 *    run() applies the list.
 *  - unmap() sets as->pending and then reads as->nrunning (both seq_cst,
 *    the mirror image of run()): if no ctx can be running, some run() is
 *    bound to see pending before it resumes, so the op may stay queued.
 *    Otherwise unmap() applies the list before returning: through a thread
 *    the caller traces in that as, else through the factory and the control
 *    thread.  munmap in any thread takes the pages from all of them (the
 *    host shoots down the TLBs), so running threads are never stopped for
 *    it: they fault on their next access to the range.
 *  - A full list is applied the same way before it grows.
 *  - Injections into any thread of an as hold as->lock, so the stub never
 *    reads an op list that is being edited; a stub thread between stops or
 *    inside another injection (clone, exit) does not touch the op page.
 *
 * Lock order: ptrace_bind_lock (ctx ownership and bindings) -> as->lock ->
 * the factory's queue lock.  The factory takes only as->lock and its queue
 * lock, so nobody may hold as->lock while waiting for it.  pf_as.lock and
 * the queue lock are leaves towards the rest of the sentry.
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
#include <unistd.h>

#include "platform/platform.h"

struct stub_op {
	uint64_t va, len;
	int64_t prot; /* PROT_* of an mmap, or OP_UNMAP */
	uint64_t off;
};
_Static_assert(sizeof(struct stub_op) == OP_SIZE, "stub_op layout is shared with stub_code.S");

struct pf_as {
	pthread_mutex_t lock;
	pid_t pid; /* stub process; its main thread is traced by the factory */
	atomic_bool dead;
	bool reaped;	     /* the main thread's exit status was collected */
	uint8_t *page;	     /* sentry view of the op page */
	uint32_t nops;	     /* ops queued in the page (under lock) */
	atomic_bool pending; /* nops != 0 */
	atomic_int nrunning; /* ctxs that may be executing application code */
	struct pf_ctx *ctxs; /* ctxs with a stub thread here (under lock) */
	pid_t spare;	     /* parked stub thread for the next ctx, 0 if none (under lock) */
};

struct pf_ctx {
	/* Bound address space, NULL before the first run.  Changed under
	 * ptrace_bind_lock; read by the owner without it. */
	_Atomic(struct pf_as *) as;
	_Atomic pid_t tgid; /* for interrupt(): the stub thread, 0 if none */
	_Atomic pid_t tid;
	atomic_bool intr;
	bool dead;
	bool kregs_valid; /* kregs is what the host thread holds */
	bool fpu_init;	  /* load the initial FPU image before running */
	int cpu;
	struct user_regs_struct kregs;

	/* Under ptrace_bind_lock. */
	pid_t owner;		/* sentry thread that runs this ctx, 0 before the first run */
	bool owner_gone;	/* that thread exited; its stub threads are retired */
	bool orphan;		/* ctx_free() came from another live thread: owner frees it */
	pid_t zombie;		/* stub thread of a freed as, still to be reaped by owner */
	struct pf_ctx *as_next; /* as->ctxs (also under as->lock) */
	struct pf_ctx *owned_next, **owned_pprev; /* every ctx with an owner */
};

/* The calling thread's tid without a system call. */
extern __thread pid_t ptrace_tls_tid;
static inline pid_t ptrace_self(void)
{
	if (__builtin_expect(!ptrace_tls_tid, 0))
		ptrace_tls_tid = gettid();
	return ptrace_tls_tid;
}

extern pthread_mutex_t ptrace_bind_lock;

/* Global state set by init(). */
extern int ptrace_memfd;
extern int ptrace_codefd;
extern pid_t ptrace_sentry_pid;

/* The stub's code (stub_code.S), copied into the code memfd by init(). */
extern const char stub_start[], stub_end[], stub_stage1[], stub_ready[], stub_ops[],
    stub_ops_done[], stub_syscall[], stub_syscall_done[], stub_clone[], stub_clone_done[],
    stub_park[];
#define STUB_ADDR_OF(sym) (STUB_CODE_ADDR + (uint64_t)((sym)-stub_start))

/* Signal interrupt() sends to a stub thread. */
#define PTRACE_INTR_SIG SIGUSR2

/* stub.c */
int stub_code_init(void);
/* Forks a stub process traced by the calling thread (the factory) and
 * fills as->pid; the op page (as->page, fd opsfd) must exist.  0 or -errno. */
int stub_create(struct pf_as *as, int opsfd);
/* Waits for the next stop of tid; returns the waitpid status, or -ECHILD
 * after logging why the thread is gone (it is reaped then). */
int stub_wait(pid_t tid);
/* Runs the code at rip in the stopped thread tid with PTRACE_CONT until the
 * int3 that ends it; regs (in: whole register set if set_all, else only rip
 * is written) receives the registers at the int3.  0 or -errno. */
int stub_call(pid_t tid, struct user_regs_struct *regs, bool set_all, uint64_t done_rip);
/* Executes host syscall nr in the stopped thread tid; the thread's
 * registers are clobbered.  Result or -errno. */
long stub_syscall_inject(pid_t tid, long nr, const uint64_t args[6]);
/* Makes the stopped thread tid clone a stub thread that parks in stub_park;
 * tid's registers are clobbered.  The new tid or -errno. */
pid_t stub_clone_inject(pid_t tid);
/* Seizes and stops a parked stub thread for the calling thread.  0 or -errno. */
int stub_seize(pid_t tid);
/* Ends the calling thread's tracee tid (injected exit, or it is dying
 * anyway) and reaps it. */
void stub_thread_exit(pid_t tid);
/* Waits until tid is gone and reaps it. */
void stub_reap(pid_t tid);
/* Kills and reaps a stub process. */
void stub_kill(pid_t pid);

/* factory.c: all from any thread but the factory. */
int factory_start(void);
struct pf_as *factory_as_new(void);
/* Applies as's op list through its control thread.  0 or -errno. */
int factory_flush(struct pf_as *as);
/* A new parked stub thread in as, or -errno. */
pid_t factory_clone(struct pf_as *as);
/* Host syscall nr in as's control thread (tests, diagnostics). */
long factory_inject(struct pf_as *as, long nr, const uint64_t args[6]);
/* Hands a killed stub process to the factory to reap when it can. */
void factory_reap(pid_t pid);
/* Waits until the factory has nothing to do (tests count stub processes). */
void factory_settle(void);

/* as.c */
/* Builds an address space and its stub; runs in the factory thread. */
struct pf_as *as_create(void);
struct pf_as *ptrace_as_new(void);
void ptrace_as_free(struct pf_as *as);
int ptrace_map(struct pf_as *as, uint64_t va, uint64_t len, int prot, uint64_t off);
int ptrace_unmap(struct pf_as *as, uint64_t va, uint64_t len);
/* Applies the queued ops through stopped thread tid of as (caller holds
 * as->lock and is tid's tracer); ctx is tid's ctx, NULL for the control
 * thread.  0 or -errno (-ECHILD: tid is gone and reaped). */
int as_flush_locked(struct pf_as *as, pid_t tid, struct pf_ctx *ctx);
/* Runs host syscall nr in as's control thread (through the factory). */
long ptrace_as_inject(struct pf_as *as, long nr, const uint64_t args[6]);

/* ctx.c */
struct pf_ctx *ptrace_ctx_new(void);
void ptrace_ctx_free(struct pf_ctx *ctx);
int ptrace_run(struct pf_ctx *ctx, struct pf_as *as, struct arch_state *st, struct pf_event *ev);
void ptrace_interrupt(struct pf_ctx *ctx);
int ptrace_fpu_fetch(struct pf_ctx *ctx, struct arch_state *st);
/* Clears ctx's binding fields (caller holds ptrace_bind_lock). */
void ctx_unbound(struct pf_ctx *ctx);
#endif
