// Start-up time of executables, interleaved: posix_spawn with stdin from a file, wait, repeat.
// Each EXE may carry arguments separated by spaces: "audit-append /tmp/log 1".
// cc -O2 -o startup-bench startup-bench.c; ./startup-bench RUNS INPUT EXE...
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
extern char **environ;
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }
int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s RUNS INPUT EXE...\n", argv[0]); return 64; }
    int runs = atoi(argv[1]), n = argc - 3;
    double *t = calloc((size_t)runs * n, sizeof(double)), *c = calloc((size_t)runs * n, sizeof(double));
    for (int r = -50; r < runs; r++) {  // 50 warm-up rounds
        for (int e = 0; e < n; e++) {
            posix_spawn_file_actions_t fa;
            posix_spawn_file_actions_init(&fa);
            posix_spawn_file_actions_addopen(&fa, 0, argv[2], O_RDONLY, 0);
            posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
            char line[1024], *args[16];
            int na = 0;
            snprintf(line, sizeof line, "%s", argv[3 + e]);
            for (char *tok = strtok(line, " "); tok && na < 15; tok = strtok(NULL, " ")) args[na++] = tok;
            args[na] = NULL;
            struct timespec a, b;
            pid_t pid;
            clock_gettime(CLOCK_MONOTONIC, &a);
            if (posix_spawn(&pid, args[0], &fa, NULL, args, environ) != 0) { perror("spawn"); return 1; }
            int status;
            struct rusage ru;
            wait4(pid, &status, 0, &ru);
            clock_gettime(CLOCK_MONOTONIC, &b);
            posix_spawn_file_actions_destroy(&fa);
            if (r >= 0) c[e * runs + r] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
            if (r >= 0) t[e * runs + r] = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
        }
    }
    for (int e = 0; e < n; e++) {
        double *s = t + e * runs;
        qsort(s, runs, sizeof(double), cmp);
        double *u = c + e * runs;
        qsort(u, runs, sizeof(double), cmp);
        printf("%-46s runs %d  wall p50 %.3f ms  p90 %.3f ms  min %.3f ms | cpu (user+sys) p50 %.3f ms  min %.3f ms\n", argv[3 + e], runs,
               s[runs / 2], s[runs * 90 / 100], s[0], u[runs / 2], u[0]);
    }
    return 0;
}
