/* Builds the syscall table from the descriptors each family file places in
 * the cvisor_syscalls section, and dispatches a task's syscall through it. */
#include "sentry/syscalls/syscalls.h"

#include <stdatomic.h>
#include <stdio.h>

#include "common/log.h"
#include "sentry/kernel/task.h"
#include "sentry/seccomp/app_seccomp.h"

extern const struct syscall_def __start_cvisor_syscalls[];
extern const struct syscall_def __stop_cvisor_syscalls[];

static const struct syscall_def *table[SYSCALL_MAX];
/* One bit per number: has its ENOSYS been logged yet. */
static atomic_uint_least64_t enosys_logged[SYSCALL_MAX / 64];
int strace_enabled;

void syscall_table_init(void)
{
	for (const struct syscall_def *d = __start_cvisor_syscalls; d < __stop_cvisor_syscalls; d++) {
		if (d->nr < 0 || d->nr >= SYSCALL_MAX)
			die_msg("syscall table: %s has number %d out of range", d->name, d->nr);
		if (table[d->nr])
			die_msg("syscall table: %s and %s share number %d", table[d->nr]->name,
				d->name, d->nr);
		table[d->nr] = d;
	}
}

const struct syscall_def *syscall_lookup(long nr)
{
	if (nr < 0 || nr >= SYSCALL_MAX)
		return NULL;
	return table[nr];
}

static void log_enosys(long nr)
{
	if (!log_debug_enabled)
		return;
	if (nr >= 0 && nr < SYSCALL_MAX) {
		uint64_t bit = 1ULL << (nr % 64);
		if (atomic_fetch_or(&enosys_logged[nr / 64], bit) & bit)
			return;
	}
	log_debug("unimplemented syscall %ld: returning ENOSYS", nr);
}

void syscall_dispatch(struct task *t)
{
	struct user_regs_struct *r = &t->arch.regs;
	long nr = (long)r->orig_rax;
	uint64_t a[6] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9};
	const struct syscall_def *d = syscall_lookup(nr);
	long ret;

	if (strace_enabled)
		strace_enter(t, d, nr, a);
	if (app_seccomp_deny(t, nr, a, &ret)) {
		/* config.json's seccomp profile stopped it (ret is its errno) */
	} else if (!d) {
		log_enosys(nr);
		ret = -ENOSYS;
	} else {
		ret = d->fn(t, a);
	}
	if (strace_enabled)
		strace_exit(t, d, nr, a, ret);
	r->rax = (uint64_t)ret;
	/* A restart code is never seen by the application: the run loop
	 * restarts the call or turns it into EINTR (rt_sigreturn's value is
	 * the interrupted code's own rax, whatever it holds). */
	if (ret <= -ERESTARTSYS && ret >= -ERESTART_RESTARTBLOCK && nr != __NR_rt_sigreturn)
		t->restart_pending = true;
}
