/* Crash reports for cvisor's own processes: a libunwind backtrace on stderr
 * and the debug log when the sentry (or gofer) itself crashes. */
#pragma once

/* Installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT on an
 * alternate stack: print "PROG: crashed: SIG at ADDR" and a backtrace, then
 * re-raise with the default action.  Call once per thread for the alternate
 * stack (crash_thread_init) and once per process (crash_install). */
void crash_install(void);
void crash_thread_init(void);
