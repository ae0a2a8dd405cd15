/* The OCI subcommands' one error path: stderr plus the --log file callers like containerd read. */
#pragma once

struct cli_opts;

/* Prints "cvisor: MSG" on stderr and, when --log is set, appends one line
 * to the log file: with --log-format json
 * {"level":"error","msg":"MSG","time":"2006-01-02T15:04:05Z"} (containerd
 * shows the msg of the last such line as "OCI runtime create failed: MSG"),
 * with text `time="..." level=error msg="MSG"` as runc's text logs.  MSG is
 * one line without a trailing newline.  o may be NULL (stderr only). */
void oci_error(const struct cli_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reports that container id could not be opened (err: what state_open or
 * state_read returned, -ENOENT: "container ID does not exist") and returns
 * 1, the subcommand's exit code. */
int oci_error_open(const struct cli_opts *o, const char *id, int err);
/* The current time as RFC 3339 in UTC, with nanoseconds when nano (as Go's
 * RFC3339Nano: trailing zeros of the fraction dropped). */
void oci_time_now(char *buf, unsigned long len, int nano);
