/*
 * The Node-API addon of vcstore (ABI-stable across Node majors), for what
 * Node cannot do, or cannot do without a call per syscall:
 *   flock(fd, op)        non-blocking flock(2) only: a blocking wait would
 *                        stall the event loop and signal handling, so waits
 *                        go through flock(1). Returns 0 or the errno value.
 *   readItem(path, max)  one store item: open(O_NOFOLLOW|O_NONBLOCK), statx,
 *                        read, close, UTF-8 check, in one call. Returns the
 *                        text, or a negative number: -errno, -1000 not a
 *                        regular file, -1001 over max bytes, -1002 not UTF-8,
 *                        -1003 [ and { nested deeper than 1000 (outside strings).
 *                        -1005 a path with a NUL byte or longer than PATH_MAX.
 *                        The caller redoes anything but success and ENOENT
 *                        the careful way, for its exact message.
 *   keyPairs(path, max, prefix)
 *                        read an item as readItem does (less the nesting
 *                        check, and only the members' UTF-8) and return only what a listing needs of a
 *                        big one: '}' or '-' (does the text end an object,
 *                        after white space?), then every `"<prefix>...": "..."`
 *                        member found the way textLookup (layouts/pod.ts)
 *                        finds them, one `"key":"value"` a line, as written.
 *                        The text itself never becomes a JavaScript string.
 *                        -1006: more than 64 KiB of members (read it whole).
 *   kill0(pid)           kill(pid, 0): 0 or the errno value, no exception.
 *   removeTree(path)     delete a directory tree with openat2/unlinkat, never
 *                        entering another mount (RESOLVE_NO_XDEV: bind
 *                        mounts of the same file system too, whenever they
 *                        were made): 0, or -errno (-EXDEV: a mount was met;
 *                        the caller then stops and says so).
 *   listDir(path)        a directory's entries as one string, each a type
 *                        letter (d dir, l link, f file, o other, u unknown)
 *                        and the name, NUL-terminated; or -errno.
 */
/*
 * Portability: the same source is built for linux-x64, -arm64, -s390x and
 * -ppc64 (ppc64le) glibc by scripts/native/prebuilds.mjs, and must load on
 * every glibc Node 20 runs on (2.28 and later). So no call whose symbol
 * version is newer than GLIBC_2.28: fstat and fstatat became symbols of
 * their own only in 2.33 (before, inline wrappers of __fxstat), so sizes and
 * types come from statx (GLIBC_2.28; Linux 4.11, which glibc emulates when
 * the kernel is older). test/prebuilds.test.ts checks the symbol versions.
 * Byte order and word size do not matter to anything below (s390x is
 * big-endian); errno, LOCK_* and DT_* values are the same on all four.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <node_api.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static napi_value int_result(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

/* A path that the careful JavaScript twin must judge: a NUL byte inside it
 * (Node's fs rejects those; C would silently cut the path there), or too long
 * for PATH_MAX (the kernel says ENAMETOOLONG, the twin says "path too long"). */
#define BAD_PATH (-1005)

/* A string argument into buf: 1, BAD_PATH (see above), or 0 with a TypeError thrown. */
static int string_path(napi_env env, napi_value v, char *buf, size_t size, const char *usage) {
  size_t len = 0, full = 0;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string || napi_get_value_string_utf8(env, v, NULL, 0, &full) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  if (full >= size) return BAD_PATH;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  if (strlen(buf) != len) return BAD_PATH;
  return 1;
}

/* The path given as the only argument, into buf: 1, BAD_PATH, or 0 (a TypeError thrown). */
static int path_arg(napi_env env, napi_callback_info info, char *buf, size_t size, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return string_path(env, argv[0], buf, size, usage);
}

static napi_value do_flock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1, op = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &op) != napi_ok) {
    napi_throw_type_error(env, NULL, "flock(fd, op): two integers");
    return NULL;
  }
  if (!(op & LOCK_NB) && !(op & LOCK_UN)) {
    napi_throw_range_error(env, NULL, "flock: only LOCK_NB or LOCK_UN operations");
    return NULL;
  }
  int r;
  do {
    r = flock(fd, op);
  } while (r == -1 && errno == EINTR);
  return int_result(env, r == 0 ? 0 : errno);
}

/* Strict UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF), as TextDecoder's fatal mode. */
static int valid_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) { i++; continue; }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return 0;
    if (i + len > n) return 0;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
    i += len;
  }
  return 1;
}

/* Deeper [ / { nesting than `max`, skipping strings: what JSON.parse would recurse into. */
static int too_deep(const unsigned char *s, size_t n, int max) {
  int depth = 0, in_string = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (in_string) {
      if (c == '\\') i++;
      else if (c == '"') in_string = 0;
    } else if (c == '"') in_string = 1;
    else if (c == '[' || c == '{') {
      if (++depth > max) return 1;
    } else if (c == ']' || c == '}') depth--;
  }
  return 0;
}

/* One read buffer per Node environment (the main thread, each worker),
 * grown as needed and kept: a malloc per item left glibc's per-thread arenas
 * holding tens of MiB after a check. Freed when its environment ends. */
typedef struct {
  unsigned char *buf;
  size_t cap;
  /* keyPairs' answer (PAIRS_MAX bytes), made on first use. */
  char *pairs;
} read_buf;

static void free_read_buf(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  read_buf *b = data;
  free(b->buf);
  free(b->pairs);
  free(b);
}

static read_buf *buffer_of(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok) return NULL;
  return data;
}

static int grow(read_buf *rb, size_t need) {
  if (need <= rb->cap) return 1;
  size_t cap = rb->cap ? rb->cap : 65536;
  while (cap < need) cap *= 2;
  unsigned char *b = realloc(rb->buf, cap);
  if (!b) return 0;
  rb->buf = b;
  rb->cap = cap;
  return 1;
}

/* Read a regular file (no symlink, no blocking open) of at most max bytes
 * into this thread's buffer (valid until the next read): 0, or a negative code. */
static int read_file(read_buf *rb, const char *path, int64_t max, unsigned char **out, size_t *out_n) {
  if (!rb) return -ENOMEM;
  int fd;
  do {
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
  struct statx st;
  if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, &st) != 0) { int e = errno; close(fd); return -e; }
  if (!S_ISREG(st.stx_mode)) { close(fd); return -1000; }
  if (st.stx_size > (uint64_t)max) { close(fd); return -1001; }
  /* The runtime may be writing it: read up to max + 1 bytes, whatever statx said. */
  size_t n = 0;
  if (!grow(rb, (size_t)st.stx_size + 1)) { close(fd); return -ENOMEM; }
  for (;;) {
    if (n == rb->cap) {
      if (rb->cap > (size_t)max) break;
      if (!grow(rb, rb->cap * 2 > (size_t)max + 1 ? (size_t)max + 1 : rb->cap * 2)) { close(fd); return -ENOMEM; }
    }
    ssize_t r = read(fd, rb->buf + n, rb->cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { int e = errno; close(fd); return -e; }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  if (n > (size_t)max) return -1001;
  *out = rb->buf;
  *out_n = n;
  return 0;
}

/* (path, maxBytes) arguments into buf and *max: 1, BAD_PATH, or 0 (a TypeError thrown). */
static int path_max_args(napi_env env, napi_callback_info info, char *buf, size_t size, int64_t *max, const char *usage) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int64(env, argv[1], max) != napi_ok || *max < 0) {
    napi_throw_type_error(env, NULL, usage);
    return 0;
  }
  return string_path(env, argv[0], buf, size, usage);
}

static napi_value read_item(napi_env env, napi_callback_info info) {
  char path[4096];
  int64_t max = 0;
  int ok = path_max_args(env, info, path, sizeof path, &max, "readItem(path, maxBytes)");
  if (ok != 1) return ok == 0 ? NULL : int_result(env, ok);
  unsigned char *buf = NULL;
  size_t n = 0;
  int rc = read_file(buffer_of(env), path, max, &buf, &n);
  if (rc != 0) return int_result(env, rc);
  if (!valid_utf8(buf, n)) return int_result(env, -1002);
  if (too_deep(buf, n, 1000)) return int_result(env, -1003);
  napi_value out;
  napi_status s = napi_create_string_utf8(env, (const char *)buf, n, &out);
  if (s != napi_ok) return int_result(env, -ENOMEM);
  return out;
}

/* Is the quote at q preceded by an odd number of backslashes? */
static int escaped_at(const unsigned char *s, size_t q) {
  size_t k = 0;
  while (q > k && s[q - k - 1] == '\\') k++;
  return (int)(k & 1);
}

/* The index of the quote closing the string that opens at q, or -1. */
static long string_end(const unsigned char *s, size_t n, size_t q) {
  for (size_t j = q + 1; j < n; j++) {
    if (s[j] == '\\') j++;
    else if (s[j] == '"') return (long)j;
  }
  return -1;
}

static int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

#define PAIRS_MAX 65536

static napi_value key_pairs(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char path[4096], prefix[256];
  int64_t max = 0;
  size_t plen = 0;
  const char *usage = "keyPairs(path, maxBytes, prefix)";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3 ||
      napi_get_value_int64(env, argv[1], &max) != napi_ok || max < 0 ||
      napi_get_value_string_utf8(env, argv[2], prefix + 1, sizeof prefix - 1, &plen) != napi_ok || plen == 0 ||
      plen >= sizeof prefix - 2) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  prefix[0] = '"';
  plen++;
  int ok = string_path(env, argv[0], path, sizeof path, usage);
  if (ok != 1) return ok == 0 ? NULL : int_result(env, ok);
  unsigned char *s = NULL;
  size_t n = 0;
  read_buf *rb = buffer_of(env);
  int rc = read_file(rb, path, max, &s, &n);
  if (rc != 0) return int_result(env, rc);
  if (!rb->pairs && !(rb->pairs = malloc(PAIRS_MAX))) return int_result(env, -ENOMEM);
  char *out = rb->pairs;
  size_t o = 0;
  size_t t = n;
  while (t > 0 && is_ws(s[t - 1])) t--;
  out[o++] = t > 0 && s[t - 1] == '}' ? '}' : '-';
  size_t at = 0;
  for (;;) {
    const unsigned char *hit = n > at ? memmem(s + at, n - at, prefix, plen) : NULL;
    if (!hit) break;
    size_t q = (size_t)(hit - s);
    at = q + 1;
    if (escaped_at(s, q)) continue;
    long end = string_end(s, n, q);
    if (end < 0) break;
    size_t i = (size_t)end + 1;
    while (i < n && is_ws(s[i])) i++;
    if (i >= n || s[i] != ':') continue;
    i++;
    while (i < n && is_ws(s[i])) i++;
    if (i >= n || s[i] != '"') continue;
    long j = string_end(s, n, i);
    if (j < 0) continue;
    size_t klen = (size_t)end - q + 1, vlen = (size_t)j - i + 1;
    if (o + klen + vlen + 2 > PAIRS_MAX) return int_result(env, -1006);
    memcpy(out + o, s + q, klen);
    o += klen;
    out[o++] = ':';
    memcpy(out + o, s + i, vlen);
    o += vlen;
    out[o++] = '\n';
  }
  /* Only what is handed back need be UTF-8: quotes, backslashes and white
   * space are never part of a multi-byte sequence, and a decoder turns only
   * the bytes of a bad one into U+FFFD, so the text is scanned alike either
   * way; the end marker is ASCII. A bad member: read it the careful way. */
  if (!valid_utf8((const unsigned char *)out, o)) return int_result(env, -1002);
  napi_value v;
  napi_status st = napi_create_string_utf8(env, out, o, &v);
  return st == napi_ok ? v : int_result(env, -ENOMEM);
}

static napi_value kill0(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t pid = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) {
    napi_throw_type_error(env, NULL, "kill0(pid): a positive integer");
    return NULL;
  }
  return int_result(env, kill((pid_t)pid, 0) == 0 ? 0 : errno);
}

static napi_value list_dir(napi_env env, napi_callback_info info) {
  char path[4096];
  int ok = path_arg(env, info, path, sizeof path, "listDir(path)");
  if (ok != 1) return ok == 0 ? NULL : int_result(env, ok);
  DIR *d = opendir(path);
  if (!d) return int_result(env, -errno);
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  if (!buf) { closedir(d); return int_result(env, -ENOMEM); }
  struct dirent *e;
  errno = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
    size_t len = strlen(e->d_name);
    if (n + len + 2 > cap) {
      while (n + len + 2 > cap) cap *= 2;
      char *b = realloc(buf, cap);
      if (!b) { free(buf); closedir(d); return int_result(env, -ENOMEM); }
      buf = b;
    }
    buf[n++] = e->d_type == DT_DIR ? 'd' : e->d_type == DT_LNK ? 'l' : e->d_type == DT_REG ? 'f' : e->d_type == DT_UNKNOWN ? 'u' : 'o';
    memcpy(buf + n, e->d_name, len);
    n += len;
    buf[n++] = 0;
  }
  int err = errno;
  closedir(d);
  if (err) { free(buf); return int_result(env, -err); }
  napi_value out;
  /* Names are bytes: latin1 keeps each one a character; the caller falls back to Node for anything not plain ASCII. */
  napi_status s = napi_create_string_latin1(env, buf, n, &out);
  free(buf);
  if (s != napi_ok) return int_result(env, -ENOMEM);
  return out;
}

/* Delete the tree below an open directory, never leaving its device. */
/* Open directory `n` below `dfd` without crossing into another mount: the
 * kernel's own answer (openat2 RESOLVE_NO_XDEV, Linux 5.6+), so a bind mount
 * of the same file system made at any moment is never entered: -EXDEV.
 * Without openat2, -ENOSYS: the caller then walks the careful way, which
 * compares each directory's mount id. */
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
struct vc_open_how { uint64_t flags, mode, resolve; };
#define VC_RESOLVE_NO_XDEV 0x01
#define VC_RESOLVE_NO_SYMLINKS 0x04
#define VC_RESOLVE_BENEATH 0x08
static int open_below(int dfd, const char *n) {
  struct vc_open_how how = { O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, VC_RESOLVE_NO_XDEV | VC_RESOLVE_NO_SYMLINKS | VC_RESOLVE_BENEATH };
  int fd = (int)syscall(SYS_openat2, dfd, n, &how, sizeof how);
  return fd >= 0 ? fd : -errno;
}

static int rm_below(int dfd, int depth) {
  if (depth > 4096) return -ELOOP;
  int fd2 = dup(dfd);
  if (fd2 < 0) return -errno;
  DIR *d = fdopendir(fd2);
  if (!d) { int e = errno; close(fd2); return -e; }
  struct dirent *e;
  int rc = 0;
  while ((e = readdir(d))) {
    const char *n = e->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    int isdir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct statx st;
      if (statx(dirfd(d), n, AT_SYMLINK_NOFOLLOW, STATX_TYPE, &st) != 0) { rc = -errno; break; }
      isdir = S_ISDIR(st.stx_mode);
    }
    if (!isdir) {
      if (unlinkat(dirfd(d), n, 0) != 0 && errno != ENOENT) { rc = -errno; break; }
      continue;
    }
    int sub = open_below(dirfd(d), n);
    if (sub < 0) { rc = sub; break; }
    rc = rm_below(sub, depth + 1);
    close(sub);
    if (rc != 0) break;
    /* A mount made on `n` meanwhile: EBUSY, and what is in it stays. */
    if (unlinkat(dirfd(d), n, AT_REMOVEDIR) != 0 && errno != ENOENT) { rc = -errno; break; }
  }
  closedir(d);
  return rc;
}

static napi_value remove_tree(napi_env env, napi_callback_info info) {
  char path[4096];
  int ok = path_arg(env, info, path, sizeof path, "removeTree(path)");
  if (ok != 1) return ok == 0 ? NULL : int_result(env, ok);
  /* The top is opened from its parent the same way: a mount on the top itself is refused too. */
  char *slash = strrchr(path, '/');
  if (!slash || slash[1] == 0) return int_result(env, -EINVAL);
  const char *base = slash + 1;
  int pfd;
  if (slash == path) pfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  else {
    *slash = 0;
    pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *slash = '/';
  }
  if (pfd < 0) return int_result(env, -errno);
  int fd = open_below(pfd, base);
  if (fd < 0) { close(pfd); return int_result(env, fd); }
  int rc = rm_below(fd, 0);
  close(fd);
  if (rc == 0 && unlinkat(pfd, base, AT_REMOVEDIR) != 0) rc = -errno;
  close(pfd);
  return int_result(env, rc);
}

NAPI_MODULE_INIT() {
  read_buf *rb = calloc(1, sizeof *rb);
  if (!rb || napi_set_instance_data(env, rb, free_read_buf, NULL) != napi_ok) {
    free(rb);
    napi_throw_error(env, NULL, "vcstore addon: out of memory");
    return NULL;
  }
  napi_value fn;
  napi_create_function(env, "flock", NAPI_AUTO_LENGTH, do_flock, NULL, &fn);
  napi_set_named_property(env, exports, "flock", fn);
  napi_create_function(env, "readItem", NAPI_AUTO_LENGTH, read_item, NULL, &fn);
  napi_set_named_property(env, exports, "readItem", fn);
  napi_create_function(env, "keyPairs", NAPI_AUTO_LENGTH, key_pairs, NULL, &fn);
  napi_set_named_property(env, exports, "keyPairs", fn);
  napi_create_function(env, "kill0", NAPI_AUTO_LENGTH, kill0, NULL, &fn);
  napi_set_named_property(env, exports, "kill0", fn);
  napi_create_function(env, "removeTree", NAPI_AUTO_LENGTH, remove_tree, NULL, &fn);
  napi_set_named_property(env, exports, "removeTree", fn);
  napi_create_function(env, "listDir", NAPI_AUTO_LENGTH, list_dir, NULL, &fn);
  napi_set_named_property(env, exports, "listDir", fn);
  return exports;
}
