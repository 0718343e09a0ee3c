/*
 * overhead-workload N
 *
 * Makes N system calls in a tight loop, alternately write(/dev/null, buf, 64)
 * and the raw getppid syscall (glibc cannot cache a raw syscall), and times the
 * loop with clock_gettime(CLOCK_MONOTONIC), which the vDSO serves without a
 * syscall. Prints one line to stdout:
 *
 *   calls=N ns_per_call=X.XXX start_ms=S end_ms=E
 *
 * start_ms / end_ms are CLOCK_REALTIME milliseconds (3 decimals) taken when
 * main() starts and just before exit; the benchmark runner uses them to measure
 * a tracer's start-up (launch -> start_ms) and drain (end_ms -> tracer exit).
 *
 * The result line is written with a single writev(2), not write(2), so that a
 * trace of this process holds exactly N write + getppid calls: N/2 of each
 * (for odd N, one more write than getppid).
 *
 * Build: cc -O2 -o overhead-workload overhead-workload.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static void realtime_ms(char *out, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, len, "%lld.%03ld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
		 (ts.tv_nsec / 1000) % 1000);
}

int main(int argc, char **argv)
{
	char start_ms[32], end_ms[32];
	realtime_ms(start_ms, sizeof start_ms);

	if (argc != 2) {
		fprintf(stderr, "usage: %s N\n", argv[0]);
		return 2;
	}
	char *endp;
	errno = 0;
	unsigned long long n = strtoull(argv[1], &endp, 10);
	if (errno || *endp || endp == argv[1] || argv[1][0] == '-') {
		fprintf(stderr, "%s: N must be a non-negative integer, got '%s'\n", argv[0], argv[1]);
		return 2;
	}

	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		perror("open /dev/null");
		return 1;
	}
	static char buf[64];
	memset(buf, 'x', sizeof buf);
	unsigned long long bad = 0;

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long long i = 0; i < n; i++) {
		if ((i & 1) == 0) {
			if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
				bad++;
		} else {
			if (syscall(SYS_getppid) < 0)
				bad++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
	if (bad) {
		fprintf(stderr, "%s: %llu of %llu calls failed\n", argv[0], bad, n);
		return 1;
	}

	char line[256];
	realtime_ms(end_ms, sizeof end_ms);
	int len = snprintf(line, sizeof line, "calls=%llu ns_per_call=%.3f start_ms=%s end_ms=%s\n", n,
			   n ? ns / (double)n : 0.0, start_ms, end_ms);
	struct iovec iov = { .iov_base = line, .iov_len = (size_t)len };
	if (writev(STDOUT_FILENO, &iov, 1) != len)
		return 1;
	return 0;
}
