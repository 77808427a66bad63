/* provfs keygen: make an Ed25519 signing key pair. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "sign.h"
#include "util.h"

static void keygen_usage(FILE *out)
{
	fprintf(out,
		"usage: provfs keygen [--out PREFIX] [--store DIR] [--json]\n"
		"\n"
		"Creates an Ed25519 key pair: PREFIX.key (private, mode 0600) and\n"
		"PREFIX.pub (public, PEM).  Existing files are never overwritten.\n"
		"\n"
		"  -o, --out PREFIX  where to write (default: STORE/keys/provfs)\n"
		"      --store DIR   store whose keys/ directory is the default\n"
		"      --json        print {\"keyid\", \"private\", \"public\"} on stdout\n"
		"  -h, --help        show this help\n");
}

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "store", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *prefix = NULL, *store = NULL;
	char *default_prefix = NULL, *keys_dir = NULL;
	struct sign_key *key = NULL;
	int json = 0, c, ret, code = CLI_USAGE;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			prefix = optarg;
			break;
		case 's':
			store = optarg;
			break;
		case 'j':
			json = 1;
			cli_json_mode();
			break;
		case 'h':
			keygen_usage(stdout);
			return CLI_OK;
		default:
			return cli_bad_option("keygen");
		}
	}
	if (optind < argc)
		return cli_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
	if (!prefix) {
		keys_dir = path_join(cli_store_dir(store), "keys");
		default_prefix = keys_dir ? path_join(keys_dir, "provfs") : NULL;
		if (!default_prefix)
			return cli_fail(CLI_USAGE, "out of memory");
		ret = mkdir_p(keys_dir, 0700);
		if (ret) {
			code = cli_fail(CLI_USAGE, "cannot create key directory '%s': %s", keys_dir,
					strerror(-ret));
			goto out;
		}
		prefix = default_prefix;
	}
	ret = sign_key_generate(&key);
	if (ret) {
		code = cli_fail(CLI_USAGE, "cannot generate a key: %s", strerror(-ret));
		goto out;
	}
	ret = sign_key_save(key, prefix);
	if (ret == -EEXIST) {
		code = cli_fail(CLI_USAGE, "'%s.key' or '%s.pub' already exists; "
				"choose another --out or remove them", prefix, prefix);
		goto out;
	}
	if (ret) {
		code = cli_fail(CLI_USAGE, "cannot write key files '%s.key', '%s.pub': %s", prefix,
				prefix, strerror(-ret));
		goto out;
	}
	if (json) {
		char *priv = NULL, *pub = NULL;
		json_t *o = NULL;

		if (asprintf(&priv, "%s.key", prefix) >= 0 && asprintf(&pub, "%s.pub", prefix) >= 0)
			o = json_with_texts(json_pack("{ss}", "keyid", sign_key_id(key)), "private",
					    priv, "public", pub, NULL);
		free(priv);
		free(pub);
		if (cli_print_json_line(o) < 0) {
			json_decref(o);
			code = cli_fail(CLI_USAGE, "wrote the key files, but cannot print them as JSON: %s",
					strerror(ENOMEM));
			goto out;
		}
		json_decref(o);
	} else
		printf("wrote %s.key (private) and %s.pub (public)\nkeyid %s\n", prefix, prefix,
		       sign_key_id(key));
	code = CLI_OK;
out:
	sign_key_free(key);
	free(default_prefix);
	free(keys_dir);
	return code;
}
