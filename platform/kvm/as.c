/* KVM address spaces: 4-level page tables over memory-file pages, and the
 * TLB shootdown that makes a change visible to vCPUs running them. */
#include "platform/kvm/kvm_internal.h"

#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define UPPER (PTE_P | PTE_W | PTE_U | PTE_A)

static uint64_t slot_gpa(const uint64_t *slot) { return PRIV_GPA + ((uint8_t *)slot - kvm_priv); }

struct pf_as *kvm_as_new(void)
{
	struct pf_as *as = calloc(1, sizeof *as);
	if (!as)
		return NULL;
	int kind;
	as->root = kvm_root_alloc(&kind);
	if (!as->root) {
		free(as);
		return NULL;
	}
	as->tables = 1;
	pthread_mutex_init(&as->lock, NULL);
	uint64_t kernel = kvm_kpdpt | UPPER;
	if (kind == ROOT_FRESH) {
		/* Never a table before: KVM cannot be shadowing it. */
		((uint64_t *)priv_ptr(as->root))[KPML4_INDEX] = kernel;
	} else {
		/* A root before keeps its kernel half; any other table is
		 * rebuilt whole, from inside the guest. */
		struct pt_ops o = {0};
		int e = kind == ROOT_WAS_ROOT ? pt_ops_zero_user(&o, as->root)
					      : pt_ops_zero(&o, as->root);
		if (!e && kind == ROOT_WAS_TABLE)
			e = pt_ops_add(&o, as->root + 8 * KPML4_INDEX, kernel);
		if (!e)
			e = pt_ops_apply(&o);
		free(o.v);
		if (e) {
			kvm_root_free(as->root);
			pthread_mutex_destroy(&as->lock);
			free(as);
			return NULL;
		}
	}
	atomic_store(&as->gen, atomic_fetch_add(&kvm_gen_counter, 1));
	return as;
}

/* Frees the user-half tables below table gpa at level (4 = PML4). */
static void free_tables(uint64_t gpa, int level)
{
	uint64_t *t = priv_ptr(gpa);
	if (level > 1)
		for (int i = 0; i < (level == 4 ? KPML4_INDEX : 512); i++)
			if (t[i] & PTE_P)
				free_tables(t[i] & PTE_ADDR, level - 1);
	if (level == 4)
		kvm_root_free(gpa);
	else
		kvm_table_free(gpa);
}

void kvm_as_free(struct pf_as *as)
{
	if (!as)
		return;
	pthread_mutex_lock(&as->lock);
	/* Contexts still bound go to their next address space through a full
	 * entry: generations are never reused. */
	for (struct pf_ctx *c = as->ctxs; c; c = c->as_next)
		c->as = NULL;
	as->ctxs = NULL;
	pthread_mutex_unlock(&as->lock);
	free_tables(as->root, 4);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

/* The PTE slot for va, creating tables if create (applying o first, then
 * the new links, so that what the sentry reads is what the guest sees);
 * NULL if absent or on error (*err).  Caller holds as->lock. */
static uint64_t *walk(struct pf_as *as, uint64_t va, bool create, struct pt_ops *o, int *err)
{
	uint64_t *t = priv_ptr(as->root);
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[va >> shift & 511];
		if (!(*e & PTE_P)) {
			if (!create)
				return NULL;
			bool reused;
			uint64_t gpa = kvm_table_alloc(&reused);
			if (!gpa) {
				*err = -ENOMEM;
				return NULL;
			}
			as->tables++;
			/* Permissions are decided by the last level; upper levels
			 * allow everything (SDM 4.6). */
			if ((reused && (*err = pt_ops_zero(o, gpa))) ||
			    (*err = pt_ops_add(o, slot_gpa(e), gpa | UPPER)) ||
			    (*err = pt_ops_apply(o)))
				return NULL;
		}
		assert(!(*e & PTE_PS) && (*e & PTE_U) && (*e & PTE_ADDR) >= PRIV_GPA + PRIV_TABLES);
		t = priv_ptr(*e & PTE_ADDR);
	}
	return &t[va >> 12 & 511];
}

/* A present entry changed: no vCPU may keep using the old translation.
 * New generation first, then wait for each vCPU that entered with an older
 * one to leave (see kvm_internal.h).  Caller holds as->lock. */
static void shootdown(struct pf_as *as)
{
	uint64_t gen = atomic_fetch_add(&kvm_gen_counter, 1);
	atomic_store(&as->gen, gen);
	for (struct pf_ctx *c = as->ctxs; c; c = c->as_next) {
		int spins = 0;
		for (;;) {
			uint64_t g = atomic_load(&c->guest_gen);
			if (!g || g >= gen)
				break;
			pid_t tid = atomic_load(&c->tid);
			if (tid && spins++ % 1024 == 0)
				syscall(SYS_tgkill, getpid(), tid, KVM_KICK_SIG);
			sched_yield();
		}
	}
}

static int check(uint64_t va, uint64_t len)
{
	if ((va | len) & ~PAGE_MASK || va + len < va || va + len > KVM_MAX_ADDR)
		return -EINVAL;
	return 0;
}

int kvm_map(struct pf_as *as, uint64_t va, uint64_t len, int prot, uint64_t off)
{
	int e = check(va, len);
	if (e)
		return e;
	if (off & ~PAGE_MASK || off + len < off || off + len > MEMFILE_SIZE)
		return -EINVAL;
	uint64_t flags = PTE_P | PTE_U | PTE_A;
	if (prot & PF_PROT_WRITE)
		flags |= PTE_W | PTE_D;
	if (!(prot & PF_PROT_EXEC))
		flags |= PTE_NX;
	/* x86 has no present-but-inaccessible user page: PROT_NONE is absent. */
	bool none = !(prot & (PF_PROT_READ | PF_PROT_WRITE | PF_PROT_EXEC));
	bool flush = false;
	struct pt_ops o = {0};
	pthread_mutex_lock(&as->lock);
	for (uint64_t i = 0; i < len && !e; i += PAGE_SIZE) {
		uint64_t *pte = walk(as, va + i, !none, &o, &e);
		if (!pte)
			continue;
		uint64_t n = none ? 0 : (off + i) | flags;
		if (*pte == n)
			continue;
		if (*pte & PTE_P)
			flush = true;
		e = pt_ops_add(&o, slot_gpa(pte), n);
	}
	if (o.n) {
		int e2 = pt_ops_apply(&o);
		e = e ? e : e2;
	}
	if (flush)
		shootdown(as);
	pthread_mutex_unlock(&as->lock);
	free(o.v);
	return e;
}

int kvm_unmap(struct pf_as *as, uint64_t va, uint64_t len)
{
	int e = check(va, len);
	if (e)
		return e;
	struct pt_ops o = {0};
	pthread_mutex_lock(&as->lock);
	uint64_t end = va + len;
	while (va < end && !e) {
		/* Skip whole absent subtrees: unmapping a large, sparse range
		 * must not cost a walk per page. */
		uint64_t *t = priv_ptr(as->root);
		int shift = 39;
		for (; shift > 12; shift -= 9) {
			uint64_t ent = t[va >> shift & 511];
			if (!(ent & PTE_P))
				break;
			t = priv_ptr(ent & PTE_ADDR);
		}
		if (shift > 12) {
			uint64_t next = (va | ((1UL << shift) - 1)) + 1;
			va = next < va ? end : next;
			continue;
		}
		uint64_t *pte = &t[va >> 12 & 511];
		if (*pte & PTE_P)
			e = pt_ops_add(&o, slot_gpa(pte), 0);
		va += PAGE_SIZE;
	}
	bool flush = o.n != 0;
	if (o.n) {
		int e2 = pt_ops_apply(&o);
		e = e ? e : e2;
	}
	if (flush)
		shootdown(as);
	pthread_mutex_unlock(&as->lock);
	free(o.v);
	return e;
}

int64_t kvm_as_translate(struct pf_as *as, uint64_t va, uint64_t *pte)
{
	int err = 0;
	pthread_mutex_lock(&as->lock);
	uint64_t *p = walk(as, va & PAGE_MASK, false, NULL, &err);
	uint64_t e = p ? *p : 0;
	pthread_mutex_unlock(&as->lock);
	if (pte)
		*pte = e;
	return e & PTE_P ? (int64_t)((e & PTE_ADDR) | (va & ~PAGE_MASK)) : -1;
}
