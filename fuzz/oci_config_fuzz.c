/* libFuzzer target: config.json parsing must survive any bytes, with one error line or a sane config. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* runsc-compat/ as a folder needs the whole sentry; the parser alone is
 * these four files, built in here instead (fuzz/oci_config_fuzz.deps is
 * empty on purpose). */
#include "runsc-compat/oci_config.c"
#include "runsc-compat/oci_json.c"
#include "runsc-compat/oci_names.c"
#include "runsc-compat/oci_process.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_config c;
	char err[256];
	err[0] = 0;
	if (oci_config_parse((const char *)data, size, "/bundle", &c, err, sizeof err)) {
		/* Exactly one line naming the file. */
		if (strncmp(err, "config.json: ", 13) || strchr(err, '\n'))
			__builtin_trap();
		return 0;
	}
	if (!c.root_path || c.root_path[0] != '/' || !c.masked_paths || !c.readonly_paths)
		__builtin_trap();
	if (c.has_process && (!c.process.args[0] || c.process.cwd[0] != '/'))
		__builtin_trap();
	for (size_t i = 0; i < c.n_mounts; i++)
		if (c.mounts[i].destination[0] != '/' || !c.mounts[i].type ||
		    (c.mounts[i].bind && (!c.mounts[i].source || c.mounts[i].source[0] != '/')))
			__builtin_trap();
	oci_config_free(&c);
	return 0;
}
