# Quick start: `make run` builds and starts ternd with its embedded default config on loopback high ports;
# `make test` builds Release and ASan+UBSan and runs the whole suite on both.
JOBS ?= $(shell nproc)
RELEASE := build/release
SANITIZE := build/asan

.PHONY: deps build build-asan run test test-release test-asan bench bench-scale format clean

deps:
	@scripts/deps.sh

$(RELEASE)/build.ninja: | deps
	@cmake -S . -B $(RELEASE) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

$(SANITIZE)/build.ninja: | deps
	@cmake -S . -B $(SANITIZE) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTERN_SANITIZE=ON >/dev/null

build: deps $(RELEASE)/build.ninja
	@cmake --build $(RELEASE) -j $(JOBS)

build-asan: deps $(SANITIZE)/build.ninja
	@cmake --build $(SANITIZE) -j $(JOBS)

run: build
	$(RELEASE)/ternd --foreground

test-release: build
	cd $(RELEASE) && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd $(SANITIZE) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS)

test: test-release test-asan

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
