/* The line discipline of sentry pseudo-terminals: input processing, the
 * canonical line editor, echo and output post-processing (Linux's n_tty,
 * termios(3)).  Every function runs under the owning pty's lock. */
#include <ctype.h>
#include <signal.h>
#include <string.h>
#include <termios.h>

#include "sentry/fs/dev/internal.h"
#include "sentry/kernel/signal.h"

void ld_init(struct ldisc *ld)
{
	memset(ld, 0, sizeof *ld);
	struct ktermios *t = &ld->tio;
	/* Linux's tty_std_termios. */
	t->c_iflag = ICRNL | IXON;
	t->c_oflag = OPOST | ONLCR;
	t->c_cflag = B38400 | CS8 | CREAD | HUPCL;
	t->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	t->c_ispeed = t->c_ospeed = 38400;
	static const uint8_t cc[19] = {
	    [VINTR] = 003,  [VQUIT] = 034,    [VERASE] = 0177, [VKILL] = 025,
	    [VEOF] = 004,   [VTIME] = 0,      [VMIN] = 1,      [VSTART] = 021,
	    [VSTOP] = 023,  [VSUSP] = 032,    [VREPRINT] = 022, [VDISCARD] = 017,
	    [VWERASE] = 027, [VLNEXT] = 026,
	};
	memcpy(t->c_cc, cc, sizeof cc);
}

#define L(f) (ld->tio.c_lflag & (f))
#define I(f) (ld->tio.c_iflag & (f))
#define O(f) (ld->tio.c_oflag & (f))

/* c is control character idx (0 disables one: _POSIX_VDISABLE). */
static bool is_cc(const struct ldisc *ld, int idx, uint8_t c)
{
	return ld->tio.c_cc[idx] != 0 && ld->tio.c_cc[idx] == c;
}

static size_t out_room(const struct ldisc *ld) { return LD_OUTBUF - ld->out_len; }

static void out_put(struct ldisc *ld, uint8_t c)
{
	if (ld->out_len == LD_OUTBUF)
		return; /* like Linux, echoes are lost when nobody reads */
	ld->out[(ld->out_head + ld->out_len) % LD_OUTBUF] = c;
	ld->out_len++;
}

/* Writes c with output post-processing; the caller checked for 8 bytes of
 * room when it matters. */
static void opost(struct ldisc *ld, uint8_t c)
{
	if (!O(OPOST)) {
		out_put(ld, c);
		return;
	}
	switch (c) {
	case '\n':
		if (O(ONLCR)) {
			out_put(ld, '\r');
			ld->column = 0;
		}
		if (O(ONLRET))
			ld->column = 0;
		out_put(ld, '\n');
		return;
	case '\r':
		if (O(ONOCR) && ld->column == 0)
			return;
		if (O(OCRNL)) {
			if (O(ONLRET))
				ld->column = 0;
			out_put(ld, '\n');
			return;
		}
		ld->column = 0;
		out_put(ld, '\r');
		return;
	case '\t': {
		unsigned spaces = 8 - (ld->column & 7);
		if ((ld->tio.c_oflag & TABDLY) == XTABS) {
			ld->column += spaces;
			while (spaces--)
				out_put(ld, ' ');
			return;
		}
		ld->column += spaces;
		out_put(ld, c);
		return;
	}
	case '\b':
		if (ld->column)
			ld->column--;
		out_put(ld, c);
		return;
	}
	if (O(OLCUC))
		c = (uint8_t)toupper(c);
	if (!iscntrl(c))
		ld->column++;
	out_put(ld, c);
}

size_t ld_output(struct ldisc *ld, const uint8_t *buf, size_t n)
{
	size_t i = 0;
	for (; i < n && out_room(ld) >= 8; i++)
		opost(ld, buf[i]);
	return i;
}

/* Echoes c as the terminal shows it: control characters as ^X with
 * ECHOCTL (tab and newline as themselves). */
static void echo_char(struct ldisc *ld, uint8_t c)
{
	if (L(ECHOCTL) && (c < 32 || c == 0177) && c != '\t' && c != '\n') {
		opost(ld, '^');
		opost(ld, c ^ 0100);
		return;
	}
	opost(ld, c);
}

static bool is_ctl_echo(const struct ldisc *ld, uint8_t c)
{
	return L(ECHOCTL) && (c < 32 || c == 0177) && c != '\t';
}

/* Erases the last character of the current line, visually too. */
static bool erase_one(struct ldisc *ld, bool visual)
{
	if (ld->inlen == ld->canon_head)
		return false;
	uint8_t c = ld->in[--ld->inlen];
	if (visual && L(ECHO)) {
		int cols = is_ctl_echo(ld, c) ? 2 : 1;
		while (cols--) {
			opost(ld, '\b');
			opost(ld, ' ');
			opost(ld, '\b');
		}
	}
	return true;
}

static void put_in(struct ldisc *ld, uint8_t c, uint8_t flag)
{
	ld->in[ld->inlen] = c;
	ld->inflag[ld->inlen] = flag;
	ld->inlen++;
	if (flag & LDF_EOL)
		ld->canon_head = ld->inlen;
}

bool ld_receive_room(const struct ldisc *ld)
{
	/* Canonical input without a complete line is never stuck: extra
	 * characters are dropped instead (the reader could not drain it). */
	if (L(ICANON) && ld->canon_head == 0)
		return true;
	return ld->inlen < LD_INBUF;
}

/* One input character (after the flow and signal checks), canonical. */
static void canon_char(struct ldisc *ld, uint8_t c)
{
	if (is_cc(ld, VERASE, c)) {
		bool visual = L(ECHOE);
		if (erase_one(ld, visual) && !visual && L(ECHO))
			echo_char(ld, c);
		return;
	}
	if (L(IEXTEN) && is_cc(ld, VWERASE, c)) {
		while (ld->inlen > ld->canon_head && isspace(ld->in[ld->inlen - 1]))
			erase_one(ld, true);
		while (ld->inlen > ld->canon_head && !isspace(ld->in[ld->inlen - 1]))
			erase_one(ld, true);
		return;
	}
	if (is_cc(ld, VKILL, c)) {
		if (ld->inlen == ld->canon_head)
			return;
		if (L(ECHOK) && L(ECHOKE) && L(ECHOE)) {
			while (erase_one(ld, true))
				;
			return;
		}
		ld->inlen = ld->canon_head;
		if (L(ECHO)) {
			echo_char(ld, c);
			if (L(ECHOK))
				opost(ld, '\n');
		}
		return;
	}
	if (L(IEXTEN) && is_cc(ld, VREPRINT, c)) {
		if (L(ECHO)) {
			echo_char(ld, c);
			opost(ld, '\n');
			for (size_t i = ld->canon_head; i < ld->inlen; i++)
				echo_char(ld, ld->in[i]);
		}
		return;
	}
	bool full = ld->inlen >= LD_INBUF - 1;
	if (c == '\n' || is_cc(ld, VEOL, c) || (L(IEXTEN) && is_cc(ld, VEOL2, c))) {
		if (ld->inlen >= LD_INBUF)
			return;
		if (L(ECHO) || (c == '\n' && L(ECHONL)))
			c == '\n' ? opost(ld, c) : echo_char(ld, c);
		put_in(ld, c, LDF_EOL);
		return;
	}
	if (is_cc(ld, VEOF, c)) {
		if (ld->inlen >= LD_INBUF)
			return;
		put_in(ld, c, LDF_EOL | LDF_EOF);
		return;
	}
	if (full)
		return; /* only a line end fits in the last slot */
	if (L(ECHO))
		echo_char(ld, c);
	put_in(ld, c, 0);
}

size_t ld_receive(struct ldisc *ld, const uint8_t *buf, size_t n, uint64_t *sigs)
{
	size_t i = 0;
	for (; i < n; i++) {
		if (!ld_receive_room(ld))
			break;
		uint8_t c = buf[i];
		if (I(ISTRIP))
			c &= 0x7f;
		if (ld->lnext) {
			ld->lnext = false;
			if (ld->inlen < (size_t)LD_INBUF - (L(ICANON) ? 1 : 0)) {
				if (L(ECHO)) {
					opost(ld, '\b');
					echo_char(ld, c);
				}
				put_in(ld, c, 0);
			}
			continue;
		}
		if (c == '\r') {
			if (I(IGNCR))
				continue;
			if (I(ICRNL))
				c = '\n';
		} else if (c == '\n' && I(INLCR)) {
			c = '\r';
		}
		if (I(IUCLC) && L(IEXTEN))
			c = (uint8_t)tolower(c);
		if (I(IXON) && (is_cc(ld, VSTOP, c) || is_cc(ld, VSTART, c)))
			continue; /* flow control: taken, output never stops here */
		if (L(ISIG)) {
			int sig = is_cc(ld, VINTR, c)	? SIGINT
				  : is_cc(ld, VQUIT, c) ? SIGQUIT
				  : is_cc(ld, VSUSP, c) ? SIGTSTP
							: 0;
			if (sig) {
				if (!L(NOFLSH)) {
					ld_flush_in(ld);
					ld_flush_out(ld);
				}
				if (L(ECHO))
					echo_char(ld, c);
				*sigs |= SIGBIT(sig);
				continue;
			}
		}
		if (L(ICANON) && L(IEXTEN) && is_cc(ld, VLNEXT, c)) {
			ld->lnext = true;
			if (L(ECHO) && L(ECHOCTL)) {
				opost(ld, '^');
				opost(ld, '\b');
			}
			continue;
		}
		if (L(ICANON)) {
			canon_char(ld, c);
			continue;
		}
		if (L(ECHO))
			c == '\n' ? opost(ld, c) : echo_char(ld, c);
		else if (c == '\n' && L(ECHONL))
			opost(ld, c);
		put_in(ld, c, 0);
	}
	return i;
}

size_t ld_readable(const struct ldisc *ld)
{
	if (!L(ICANON))
		return ld->inlen;
	return ld->canon_head;
}

static void consume(struct ldisc *ld, size_t k)
{
	memmove(ld->in, ld->in + k, ld->inlen - k);
	memmove(ld->inflag, ld->inflag + k, ld->inlen - k);
	ld->inlen -= k;
	ld->canon_head = ld->canon_head > k ? ld->canon_head - k : 0;
}

size_t ld_read(struct ldisc *ld, uint8_t *dst, size_t n)
{
	if (!L(ICANON)) {
		size_t k = n < ld->inlen ? n : ld->inlen;
		memcpy(dst, ld->in, k);
		consume(ld, k);
		return k;
	}
	size_t end = 0;
	while (end < ld->canon_head && !(ld->inflag[end] & LDF_EOL))
		end++;
	if (end == ld->canon_head)
		return 0;
	/* [0..end] is the line; an EOF mark ends it without being read. */
	size_t len = (ld->inflag[end] & LDF_EOF) ? end : end + 1;
	size_t k = n < len ? n : len;
	memcpy(dst, ld->in, k);
	if (k == len && (ld->inflag[end] & LDF_EOF))
		k++; /* the mark goes with the line's last byte */
	consume(ld, k);
	return k == len + 1 ? len : k;
}

size_t ld_out_take(struct ldisc *ld, uint8_t *dst, size_t n)
{
	size_t k = 0;
	while (k < n && ld->out_len) {
		dst[k++] = ld->out[ld->out_head];
		ld->out_head = (ld->out_head + 1) % LD_OUTBUF;
		ld->out_len--;
	}
	return k;
}

void ld_flush_in(struct ldisc *ld)
{
	ld->inlen = ld->canon_head = 0;
	ld->lnext = false;
}

void ld_flush_out(struct ldisc *ld) { ld->out_head = ld->out_len = 0; }

void ld_set_termios(struct ldisc *ld, const struct ktermios *tio)
{
	bool was_canon = L(ICANON);
	ld->tio = *tio;
	if (!was_canon && L(ICANON) && ld->inlen) {
		/* Raw input typed so far becomes a line a reader can take. */
		ld->inflag[ld->inlen - 1] |= LDF_EOL;
		ld->canon_head = ld->inlen;
	}
	if (was_canon && !L(ICANON)) {
		for (size_t i = 0; i < ld->inlen; i++)
			ld->inflag[i] = 0;
		ld->canon_head = 0;
	}
}
