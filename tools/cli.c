#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("provfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("provfs: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "provfs %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'provfs %s --help'.\n", cmd);
	return CLI_USAGE;
}

const char *cli_store_dir(const char *opt)
{
	const char *env = getenv("PROVFS_STORE");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return CLI_DEFAULT_STORE;
}
