/* POSIX message queue syscalls (sentry/ipc/mqueue.c does the work). */
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"

DEFINE_SYSCALL(mq_open, R_INT, A_STR, A_HEX, A_OCT, A_PTR) { return ipc_mq_open(t, a); }
DEFINE_SYSCALL(mq_unlink, R_INT, A_STR) { return ipc_mq_unlink(t, a); }
DEFINE_SYSCALL(mq_timedsend, R_INT, A_FD, A_BUFIN, A_UINT, A_UINT, A_PTR)
{
	return ipc_mq_timedsend(t, a);
}
DEFINE_SYSCALL(mq_timedreceive, R_INT, A_FD, A_PTR, A_UINT, A_PTR, A_PTR)
{
	return ipc_mq_timedreceive(t, a);
}
/* SIGEV_THREAD is refused with EINVAL (docs/ipc.md). */
DEFINE_SYSCALL_SUP(mq_notify, SUP_PARTIAL, R_INT, A_FD, A_PTR) { return ipc_mq_notify(t, a); }
DEFINE_SYSCALL(mq_getsetattr, R_INT, A_FD, A_PTR, A_PTR) { return ipc_mq_getsetattr(t, a); }
