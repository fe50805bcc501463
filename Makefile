# Thin wrapper over scripts/setup.sh, CMake/Ninja and ctest. Run as root on Debian 12: `setup`
# installs whatever is missing. BUILD_DIR and JOBS may be overridden: make test JOBS=1.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
DEMO_BIN := $(BUILD_DIR)/fixtures/demo.default
FORMAT_DIRS := $(wildcard src tests bench fuzz)

.PHONY: all setup configure build test demo bench fuzz format tidy clean soak

all: build

setup:
	bash scripts/setup.sh

configure: setup
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

build: configure
	ninja -C $(BUILD_DIR) -j$(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS)

# gotap's main job on the bundled example: what the binary is, where the probes go, then a live
# trace of three functions while the example handles a few orders, the same calls as a call
# graph, and a latency histogram (needs root for eBPF).
demo: build
	$(BUILD_DIR)/gotap info $(DEMO_BIN)
	$(BUILD_DIR)/gotap funcs $(DEMO_BIN) 'main.*'
	$(BUILD_DIR)/gotap trace 'main.checksum' 'main.parseOrder' 'main.(*Inventory).Reserve' \
		-- $(DEMO_BIN) -n 5
	$(BUILD_DIR)/gotap graph 'main.*' -- $(DEMO_BIN) -n 2
	$(BUILD_DIR)/gotap latency 'main.checksum' -- $(DEMO_BIN) -n 20

bench: build
	@if [ -f bench/run.sh ]; then bash bench/run.sh; else echo "bench: no bench/run.sh yet"; fi

# The soak test's long form: 10 minutes of tracing a busy fixture (make test runs it for 30 s).
soak: build
	bash scripts/soak.sh $(BUILD_DIR)

fuzz:
	@if [ -f scripts/fuzz.sh ]; then bash scripts/fuzz.sh; else echo "fuzz: no scripts/fuzz.sh yet"; fi

# The same file set that scripts/check_format.sh checks (*.c included, for the BPF sources).
format:
	find $(FORMAT_DIRS) -type f \( -name '*.h' -o -name '*.cc' -o -name '*.c' \) -print0 | \
		xargs -0 -r clang-format -i

# clang-tidy over all of src/ (7-10 minutes on 2 cores); `make test` checks what changed.
tidy: build
	bash scripts/check_tidy.sh --all $(BUILD_DIR) $(JOBS)

clean:
	rm -rf $(BUILD_DIR)
