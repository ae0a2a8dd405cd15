/* kvm_raw: the floor for the KVM platform, one VM exit to user space and back (a real-mode guest
 * looping on `out`). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "kvm_raw: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	/* out %al,$0x10; jmp back to it: every iteration is one exit. */
	static const unsigned char code[] = {0xe6, 0x10, 0xeb, 0xfc};
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	void *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memcpy(mem, code, sizeof code);
	struct kvm_userspace_memory_region r = {.slot = 0,
						.guest_phys_addr = 0x1000,
						.memory_size = 0x1000,
						.userspace_addr = (unsigned long)mem};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r))
		die("KVM_SET_USER_MEMORY_REGION");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		die("KVM_CREATE_VCPU");
	int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		die("KVM_SET_SREGS");
	struct kvm_regs regs = {.rip = 0x1000, .rflags = 2};
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		die("KVM_SET_REGS");
	/* With sync_regs the registers come back in kvm_run at no extra ioctl,
	 * as the platform uses them. */
	int sync = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) > 0;
	if (sync)
		run->kvm_valid_regs = KVM_SYNC_X86_REGS;

	for (int pass = 0; pass < 2; pass++) {
		long iters = pass ? n : n / 10 + 1;
		long long t0 = now_ns();
		for (long i = 0; i < iters; i++) {
			if (ioctl(vcpu, KVM_RUN, 0) && errno != EINTR)
				die("KVM_RUN");
			if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0x10) {
				fprintf(stderr, "kvm_raw: unexpected exit %u\n", run->exit_reason);
				return 1;
			}
		}
		if (pass)
			printf("kvm_exit_roundtrip_ns %.0f\n", (double)(now_ns() - t0) / iters);
	}
	return 0;
}
