"""Where `make install` puts energy_benchmark.py for a prefix (argv[1]): the
directory of that prefix that this python3 searches (Debian: /usr ->
/usr/lib/python3/dist-packages, /usr/local -> /usr/local/lib/python3.X/
dist-packages), else the prefix's site-packages (on PYTHONPATH then)."""
import os
import sys
import sysconfig

prefix = os.path.normpath(sys.argv[1])
version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
for d in (os.path.join(prefix, "lib", "python3", "dist-packages"),
          os.path.join(prefix, "lib", version, "dist-packages"),
          os.path.join(prefix, "lib", version, "site-packages")):
    if d in sys.path:
        print(d)
        break
else:
    print(sysconfig.get_path("purelib", "posix_prefix", vars={"base": prefix, "platbase": prefix}))
