/* KVM vCPUs: creation in 64-bit ring 0 at the trampoline, a pool for reuse
 * (KVM cannot destroy one vCPU), and their XSAVE state. */
#include "platform/kvm/kvm_internal.h"

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "common/log.h"

static struct vcpu *pool; /* under kvm_lock */
static int nvcpus;
static struct kvm_cpuid2 *cpuid;
static uint64_t cr4_extra;
static pthread_once_t cpuid_once = PTHREAD_ONCE_INIT;
static int cpuid_err;

static struct kvm_cpuid_entry2 *cpuid_find(uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == fn && cpuid->entries[i].index == idx)
			return &cpuid->entries[i];
	return NULL;
}

/* The host's supported set, once: KVM answers the guest's cpuid from it in
 * the kernel, and it decides XCR0 and the optional CR4 protections. */
static void cpuid_init(void)
{
	for (int n = 128; n <= 4096; n *= 2) {
		free(cpuid);
		cpuid = calloc(1, sizeof *cpuid + n * sizeof cpuid->entries[0]);
		if (!cpuid) {
			cpuid_err = -ENOMEM;
			return;
		}
		cpuid->nent = n;
		if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid))
			break;
		if (errno != E2BIG) {
			cpuid_err = -errno;
			return;
		}
	}
	struct kvm_cpuid_entry2 *e = cpuid_find(0xd, 0);
	uint64_t supported = e ? e->eax | (uint64_t)e->edx << 32 : 3;
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	/* x87, SSE, AVX, MPX, AVX-512: what fits the classic 4 KiB image and
	 * what applications use; never PKRU (CR4.PKE stays off). */
	kvm_xcr0 = (lo | (uint64_t)hi << 32) & supported & 0xff;
	kvm_xcr0 |= 3;
	if ((e = cpuid_find(7, 0))) {
		if (e->ebx & (1 << 7))
			cr4_extra |= X86_CR4_SMEP;
		if (e->ebx & (1 << 20))
			cr4_extra |= X86_CR4_SMAP;
		if (e->ecx & (1 << 2))
			cr4_extra |= X86_CR4_UMIP;
	}
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
	memset(s, 0, sizeof *s);
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = code;
	s->db = !code;
	s->g = 1;
}

static int setup(struct vcpu *v)
{
	struct kvm_sregs sr;
	if (ioctl(v->fd, KVM_SET_CPUID2, cpuid) || ioctl(v->fd, KVM_GET_SREGS, &sr))
		return -errno;
	sr.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM |
		 X86_CR0_PG;
	sr.cr3 = kvm_kroot;
	sr.cr4 = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_OSXSAVE |
		 cr4_extra;
	sr.efer = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	seg(&sr.cs, SEL_KCS, 11, true);
	seg(&sr.ss, SEL_KDS, 3, false);
	struct kvm_segment null = {.unusable = 1};
	sr.ds = sr.es = sr.fs = sr.gs = null;
	memset(&sr.tr, 0, sizeof sr.tr);
	sr.tr.base = v->page_gva;
	sr.tr.limit = TSS_LIMIT;
	sr.tr.selector = SEL_TSS;
	sr.tr.type = TSS_TYPE_BUSY;
	sr.tr.present = 1;
	memset(&sr.ldt, 0, sizeof sr.ldt);
	sr.ldt.type = 2;
	sr.ldt.unusable = 1;
	sr.gdt.base = KBASE + PRIV_GDT;
	sr.gdt.limit = GDT_ENTRIES * 8 - 1;
	sr.idt.base = KBASE + PRIV_IDT;
	sr.idt.limit = X86_NVEC * 16 - 1;
	if (ioctl(v->fd, KVM_SET_SREGS, &sr))
		return -errno;
	v->sregs = sr;

	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[7];
	} m = {.h.nmsrs = 7,
	       .e = {{.index = MSR_STAR, .data = 0x23UL << 48 | (uint64_t)SEL_KCS << 32},
		     {.index = MSR_LSTAR, .data = TRAMP_GVA(kvm_tramp_syscall)},
		     {.index = MSR_CSTAR, .data = TRAMP_GVA(kvm_tramp_syscall)},
		     {.index = MSR_SFMASK, .data = X86_SFMASK},
		     {.index = MSR_FS_BASE},
		     {.index = MSR_GS_BASE},
		     {.index = MSR_KERNEL_GS_BASE}}};
	int n = ioctl(v->fd, KVM_SET_MSRS, &m);
	if (n != 7)
		return n < 0 ? -errno : -EINVAL;

	struct kvm_xcrs x = {.nr_xcrs = 1, .xcrs = {{.xcr = 0, .value = kvm_xcr0}}};
	if (ioctl(v->fd, KVM_SET_XCRS, &x))
		return -errno;

	/* Inside KVM_RUN only the kick is deliverable: everything else waits
	 * for the thread's own mask. */
	union {
		struct kvm_signal_mask h;
		uint8_t raw[sizeof(struct kvm_signal_mask) + 8];
	} sm = {.h.len = 8};
	uint64_t set = ~(1UL << (KVM_KICK_SIG - 1)); /* the kernel's 64-bit sigset */
	memcpy(sm.h.sigset, &set, 8);
	if (ioctl(v->fd, KVM_SET_SIGNAL_MASK, &sm))
		return -errno;

	/* TSS: every exception runs on IST1 at the page's top; no I/O bitmap. */
	uint64_t top = v->page_gva + PAGE_SIZE;
	memset(v->page, 0, PAGE_SIZE);
	memcpy(v->page + TSS_RSP0, &top, 8);
	memcpy(v->page + TSS_IST1, &top, 8);
	uint16_t iomap = TSS_LIMIT + 1;
	memcpy(v->page + TSS_IOMAP, &iomap, 2);

	v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	return 0;
}

static struct vcpu *create(void)
{
	pthread_once(&cpuid_once, cpuid_init);
	if (cpuid_err) {
		log_warn("kvm: KVM_GET_SUPPORTED_CPUID: %s", strerror(-cpuid_err));
		return NULL;
	}
	pthread_mutex_lock(&kvm_lock);
	int id = nvcpus < VCPU_MAX ? nvcpus++ : -1;
	pthread_mutex_unlock(&kvm_lock);
	if (id < 0) {
		log_warn("kvm: more than %d vCPUs", VCPU_MAX);
		return NULL;
	}
	struct vcpu *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->id = id;
	v->page = priv_ptr(PRIV_GPA + PRIV_VCPU + (uint64_t)id * PAGE_SIZE);
	v->page_gva = KBASE + PRIV_VCPU + (uint64_t)id * PAGE_SIZE;
	v->xsave = aligned_alloc(64, kvm_xsave_size);
	v->fd = ioctl(kvm_vm, KVM_CREATE_VCPU, id);
	int size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	const char *what = "KVM_CREATE_VCPU";
	int e = 0;
	if (v->fd < 0 || size <= 0 || !v->xsave) {
		e = -errno;
	} else {
		v->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		what = "vCPU setup";
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			e = -errno;
		} else {
			e = setup(v);
		}
	}
	if (e) {
		log_warn("kvm: %s: %s", what, strerror(-e));
		if (v->fd >= 0)
			close(v->fd);
		free(v->xsave);
		free(v);
		return NULL;
	}
	return v;
}

struct vcpu *kvm_vcpu_get(void)
{
	pthread_mutex_lock(&kvm_lock);
	struct vcpu *v = pool;
	if (v)
		pool = v->next;
	pthread_mutex_unlock(&kvm_lock);
	if (!v)
		v = create();
	if (v) {
		v->next = NULL;
		v->gen = 0; /* the first entry loads CR3 and the bases */
	}
	return v;
}

void kvm_vcpu_put(struct vcpu *v)
{
	if (!v)
		return;
	if (v->broken)
		return; /* its id and page stay taken: KVM keeps the vCPU */
	pthread_mutex_lock(&kvm_lock);
	v->next = pool;
	pool = v;
	pthread_mutex_unlock(&kvm_lock);
}

int kvm_get_xsave(struct vcpu *v)
{
	unsigned long req = kvm_xsave_size > 4096 ? KVM_GET_XSAVE2 : KVM_GET_XSAVE;
	return ioctl(v->fd, req, v->xsave) ? -errno : 0;
}

int kvm_set_xsave(struct vcpu *v)
{
	/* MXCSR and the x87 control word load only for components named in
	 * XSTATE_BV; the image always holds valid values for both. */
	uint64_t bv;
	memcpy(&bv, v->xsave + 512, sizeof bv);
	bv = (bv | 3) & kvm_xcr0;
	memcpy(v->xsave + 512, &bv, sizeof bv);
	return ioctl(v->fd, KVM_SET_XSAVE, v->xsave) ? -errno : 0;
}
