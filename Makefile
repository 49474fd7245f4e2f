# The two commands a newcomer needs: `make serve` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
# The sanitized unit and end-to-end cases mostly wait (on a daemon starting, a server's initdb,
# an event): measured under ASan, -j2 kept the 2 cores 45% busy, so they run two per core.
TEST_JOBS ?= $(shell echo $$(( $$(nproc) * 2 )))
ARGS ?=
# `make fuzz`: how long each libFuzzer target runs; `make test` runs each FUZZ_CI_SECONDS.
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 10

# The sanitizer and fuzzing builds live beside the normal one, each in its own folder. They
# build at -O1 with line tables only: a readable stack at a fraction of RelWithDebInfo's time.
# ccache, when installed, serves all of them.
CACHE := $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Every build compiles the product's layers as unity builds (CMakeLists.txt, AGOR_UNITY_BUILD):
# the fuzz build's CPU time fell 44% (758 s to 424 s, cold); the test code stays file by file.
# The normal build keeps line tables only (-g1): a crash's stack still names files and lines,
# and full -g cost a third of the build's time (CMAKE_BUILD_TYPE=Debug for a debugger's view).
NORMAL := -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" \
          $(CACHE)
SAN_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CACHE)
SAN_GCC := $(SAN_FLAGS) "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
SAN_CLANG := $(SAN_FLAGS) "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
             -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang
export ASAN_OPTIONS ?= detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS ?= halt_on_error=1:second_deadlock_stack=1

# Runs a recipe step and says how long it took: `make test` must stay under 40 minutes.
timed = start=$$(date +%s); $(2); rc=$$?; \
        echo "make test: $(1) took $$(( $$(date +%s) - start )) s"; exit $$rc

.PHONY: all setup build serve test clean format bench check suites asan tsan fuzz fuzz-build fuzz-ci

all: build

setup:
	@scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) $(NORMAL) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

serve: build
	$(BUILD)/agor serve $(ARGS)

# What CI runs (.ci/run): the normal build and the suites that drive it, the unit and
# end-to-end suites under ASan + UBSan, the threaded tests under TSan, then the fuzz corpora
# and short fuzz runs.
test: setup
	@scripts/setup.sh --test
	@$(call timed,build + suites,$(MAKE) --no-print-directory suites)
	@$(call timed,ASan/UBSan build + tests,$(MAKE) --no-print-directory asan)
	@$(call timed,TSan build + tests,$(MAKE) --no-print-directory tsan)
	@$(call timed,fuzz build + replay + short runs,$(MAKE) --no-print-directory fuzz-ci)

# Every suite on the normal build (a developer's full run).
check:
	@cmake -S . -B $(BUILD) $(NORMAL) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# CI's first stage: the suites `make asan` does not run again. The unit and end-to-end cases
# run once, sanitized, in `make asan` (CI ran each of them twice, on both builds); here only
# those ASan cannot judge (ASAN_SKIP), and the suites that drive the normal binary:
# compat, compat_python, browser, bench_smoke. The normal unit binary is not even built;
# agor_test_services is compat's PostgreSQL and Redis (its nodes.test.mjs).
suites:
	@cmake -S . -B $(BUILD) $(NORMAL) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target agor e2e_tests agor_bench agor_test_services
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -E '^(unit|e2e):|^unit_tests_NOT_BUILT'
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -R '^e2e:.*($(ASAN_SKIP))'

# Tests that measure the daemon's own resources, which ASan changes: its quarantine keeps freed
# memory resident (RSS bounds) and it opens descriptors of its own (a 40-descriptor limit).
ASAN_SKIP := out of file descriptors|keep the daemon.s memory bounded

# The unit tests are built under ASan; the end-to-end tests are the normal build's, run
# against the ASan daemon and CLI (tests/support/agor_binary.h): what runs sanitized is the
# product, and CI does not compile the test code twice. clang (from setup.sh --test) builds it:
# 20-30% faster than g++ at the same -O1 (measured per file), and the fuzzer's compiler.
# The same folder is the fuzz build (SAN_FUZZ): the product is compiled once, with libFuzzer's
# coverage hooks (no-ops outside a fuzz target), for the sanitized suites and the fuzz targets;
# a second build of every layer was a fifth of CI's time.
SAN_FUZZ := $(SAN_CLANG) -DAGOR_SANITIZE=ON -DAGOR_FUZZ=ON
asan:
	@scripts/setup.sh --test
	@cmake -S . -B $(BUILD)-asan $(SAN_FUZZ) >/dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS) --target agor unit_tests
	@cd $(BUILD)-asan && ctest --output-on-failure -j $(TEST_JOBS) -R '^unit:' -E '$(ASAN_SKIP)'
	@cmake -S . -B $(BUILD) $(NORMAL) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target e2e_tests
	@cd $(BUILD) && AGOR_BINARY=$(abspath $(BUILD)-asan)/agor \
	  ctest --output-on-failure -j $(TEST_JOBS) -R '^e2e:' -E '$(ASAN_SKIP)'

tsan:
	@cmake -S . -B $(BUILD)-tsan $(SAN_GCC) -DAGOR_TSAN=ON >/dev/null
	@cmake --build $(BUILD)-tsan -j $(JOBS) --target threaded_tests
	@cd $(BUILD)-tsan && ctest --output-on-failure -j $(JOBS)

fuzz-build:
	@cmake -S . -B $(BUILD)-asan $(SAN_FUZZ) -DAGOR_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS) --target fuzz_targets

# Every corpus replayed, then each target fuzzed for FUZZ_SECONDS (crashes: $(BUILD)-asan/fuzz-crashes).
fuzz: fuzz-build
	@cd $(BUILD)-asan && ctest --output-on-failure -j $(JOBS) -R '^fuzz'

fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_CI_SECONDS)

# Measures agor against the Feathers peer (needs npm; see docs/benchmarks.md). Not a test.
bench: build
	$(BUILD)/bench/agor_bench --agor $(BUILD)/agor --json $(BUILD)/bench-results.json $(ARGS)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-tsan $(BUILD)-fuzz
