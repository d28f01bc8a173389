# Squall: the C core, its tests, fuzzers and the plain C server.
#   make          core library, C tests, build/squall-cserver
#   make test     C unit tests under AddressSanitizer + UBSan
#   make fuzz     libFuzzer drivers (clang)
#   make fuzz-run each fuzzer for FUZZ_SECONDS (default 30)
# Source lists are wildcards so a new file needs no edit here.

CC      ?= cc
CLANG   ?= clang
AR      ?= ar
BUILD   ?= build
STD      = -std=c11 -D_GNU_SOURCE -Iinclude
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
OPT     ?= -O2 -g
SAN      = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LIBS     = -lpcre2-8 -lpthread -lm
FUZZ_SECONDS ?= 30

CORE_SRC  := $(sort $(wildcard src/core/*.c))
CORE_HDR  := $(wildcard include/squall/*.h src/core/*.h)
CORE_OBJ  := $(CORE_SRC:src/core/%.c=$(BUILD)/core/%.o)
SAN_OBJ   := $(CORE_SRC:src/core/%.c=$(BUILD)/san/core/%.o)
TEST_SRC  := $(sort $(wildcard tests/c/test_*.c))
TEST_BIN  := $(TEST_SRC:tests/c/%.c=$(BUILD)/tests/%)
CSERVER_SRC := $(wildcard src/cserver/*.c)
FUZZ_SRC  := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN  := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
BENCH_SRC := $(sort $(wildcard tests/c/bench_*.c))
BENCH_BIN := $(BENCH_SRC:tests/c/%.c=$(BUILD)/microbench/%)

.PHONY: all test fuzz fuzz-run microbench clean core-no-python
all: $(BUILD)/libsquallcore.a $(BUILD)/squall-cserver $(TEST_BIN) $(BENCH_BIN)

$(BUILD)/core/%.o: src/core/%.c $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(WARN) $(OPT) -fPIC -c $< -o $@

$(BUILD)/san/core/%.o: src/core/%.c $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(WARN) -O1 -g $(SAN) -c $< -o $@

$(BUILD)/libsquallcore.a: $(CORE_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/libsquallcore-san.a: $(SAN_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/squall-cserver: $(CSERVER_SRC) $(BUILD)/libsquallcore.a
	$(CC) $(STD) $(WARN) $(OPT) $(CSERVER_SRC) $(BUILD)/libsquallcore.a $(LIBS) -o $@

$(BUILD)/squall-cserver-san: $(CSERVER_SRC) $(BUILD)/libsquallcore-san.a
	$(CC) $(STD) $(WARN) -O1 -g $(SAN) $(CSERVER_SRC) $(BUILD)/libsquallcore-san.a $(LIBS) -o $@

$(BUILD)/tests/%: tests/c/%.c tests/c/sq_test.h tests/c/sq_test_socket.h $(BUILD)/libsquallcore-san.a
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(WARN) -O1 -g $(SAN) -Itests/c $< $(BUILD)/libsquallcore-san.a $(LIBS) -o $@

$(BUILD)/microbench/%: tests/c/%.c $(BUILD)/libsquallcore.a
	@mkdir -p $(dir $@)
	$(CC) $(STD) $(WARN) $(OPT) -Itests/c $< $(BUILD)/libsquallcore.a $(LIBS) -o $@

# Every C test binary under ASan+UBSan (leak checking on), then the sanitized
# C server's black-box suite is run by scripts/test through pytest.
test: $(TEST_BIN) $(BUILD)/squall-cserver-san
	@set -e; fail=0; for t in $(TEST_BIN); do \
	  echo "== $$t"; ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 $$t || fail=1; \
	done; exit $$fail

$(BUILD)/fuzz/%: fuzz/%.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(dir $@)
	$(CLANG) $(STD) -Wall -Wextra -g -O1 -fsanitize=fuzzer,address,undefined $< $(CORE_SRC) $(LIBS) -o $@

fuzz: $(FUZZ_BIN)

fuzz-run: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do n=$$(basename $$f); \
	  mkdir -p $(BUILD)/fuzz/corpus-$$n; \
	  dict=""; [ -f fuzz/$$n.dict ] && dict="-dict=fuzz/$$n.dict"; \
	  echo "== $$n ($(FUZZ_SECONDS)s)"; \
	  $$f $$dict -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 $(BUILD)/fuzz/corpus-$$n fuzz/corpus/$$n 2>&1 | tail -3; \
	done

microbench: $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b; done

# The core must build without Python headers: no core source includes
# Python.h, and the core compiles with only include/ on the include path.
core-no-python:
	@! grep -lE '^\s*#\s*include\s*[<"]Python.h' src/core/*.c src/core/*.h include/squall/*.h
	$(MAKE) $(BUILD)/libsquallcore.a

clean:
	rm -rf $(BUILD)
