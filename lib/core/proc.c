/* Telling processes apart: start times, liveness, the host name. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "core.h"

/* What tells process pid apart from a later one with the same pid: its
 * start time in clock ticks since boot (field 22 of /proc/PID/stat) and
 * the boot's id. 0, or -1 when there is no such process to read. */
int
mlp_proc_start(pid_t pid, char *out, size_t n)
{
	char path[64], buf[1024], boot[64] = "";
	unsigned long long ticks;
	const char *p;
	FILE *fp;
	size_t len;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(fp = fopen(path, "r")))
		return -1;
	len = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	/* the command name (field 2) may hold spaces and parentheses: count
	 * from the last ')' */
	if (!(p = strrchr(buf, ')')))
		return -1;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return -1;
	if ((fp = fopen("/proc/sys/kernel/random/boot_id", "r"))) {
		if (fgets(boot, sizeof(boot), fp))
			boot[strcspn(boot, "\n")] = '\0';
		fclose(fp);
	}
	snprintf(out, n, "%llu%s%s", ticks, boot[0] ? " " : "", boot);
	return 0;
}

int
mlp_hostname(char *out, size_t n)
{
	if (gethostname(out, n) < 0)
		return -1;
	out[n - 1] = '\0';
	return 0;
}

/* Whether the process recorded as pid with start time start lives. When
 * /proc does not show it, kill(pid, 0) still tells a process of another
 * user (hidden by hidepid) from none: such a one is taken as alive. */
int
mlp_proc_alive(const char *pid_s, const char *start)
{
	char now[128], *end;
	long pid;

	errno = 0;
	pid = strtol(pid_s, &end, 10);
	if (errno || *end || pid <= 0 || pid > 0x7fffffffL)
		return 1;	/* not ours to judge */
	if (mlp_proc_start((pid_t)pid, now, sizeof(now)) == 0)
		return strcmp(now, start) == 0;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}
