/* proc_cost: CPU time and peak RSS of one command, for the shell benches.
 *
 *   proc_cost CMD [ARG...]   prints "CPU_SECONDS PEAK_KB" and exits with
 *                            the command's status (127: it could not start)
 *
 * CPU is the user + system time of the command (wait4's rusage, microsecond
 * fields), peak RSS its ru_maxrss in kB. GNU time's %U and %S print
 * hundredths of a second: `make bench` printed a one-sentence `scaispeak
 * synth` (12 ms measured here) as 0.0 ms, and espeak-ng's whole
 * 20-sentence run (~50-60 ms) carried +-10 ms.
 * The command's output goes to /dev/null.
 *
 * ru_maxrss keeps the larger of the command's own peak and the RSS of the
 * process it was spawned from (the kernel records the old address space's
 * peak at exec), so this program links nothing but libc (its own Makefile
 * rule) and spawns with posix_spawn: a launcher with the project's 52
 * libraries loaded, or a Python one, would add several MB to every figure. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: proc_cost CMD [ARG...]\n");
        return 2;
    }
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0 ||
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
        posix_spawn_file_actions_adddup2(&fa, 1, 2) != 0) {
        fprintf(stderr, "proc_cost: out of memory\n");
        return 2;
    }
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[1], &fa, NULL, argv + 1, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "proc_cost: cannot start %s\n", argv[1]);
        return 127;
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("proc_cost: wait4");
        return 2;
    }
    const double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
    printf("%.6f %ld\n", cpu, ru.ru_maxrss);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
