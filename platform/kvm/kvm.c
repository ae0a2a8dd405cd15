/* The KVM platform's ops table and its once-per-sentry setup: the VM, its
 * two memory slots, the trampoline, GDT, IDT and kernel-half page tables. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

int kvm_fd = -1, kvm_vm = -1;
uint8_t *kvm_priv;
uint64_t kvm_kroot, kvm_kpdpt;
size_t kvm_xsave_size = 4096;
uint64_t kvm_xcr0;
pthread_mutex_t kvm_lock = PTHREAD_MUTEX_INITIALIZER;
_Atomic uint64_t kvm_gen_counter = 1;

/* Table-page allocator: a bump pointer over the private slot above
 * PRIV_TABLES and a free list threaded through the first word of free
 * pages (under kvm_lock). */
static uint64_t table_top = PRIV_GPA + PRIV_TABLES;
static uint64_t table_free;

uint64_t kvm_table_alloc(bool *reused)
{
	pthread_mutex_lock(&kvm_lock);
	uint64_t gpa = table_free;
	*reused = gpa != 0;
	if (gpa) {
		table_free = *(uint64_t *)priv_ptr(gpa);
	} else if (table_top < PRIV_GPA + PRIV_SIZE) {
		gpa = table_top;
		table_top += PAGE_SIZE;
	}
	pthread_mutex_unlock(&kvm_lock);
	return gpa;
}

void kvm_table_free(uint64_t gpa)
{
	/* The link word is written from the sentry: a freed table is no
	 * longer walked by anything, and the guest zeroes it on reuse. */
	pthread_mutex_lock(&kvm_lock);
	*(uint64_t *)priv_ptr(gpa) = table_free;
	table_free = gpa;
	pthread_mutex_unlock(&kvm_lock);
}

static uint64_t root_free; /* under kvm_lock, like table_free */

uint64_t kvm_root_alloc(int *kind)
{
	pthread_mutex_lock(&kvm_lock);
	uint64_t gpa = root_free;
	if (gpa)
		root_free = *(uint64_t *)priv_ptr(gpa); /* entry 0: user half */
	pthread_mutex_unlock(&kvm_lock);
	if (gpa) {
		*kind = ROOT_WAS_ROOT;
		return gpa;
	}
	bool reused;
	gpa = kvm_table_alloc(&reused);
	*kind = reused ? ROOT_WAS_TABLE : ROOT_FRESH;
	return gpa;
}

void kvm_root_free(uint64_t gpa)
{
	pthread_mutex_lock(&kvm_lock);
	*(uint64_t *)priv_ptr(gpa) = root_free;
	root_free = gpa;
	pthread_mutex_unlock(&kvm_lock);
}

/* The service vCPU runs the trampoline's op applier (under svc_lock). */
static pthread_mutex_t svc_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vcpu *svc;

int pt_ops_add(struct pt_ops *o, uint64_t dst_gpa, uint64_t val)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct pt_op *v = realloc(o->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n].dst = table_gva(dst_gpa);
	o->v[o->n].val = val;
	o->n++;
	return 0;
}

int pt_ops_zero(struct pt_ops *o, uint64_t page_gpa)
{
	int e = pt_ops_add(o, page_gpa, 0);
	if (!e)
		o->v[o->n - 1].dst |= 1;
	return e;
}

int pt_ops_zero_user(struct pt_ops *o, uint64_t root_gpa)
{
	int e = pt_ops_add(o, root_gpa, 0);
	if (!e)
		o->v[o->n - 1].dst |= 2;
	return e;
}

static int svc_run(size_t n)
{
	struct kvm_regs *k = &svc->run->s.regs.regs;
	k->rip = TRAMP_GVA(kvm_tramp_apply);
	k->rsi = KBASE + PRIV_OPS;
	k->rcx = n;
	k->rsp = svc->page_gva + PAGE_SIZE;
	k->rflags = X86_RFLAGS_FIXED;
	svc->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	for (;;) {
		if (ioctl(svc->fd, KVM_RUN, 0)) {
			if (errno != EINTR && errno != EAGAIN)
				return -errno;
			/* A kick meant for this thread's own context: that
			 * context's intr flag still holds the interrupt. */
			sigset_t kick;
			sigemptyset(&kick);
			sigaddset(&kick, KVM_KICK_SIG);
			struct timespec zero = {0, 0};
			while (sigtimedwait(&kick, NULL, &zero) > 0)
				;
			svc->run->kvm_dirty_regs = 0;
			continue;
		}
		if (svc->run->exit_reason == KVM_EXIT_IO && svc->run->io.port == PORT_APPLIED)
			return 0;
		log_warn("kvm: service vCPU: exit %u port 0x%x rip 0x%llx", svc->run->exit_reason,
			 svc->run->io.port, (unsigned long long)k->rip);
		return -EIO;
	}
}

int pt_ops_apply(struct pt_ops *o)
{
	int e = 0;
	pthread_mutex_lock(&svc_lock);
	if (!svc && !(svc = kvm_vcpu_get()))
		e = -EAGAIN;
	for (size_t i = 0; !e && i < o->n; i += OPS_MAX) {
		size_t n = o->n - i < OPS_MAX ? o->n - i : OPS_MAX;
		memcpy(priv_ptr(PRIV_GPA + PRIV_OPS), o->v + i, n * sizeof *o->v);
		e = svc_run(n);
	}
	pthread_mutex_unlock(&svc_lock);
	o->n = 0;
	return e;
}

static int set_slot(unsigned slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = {.slot = slot,
						.guest_phys_addr = gpa,
						.memory_size = size,
						.userspace_addr = (uint64_t)host};
	return ioctl(kvm_vm, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

/* Memory-file slots: slot 0 covers [0, KVM_SLOT_FIRST), then each further
 * slot (ids 2, 3, ...; 1 is the private slot) is as large as everything
 * before it, so 64 GiB takes ten slots. */
#define KVM_SLOT_FIRST (256UL << 20)
static void *kvm_mem;
static uint64_t kvm_mem_top;
static unsigned kvm_mem_slots;

static int kvm_mem_grow(uint64_t size)
{
	if (!size)
		size = 1;
	while (kvm_mem_top < size && kvm_mem_top < MEMFILE_SIZE) {
		uint64_t len = kvm_mem_top ? kvm_mem_top : KVM_SLOT_FIRST;
		if (len > MEMFILE_SIZE - kvm_mem_top)
			len = MEMFILE_SIZE - kvm_mem_top;
		unsigned id = kvm_mem_slots ? kvm_mem_slots + 1 : 0;
		int e = set_slot(id, kvm_mem_top, len, (uint8_t *)kvm_mem + kvm_mem_top);
		if (e) {
			log_warn("kvm: memory slot %u at %#lx: %s", id, (unsigned long)kvm_mem_top,
				 strerror(-e));
			return e;
		}
		kvm_mem_slots++;
		kvm_mem_top += len;
	}
	return 0;
}

static uint64_t gate(uint64_t target, int dpl, uint64_t *high)
{
	*high = target >> 32;
	return (target & 0xffff) | ((uint64_t)SEL_KCS << 16) | (1UL << 32) /* IST1 */ |
	       ((uint64_t)IDT_GATE_INTR << 40) | ((uint64_t)dpl << 45) | (1UL << 47) |
	       ((target >> 16 & 0xffff) << 48);
}

/* GDT, IDT, trampoline code, and the tables that map them (plus every
 * vCPU page) at KBASE in the kernel half. */
static int build_kernel(void)
{
	size_t n = kvm_tramp_end - kvm_tramp_start;
	if (n > 2 * PAGE_SIZE || kvm_tramp_vectors_end - kvm_tramp_vectors != X86_NVEC * 16 ||
	    kvm_tramp_syscall - kvm_tramp_start != PRIV_UTRAMP - PRIV_TRAMP)
		return -EINVAL; /* a vector stub outgrew its 16 bytes */
	memcpy(priv_ptr(PRIV_GPA + PRIV_TRAMP), kvm_tramp_start, n);

	uint64_t *gdt = priv_ptr(PRIV_GPA + PRIV_GDT);
	gdt[SEL_KCS >> 3] = DESC_KCS;
	gdt[SEL_KDS >> 3] = DESC_KDS;
	gdt[SEL_UDS >> 3] = DESC_UDS;
	gdt[SEL_UCS >> 3] = DESC_UCS;
	/* Each vCPU's TR is loaded with its own base through KVM_SET_SREGS;
	 * this descriptor (vCPU 0's) only keeps the table consistent. */
	uint64_t tss = KBASE + PRIV_VCPU;
	gdt[SEL_TSS >> 3] = TSS_LIMIT | (tss & 0xffffff) << 16 | (uint64_t)TSS_TYPE_BUSY << 40 |
			    1UL << 47 | (tss >> 24 & 0xff) << 56;
	gdt[(SEL_TSS >> 3) + 1] = tss >> 32;

	uint64_t *idt = priv_ptr(PRIV_GPA + PRIV_IDT);
	for (int v = 0; v < X86_NVEC; v++) {
		/* int3 and into come from ring 3 on purpose (SDM 6.12.1.1:
		 * a software interrupt checks the gate's DPL). */
		int dpl = v == X86_BP || v == X86_OF ? 3 : 0;
		idt[2 * v] = gate(TRAMP_GVA(kvm_tramp_vectors) + 16 * v, dpl, &idt[2 * v + 1]);
	}

	/* Built from the sentry's side: no vCPU has run yet. */
	bool reused;
	kvm_kpdpt = kvm_table_alloc(&reused);
	uint64_t pd = kvm_table_alloc(&reused);
	kvm_kroot = kvm_table_alloc(&reused);
	if (!kvm_kpdpt || !pd || !kvm_kroot)
		return -ENOMEM;
	_Static_assert(PRIV_KMAPPED <= PRIV_TABLES && PRIV_SIZE <= (1UL << 30),
		       "the private slot fits one PDPT entry");
	/* User-accessible down to the PTEs for the LSTAR page's sake; every
	 * other kernel-half PTE is supervisor-only (SDM 4.6.1). */
	uint64_t up = PTE_P | PTE_W | PTE_U | PTE_A;
	((uint64_t *)priv_ptr(kvm_kpdpt))[0] = pd | up;
	uint64_t *pdt = priv_ptr(pd);
	for (uint64_t off = 0; off < PRIV_KMAPPED; off += PAGE_SIZE) {
		uint64_t *pde = &pdt[off >> 21];
		if (!*pde) {
			uint64_t pt = kvm_table_alloc(&reused);
			if (!pt)
				return -ENOMEM;
			*pde = pt | up;
		}
		uint64_t e = (PRIV_GPA + off) | PTE_P | PTE_G | PTE_A | PTE_D;
		if (off == PRIV_UTRAMP)
			e |= PTE_U;
		else if (off != PRIV_TRAMP)
			e |= PTE_W | PTE_NX;
		((uint64_t *)priv_ptr(*pde & PTE_ADDR))[off >> 12 & 511] = e;
	}
	for (uint64_t off = PRIV_TABLES; off < PRIV_SIZE; off += 1UL << 21)
		pdt[off >> 21] =
		    (PRIV_GPA + off) | PTE_P | PTE_W | PTE_PS | PTE_G | PTE_A | PTE_D | PTE_NX;
	((uint64_t *)priv_ptr(kvm_kroot))[KPML4_INDEX] = kvm_kpdpt | up;
	return 0;
}

int platform_kvm_dev_fd = -1;

static void kick_handler(int sig) {}

static int kvm_init(int memfd)
{
	if (memfd < 0)
		return -EBADF;
	if (kvm_vm >= 0)
		return 0;
	int e;
	kvm_fd = platform_kvm_dev_fd >= 0 ? platform_kvm_dev_fd
					  : open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0) {
		e = -errno;
		log_warn("kvm: /dev/kvm: %s", strerror(errno));
		return e;
	}
	if (ioctl(kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION ||
	    ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) <= 0 ||
	    ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) <= 0 ||
	    ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) <= 0) {
		log_warn("kvm: /dev/kvm lacks the API version or sync_regs/xsave/xcrs");
		return -ENOSYS;
	}
	int xs2 = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	if (xs2 > 4096)
		kvm_xsave_size = xs2;
	kvm_vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (kvm_vm < 0) {
		e = -errno;
		log_warn("kvm: KVM_CREATE_VM: %s", strerror(errno));
		return e;
	}
	/* The memory file is guest RAM at physical address = offset.  It is
	 * registered in slots that double in size as the file grows
	 * (kvm_mem_grow): KVM's per-page bookkeeping for a slot (~0.2% of its
	 * size under shadow paging) is charged to the sandbox's memory
	 * cgroup, so one 64 GiB slot would cost 128 MiB before the first page
	 * is used.  Pages past the file's end are never mapped. */
	void *mem =
	    mmap(NULL, MEMFILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, memfd, 0);
	kvm_mem = mem;
	kvm_priv = mmap(NULL, PRIV_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED || kvm_priv == MAP_FAILED) {
		e = -errno;
		log_warn("kvm: mmap of guest memory: %s", strerror(errno));
		return e;
	}
	madvise(kvm_priv, PRIV_SIZE, MADV_DONTFORK);
	struct stat mst;
	if (fstat(memfd, &mst))
		mst.st_size = 0;
	if ((e = kvm_mem_grow((uint64_t)mst.st_size)) ||
	    (e = set_slot(1, PRIV_GPA, PRIV_SIZE, kvm_priv))) {
		log_warn("kvm: KVM_SET_USER_MEMORY_REGION: %s", strerror(-e));
		return e;
	}
	if ((e = build_kernel()) || (!pf_fpu_init_image() && (e = -ENOMEM)))
		return e;

	/* The kick only has to end KVM_RUN; it must never kill or disturb a
	 * sentry thread, which keeps it blocked outside KVM_RUN. */
	struct sigaction sa = {.sa_handler = kick_handler, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(KVM_KICK_SIG, &sa, NULL);
	sigset_t kick;
	sigemptyset(&kick);
	sigaddset(&kick, KVM_KICK_SIG);
	pthread_sigmask(SIG_BLOCK, &kick, NULL);
	return 0;
}

const struct platform platform_kvm = {
    .name = "kvm",
    .init = kvm_init,
    .max_addr = KVM_MAX_ADDR,
    .as_new = kvm_as_new,
    .as_free = kvm_as_free,
    .map = kvm_map,
    .unmap = kvm_unmap,
    .ctx_new = kvm_ctx_new,
    .ctx_free = kvm_ctx_free,
    .run = kvm_run_ctx,
    .interrupt = kvm_interrupt,
    .fpu_fetch = kvm_fpu_fetch,
    .mem_grow = kvm_mem_grow,
};
