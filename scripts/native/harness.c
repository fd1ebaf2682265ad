/*
 * A stand-in for Node, to run a shipped prebuild of the addon on an
 * architecture this machine is not (test/prebuilds.test.ts cross-compiles it
 * with the same compiler as the addon and runs it under qemu-<arch>-static).
 *
 *   harness <addon.node> <empty scratch directory>
 *
 * It dlopen()s the addon file itself, exactly as shipped, registers it
 * through its real entry point (napi_register_module_v1), and calls each of
 * its six functions through this file's own small Node-API: the napi_*
 * functions the addon imports, defined here against node_api.h's own
 * declarations and exported (-rdynamic) for the dynamic linker to bind the
 * addon to. Values are plain C structs; strings are bytes. So it checks the
 * addon's C (byte order, word size, the target's syscalls, errno and flag
 * values the JavaScript side hard-codes) and its linking, not V8: the
 * property tests of test/native.test.ts hold the addon to the careful
 * JavaScript paths in a real Node, on the machine's own architecture.
 *
 * A napi_* function the addon starts to use that is not here fails the
 * dlopen, naming it: add it below. Prints one line per check, then a
 * summary; exits 0 when every check passed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <node_api.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the Node-API stand-in ---- */

struct napi_value__ {
  napi_valuetype type;
  double number;
  char *bytes; /* strings: their bytes, NUL-terminated for printing */
  size_t len;
  napi_callback cb; /* functions */
  const char *names[16]; /* objects */
  napi_value props[16];
  int nprops;
};

struct napi_env__ {
  void *data;
  napi_finalize finalize;
  void *hint;
  const char *thrown; /* "Error", "TypeError", "RangeError", or NULL */
  char message[256];
};

struct napi_callback_info__ {
  size_t argc;
  napi_value *argv;
};

static napi_value make(napi_valuetype type) {
  napi_value v = calloc(1, sizeof *v);
  if (!v) abort();
  v->type = type;
  return v;
}

static napi_value number(double n) {
  napi_value v = make(napi_number);
  v->number = n;
  return v;
}

static napi_value string(const char *s, size_t len) {
  napi_value v = make(napi_string);
  v->bytes = malloc(len + 1);
  if (!v->bytes) abort();
  memcpy(v->bytes, s, len);
  v->bytes[len] = 0;
  v->len = len;
  return v;
}

static napi_status throw_as(napi_env env, const char *kind, const char *msg) {
  env->thrown = kind;
  snprintf(env->message, sizeof env->message, "%s", msg ? msg : "");
  return napi_ok;
}

napi_status napi_create_int32(napi_env env, int32_t value, napi_value *result) {
  (void)env;
  *result = number(value);
  return napi_ok;
}

napi_status napi_create_string_utf8(napi_env env, const char *str, size_t length, napi_value *result) {
  (void)env;
  *result = string(str, length == NAPI_AUTO_LENGTH ? strlen(str) : length);
  return napi_ok;
}

napi_status napi_create_string_latin1(napi_env env, const char *str, size_t length, napi_value *result) {
  (void)env;
  *result = string(str, length == NAPI_AUTO_LENGTH ? strlen(str) : length);
  return napi_ok;
}

/* As Node: no buffer gives the length; else at most bufsize - 1 bytes, NUL-terminated. */
napi_status napi_get_value_string_utf8(napi_env env, napi_value value, char *buf, size_t bufsize, size_t *result) {
  (void)env;
  if (!value || value->type != napi_string) return napi_string_expected;
  if (!buf) {
    if (result) *result = value->len;
    return napi_ok;
  }
  if (bufsize == 0) {
    if (result) *result = 0;
    return napi_ok;
  }
  size_t n = value->len < bufsize - 1 ? value->len : bufsize - 1;
  memcpy(buf, value->bytes, n);
  buf[n] = 0;
  if (result) *result = n;
  return napi_ok;
}

napi_status napi_typeof(napi_env env, napi_value value, napi_valuetype *result) {
  (void)env;
  *result = value ? value->type : napi_undefined;
  return napi_ok;
}

napi_status napi_get_value_int32(napi_env env, napi_value value, int32_t *result) {
  (void)env;
  if (!value || value->type != napi_number) return napi_number_expected;
  *result = isfinite(value->number) ? (int32_t)(int64_t)value->number : 0;
  return napi_ok;
}

napi_status napi_get_value_int64(napi_env env, napi_value value, int64_t *result) {
  (void)env;
  if (!value || value->type != napi_number) return napi_number_expected;
  *result = isfinite(value->number) ? (int64_t)value->number : 0;
  return napi_ok;
}

napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv, napi_value *this_arg, void **data) {
  (void)env;
  if (argc) {
    for (size_t i = 0; i < *argc; i++) argv[i] = i < info->argc ? info->argv[i] : make(napi_undefined);
    *argc = info->argc;
  }
  if (this_arg) *this_arg = make(napi_undefined);
  if (data) *data = NULL;
  return napi_ok;
}

napi_status napi_create_function(napi_env env, const char *utf8name, size_t length, napi_callback cb, void *data, napi_value *result) {
  (void)env;
  (void)utf8name;
  (void)length;
  (void)data;
  *result = make(napi_function);
  (*result)->cb = cb;
  return napi_ok;
}

napi_status napi_set_named_property(napi_env env, napi_value object, const char *utf8name, napi_value value) {
  (void)env;
  if (!object || object->type != napi_object) return napi_object_expected;
  if (object->nprops == 16) return napi_generic_failure;
  object->names[object->nprops] = strdup(utf8name);
  object->props[object->nprops++] = value;
  return napi_ok;
}

napi_status napi_set_instance_data(napi_env env, void *data, napi_finalize finalize_cb, void *finalize_hint) {
  env->data = data;
  env->finalize = finalize_cb;
  env->hint = finalize_hint;
  return napi_ok;
}

napi_status napi_get_instance_data(napi_env env, void **data) {
  *data = env->data;
  return napi_ok;
}

napi_status napi_throw_error(napi_env env, const char *code, const char *msg) {
  (void)code;
  return throw_as(env, "Error", msg);
}

napi_status napi_throw_type_error(napi_env env, const char *code, const char *msg) {
  (void)code;
  return throw_as(env, "TypeError", msg);
}

napi_status napi_throw_range_error(napi_env env, const char *code, const char *msg) {
  (void)code;
  return throw_as(env, "RangeError", msg);
}

/* ---- calling the addon ---- */

static struct napi_env__ the_env;
static napi_value exports_obj;
static int failures, checks;

static napi_value fn_named(const char *name) {
  for (int i = 0; i < exports_obj->nprops; i++)
    if (!strcmp(exports_obj->names[i], name)) return exports_obj->props[i];
  return NULL;
}

/* Call exports[name](args...): its value, or NULL (a throw: the_env.thrown says what). */
static napi_value call(const char *name, size_t argc, napi_value *argv) {
  napi_value f = fn_named(name);
  if (!f || f->type != napi_function) {
    fprintf(stderr, "harness: the addon exports no function %s\n", name);
    exit(2);
  }
  struct napi_callback_info__ info = { argc, argv };
  the_env.thrown = NULL;
  return f->cb(&the_env, &info);
}

#define CALL(name, ...) call(name, sizeof((napi_value[]){ __VA_ARGS__ }) / sizeof(napi_value), (napi_value[]){ __VA_ARGS__ })

static void check(int ok, const char *what, const char *detail) {
  checks++;
  if (!ok) failures++;
  printf("%s %d - %s%s%s\n", ok ? "ok" : "not ok", checks, what, detail && *detail ? ": " : "", detail ? detail : "");
}

static void describe(napi_value v, char *out, size_t size) {
  if (the_env.thrown) snprintf(out, size, "threw %s(%s)", the_env.thrown, the_env.message);
  else if (!v) snprintf(out, size, "undefined");
  else if (v->type == napi_number) snprintf(out, size, "%g", v->number);
  else if (v->type == napi_string) snprintf(out, size, "a string of %zu bytes", v->len);
  else snprintf(out, size, "a value of type %d", (int)v->type);
}

static void expect_int(napi_value v, int want, const char *what) {
  char got[300];
  describe(v, got, sizeof got);
  check(!the_env.thrown && v && v->type == napi_number && v->number == want, what, got);
}

static void expect_bytes(napi_value v, const char *want, size_t len, const char *what) {
  char got[300];
  describe(v, got, sizeof got);
  check(!the_env.thrown && v && v->type == napi_string && v->len == len && !memcmp(v->bytes, want, len), what, got);
}

static void expect_throw(napi_value v, const char *kind, const char *what) {
  char got[300];
  describe(v, got, sizeof got);
  check(the_env.thrown && !strcmp(the_env.thrown, kind), what, got);
}

static char *path_in(const char *dir, const char *name) {
  char *p;
  if (asprintf(&p, "%s/%s", dir, name) < 0) abort();
  return p;
}

static void write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    perror(path);
    exit(2);
  }
}

static napi_value str(const char *s) { return string(s, strlen(s)); }

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: harness <addon.node> <empty scratch directory>\n");
    return 2;
  }
  const char *dir = argv[2];
  struct utsname u;
  uname(&u);
  const uint16_t one = 1;
  const char *order = *(const uint8_t *)&one ? "little-endian" : "big-endian";

  void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "harness: dlopen: %s\n", dlerror());
    return 1;
  }
  int32_t (*api_version)(void) = (int32_t(*)(void))dlsym(h, "node_api_module_get_api_version_v1");
  napi_value (*init)(napi_env, napi_value) = (napi_value(*)(napi_env, napi_value))dlsym(h, "napi_register_module_v1");
  check(init != NULL, "exports napi_register_module_v1", NULL);
  if (!init) return 1;
  exports_obj = make(napi_object);
  napi_value got = init(&the_env, exports_obj);
  check(got == exports_obj && !the_env.thrown, "registers", the_env.thrown ? the_env.message : NULL);
  static const char *const names[] = { "flock", "readItem", "keyPairs", "kill0", "removeTree", "listDir" };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    napi_value f = fn_named(names[i]);
    check(f && f->type == napi_function, names[i], "a function");
    if (!f) return 1;
  }

  /* The values src/store/fs/addon.ts hard-codes (LOCK, ERRNO, CODE), on this target. */
  check(LOCK_SH == 1 && LOCK_EX == 2 && LOCK_NB == 4 && LOCK_UN == 8, "LOCK_* are addon.ts's", NULL);
  check(EPERM == 1 && ESRCH == 3 && EWOULDBLOCK == 11 && ENOENT == 2 && EXDEV == 18, "errno values are addon.ts's", NULL);

  /* readItem */
  const char text[] = "{\"a\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\",\"b\":[1,2,{\"c\":null}]}\n";
  char *item = path_in(dir, "item.json");
  write_file(item, text, sizeof text - 1);
  expect_bytes(CALL("readItem", str(item), number(1 << 24)), text, sizeof text - 1, "readItem reads UTF-8 exactly");
  size_t big_n = 300000;
  char *big = malloc(big_n);
  for (size_t i = 0; i < big_n; i++) big[i] = (char)('a' + i % 26);
  char *bigf = path_in(dir, "big.json");
  write_file(bigf, big, big_n);
  expect_bytes(CALL("readItem", str(bigf), number(1 << 24)), big, big_n, "readItem grows its buffer");
  expect_int(CALL("readItem", str(bigf), number(1000)), -1001, "readItem: over max is -1001");
  const unsigned char bad[] = { 0x7b, 0xff, 0x7d };
  char *badf = path_in(dir, "bad.json");
  write_file(badf, bad, sizeof bad);
  expect_int(CALL("readItem", str(badf), number(1 << 24)), -1002, "readItem: not UTF-8 is -1002");
  const unsigned char surrogate[] = { '"', 0xed, 0xa0, 0x80, '"' };
  write_file(badf, surrogate, sizeof surrogate);
  expect_int(CALL("readItem", str(badf), number(1 << 24)), -1002, "readItem: a UTF-8 surrogate is -1002");
  char deep[1101];
  memset(deep, '[', sizeof deep);
  char *deepf = path_in(dir, "deep.json");
  write_file(deepf, deep, sizeof deep);
  expect_int(CALL("readItem", str(deepf), number(1 << 24)), -1003, "readItem: nesting past 1000 is -1003");
  expect_int(CALL("readItem", str(dir), number(1 << 24)), -1000, "readItem: a directory is -1000");
  char *missing = path_in(dir, "missing.json");
  expect_int(CALL("readItem", str(missing), number(10)), -ENOENT, "readItem: -ENOENT");
  char *notdir = path_in(item, "x");
  expect_int(CALL("readItem", str(notdir), number(10)), -ENOTDIR, "readItem: -ENOTDIR");
  char *link = path_in(dir, "link.json");
  if (symlink(item, link) != 0) perror("symlink");
  expect_int(CALL("readItem", str(link), number(10)), -ELOOP, "readItem follows no symlink: -ELOOP");
  char nul_path[] = "/etc/hostname\0/x";
  expect_int(CALL("readItem", string(nul_path, sizeof nul_path - 1), number(10)), -1005, "readItem: a NUL byte in the path is -1005");
  char long_path[5001];
  memset(long_path, 'x', sizeof long_path);
  long_path[0] = '/';
  expect_int(CALL("readItem", string(long_path, sizeof long_path), number(10)), -1005, "readItem: past PATH_MAX is -1005");
  expect_throw(CALL("readItem", number(1), number(10)), "TypeError", "readItem(1, 10) throws a TypeError");

  /* keyPairs */
  const char config[] = "{\"_\":{\"annotations\":{\"io.kubernetes.cri.sandbox-name\" :\t\"web\",\"x\":\"\\\"io.kubernetes.cri.sandbox-uid\\\":\\\"no\\\"\","
                        "\"io.kubernetes.cri.sandbox-namespace\":\"d\\\"b\"}},\"pad\":\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"}\n\t ";
  char *cfg = path_in(dir, "config.json");
  write_file(cfg, config, sizeof config - 1);
  const char pairs[] = "}\"io.kubernetes.cri.sandbox-name\":\"web\"\n\"io.kubernetes.cri.sandbox-namespace\":\"d\\\"b\"\n";
  expect_bytes(CALL("keyPairs", str(cfg), number(1 << 24), str("io.kubernetes.")), pairs, sizeof pairs - 1, "keyPairs finds the members as written");
  write_file(cfg, "[1", 2);
  expect_bytes(CALL("keyPairs", str(cfg), number(1 << 24), str("io.kubernetes.")), "-", 1, "keyPairs: no object, no members");
  expect_int(CALL("keyPairs", str(missing), number(10), str("io.")), -ENOENT, "keyPairs: -ENOENT");

  /* flock: two open file descriptions of one file conflict, as two processes' would */
  int fd1 = open(item, O_RDONLY | O_CLOEXEC), fd2 = open(item, O_RDONLY | O_CLOEXEC);
  expect_int(CALL("flock", number(fd1), number(LOCK_EX | LOCK_NB)), 0, "flock LOCK_EX|LOCK_NB");
  expect_int(CALL("flock", number(fd2), number(LOCK_SH | LOCK_NB)), EWOULDBLOCK, "flock: a held lock is EWOULDBLOCK");
  expect_int(CALL("flock", number(fd1), number(LOCK_UN)), 0, "flock LOCK_UN");
  expect_int(CALL("flock", number(fd2), number(LOCK_SH | LOCK_NB)), 0, "flock LOCK_SH|LOCK_NB once free");
  expect_int(CALL("flock", number(9999), number(LOCK_EX | LOCK_NB)), EBADF, "flock on no descriptor: EBADF");
  expect_throw(CALL("flock", number(fd1), number(LOCK_EX)), "RangeError", "a blocking flock throws a RangeError");
  close(fd1);
  close(fd2);

  /* kill0 */
  expect_int(CALL("kill0", number(getpid())), 0, "kill0(own pid)");
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, NULL, 0);
  expect_int(CALL("kill0", number(child)), ESRCH, "kill0(a reaped child): ESRCH");
  expect_throw(CALL("kill0", number(0)), "TypeError", "kill0(0) throws a TypeError");

  /* listDir */
  char *ld = path_in(dir, "list");
  char *sub = path_in(ld, "sub"), *file = path_in(ld, "file"), *lnk = path_in(ld, "lnk"), *fifo = path_in(ld, "fifo");
  mkdir(ld, 0700);
  mkdir(sub, 0700);
  write_file(file, "x", 1);
  if (symlink("/nonexistent", lnk) != 0) perror("symlink");
  if (mkfifo(fifo, 0600) != 0) perror("mkfifo");
  napi_value l = CALL("listDir", str(ld));
  int seen = 0;
  if (l && l->type == napi_string)
    for (size_t i = 0; i < l->len; i += strlen(l->bytes + i) + 1) {
      const char *e = l->bytes + i;
      if (!strcmp(e, "dsub") || !strcmp(e, "usub")) seen |= 1;
      else if (!strcmp(e, "ffile") || !strcmp(e, "ufile")) seen |= 2;
      else if (!strcmp(e, "llnk") || !strcmp(e, "ulnk")) seen |= 4;
      else if (!strcmp(e, "ofifo") || !strcmp(e, "ufifo")) seen |= 8;
      else seen |= 16;
    }
  char detail[300];
  describe(l, detail, sizeof detail);
  check(seen == 15, "listDir gives each entry its kind", detail);
  expect_int(CALL("listDir", str(missing)), -ENOENT, "listDir: -ENOENT");

  /* removeTree: openat2(RESOLVE_NO_XDEV). qemu-user before 9.0 does not
   * emulate openat2: then -ENOSYS, on which the caller walks the careful way. */
  char *top = path_in(dir, "tree");
  char *a = path_in(top, "a"), *b = path_in(a, "b");
  mkdir(top, 0700);
  mkdir(a, 0700);
  mkdir(b, 0700);
  write_file(path_in(b, "f"), "x", 1);
  if (symlink("/etc", path_in(a, "etc")) != 0) perror("symlink");
  napi_value r = CALL("removeTree", str(top));
  struct stat st;
  int openat2 = !(r && r->type == napi_number && r->number == -ENOSYS);
  if (openat2) {
    expect_int(r, 0, "removeTree deletes a tree");
    check(lstat(top, &st) != 0 && errno == ENOENT, "removeTree: the tree is gone", NULL);
  } else
    check(lstat(b, &st) == 0, "removeTree: openat2 not available here, -ENOSYS (the careful walk's cue), nothing deleted", NULL);
  check(lstat("/etc/hostname", &st) == 0 || lstat("/etc/passwd", &st) == 0, "nothing behind a symlink was touched", NULL);
  char *slash = path_in(dir, "");
  expect_int(CALL("removeTree", str(slash)), -EINVAL, "removeTree: a path ending in / is -EINVAL");

  /* The environment ends: the addon's finalizer frees its read buffer. */
  if (the_env.finalize) the_env.finalize(&the_env, the_env.data, the_env.hint);

  printf("harness: %s %s, Node-API %d, openat2 %s: %d of %d checks passed\n", u.machine, order, api_version ? api_version() : -1,
         openat2 ? "yes" : "no (ENOSYS)", checks - failures, checks);
  return failures ? 1 : 0;
}
