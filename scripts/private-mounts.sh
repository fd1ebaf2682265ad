#!/bin/sh
# Run a command (the test runner) in a mount namespace of its own when root
# can make one: the tests' tmpfs and bind mounts then end with it, even when
# a run is killed (SIGKILL skips their after() hooks; a stopped run once left
# 458 mounts behind, and every later mountinfo read paid for them). Without
# root or unshare(1), the command runs as it is and cleans up after itself.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare -m --propagation private true 2>/dev/null; then
  exec unshare -m --propagation private "$@"
fi
exec "$@"
