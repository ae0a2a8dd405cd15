/* System V message queues: msgget/msgsnd/msgrcv/msgctl semantics. */
#include <grp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include "testlib.h"

struct m {
	long type;
	char text[64];
};

static int snd(int id, long type, const char *s, int flg)
{
	struct m b = {.type = type};
	strcpy(b.text, s);
	return msgsnd(id, &b, strlen(s) + 1, flg);
}

/* Receives into a fresh buffer; returns the type or -1. */
static long rcv(int id, long type, int flg, char *out)
{
	struct m b;
	memset(&b, 0, sizeof b);
	ssize_t n = msgrcv(id, &b, sizeof b.text, type, flg);
	if (n < 0)
		return -1;
	strcpy(out, b.text);
	return b.type;
}

TEST(msg_types_and_order)
{
	int id = CHECK_OK(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	char s[64];
	CHECK_OK(snd(id, 5, "a5", 0));
	CHECK_OK(snd(id, 2, "b2", 0));
	CHECK_OK(snd(id, 5, "c5", 0));
	CHECK_OK(snd(id, 1, "d1", 0));
	CHECK_OK(snd(id, 3, "e3", 0));
	struct msqid_ds ds;
	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.msg_qnum, 5);
	CHECK_EQ(ds.__msg_cbytes, 15);
	CHECK_EQ(ds.msg_lspid, getpid());
	CHECK_EQ(ds.msg_qbytes, 16384);
	/* type > 0: the first of that type. */
	CHECK_EQ(rcv(id, 5, IPC_NOWAIT, s), 5);
	CHECK_STREQ(s, "a5");
	/* MSG_EXCEPT: the first of any other type. */
	CHECK_EQ(rcv(id, 2, IPC_NOWAIT | MSG_EXCEPT, s), 5);
	CHECK_STREQ(s, "c5");
	/* type < 0: the lowest type <= |type|. */
	CHECK_EQ(rcv(id, -3, IPC_NOWAIT, s), 1);
	CHECK_STREQ(s, "d1");
	CHECK_ERRNO(rcv(id, 7, IPC_NOWAIT, s), ENOMSG);
	/* MSG_COPY peeks at a position. */
	struct m b;
	CHECK_EQ(msgrcv(id, &b, sizeof b.text, 1, IPC_NOWAIT | MSG_COPY), 3);
	CHECK_EQ(b.type, 3);
	CHECK_ERRNO(msgrcv(id, &b, sizeof b.text, 2, IPC_NOWAIT | MSG_COPY), ENOMSG);
	CHECK_ERRNO(msgrcv(id, &b, sizeof b.text, 0, MSG_COPY), EINVAL);
	/* type 0: the oldest. */
	CHECK_EQ(rcv(id, 0, IPC_NOWAIT, s), 2);
	CHECK_STREQ(s, "b2");
	/* Too small: E2BIG and the message stays, or truncated. */
	CHECK_ERRNO(msgrcv(id, &b, 1, 0, IPC_NOWAIT), E2BIG);
	memset(&b, 0, sizeof b);
	CHECK_EQ(msgrcv(id, &b, 1, 0, IPC_NOWAIT | MSG_NOERROR), 1);
	CHECK_EQ(b.type, 3);
	CHECK_EQ(b.text[0], 'e');
	CHECK_EQ(b.text[1], 0);
	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.msg_qnum, 0);
	CHECK_EQ(ds.__msg_cbytes, 0);
	CHECK_EQ(ds.msg_lrpid, getpid());
	/* Bad arguments. */
	CHECK_ERRNO(snd(id, 0, "x", 0), EINVAL);
	CHECK_ERRNO(msgsnd(id, &b, 8193, 0), EINVAL);
	CHECK_ERRNO(msgsnd(id, NULL, 1, 0), EFAULT);
	CHECK_ERRNO(msgrcv(id, &b, (size_t)-1, 0, IPC_NOWAIT), EINVAL);
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
	CHECK_ERRNO(snd(id, 1, "x", 0), EINVAL);
	CHECK_ERRNO(msgctl(id, IPC_STAT, &ds), EINVAL);
}

TEST(msg_blocking)
{
	int id = CHECK_OK(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	char s[64];
	pid_t c = CHECK_OK(fork());
	if (c == 0) {
		char x[64];
		CCHECK(rcv(id, 7, 0, x) == 7);
		CCHECK(strcmp(x, "seven") == 0);
		CCHECK(snd(id, 8, "eight", 0) == 0);
		_exit(0);
	}
	CHECK_OK(snd(id, 6, "six", 0));
	usleep(10000);
	CHECK_OK(snd(id, 7, "seven", 0));
	WAIT_EXIT(c, 0);
	CHECK_EQ(rcv(id, 8, 0, s), 8);
	CHECK_EQ(rcv(id, 0, 0, s), 6);

	/* A full queue blocks senders until a receive makes room. */
	struct msqid_ds ds;
	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	ds.msg_qbytes = 20;
	CHECK_OK(msgctl(id, IPC_SET, &ds));
	CHECK_OK(snd(id, 1, "0123456789abcdef", 0)); /* 17 bytes */
	CHECK_ERRNO(snd(id, 1, "0123", IPC_NOWAIT), EAGAIN);
	c = CHECK_OK(fork());
	if (c == 0) {
		CCHECK(snd(id, 2, "0123", 0) == 0);
		_exit(0);
	}
	usleep(10000);
	CHECK_EQ(rcv(id, 1, 0, s), 1);
	WAIT_EXIT(c, 0);
	CHECK_EQ(rcv(id, 0, IPC_NOWAIT, s), 2);
	CHECK_STREQ(s, "0123");

	/* Removal wakes a blocked receiver with EIDRM. */
	c = CHECK_OK(fork());
	if (c == 0) {
		char x[64];
		CCHECK(rcv(id, 0, 0, x) == -1 && errno == EIDRM);
		_exit(0);
	}
	usleep(20000);
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
	WAIT_EXIT(c, 0);
}

static void on_alarm(int sig) { (void)sig; }

TEST(msg_signal)
{
	int id = CHECK_OK(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	CHECK_OK(sigaction(SIGALRM, &sa, NULL));
	alarm(1);
	char s[64];
	/* Never restarted after a handler (signal(7)). */
	CHECK_ERRNO(rcv(id, 0, 0, s), EINTR);
	signal(SIGALRM, SIG_DFL);
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
}

TEST(msg_keys_perms)
{
	const char *dir = tl_tmpdir();
	CHECK(dir);
	key_t key = ftok(dir, 'q');
	CHECK_ERRNO(msgget(key, 0600), ENOENT);
	int id = CHECK_OK(msgget(key, IPC_CREAT | IPC_EXCL | 0620));
	CHECK_ERRNO(msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	CHECK_EQ(msgget(key, 0), id);
	struct msqid_ds ds;
	CHECK_OK(msgctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.msg_perm.__key, key);
	CHECK_EQ(ds.msg_perm.mode & 0777, 0620);
	if (geteuid() == 0) {
		pid_t c = CHECK_OK(fork());
		if (c == 0) {
			CCHECK(setgroups(0, NULL) == 0);
			CCHECK(setresgid(65534, 65534, 65534) == 0);
			CCHECK(setresuid(65534, 65534, 65534) == 0);
			CCHECK(msgget(key, 0400) == -1 && errno == EACCES);
			CCHECK(snd(id, 1, "x", 0) == -1 && errno == EACCES);
			struct msqid_ds d;
			CCHECK(msgctl(id, IPC_STAT, &d) == -1 && errno == EACCES);
			CCHECK(msgctl(id, IPC_RMID, NULL) == -1 && errno == EPERM);
			_exit(0);
		}
		WAIT_EXIT(c, 0);
	}
	CHECK_OK(msgctl(id, IPC_RMID, NULL));
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, msg_types_and_order, msg_blocking, msg_signal, msg_keys_perms);
}
