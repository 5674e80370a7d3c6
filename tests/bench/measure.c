/* measure.c - run a command, print "WALL_SECONDS CPU_SECONDS MAXRSS_KB".
 * Peak memory is measured from this small parent: a child of Python or of
 * a shell would start with their resident size as its high-water mark.
 * The command's output goes to measure.out in the current folder, or to
 * the file MEASURE_OUT names (/dev/null: a copy to a regular file may be
 * done in the kernel, which would flatter cat). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int
main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int st;
	pid_t pid;

	(void)argc;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((pid = fork()) == 0) {
		const char *out = getenv("MEASURE_OUT");
		int fd = open(out ? out : "measure.out",
			O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &st, 0, &ru) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f %.3f %ld\n", (double)(b.tv_sec - a.tv_sec) +
		(double)(b.tv_nsec - a.tv_nsec) / 1e9,
		(double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		(double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
		ru.ru_maxrss);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
