/*
 * flock(2) for vcstore, as a Node-API addon (ABI-stable across Node majors).
 * Only non-blocking calls are made from JavaScript: a blocking wait would
 * stall the event loop and signal handling, so waits go through flock(1).
 * Returns 0 on success or the errno value.
 */
#include <errno.h>
#include <node_api.h>
#include <sys/file.h>

static napi_value do_flock(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1, op = 0;
  napi_value out;
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
  napi_create_int32(env, r == 0 ? 0 : errno, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "flock", NAPI_AUTO_LENGTH, do_flock, NULL, &fn);
  napi_set_named_property(env, exports, "flock", fn);
  return exports;
}
