/* Internals of the KVM platform: the VM, vCPUs, address spaces and contexts.
 *
 * Model
 * -----
 * One VM per sentry.  Guest physical memory is the memory file (slot 0,
 * offset = physical address) plus a private anonymous slot for the
 * trampoline, GDT/IDT, per-vCPU pages and page tables (x86.h has the map).
 * The application runs in ring 3 of 4-level page tables the platform
 * builds; the kernel half of every root points at one shared set of tables
 * mapping the trampoline supervisor-only, so the application can neither
 * see nor map over it.
 *
 * A pf_ctx gets a vCPU from a pool on its first run and keeps it until
 * ctx_free; the vCPU's registers and FPU state are the ctx's.  run() puts
 * the application's registers into kvm_run's sync_regs (no register
 * ioctls), points rip at the trampoline's entry, and KVM_RUNs: the guest
 * iretqs to ring 3 and comes back with an `out` from the syscall entry or
 * an exception stub, one exit per event.
 *
 * TLB: every change to a present page-table entry gives the address space a
 * new generation from one global counter.  A vCPU remembers the generation
 * it last loaded CR3 for; entering with another one goes through the full
 * entry, whose mov to CR3 flushes the non-global TLB.  A change while other
 * vCPUs run the address space kicks them out of the guest and waits until
 * each has left or re-entered with the new generation (a TLB shootdown).
 *
 * interrupt(): sets ctx->intr, then signals the thread in run() (ctx->tid)
 * with KVM_KICK_SIG.  Sentry threads keep that signal blocked; the vCPU's
 * KVM_SET_SIGNAL_MASK unblocks it only inside KVM_RUN, which it ends with
 * EINTR; run() then drains it with sigtimedwait.  run() publishes tid before
 * reading intr and interrupt() publishes intr before reading tid, so one of
 * the two always sees the other.
 *
 * Lock order: as->lock -> kvm_lock (vCPU pool, table-page allocator).
 * Both are leaves towards the rest of the sentry.
 */
#pragma once
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/kvm/x86.h"
#include "platform/platform.h"

#define KVM_KICK_SIG (SIGRTMIN + 1)

struct vcpu {
	int fd, id;
	struct kvm_run *run;
	uint8_t *page;	   /* sentry view of its private page (TSS, stack) */
	uint64_t page_gva; /* the same page in the guest's kernel half */
	uint64_t gen;	   /* address-space generation in CR3; 0 = none */
	uint64_t fs_base, gs_base;
	uint8_t *xsave;		/* KVM_GET/SET_XSAVE buffer, kvm_xsave_size bytes */
	bool broken;		/* the guest died (triple fault...): never reused */
	bool user_mode;		/* KVM_RUN ended in ring 3: go back to ring 0 first */
	struct kvm_sregs sregs; /* ring 0 at the trampoline, as set up */
	struct vcpu *next;
};

struct pf_as {
	pthread_mutex_t lock;
	uint64_t root;	      /* guest physical address of the PML4 */
	_Atomic uint64_t gen; /* changes whenever a present entry changes */
	struct pf_ctx *ctxs;  /* ctxs bound here (under lock) */
	uint64_t tables;      /* table pages, for tests */
};

struct pf_ctx {
	struct vcpu *v;
	struct pf_as *as; /* bound address space (under as->lock) */
	struct pf_ctx *as_next;
	atomic_bool intr;
	_Atomic pid_t tid;	    /* thread inside run(), 0 outside */
	_Atomic uint64_t guest_gen; /* generation entered with, 0 outside KVM_RUN */
	bool fpu_init;		    /* load the initial FPU image first */
};

/* kvm.c: the VM */
extern int kvm_fd, kvm_vm;
extern uint8_t *kvm_priv;  /* sentry view of the private slot */
extern uint64_t kvm_kroot; /* a root with only the kernel half */
extern uint64_t kvm_kpdpt; /* the shared kernel-half PDPT */
extern size_t kvm_xsave_size;
extern uint64_t kvm_xcr0;
extern pthread_mutex_t kvm_lock;
extern _Atomic uint64_t kvm_gen_counter;

extern const char kvm_tramp_start[], kvm_tramp_entry_full[], kvm_tramp_entry_fast[],
    kvm_tramp_entry_end[], kvm_tramp_syscall[], kvm_tramp_vectors[], kvm_tramp_vectors_end[],
    kvm_tramp_apply[], kvm_tramp_end[];
#define TRAMP_GVA(sym) (KBASE + PRIV_TRAMP + (uint64_t)((sym)-kvm_tramp_start))

static inline void *priv_ptr(uint64_t gpa) { return kvm_priv + (gpa - PRIV_GPA); }

static inline uint64_t table_gva(uint64_t gpa) { return KBASE + (gpa - PRIV_GPA); }

/* A page-table page from the private slot: its guest physical address, or
 * 0 when the slot is full.  *reused: it held a table before, so the guest
 * must zero it (KVM may still shadow it); otherwise it is zero and was
 * never seen by the guest. */
uint64_t kvm_table_alloc(bool *reused);
void kvm_table_free(uint64_t gpa);

/* Page-table writes, applied by the trampoline on a service vCPU (see
 * tramp.S for why): a growable list of {destination gva, value}. */
struct pt_ops {
	struct pt_op {
		uint64_t dst, val;
	} * v;
	size_t n, cap;
};
int pt_ops_add(struct pt_ops *o, uint64_t dst_gpa, uint64_t val);
int pt_ops_zero(struct pt_ops *o, uint64_t page_gpa);
/* Zeroes the user half of a root, never its kernel half: an idle vCPU may
 * still hold a freed root in CR3 and enters through it. */
int pt_ops_zero_user(struct pt_ops *o, uint64_t root_gpa);
/* Roots are only ever reused as roots, for the same reason. */
enum { ROOT_FRESH, ROOT_WAS_ROOT, ROOT_WAS_TABLE };
uint64_t kvm_root_alloc(int *kind);
void kvm_root_free(uint64_t gpa);
/* Applies and empties the list.  0 or -errno. */
int pt_ops_apply(struct pt_ops *o);

/* vcpu.c */
struct vcpu *kvm_vcpu_get(void);
void kvm_vcpu_put(struct vcpu *v);
int kvm_get_xsave(struct vcpu *v);
int kvm_set_xsave(struct vcpu *v);

/* as.c */
struct pf_as *kvm_as_new(void);
void kvm_as_free(struct pf_as *as);
int kvm_map(struct pf_as *as, uint64_t va, uint64_t len, int prot, uint64_t off);
int kvm_unmap(struct pf_as *as, uint64_t va, uint64_t len);
/* The guest physical address va maps to in as, or -1 (tests). */
int64_t kvm_as_translate(struct pf_as *as, uint64_t va, uint64_t *pte);

/* ctx.c */
struct pf_ctx *kvm_ctx_new(void);
void kvm_ctx_free(struct pf_ctx *ctx);
int kvm_run_ctx(struct pf_ctx *ctx, struct pf_as *as, struct arch_state *st, struct pf_event *ev);
void kvm_interrupt(struct pf_ctx *ctx);
int kvm_fpu_fetch(struct pf_ctx *ctx, struct arch_state *st);
