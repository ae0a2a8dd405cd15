/* The task run loop: run the application on its platform context, and turn
 * each trap into a syscall, a resolved page fault or a fatal signal. */
#include "sentry/kernel/task.h"

#include <signal.h>
#include <string.h>

#include "common/disasm.h"
#include "common/log.h"
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
	pthread_mutex_lock(&tg->lock);
	if (!tg->exiting) {
		tg->exiting = true;
		tg->exit_status = status;
	}
	pthread_mutex_unlock(&tg->lock);
}

/* With --debug, says where the application died and what it was doing. */
static void report_fatal(struct task *t, int sig, uint64_t addr, int code)
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
	log_debug("task %d: fatal %s (si_code %d) at 0x%lx, rip 0x%lx: %s", t->tid, sigabbrev_np(sig),
		  code, (unsigned long)addr, (unsigned long)rip, text);
}

/* Signal delivery to handlers arrives with the processes milestone; until
 * then a synchronous fault kills the thread group as the default action. */
static void fatal_signal(struct task *t, int sig, uint64_t addr, int code)
{
	report_fatal(t, sig, addr, code);
	task_exit_group(t, sig);
}

int task_run(struct task *t)
{
	struct pf_event ev;

	task_set_current(t);
	while (!t->tg->exiting) {
		int r = pf->run(t->ctx, t->mm->as, &t->arch, &ev);
		if (r) {
			log_warn("task %d: platform %s failed: %s", t->tid, pf->name, strerror(-r));
			task_exit_group(t, SIGKILL);
			break;
		}
		switch (ev.kind) {
		case PF_EV_SYSCALL:
			syscall_dispatch(t);
			break;
		case PF_EV_FAULT: {
			int code = ev.si_code;
			int e = mm_fault(t->mm, ev.addr, ev.access, &code);
			if (e == -EFAULT)
				fatal_signal(t, SIGSEGV, ev.addr, code);
			else if (e)
				fatal_signal(t, SIGBUS, ev.addr, BUS_ADRERR);
			break;
		}
		case PF_EV_SIGNAL:
			fatal_signal(t, ev.signo, (uint64_t)ev.info.si_addr, ev.info.si_code);
			break;
		case PF_EV_INTERRUPT:
			break;
		}
	}
	return t->tg->exit_status;
}
