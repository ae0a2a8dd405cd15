/* Signal names as `cvisor kill` accepts them: "9", "KILL", "SIGKILL",
 * "sigkill", "SIGRTMIN+3", "RTMAX-1". */
#pragma once

/* The signal number (1..64), or -1 when s names none. */
int signame_parse(const char *s);
