/* The cvisor command line: global flags and subcommand dispatch. */
#pragma once

int cli_main(int argc, char **argv);
