/* The gofer process: entered as `cvisor __gofer` by the front end.
 *
 * Command line (internal):
 *   cvisor __gofer --root=PATH --sock-fd=N [--root-rw] [--export=DIR[:ro]]...
 *                  [--debug] [--debug-log-fd=N]
 * It enters its own mount namespace, pivot_roots into a recursive copy of
 * PATH (read-only unless --root-rw), and serves gofer/proto.h on the unix
 * socket N until the peer closes it.  PATH is export 0; each --export adds
 * the next export (1, 2, ...): a detached copy of host directory DIR,
 * writable unless ":ro", opened before the pivot_root.  Runs with umask 0:
 * modes arrive with the application's umask applied. */
#pragma once

int gofer_main(int argc, char **argv);
