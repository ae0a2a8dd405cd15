# cvisor build: one binary (build/cvisor), its tests, benchmarks and fuzzers.
# New .c files are picked up by wildcard; unit tests name the module folders
# they link against in tests/unit/<name>_test.deps (one line, folder names,
# or `cvisor` for all of them).

CC      ?= cc
B       := build
PKGS    := libseccomp jansson libunwind capstone
CFLAGS  ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
           -D_GNU_SOURCE -I. -fno-omit-frame-pointer -MMD -MP
LDLIBS  := -lseccomp -ljansson -lunwind -lunwind-x86_64 -lcapstone -lpthread

# Module folders linked into build/cvisor (main.c is the entry point).
MODULES := common platform platform/ptrace platform/kvm sentry sentry/mm \
           sentry/kernel sentry/kernel/elf sentry/syscalls sentry/vfs sentry/fs/gofer \
           sentry/fs/host sentry/fs/pipe sentry/fs/proc sentry/fs/tmpfs sentry/fs/overlay sentry/fs/anon \
           sentry/fs/dev sentry/fs/sys sentry/fs/socket sentry/ipc sentry/control sentry/seccomp gofer runsc-compat
SRCS    := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
OBJS    := $(SRCS:%.c=$(B)/obj/%.o)
# Hand-written assembly (the ptrace stub, later the KVM trampoline).
ASRCS   := $(foreach m,$(MODULES),$(wildcard $(m)/*.S))
AOBJS   := $(ASRCS:%.S=$(B)/obj/%.o)

SYSTESTS  := $(patsubst tests/syscalls/%.c,$(B)/tests/syscalls/%,$(wildcard tests/syscalls/*_test.c))
UNITTESTS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(wildcard tests/unit/*_test.c))
BENCHES   := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/*.c))

.DELETE_ON_ERROR:
.PHONY: all deps deps-oci demo test check-asan bench fuzz clean format
all: $(B)/cvisor

deps:
	@./tools/deps.sh

# The OCI clients the last test stage drives (podman, containerd, runc, crun).
deps-oci:
	@./tools/deps.sh --oci

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/cvisor: $(OBJS) $(AOBJS) $(B)/obj/main.o
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Syscall tests are plain programs: they must pass natively first.
$(B)/tests/syscalls/%: tests/syscalls/%.c tests/syscalls/testlib.h
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -o $@ $< -lpthread

# Unit tests (cmocka) link the object files of the folders their .deps names.
# The word `cvisor` in a .deps file stands for every module of the binary.
unit_deps = $(patsubst cvisor,$(MODULES),$(shell cat tests/unit/$(1).deps 2>/dev/null))
unit_objs = $(foreach m,$(call unit_deps,$(1)),\
              $(patsubst %.c,$(B)/obj/%.o,$(wildcard $(m)/*.c)) \
              $(patsubst %.S,$(B)/obj/%.o,$(wildcard $(m)/*.S)))
.SECONDEXPANSION:
$(B)/tests/unit/%: tests/unit/%.c $$(call unit_objs,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(call unit_objs,$*) -lcmocka $(LDLIBS)

$(B)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $< -lpthread

tests-build: $(B)/cvisor $(SYSTESTS) $(UNITTESTS)

demo: deps
	$(MAKE) all
	./tools/demo.sh

test: deps deps-oci
	$(MAKE) tests-build fuzz
	./tests/run.sh

# The same suite built with AddressSanitizer and UBSan, in its own tree.
check-asan: deps
	$(MAKE) B=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined" tests-build
	CVISOR_BUILD=build-asan ./tests/run.sh

bench: deps deps-oci
	$(MAKE) all $(BENCHES)
	./bench/run.sh

FUZZERS := $(patsubst fuzz/%.c,$(B)/fuzz/%,$(wildcard fuzz/*_fuzz.c))
fuzz_objs = $(foreach m,$(shell cat fuzz/$(1).deps 2>/dev/null),$(wildcard $(m)/*.c))
$(B)/fuzz/%: fuzz/%.c $$(call fuzz_objs,$$*)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -D_GNU_SOURCE -I. -MMD -MP \
		-o $@ $< $(call fuzz_objs,$*) $(LDLIBS)
fuzz: $(FUZZERS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan

# Header (and #include'd .c) dependencies of objects, unit tests and
# fuzzers: a unit test that includes the source it tests is rebuilt when
# that source changes.
-include $(shell find $(B)/obj $(B)/tests/unit $(B)/fuzz -name '*.d' 2>/dev/null)
