/*
 * time_log_summary: prints how long alog_summary_load() (fs/ reading an
 * access log) takes on LOG, in milliseconds, so the manifest benchmark can
 * tell the log reduction apart from what attest itself does.
 *
 *   time_log_summary LOG
 */
#include <stdio.h>
#include <string.h>

#include "accesslog.h"

int main(int argc, char **argv)
{
	struct alog_summary sum;
	int64_t t0;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: time_log_summary LOG\n");
		return 2;
	}
	t0 = time_now_ns();
	ret = alog_summary_load(argv[1], &sum);
	if (ret) {
		fprintf(stderr, "time_log_summary: cannot load '%s': %s\n", argv[1], strerror(-ret));
		return 1;
	}
	printf("%.1f\n", (double)(time_now_ns() - t0) / 1e6);
	alog_summary_free(&sum);
	return 0;
}
