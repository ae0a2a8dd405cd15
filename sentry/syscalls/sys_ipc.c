/* System V IPC syscalls: shm*, sem*, msg* (sentry/ipc does the work). */
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"

DEFINE_SYSCALL(shmget, R_INT, A_HEX, A_UINT, A_OCT) { return ipc_shmget(t, a); }
DEFINE_SYSCALL(shmat, R_HEX, A_INT, A_PTR, A_HEX) { return ipc_shmat(t, a); }
DEFINE_SYSCALL(shmdt, R_INT, A_PTR) { return ipc_shmdt(t, a); }
DEFINE_SYSCALL(shmctl, R_INT, A_INT, A_INT, A_PTR) { return ipc_shmctl(t, a); }

DEFINE_SYSCALL(semget, R_INT, A_HEX, A_INT, A_OCT) { return ipc_semget(t, a); }
DEFINE_SYSCALL(semop, R_INT, A_INT, A_PTR, A_UINT) { return ipc_semtimedop(t, a, false); }
DEFINE_SYSCALL(semtimedop, R_INT, A_INT, A_PTR, A_UINT, A_PTR)
{
	return ipc_semtimedop(t, a, true);
}
DEFINE_SYSCALL(semctl, R_INT, A_INT, A_INT, A_INT, A_HEX) { return ipc_semctl(t, a); }

DEFINE_SYSCALL(msgget, R_INT, A_HEX, A_OCT) { return ipc_msgget(t, a); }
DEFINE_SYSCALL(msgsnd, R_INT, A_INT, A_PTR, A_UINT, A_HEX) { return ipc_msgsnd(t, a); }
DEFINE_SYSCALL(msgrcv, R_INT, A_INT, A_PTR, A_UINT, A_INT, A_HEX) { return ipc_msgrcv(t, a); }
DEFINE_SYSCALL(msgctl, R_INT, A_INT, A_INT, A_PTR) { return ipc_msgctl(t, a); }
