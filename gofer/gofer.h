/* The gofer process: entered as `cvisor __gofer` by the front end.
 *
 * Command line (internal):
 *   cvisor __gofer --root=PATH --sock-fd=N [--debug] [--debug-log-fd=N]
 * It enters its own mount namespace, pivot_roots into a read-only recursive
 * copy of PATH, and serves gofer/proto.h on the unix socket N until the
 * peer closes it. */
#pragma once

int gofer_main(int argc, char **argv);
