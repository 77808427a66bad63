/*
 * provfs: one binary, git-style subcommands.  Each subcommand lives in its
 * own cmd_*.c and parses its own options with getopt_long.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_command commands[] = {
	{"mount", cmd_mount, "serve a directory through provfs, logging every access"},
	{"umount", cmd_umount, "unmount, flushing the access log and the store"},
	{"log", cmd_log, "summarise an access log: inputs, outputs, probes, processes"},
	{"store", cmd_store, "content-addressed store: snapshot, fsck, put, cat, path"},
	{"run", cmd_run, "run a command in a fresh provfs slave and sign a manifest"},
	{"env", cmd_env, "environments as code: import, build, ls, show"},
	{"demo", cmd_demo, "mount a sample project, build it, show its access log"},
	{ "keygen", cmd_keygen, "create an Ed25519 signing key pair" },
	{ "attest", cmd_attest, "turn an access log into a signed manifest" },
	{ "verify", cmd_verify, "check a manifest's signatures, subjects and objects" },
	{ "show", cmd_show, "summarise a manifest for a person" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: provfs [--version] [--help] <command> [<args>]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'provfs <command> --help' for a command's options.\n"
		     "Exit status: 0 ok, 1 a check failed, 2 usage or environment error.\n");
}

int main(int argc, char **argv)
{
	cli_hold_std_fds();
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("provfs %s\n", PROVFS_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name)) {
			/* getopt names the command in its messages: "provfs
			 * run: unrecognized option '--bogus'". */
			char name[64];

			snprintf(name, sizeof(name), "provfs %s", commands[i].name);
			argv[1] = name;
			cli_json_argv(argc - 1, argv + 1);
			return cli_json_end(commands[i].run(argc - 1, argv + 1));
		}
	}
	fprintf(stderr, "provfs: '%s' is not a provfs command; see 'provfs --help'\n", argv[1]);
	return CLI_USAGE;
}
