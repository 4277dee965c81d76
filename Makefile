# The short commands; CMake does the building.
#   make            build (build/) with what is installed; CMake says what is missing
#   make deps       install the Debian packages the tests and demo use (as root)
#   make demo       deps, then measure a workload on two simulated GPUs and the CPU
#   make test       deps, every test, again under AddressSanitizer + UBSan, then
#                   each fuzzer for 10 s (make fuzz FUZZ_SECONDS=N: longer)
#   make install PREFIX=/usr/local
#   make bench      the sampler overhead benchmark (docs/BENCHMARKS.md)
#   make test-tsan  every test under ThreadSanitizer; make analyze: cppcheck;
#   make abi-check  the library's ABI against abi/ (all three run by .ci/run)
#   make figures    redraw docs/img from the simulator and docs/data (gnuplot)

BUILD      ?= build
ASAN_BUILD ?= build-asan
PREFIX     ?= /usr/local
MAKEFLAGS  += --no-print-directory
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CC         ?= cc
# The sanitizer build uses clang where there is one, so both compilers build it.
ASAN_CC    ?= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo $(CC))

.PHONY: all build deps demo figures test test-asan test-tsan fuzz install bench format format-check analyze abi-check abi-update clean

all: build

deps:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

# `make` builds with what is installed (CMake says what is missing); the
# targets that need the test and demo tools install them first (as root).
build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The simulated driver stands in for NVIDIA's: ebench loads it as it loads the real one.
SIM_ENV = EBENCH_NVML_LIBRARY=$(BUILD)/sim/libnvidia-ml.so.1 EBENCH_SIM_CONFIG=sim/scenarios/demo.json
DEMO_STEPS = idle:1 light:1 medium:1 heavy:1 tdp:1

demo: deps build
	@mkdir -p demo-out
	@echo "== ebench info   (GPUs: two SIMULATED A100s, sim/scenarios/demo.json)"
	@$(SIM_ENV) $(BUILD)/ebench info
	@echo
	@echo "== ebench run --idle 1 --work 1.22e14:flop --region FR --json demo-out/report.json --csv demo-out/timeline.csv -- ebench-sim-load --gpus 0,1 --cpu $(DEMO_STEPS)"
	@echo "   (the A100-80GB reference table, 1 s per row on both GPUs, one CPU core busy)"
	@$(SIM_ENV) $(BUILD)/ebench run --idle 1 --work 1.22e14:flop --region FR \
		--json demo-out/report.json --csv demo-out/timeline.csv \
		-- $(BUILD)/sim/ebench-sim-load --gpus 0,1 --cpu $(DEMO_STEPS)
	@echo "expected per GPU from the table: 50 + 150 + 250 + 400 + 400 W for 1 s each = 1250 J,"
	@echo "61 TFLOP (0 + 8 + 15 + 19 + 19), so 0.049 TFLOP/J for the GPUs"
	@echo "wrote demo-out/report.json and demo-out/timeline.csv"

figures: deps build
	scripts/make-figures $(BUILD)

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) test-asan
	$(MAKE) fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

test-asan: deps
	CC=$(ASAN_CC) cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEBENCH_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer over every test but two: python (python3 cannot load a
# library that needs the TSan runtime) and install (it builds programs
# against the installed library without the sanitizer). In CI (.ci/run).
TSAN_BUILD ?= build-tsan
test-tsan: deps
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DCMAKE_C_FLAGS='-fsanitize=thread -g -O1' -DEBENCH_WERROR=OFF
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j $(JOBS) \
		-E '^(python|install)$$'

# libFuzzer harnesses (fuzz/), each run FUZZ_SECONDS on its checked-in seeds
# plus what earlier runs found (build-fuzz/corpus); a crash, sanitizer report,
# leak or hang fails, with the input saved as build-fuzz/<harness>-crash-*.
# FUZZ_RUNS=N runs each for N executions instead (the 10-million campaign:
# make fuzz FUZZ_RUNS=10000000 FUZZERS="report scenario", one make per core).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?=
TEST_FUZZ_SECONDS ?= 10
FUZZERS      ?= report markers text scenario
FUZZ_LIMIT    = $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))
# the marker harness's parent bench keeps the windows it is sent, so every
# input "leaks" by libFuzzer's per-input count and each new-coverage input
# set off a full leak scan (half its time): leaks are checked at exit there
FUZZ_NO_LEAK_SCAN = markers
fuzz: deps
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEBENCH_FUZZ=ON \
		-DEBENCH_TESTS=OFF -DEBENCH_WERROR=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@for f in $(FUZZERS); do \
		mkdir -p $(FUZZ_BUILD)/corpus/$$f; \
		printf '== fuzz_%s, %s: ' $$f '$(if $(FUZZ_RUNS),$(FUZZ_RUNS) runs,$(FUZZ_SECONDS) s)'; \
		case " $(FUZZ_NO_LEAK_SCAN) " in *" $$f "*) leaks=-detect_leaks=0;; *) leaks=;; esac; \
		if $(FUZZ_BUILD)/fuzz/fuzz_$$f $(FUZZ_LIMIT) -timeout=10 $$leaks \
			-rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=3 -artifact_prefix=$(FUZZ_BUILD)/$$f- \
			$(FUZZ_BUILD)/corpus/$$f fuzz/corpus/$$f > $(FUZZ_BUILD)/$$f.log 2>&1; then \
			grep -h 'stat::number_of_executed_units' $(FUZZ_BUILD)/$$f.log | sed 's/.*: *//;s/$$/ executions, no finding/'; \
		else \
			echo FAILED; tail -n 40 $(FUZZ_BUILD)/$$f.log; exit 1; \
		fi; \
	done

# cppcheck over every C file, zero findings (warning, portability and
# performance checks; a false positive is annotated where it stands, with why).
# readdir is safe per DIR stream; the readdir_r cppcheck suggests is deprecated.
# memsetClassFloat: ebench.h's initializers zero structs with doubles, seen when
# a C++ file includes it; every platform ebench builds on is IEEE 754.
analyze:
	cppcheck --quiet --enable=warning,portability,performance --std=c11 --inline-suppr \
		-D_GNU_SOURCE -Iinclude --library=posix --library=tools/cppcheck-jansson.cfg \
		--suppress=readdirCalled --suppress=memsetClassFloat --error-exitcode=1 -j $(JOBS) src sim fuzz tests examples bench
	@echo "analyze: cppcheck found nothing"

# The library's ABI against the baseline in abi/ (Debian's abigail-tools):
# any change fails. A deliberate one updates the baseline with make abi-update
# and bumps the version as docs/API.md ("ABI rules") says.
ABI_BASE = abi/libebench.so.2.abi
ABI_LIB  = $(BUILD)/libebench.so.2
ABI_OPTS = --headers-dir include --drop-private-types
abi-check: build
	@if abidiff $(ABI_OPTS:--headers-dir=--headers-dir2) $(ABI_BASE) $(ABI_LIB) > $(BUILD)/abi.diff; then \
		echo "abi-check: libebench's ABI is the one in $(ABI_BASE)"; \
	else \
		cat $(BUILD)/abi.diff; \
		echo "abi-check: the ABI changed against $(ABI_BASE). If that is deliberate, follow docs/API.md"; \
		echo "(ABI rules): bump the version, then make abi-update and commit the new baseline."; \
		exit 1; \
	fi

abi-update: build
	abidw $(ABI_OPTS) --no-corpus-path --no-comp-dir-path --short-locs --out-file $(ABI_BASE) $(ABI_LIB)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	$(BUILD)/eb_overhead ticks
	$(BUILD)/eb_overhead cpu
	$(BUILD)/eb_overhead run $(BUILD)/ebench
	$(BUILD)/eb_overhead gpus $(BUILD)/sim/libnvidia-ml.so.1
	$(BUILD)/eb_accuracy $(BUILD)/sim/libnvidia-ml.so.1

# Every C file git knows (examples/, bench/gpu/, fuzz/ included); CI checks it.
C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(C_FILES)

format-check:
	@clang-format --dry-run -Werror $(C_FILES) && echo "format: every C file as clang-format writes it"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD) demo-out
