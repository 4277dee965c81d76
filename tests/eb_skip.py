"""What the integration tests share: skipping, with the reason, when a server
or library they need is absent (ctest's SKIP_RETURN_CODE 77), except under CI
(`.ci/run` sets CI=true after `make deps` installed everything), where a
missing dependency is a failure."""
import os
import sys


def skip_unless(ok, why):
    if ok:
        return
    if os.environ.get("CI"):
        sys.exit(f"FAIL: {why} (CI installs every dependency: make deps)")
    print(f"SKIP: {why}")
    sys.exit(77)
