/*
 * Runs the fuzz target over files given on the command line, without
 * libFuzzer: the seed corpus (and any crash reproducer) becomes an ordinary
 * test in every build, including the ASan+UBSan one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize(&argc, &argv))
		return 1;
	for (int i = 1; i < argc; i++) {
		char *buf;
		size_t len;

		if (file_read_all(argv[i], (size_t)1 << 26, &buf, &len)) {
			fprintf(stderr, "replay: cannot read '%s'\n", argv[i]);
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
		free(buf);
		printf("ok %d - %s\n", i, argv[i]);
	}
	printf("1..%d\n", argc - 1);
	return 0;
}
