# Quick start: `make run` builds and starts ternd with its embedded default config on loopback high ports;
# `make test` builds Release and ASan+UBSan, runs the whole suite on both, then each fuzz target for 15 s.
# `make fuzz` runs each libFuzzer target for FUZZ_SECONDS (default 60); see fuzz/README.md.
JOBS ?= $(shell nproc)
RELEASE := build/release
SANITIZE := build/asan
FUZZ := build/fuzz
FUZZ_SECONDS ?= 60

.PHONY: deps build build-asan build-fuzz run test test-release test-asan test-fuzz fuzz bench bench-scale format clean

deps:
	@scripts/deps.sh

$(RELEASE)/build.ninja: | deps
	@cmake -S . -B $(RELEASE) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

$(SANITIZE)/build.ninja: | deps
	@cmake -S . -B $(SANITIZE) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTERN_SANITIZE=ON >/dev/null

# The fuzz targets are a clang project of their own (fuzz/CMakeLists.txt): only the parsers, instrumented.
$(FUZZ)/build.ninja: | deps
	@cmake -S fuzz -B $(FUZZ) -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null

build: deps $(RELEASE)/build.ninja
	@cmake --build $(RELEASE) -j $(JOBS)

build-asan: deps $(SANITIZE)/build.ninja
	@cmake --build $(SANITIZE) -j $(JOBS)

build-fuzz: deps $(FUZZ)/build.ninja
	@cmake --build $(FUZZ) -j $(JOBS)

run: build
	$(RELEASE)/ternd --foreground

test-release: build
	cd $(RELEASE) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd $(SANITIZE) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

# A finding fails the run and leaves its input in build/fuzz/findings/.
fuzz: build-fuzz
	@FUZZ_JOBS=$(JOBS) fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS)

test-fuzz:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=15

test: test-release test-asan test-fuzz

bench: build
	bench/throughput.sh

# Scale and crash scripts (bench/README.md); every one runs, the status says whether all passed.
bench-scale: build
	@rc=0; for script in connections slow_clients big_message crash; do \
	  /usr/bin/python3 bench/$$script.py || rc=1; done; exit $$rc

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
