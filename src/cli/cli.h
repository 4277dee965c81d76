/* cli.h - what the subcommands of the ebench tool share. */
#ifndef EB_CLI_H
#define EB_CLI_H

#include "ebench.h"

/* Exit codes of the tool itself (ebench run otherwise exits with CMD's). */
#define EB_EXIT_FAIL 1
#define EB_EXIT_USAGE 2

int eb_cmd_info(int argc, char **argv);
int eb_cmd_run(int argc, char **argv);
int eb_cmd_report(int argc, char **argv);
int eb_cmd_compare(int argc, char **argv);
int eb_cmd_monitor(int argc, char **argv);
int eb_cmd_plot(int argc, char **argv);
int eb_cmd_export(int argc, char **argv);
int eb_cmd_merge(int argc, char **argv);

/* Parse a number (a whole number) within [min, max]; print an error naming
 * the option and return -1 on bad input. */
int eb_cli_number(const char *opt, const char *text, double min, double max, double *out);
int eb_cli_count(const char *opt, const char *text, long min, long max, long *out);
/* Checks the form of a --gpus value ("all", or NVML indices and GPU-/MIG-
 * UUIDs separated by commas). Prints an error and returns -1 if it is bad. */
int eb_cli_check_gpus(const char *value);
/* --cpu-idle no higher than --cpu-tdp (or its default); -1 with the message. */
int eb_cli_check_cpu_model(const eb_config *cfg);
/* After getopt: 0 if no operands are left, else the error and usage go to
 * stderr and the usage exit code is returned. */
int eb_cli_no_operands(const char *cmd, int argc, char **argv, const char *usage);
/* After eb_open: -1 (error printed) if --gpus named a GPU that is not there. */
int eb_cli_gpus_found(eb_bench *b, const char *value);
/* eb_open, then that check: 0, or the exit code with the error printed. */
int eb_cli_open(const eb_config *cfg, eb_bench **b);

/* Expands %j (job id), %n (node), %r (rank), %p (pid), %% in an output path.
 * Returns 0, or -1 with an error printed. */
int eb_cli_expand_path(const char *opt, const char *pattern, char *out, size_t len);

#endif
