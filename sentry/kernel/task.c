/* The task run loop: run the application on its platform context, and turn
 * each trap into a syscall, a resolved page fault or a signal; plus the
 * sentry threads that run tasks. */
#include "sentry/kernel/task.h"

#include <signal.h>
#include <string.h>
#include <time.h>

#include "common/crash.h"
#include "common/disasm.h"
#include "common/log.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/kernel/timers.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

static __thread struct task *current;

struct task *task_current(void)
{
	return current;
}

void task_set_current(struct task *t)
{
	current = t;
}

void task_exit_group(struct task *t, int status)
{
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&tasklist_lock);
	pthread_mutex_lock(&tg->sighand->lock);
	if (!tg->group_exit) {
		tg->group_exit = true;
		tg->exit_status = status;
		tg->stopped = false;
		for (struct task *x = tg->threads; x; x = x->tg_next)
			if (!x->exiting)
				task_kick(x);
	}
	pthread_mutex_unlock(&tg->sighand->lock);
	pthread_mutex_unlock(&tasklist_lock);
}

/* With --debug, says where the application faulted and what it was doing. */
static void report_fault(struct task *t, int sig, uint64_t addr, int code)
{
	uint8_t insn[16];
	char text[128] = "(unreadable)";
	uint64_t rip = t->arch.regs.rip;

	if (!log_debug_enabled)
		return;
	/* Bytes up to the end of the page first, then the rest if mapped. */
	size_t first = PAGE_SIZE - (rip & (PAGE_SIZE - 1));
	if (first > sizeof insn)
		first = sizeof insn;
	if (!mm_copy_in(t->mm, insn, rip, first)) {
		size_t have = first;
		if (have < sizeof insn && !mm_copy_in(t->mm, insn + have, rip + have, sizeof insn - have))
			have = sizeof insn;
		disasm_insn(insn, have, rip, text, sizeof text);
	}
	log_debug("task %d: %s (si_code %d) at 0x%lx, rip 0x%lx: %s", t->tid, sigabbrev_np(sig),
		  code, (unsigned long)addr, (unsigned long)rip, text);
}

static void fault_signal(struct task *t, int sig, int code, uint64_t addr, const siginfo_t *host)
{
	siginfo_t si;
	if (host) {
		si = *host;
	} else {
		memset(&si, 0, sizeof si);
		si.si_signo = sig;
		si.si_code = code;
		si.si_addr = (void *)addr;
	}
	report_fault(t, sig, addr, si.si_code);
	sig_force(t, sig, &si);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int task_run(struct task *t)
{
	struct pf_event ev;
	uint64_t mark = now_ns();

	task_set_current(t);
	for (;;) {
		if (t->restart_pending || atomic_load(&t->work)) {
			if (!sig_handle(t))
				break;
		}
		atomic_store(&t->in_app, true);
		/* A kick that raced with the store above is seen here. */
		if (atomic_load(&t->work)) {
			atomic_store(&t->in_app, false);
			continue;
		}
		uint64_t start = now_ns();
		int r = pf->run(t->ctx, t->mm->as, &t->arch, &ev);
		atomic_store(&t->in_app, false);
		uint64_t end = now_ns();
		timers_account_run(t, end - start, start - mark);
		mark = end;
		if (r) {
			log_warn("task %d: platform %s failed: %s", t->tid, pf->name, strerror(-r));
			task_exit_group(t, SIGKILL);
			continue;
		}
		switch (ev.kind) {
		case PF_EV_SYSCALL:
			t->fault_retry_addr = 0;
			syscall_dispatch(t);
			break;
		case PF_EV_FAULT: {
			int code = ev.si_code;
			int e = mm_fault(t->mm, ev.addr, ev.access, &code);
			if (e == -EAGAIN) {
				/* Retry a possibly stale fault once per address. */
				if (t->fault_retry_addr != ev.addr) {
					t->fault_retry_addr = ev.addr;
					break;
				}
				e = -EFAULT;
			}
			t->fault_retry_addr = 0;
			if (e == -EFAULT)
				fault_signal(t, SIGSEGV, code, ev.addr, NULL);
			else if (e)
				fault_signal(t, SIGBUS, BUS_ADRERR, ev.addr, NULL);
			break;
		}
		case PF_EV_SIGNAL:
			fault_signal(t, ev.signo, 0, (uint64_t)ev.info.si_addr, &ev.info);
			break;
		case PF_EV_INTERRUPT:
			break;
		}
	}
	task_exit_thread(t);
	return 0;
}

static void *task_thread(void *arg)
{
	struct task *t = arg;
	crash_thread_init();
	task_run(t);
	return NULL;
}

int task_start(struct task *t)
{
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&t->thread, &a, task_thread, t);
	pthread_attr_destroy(&a);
	return r ? -r : 0;
}
