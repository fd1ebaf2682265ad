/*
 * The minimum work a listing needs, in C, as the yardstick for `vcstore ls
 * --json` (npm run bench compiles it with cc): readdir the run root; per
 * sandbox flock(LOCK_SH|LOCK_NB) its lock, read state.json and
 * hypervisor.json, the qemu pid file (or agent.json's ProxyPid), kill(pid, 0)
 * every pid, readdir the sandbox dir; per container read state.json and
 * process.json and kill(pid, 0) its pid. It prints the number of sandboxes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static char buf[1 << 20];

static long slurp(const char *path) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  long n = 0, r;
  while (n < (long)sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
  close(fd);
  buf[n] = 0;
  return n;
}

/* The integer after "key": in buf, or 0. */
static long field(const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\":", key);
  char *p = strstr(buf, pat);
  return p ? strtol(p + strlen(pat), NULL, 10) : 0;
}

static void probe(long pid) {
  if (pid > 0) kill((pid_t)pid, 0);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  char run[4096], vm[4096], path[4096];
  snprintf(run, sizeof run, "%s/run/vc/sbs", argv[1]);
  snprintf(vm, sizeof vm, "%s/run/vc/vm", argv[1]);
  DIR *root = opendir(run);
  if (!root) return 1;
  long count = 0;
  struct dirent *e;
  while ((e = readdir(root))) {
    if (e->d_name[0] == '.') continue;
    count++;
    const char *sid = e->d_name;
    snprintf(path, sizeof path, "%s/%s/lock", run, sid);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      if (flock(fd, LOCK_SH | LOCK_NB) == 0) flock(fd, LOCK_UN);
      close(fd);
    }
    snprintf(path, sizeof path, "%s/%s/state.json", run, sid);
    slurp(path);
    snprintf(path, sizeof path, "%s/%s/hypervisor.json", run, sid);
    long pid = 0;
    if (slurp(path) > 0) pid = field("PID");
    if (pid <= 0) { /* qemu: the VM dir's pid file, else the built-in proxy's ProxyPid */
      snprintf(path, sizeof path, "%s/%s/pid", vm, sid);
      if (slurp(path) > 0) pid = strtol(buf, NULL, 10);
      else {
        snprintf(path, sizeof path, "%s/%s/agent.json", run, sid);
        if (slurp(path) > 0) pid = field("ProxyPid");
      }
    }
    probe(pid);
    snprintf(path, sizeof path, "%s/%s", run, sid);
    DIR *sb = opendir(path);
    if (!sb) continue;
    struct dirent *c;
    while ((c = readdir(sb))) {
      if (c->d_name[0] == '.' || c->d_type != DT_DIR || strcmp(c->d_name, "raw") == 0) continue;
      snprintf(path, sizeof path, "%s/%s/%s/state.json", run, sid, c->d_name);
      slurp(path);
      snprintf(path, sizeof path, "%s/%s/%s/process.json", run, sid, c->d_name);
      if (slurp(path) > 0) probe(field("Pid"));
    }
    closedir(sb);
  }
  closedir(root);
  printf("%ld\n", count);
  return 0;
}
