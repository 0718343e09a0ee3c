/*
 * capture-workload N FILE
 *
 * The string-capture workload: N rounds of openat(FILE) / fstat / read / close of a small
 * file, each round 4 calls, timed with clock_gettime(CLOCK_MONOTONIC) (vDSO, no syscall).
 * Prints: calls=4N ns_per_call=X.XXX
 *
 * Build: cc -O2 -o capture-workload capture-workload.c
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s N FILE\n", argv[0]);
		return 2;
	}
	long n = atol(argv[1]);
	char buf[256];
	struct stat st;
	double start = now_ns();
	for (long i = 0; i < n; i++) {
		long fd = syscall(SYS_openat, AT_FDCWD, argv[2], O_RDONLY);
		if (fd < 0) {
			perror(argv[2]);
			return 1;
		}
		syscall(SYS_fstat, fd, &st);
		syscall(SYS_read, fd, buf, sizeof(buf));
		syscall(SYS_close, fd);
	}
	double end = now_ns();
	printf("calls=%ld ns_per_call=%.3f\n", 4 * n, (end - start) / (4.0 * n));
	return 0;
}
