/* Unit tests of the ptrace platform with several sentry threads: ctxs of one
 * address space on several threads, map/unmap across them, moving ctxs,
 * sentry threads that exit, and reaping every stub. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "platform/platform.h"
#include "platform/ptrace/ptrace_internal.h"

#define CODE_VA 0x400000UL
#define DATA_VA 0x600000UL
#define HOLE_VA 0x700000UL
#define MEM_SIZE 0x100000UL
#define CODE_OFF 0x0
#define DATA_OFF 0x1000
#define HOLE_OFF 0x2000
#define MAGIC 0x5eed1234abcd0077UL

extern const char app_start[], app_end[], t_getpid[], t_load[], t_spin_read[], t_spin[];
__asm__(".section .rodata\n"
	".balign 16\n"
	"app_start:\n"
	"t_getpid: mov $39,%eax; syscall; jmp t_getpid\n"
	/* one load from the hole, reported through exit(value) */
	"t_load: mov 0x700000,%rax\n"
	"	mov %rax,%rdi; mov $60,%eax; syscall; ud2\n"
	/* read the hole until it changes (rbx holds the expected value) */
	"t_spin_read: mov 0x700000,%rax; cmp %rax,%rbx; je t_spin_read\n"
	"	mov %rax,%rdi; mov $60,%eax; syscall; ud2\n"
	"t_spin: jmp t_spin\n"
	"app_end:\n"
	".text\n");

#define APP(sym) (CODE_VA + (uint64_t)((sym)-app_start))

static int memfd;

static void set_rip(struct arch_state *st, uint64_t rip)
{
	memset(&st->regs, 0, sizeof st->regs);
	st->regs.rip = rip;
	st->regs.rsp = DATA_VA + PAGE_SIZE - 64;
	st->regs.eflags = 0x202;
}

/* A ctx with its own registers, run from whichever thread uses it. */
struct task {
	struct pf_ctx *ctx;
	struct pf_as *as;
	struct arch_state st;
	struct pf_event ev;
	int ret;
};

static void task_init(struct task *t, struct pf_as *as)
{
	memset(t, 0, sizeof *t);
	t->ctx = pf->ctx_new();
	t->as = as;
	t->st.fpu = pf_fpu_alloc();
	assert_non_null(t->ctx);
	assert_non_null(t->st.fpu);
}

static void task_fini(struct task *t)
{
	pf->ctx_free(t->ctx);
	free(t->st.fpu);
}

static int task_run(struct task *t)
{
	t->ret = pf->run(t->ctx, t->as, &t->st, &t->ev);
	return t->ret;
}

static struct pf_as *as_with_code(void)
{
	struct pf_as *as = pf->as_new();
	assert_non_null(as);
	assert_int_equal(pf->map(as, CODE_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_EXEC, CODE_OFF), 0);
	assert_int_equal(pf->map(as, DATA_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_WRITE, DATA_OFF),
			 0);
	return as;
}

static void put64(uint64_t off, uint64_t v)
{
	assert_int_equal(pwrite(memfd, &v, sizeof v, off), sizeof v);
}

/* Threads of a stub process (its main thread included). */
static int stub_threads(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Child processes of this process, zombies included. */
static int children(void)
{
	DIR *d = opendir("/proc");
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[300], buf[512];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = 0;
		char *p = strrchr(buf, ')');
		int ppid;
		if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == getpid())
			n++;
	}
	closedir(d);
	return n;
}

static int setup(void **state)
{
	pf = &platform_ptrace;
	memfd = memfd_create("ptrace-threads-mem", 0);
	if (memfd < 0 || ftruncate(memfd, MEM_SIZE))
		return -1;
	size_t n = app_end - app_start;
	uint64_t magic = MAGIC;
	if (pwrite(memfd, app_start, n, CODE_OFF) != (ssize_t)n ||
	    pwrite(memfd, &magic, sizeof magic, HOLE_OFF) != sizeof magic)
		return -1;
	return pf->init(memfd);
}

/* --- two ctxs of one as, each on its own thread, both doing syscalls --- */

static void *getpid_loop(void *arg)
{
	struct task *t = arg;
	set_rip(&t->st, APP(t_getpid));
	for (int i = 0; i < 2000; i++) {
		if (task_run(t) || t->ev.kind != PF_EV_SYSCALL || t->st.regs.orig_rax != 39)
			return (void *)1L;
		t->st.regs.rax = i;
	}
	task_fini(t);
	return NULL;
}

static void test_two_threads_syscalls(void **state)
{
	struct pf_as *as = as_with_code();
	struct task t[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		task_init(&t[i], as); /* created here, first run on the thread */
		assert_int_equal(pthread_create(&th[i], NULL, getpid_loop, &t[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		void *r;
		pthread_join(th[i], &r);
		assert_null(r);
	}
	assert_int_equal(stub_threads(as->pid), 1);
	pf->as_free(as);
}

/* --- map by one thread, seen by another; unmap while another spins --- */

struct pair {
	struct task t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int cmd; /* 1: run once, 2: quit */
	bool busy;
};

static void *runner(void *arg)
{
	struct pair *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->cmd)
			pthread_cond_wait(&p->cv, &p->mu);
		int cmd = p->cmd;
		p->cmd = 0;
		if (cmd == 2)
			break;
		p->busy = true;
		pthread_mutex_unlock(&p->mu);
		task_run(&p->t);
		pthread_mutex_lock(&p->mu);
		p->busy = false;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	task_fini(&p->t);
	return NULL;
}

static void pair_start(struct pair *p, pthread_t *th, struct pf_as *as)
{
	task_init(&p->t, as);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->cmd = 0;
	assert_int_equal(pthread_create(th, NULL, runner, p), 0);
}

static void pair_go(struct pair *p)
{
	pthread_mutex_lock(&p->mu);
	p->cmd = 1;
	p->busy = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void pair_wait(struct pair *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->busy || p->cmd)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	assert_int_equal(p->t.ret, 0);
}

static void pair_stop(struct pair *p, pthread_t th)
{
	pthread_mutex_lock(&p->mu);
	p->cmd = 2;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(th, NULL);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void test_map_seen_by_other_thread(void **state)
{
	struct pf_as *as = as_with_code();
	struct pair p;
	pthread_t th;
	pair_start(&p, &th, as);

	/* Bound and idle on its thread first: the map must still reach it. */
	set_rip(&p.t.st, APP(t_load));
	pair_go(&p);
	pair_wait(&p);
	assert_int_equal(p.t.ev.kind, PF_EV_FAULT);
	assert_int_equal(p.t.ev.addr, HOLE_VA);

	assert_int_equal(pf->map(as, HOLE_VA, PAGE_SIZE, PF_PROT_READ, HOLE_OFF), 0);
	pair_go(&p);
	pair_wait(&p);
	assert_int_equal(p.t.ev.kind, PF_EV_SYSCALL);
	assert_int_equal(p.t.st.regs.rdi, MAGIC);

	pair_stop(&p, th);
	pf->as_free(as);
}

/* The runner spins reading the hole; unmap from this thread (with or
 * without a ctx of its own in the as); then the page's frame is "reused"
 * at once.  The runner must fault, never see the new value. */
static void unmap_while_spinning(bool own_ctx)
{
	struct pf_as *as = as_with_code();
	struct task me;
	task_init(&me, as);
	if (own_ctx) {
		set_rip(&me.st, APP(t_getpid));
		assert_int_equal(task_run(&me), 0);
		assert_int_equal(me.ev.kind, PF_EV_SYSCALL);
	}
	struct pair p;
	pthread_t th;
	pair_start(&p, &th, as);
	for (int round = 0; round < 20; round++) {
		put64(HOLE_OFF, MAGIC);
		assert_int_equal(pf->map(as, HOLE_VA, PAGE_SIZE, PF_PROT_READ, HOLE_OFF), 0);
		set_rip(&p.t.st, APP(t_spin_read));
		p.t.st.regs.rbx = MAGIC;
		pair_go(&p);
		/* Let it get into the loop (or not yet, on odd rounds). */
		if (round & 1)
			sleep_ms(5);
		assert_int_equal(pf->unmap(as, HOLE_VA, PAGE_SIZE), 0);
		put64(HOLE_OFF, 0xbad);
		pair_wait(&p);
		if (p.t.ev.kind != PF_EV_FAULT)
			print_error("round %d: event %d, rdi 0x%llx\n", round, p.t.ev.kind,
				    p.t.st.regs.rdi);
		assert_int_equal(p.t.ev.kind, PF_EV_FAULT);
		assert_int_equal(p.t.ev.addr, HOLE_VA);
	}
	put64(HOLE_OFF, MAGIC);
	pair_stop(&p, th);
	task_fini(&me);
	pf->as_free(as);
}

static void test_unmap_while_spinning_own_ctx(void **state) { unmap_while_spinning(true); }

static void test_unmap_while_spinning_no_ctx(void **state) { unmap_while_spinning(false); }

/* --- an as made by a thread that is gone --- */

static void *make_as(void *arg)
{
	*(struct pf_as **)arg = as_with_code();
	return NULL;
}

static void test_as_from_exited_thread(void **state)
{
	struct pf_as *as;
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, make_as, &as), 0);
	pthread_join(th, NULL);
	sleep_ms(10); /* PR_SET_PDEATHSIG would have fired by now */
	assert_int_equal(kill(as->pid, 0), 0);
	struct task t;
	task_init(&t, as);
	set_rip(&t.st, APP(t_getpid));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(task_run(&t), 0);
		assert_int_equal(t.ev.kind, PF_EV_SYSCALL);
	}
	assert_int_equal(pf->map(as, HOLE_VA, PAGE_SIZE, PF_PROT_READ, HOLE_OFF), 0);
	set_rip(&t.st, APP(t_load));
	assert_int_equal(task_run(&t), 0);
	assert_int_equal(t.st.regs.rdi, MAGIC);
	task_fini(&t);
	pf->as_free(as);
}

/* --- execve: a ctx moves from as A to as B --- */

static void test_ctx_moves(void **state)
{
	struct pf_as *a = as_with_code(), *b = as_with_code();
	assert_int_equal(pf->map(b, HOLE_VA, PAGE_SIZE, PF_PROT_READ, HOLE_OFF), 0);
	struct task t;
	task_init(&t, a);
	set_rip(&t.st, APP(t_load));
	assert_int_equal(task_run(&t), 0);
	assert_int_equal(t.ev.kind, PF_EV_FAULT);
	assert_int_equal(stub_threads(a->pid), 2);

	t.as = b;
	set_rip(&t.st, APP(t_load));
	assert_int_equal(task_run(&t), 0);
	assert_int_equal(t.ev.kind, PF_EV_SYSCALL);
	assert_int_equal(t.st.regs.rdi, MAGIC);
	assert_int_equal(stub_threads(a->pid), 1);
	assert_int_equal(stub_threads(b->pid), 2);
	pf->as_free(a);

	/* The sentry frees the old as before the task runs in the new one. */
	struct pf_as *c = as_with_code();
	pf->as_free(b);
	t.as = c;
	set_rip(&t.st, APP(t_getpid));
	assert_int_equal(task_run(&t), 0);
	assert_int_equal(t.ev.kind, PF_EV_SYSCALL);
	task_fini(&t);
	pf->as_free(c);
}

/* --- run() from a second thread is refused --- */

static void *run_other(void *arg)
{
	struct task *t = arg;
	return (void *)(long)task_run(t);
}

static void test_run_from_other_thread(void **state)
{
	struct pf_as *as = as_with_code();
	struct task t;
	task_init(&t, as);
	set_rip(&t.st, APP(t_getpid));
	assert_int_equal(task_run(&t), 0);
	pthread_t th;
	void *r;
	assert_int_equal(pthread_create(&th, NULL, run_other, &t), 0);
	pthread_join(th, &r);
	assert_int_equal((long)r, -EINVAL);
	assert_int_equal(task_run(&t), 0);
	assert_int_equal(t.ev.kind, PF_EV_SYSCALL);
	task_fini(&t);
	pf->as_free(as);
}

/* --- a sentry thread exits without freeing its ctx --- */

static void *run_and_exit(void *arg)
{
	struct task *t = arg;
	set_rip(&t->st, APP(t_getpid));
	task_run(t);
	return NULL;
}

static void test_ctx_free_after_thread_exit(void **state)
{
	struct pf_as *as = as_with_code();
	struct task t;
	task_init(&t, as);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, run_and_exit, &t), 0);
	pthread_join(th, NULL);
	assert_int_equal(t.ret, 0);
	assert_int_equal(t.ev.kind, PF_EV_SYSCALL);
	/* Its stub thread went with it; the as lives on. */
	assert_int_equal(stub_threads(as->pid), 1);
	task_fini(&t);

	struct task u;
	task_init(&u, as);
	set_rip(&u.st, APP(t_getpid));
	assert_int_equal(task_run(&u), 0);
	assert_int_equal(u.ev.kind, PF_EV_SYSCALL);
	task_fini(&u);
	pf->as_free(as);
}

/* --- interrupt() from another thread, several ctxs running --- */

static void test_interrupt_other_thread(void **state)
{
	struct pf_as *as = as_with_code();
	struct pair p[2];
	pthread_t th[2];
	for (int i = 0; i < 2; i++) {
		pair_start(&p[i], &th[i], as);
		set_rip(&p[i].t.st, APP(t_spin));
		pair_go(&p[i]);
	}
	sleep_ms(20);
	for (int i = 0; i < 2; i++) {
		pf->interrupt(p[i].t.ctx);
		pair_wait(&p[i]);
		assert_int_equal(p[i].t.ev.kind, PF_EV_INTERRUPT);
		assert_int_equal(p[i].t.st.regs.rip, APP(t_spin));
	}
	for (int i = 0; i < 2; i++)
		pair_stop(&p[i], th[i]);
	pf->as_free(as);
}

/* --- stubs are reaped; as_new cost --- */

static void test_cycles_leave_no_stubs(void **state)
{
	factory_settle(); /* the factory's pool of ready stubs is full */
	int before = children();
	struct timespec a, b;
	double total = 0;
	for (int i = 0; i < 100; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		struct pf_as *as = pf->as_new();
		clock_gettime(CLOCK_MONOTONIC, &b);
		total += (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
		assert_non_null(as);
		if (i % 10 == 0) {
			/* Some with a running ctx, one left bound at as_free. */
			assert_int_equal(
			    pf->map(as, CODE_VA, PAGE_SIZE, PF_PROT_READ | PF_PROT_EXEC, CODE_OFF),
			    0);
			struct task t;
			task_init(&t, as);
			set_rip(&t.st, APP(t_getpid));
			assert_int_equal(task_run(&t), 0);
			if (i % 20 == 0) {
				task_fini(&t);
				pf->as_free(as);
			} else {
				pf->as_free(as);
				task_fini(&t);
			}
		} else {
			pf->as_free(as);
		}
	}
	printf("ptrace_as_new_cycle_us %.1f\n", total / 100 / 1000);
	factory_settle();
	assert_int_equal(children(), before);
}

static void test_as_new_cost(void **state)
{
	/* fork+exec shape: as_new, a few maps, the first run, as_free. */
	struct timespec a, b;
	const int n = 50;
	double t_new = 0, t_first = 0;
	for (int i = 0; i < n; i++) {
		if (i == n / 2) {
			/* The first half back to back (the factory's pool runs
			 * dry), the second with the pool refilled each time. */
			printf("ptrace_as_new_back_to_back_us %.1f first_run_us %.1f\n",
			       t_new / (n / 2) / 1000, t_first / (n / 2) / 1000);
			t_new = t_first = 0;
		}
		if (i >= n / 2)
			factory_settle();
		clock_gettime(CLOCK_MONOTONIC, &a);
		struct pf_as *as = as_with_code();
		clock_gettime(CLOCK_MONOTONIC, &b);
		t_new += (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
		struct task t;
		task_init(&t, as);
		set_rip(&t.st, APP(t_getpid));
		clock_gettime(CLOCK_MONOTONIC, &a);
		assert_int_equal(task_run(&t), 0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t_first += (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
		task_fini(&t);
		pf->as_free(as);
	}
	printf("ptrace_as_new_pooled_us %.1f first_run_us %.1f\n", t_new / (n / 2) / 1000,
	       t_first / (n / 2) / 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_threads_syscalls),
	    cmocka_unit_test(test_map_seen_by_other_thread),
	    cmocka_unit_test(test_unmap_while_spinning_own_ctx),
	    cmocka_unit_test(test_unmap_while_spinning_no_ctx),
	    cmocka_unit_test(test_as_from_exited_thread),
	    cmocka_unit_test(test_ctx_moves),
	    cmocka_unit_test(test_run_from_other_thread),
	    cmocka_unit_test(test_ctx_free_after_thread_exit),
	    cmocka_unit_test(test_interrupt_other_thread),
	    cmocka_unit_test(test_cycles_leave_no_stubs),
	    cmocka_unit_test(test_as_new_cost),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
