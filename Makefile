# The two commands a newcomer needs: `make serve` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: all setup build serve test clean format bench

all: build

setup:
	@scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

serve: build
	$(BUILD)/agor serve $(ARGS)

test: setup
	@scripts/setup.sh --test
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Measures agor against the Feathers peer (needs npm; see docs/benchmarks.md). Not a test.
bench: build
	$(BUILD)/bench/agor_bench --agor $(BUILD)/agor --json $(BUILD)/bench-results.json $(ARGS)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD)
