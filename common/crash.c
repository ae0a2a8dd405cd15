/* Fatal-signal handler printing a backtrace of cvisor itself (see crash.h). */
#define UNW_LOCAL_ONLY
#include "common/crash.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <libunwind.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#include "common/log.h"

/* Enough for libunwind's own frames on top of the handler. */
#define ALTSTACK_SIZE (128 * 1024)

static const int crash_sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
static __thread void *altstack;

/* Our own executable, mapped at install time: the sentry later pivots into
 * an empty root (and a new pid namespace), where libunwind can no longer
 * read /proc/PID/maps or the binary to name functions. */
static const uint8_t *exe_img;
static size_t exe_size;
static uintptr_t exe_bias;

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	case SIGILL:
		return "SIGILL";
	case SIGFPE:
		return "SIGFPE";
	case SIGABRT:
		return "SIGABRT";
	}
	return "signal";
}

/* A line buffer filled without stdio: printf is not async-signal-safe. */
struct line {
	char buf[512];
	size_t n;
};

static void put_str(struct line *l, const char *s)
{
	while (*s && l->n < sizeof l->buf - 1)
		l->buf[l->n++] = *s++;
}

static void put_hex(struct line *l, uint64_t v)
{
	char tmp[16];
	int i = 0;
	do {
		tmp[i++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	put_str(l, "0x");
	while (i > 0 && l->n < sizeof l->buf - 1)
		l->buf[l->n++] = tmp[--i];
}

static void put_dec(struct line *l, uint64_t v)
{
	char tmp[20];
	int i = 0;
	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i > 0 && l->n < sizeof l->buf - 1)
		l->buf[l->n++] = tmp[--i];
}

/* Writes the line to stderr and, when it is elsewhere, the debug log. */
static void emit(struct line *l)
{
	l->buf[l->n++] = '\n';
	ssize_t r = write(2, l->buf, l->n);
	int fd = log_fd();
	if (fd != 2 && fd >= 0)
		r = write(fd, l->buf, l->n);
	(void)r;
	l->n = 0;
}

static void map_exe(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size > (off_t)sizeof(Elf64_Ehdr)) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			exe_img = p;
			exe_size = (size_t)st.st_size;
		}
	}
	close(fd);
	/* Load bias of a PIE: where its program headers are minus where the
	 * file says they are. */
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long n = getauxval(AT_PHNUM);
	for (unsigned long i = 0; ph && i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			exe_bias = (uintptr_t)ph - ph[i].p_vaddr;
}

/* Looks addr up in the executable's symbol table (bounds-checked: the
 * file may have changed on disk since it was mapped). */
static const char *exe_symbol(uintptr_t addr, uint64_t *off)
{
	const uint8_t *img = exe_img;
	if (!img || memcmp(img, ELFMAG, SELFMAG) || addr < exe_bias)
		return NULL;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	uint64_t a = addr - exe_bias;
	if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > exe_size)
		return NULL;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	for (int pass = 0; pass < 2; pass++) {
		uint32_t want = pass ? SHT_DYNSYM : SHT_SYMTAB;
		for (unsigned i = 0; i < eh->e_shnum; i++) {
			if (sh[i].sh_type != want || sh[i].sh_link >= eh->e_shnum)
				continue;
			const Elf64_Shdr *strs = &sh[sh[i].sh_link];
			if (sh[i].sh_offset + sh[i].sh_size > exe_size ||
			    strs->sh_offset + strs->sh_size > exe_size)
				continue;
			const Elf64_Sym *sym = (const Elf64_Sym *)(img + sh[i].sh_offset);
			size_t nsym = sh[i].sh_size / sizeof *sym;
			for (size_t k = 0; k < nsym; k++) {
				if (ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC || !sym[k].st_value ||
				    a < sym[k].st_value || a >= sym[k].st_value + sym[k].st_size ||
				    sym[k].st_name >= strs->sh_size)
					continue;
				const char *name =
				    (const char *)img + strs->sh_offset + sym[k].st_name;
				if (!memchr(name, 0, strs->sh_size - sym[k].st_name))
					continue;
				*off = a - sym[k].st_value;
				return name;
			}
		}
	}
	return NULL;
}

/* Names the function holding pc (a return address past frame 0, so look
 * up the byte before it: a call may be a function's last instruction). */
static void put_symbol(struct line *l, unw_cursor_t *cur, uint64_t pc, int frame)
{
	uint64_t look = frame ? pc - 1 : pc, off = 0;
	const char *name = exe_symbol(look, &off);
	char buf[256];
	unw_word_t uoff;
	if (!name && unw_get_proc_name(cur, buf, sizeof buf, &uoff) == 0) {
		name = buf;
		off = uoff + (look - pc);
	}
	Dl_info di;
	if (!name && dladdr((void *)(uintptr_t)look, &di) && di.dli_sname) {
		name = di.dli_sname;
		off = look - (uintptr_t)di.dli_saddr;
	}
	if (!name) {
		put_str(l, "??");
		return;
	}
	put_str(l, name);
	put_str(l, "+");
	put_hex(l, off + (pc - look));
}

static void backtrace_from_handler(uint64_t rip)
{
	unw_context_t uc;
	unw_cursor_t cur;
	struct line l = {.n = 0};
	if (unw_getcontext(&uc) || unw_init_local(&cur, &uc))
		return;
	/* Skip the handler's own frames and the signal trampoline: start at
	 * the interrupted one.  libunwind versions disagree on which frame
	 * unw_is_signal_frame() marks, so match the faulting rip instead. */
	unw_cursor_t probe = cur;
	for (int i = 0; i < 16; i++) {
		unw_word_t pc = 0;
		unw_get_reg(&probe, UNW_REG_IP, &pc);
		if (pc == rip) {
			cur = probe;
			break;
		}
		if (unw_step(&probe) <= 0)
			break;
	}
	for (int frame = 0; frame < 64; frame++) {
		unw_word_t pc = 0;
		unw_get_reg(&cur, UNW_REG_IP, &pc);
		put_str(&l, "  #");
		put_dec(&l, (uint64_t)frame);
		put_str(&l, frame < 10 ? "  " : " ");
		put_hex(&l, pc);
		put_str(&l, " ");
		put_symbol(&l, &cur, pc, frame);
		emit(&l);
		if (unw_step(&cur) <= 0)
			break;
	}
}

static void crash_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	struct line l = {.n = 0};
	put_str(&l, log_prog);
	put_str(&l, ": crashed: ");
	put_str(&l, sig_name(sig));
	put_str(&l, " at ");
	put_hex(&l, (uint64_t)(uintptr_t)si->si_addr);
	put_str(&l, " (rip ");
	put_hex(&l, (uint64_t)uc->uc_mcontext.gregs[REG_RIP]);
	put_str(&l, ")");
	emit(&l);
	backtrace_from_handler((uint64_t)uc->uc_mcontext.gregs[REG_RIP]);

	/* SA_RESETHAND restored the default action; raising again (unblocked)
	 * ends the process with the original signal and its core dump. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}

void crash_thread_init(void)
{
	if (altstack)
		return;
	void *p =
	    mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("crash: mmap alternate stack");
	stack_t ss = {.ss_sp = p, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
	if (sigaltstack(&ss, NULL))
		die("crash: sigaltstack");
	altstack = p;
}

void crash_install(void)
{
	crash_thread_init();
	map_exe();
	/* Resolve libunwind's lazily bound symbols now rather than on the
	 * alternate stack of a crashing process. */
	unw_context_t uc;
	unw_cursor_t cur;
	if (unw_getcontext(&uc) == 0)
		unw_init_local(&cur, &uc);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = crash_handler;
	sa.sa_flags = SA_ONSTACK | SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof crash_sigs / sizeof *crash_sigs; i++)
		if (sigaction(crash_sigs[i], &sa, NULL))
			die("crash: sigaction");
}
