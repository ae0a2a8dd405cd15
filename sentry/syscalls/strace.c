/* --strace: every syscall of the application, decoded, one line on stderr
 * when it returns (so output from several tasks never interleaves). */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define STR_MAX 64

struct out {
	char buf[1024];
	size_t n;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->n >= sizeof o->buf)
		return;
	va_start(ap, fmt);
	int k = vsnprintf(o->buf + o->n, sizeof o->buf - o->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->n += (size_t)k;
	if (o->n > sizeof o->buf)
		o->n = sizeof o->buf;
}

/* Quotes up to max bytes of application memory at addr as a C string. */
static void put_mem(struct out *o, struct task *t, uint64_t addr, size_t len, bool stop_at_nul)
{
	unsigned char b[STR_MAX];
	size_t want = len < STR_MAX ? len : STR_MAX, got = 0;

	if (!addr) {
		put(o, "NULL");
		return;
	}
	/* Byte at a time across page ends, so a string ending just before an
	 * unmapped page still prints. */
	while (got < want) {
		size_t chunk = PAGE_SIZE - ((addr + got) & (PAGE_SIZE - 1));
		if (chunk > want - got)
			chunk = want - got;
		if (mm_copy_in(t->mm, b + got, addr + got, chunk))
			break;
		got += chunk;
	}
	if (!got && want) {
		put(o, "0x%lx", (unsigned long)addr);
		return;
	}
	put(o, "\"");
	size_t i;
	for (i = 0; i < got; i++) {
		unsigned char c = b[i];
		if (stop_at_nul && !c)
			break;
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c == '\n')
			put(o, "\\n");
		else if (c == '\t')
			put(o, "\\t");
		else if (c >= 32 && c < 127)
			put(o, "%c", c);
		else
			put(o, "\\%o", c);
	}
	put(o, "\"");
	if ((stop_at_nul && i == got && got == STR_MAX) || (!stop_at_nul && len > got))
		put(o, "...");
}

static void put_strv(struct out *o, struct task *t, uint64_t addr)
{
	if (!addr) {
		put(o, "NULL");
		return;
	}
	put(o, "[");
	for (int i = 0; i < 8; i++) {
		uint64_t p;
		if (mm_copy_in(t->mm, &p, addr + 8 * i, 8)) {
			put(o, "?");
			break;
		}
		if (!p)
			break;
		if (i)
			put(o, ", ");
		if (i == 7) {
			put(o, "...");
			break;
		}
		put_mem(o, t, p, STR_MAX, true);
	}
	put(o, "]");
}

static void put_arg(struct out *o, struct task *t, int kind, const uint64_t *a, int i, long ret)
{
	uint64_t v = a[i];
	switch (kind) {
	case A_INT:
	case A_FD:
	case A_SIG:
		put(o, "%d", (int)v);
		break;
	case A_DIRFD:
		if ((int)v == AT_FDCWD)
			put(o, "AT_FDCWD");
		else
			put(o, "%d", (int)v);
		break;
	case A_UINT:
		put(o, "%lu", (unsigned long)v);
		break;
	case A_OCT:
		put(o, "0%lo", (unsigned long)v);
		break;
	case A_STR:
		put_mem(o, t, v, STR_MAX, true);
		break;
	case A_BUFIN:
		put_mem(o, t, v, i < 5 ? a[i + 1] : 0, false);
		break;
	case A_BUFOUT:
		if (ret > 0)
			put_mem(o, t, v, (size_t)ret, false);
		else
			put(o, "0x%lx", (unsigned long)v);
		break;
	case A_STRV:
		put_strv(o, t, v);
		break;
	case A_PTR:
		if (!v) {
			put(o, "NULL");
			break;
		}
		/* fallthrough */
	default:
		put(o, "0x%lx", (unsigned long)v);
	}
}

static void print_line(struct task *t, const struct syscall_def *d, long nr, const uint64_t *a,
		       long ret);

void strace_enter(struct task *t, const struct syscall_def *d, long nr, const uint64_t *a)
{
	/* Calls that do not return print on entry. */
	if (d && d->ret == R_NONE)
		print_line(t, d, nr, a, 0);
}

void strace_exit(struct task *t, const struct syscall_def *d, long nr, const uint64_t *a, long ret)
{
	if (!d || d->ret != R_NONE)
		print_line(t, d, nr, a, ret);
}

static void print_line(struct task *t, const struct syscall_def *d, long nr, const uint64_t *a,
		       long ret)
{
	struct out o = {.n = 0};
	int nargs = 0;

	put(&o, "[%5d] ", t->tid);
	if (d) {
		put(&o, "%s(", d->name);
		while (nargs < 6 && d->args[nargs] != A_NONE)
			nargs++;
		for (int i = 0; i < nargs; i++) {
			if (i)
				put(&o, ", ");
			put_arg(&o, t, d->args[i], a, i, ret);
		}
	} else {
		put(&o, "syscall_%ld(0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx, 0x%lx", nr,
		    (unsigned long)a[0], (unsigned long)a[1], (unsigned long)a[2],
		    (unsigned long)a[3], (unsigned long)a[4], (unsigned long)a[5]);
	}
	put(&o, ")");
	if (d && d->ret == R_NONE)
		put(&o, " = ?");
	else if (ret < 0 && ret >= -4095)
		put(&o, " = -1 %s (%s)", strerrorname_np((int)-ret) ? strerrorname_np((int)-ret) : "E?",
		    strerror((int)-ret));
	else if (d && d->ret == R_HEX)
		put(&o, " = 0x%lx", (unsigned long)ret);
	else
		put(&o, " = %ld", ret);
	if (o.n >= sizeof o.buf)
		o.n = sizeof o.buf - 1;
	o.buf[o.n++] = '\n';
	if (write(2, o.buf, o.n) < 0)
		return;
}
