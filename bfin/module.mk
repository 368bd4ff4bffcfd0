# SPDX-License-Identifier: MIT
# bfin/: the Blackfin port (see bfin/README.md).
#
#   make bfin          cross-build the Blackfin test programs, run them in the
#                      simulator, print TAP; fails if any test fails
#   make bfin-build    only build them (tests/bfin/suite, bench/bfin.sh)
#
# The toolchain is bfin/toolchain.sh's (bfin-elf gcc + newlib, bfin-elf-run,
# libsodium) in BFIN_PREFIX, which that script decides; make never builds it.
# Another Blackfin toolchain (ADI's, or a uClinux bfin-linux-uclibc-) is used with
#   make bfin CROSS_COMPILE=bfin-linux-uclibc-      (or CC=... on the command line)
# plus BFIN_SODIUM=<its libsodium prefix>, BFIN_LDFLAGS=<its link flags, no
# -msim> and BFIN_RUN=<a command that runs a program: a simulator, or a script
# that copies it to a board>. An exported CC is taken to be the host's and is
# ignored here; CC given on the command line is used.

ifeq ($(origin BFIN_PREFIX),undefined)
BFIN_PREFIX := $(shell bfin/toolchain.sh --print-prefix)
endif
BFIN_B := $(B)/bfin
BFIN_CROSS := $(if $(CROSS_COMPILE),$(CROSS_COMPILE),$(BFIN_PREFIX)/bin/bfin-elf-)
BFIN_CC ?= $(if $(filter command line,$(origin CC)),$(CC),$(BFIN_CROSS)gcc)
BFIN_AR ?= $(BFIN_CROSS)ar
BFIN_RUN ?= $(BFIN_PREFIX)/bin/bfin-elf-run
BFIN_SODIUM ?= $(BFIN_PREFIX)/sodium
# The project's warnings, plus -Wcast-align: on Blackfin (a strict-alignment
# target) it flags every cast that raises alignment, i.e. every packet read
# that would fault on the chip. A uClinux process has one fixed stack and no
# guard page, so a big frame is refused too (the kernel's own 32-bit limit).
BFIN_FRAME_MAX := 1024
BFIN_CFLAGS := -std=c11 -O2 -g $(WARN) -Wcast-align -Wframe-larger-than=$(BFIN_FRAME_MAX) \
	-ffunction-sections -fdata-sections \
	-I. -Ilib -isystem $(BFIN_SODIUM)/include -MMD -MP
BFIN_LDFLAGS ?= -msim -Wl,--gc-sections
BFIN_LIBS := -L$(BFIN_SODIUM)/lib -lsodium

# Blackfin TAP programs: each runs in the simulator and must pass.
BFIN_TESTS := tests/bfin/test_harness.c tests/bfin/test_sodium_kat.c
# kmod/core's unit tests join with this one line (kmod/core/*.c is then
# compiled for Blackfin and linked into every test, see BFIN_CORE_SRCS):
#BFIN_TESTS += $(wildcard tests/unit/test_esp*.c)

# The portable ESP core, compiled for Blackfin once a test on the list needs
# it; BFIN_GLUE_SRCS is for the AEAD glue the core's tests link on the host,
# if it lives outside kmod/core.
BFIN_GLUE_SRCS ?=
BFIN_CORE_SRCS := $(if $(filter tests/unit/%,$(BFIN_TESTS)),$(wildcard kmod/core/*.c) $(BFIN_GLUE_SRCS))

# Programs that must NOT pass: they prove the simulator stops a misaligned
# 16- and 32-bit load as the chip does (bfin/simtap.sh --fault).
BFIN_BAD := tests/bfin/bad_misalign.c
BFIN_FAULTS := $(BFIN_B)/bad_misalign@16 $(BFIN_B)/bad_misalign@32
# Benchmarks, built by bench/bfin.sh (with a linker map for code sizes).
BFIN_BENCH := bench/bfin_aead.c

bfin_obj = $(patsubst %.c,$(BFIN_B)/obj/%.o,$(1))
bfin_bin = $(addprefix $(BFIN_B)/,$(notdir $(basename $(1))))
BFIN_CORE_A := $(if $(BFIN_CORE_SRCS),$(BFIN_B)/libcore.a)

$(BFIN_B)/obj/%.o: %.c | bfin-toolchain
	@mkdir -p $(@D)
	$(BFIN_CC) $(BFIN_CFLAGS) -c -o $@ $<

# The bad program casts on purpose; everything else is held to -Wcast-align.
$(call bfin_obj,$(BFIN_BAD)): BFIN_CFLAGS += -Wno-cast-align

$(BFIN_B)/libcore.a: $(call bfin_obj,$(BFIN_CORE_SRCS))
	@rm -f $@
	$(BFIN_AR) rcs $@ $^

# $(call bfin_program,SRC): one Blackfin program from one source.
define bfin_program
$(call bfin_bin,$(1)): $(call bfin_obj,$(1)) $(BFIN_CORE_A)
	$$(BFIN_CC) $$(BFIN_LDFLAGS) -Wl,-Map=$$@.map -o $$@ $$^ $$(BFIN_LIBS)
endef
$(foreach s,$(BFIN_TESTS) $(BFIN_BAD) $(BFIN_BENCH),$(eval $(call bfin_program,$(s))))

.PHONY: bfin bfin-build bfin-bench-build bfin-toolchain bfin-print
# make -s bfin-print VAR=BFIN_PROGS: how tests/bfin/suite and bench/bfin.sh
# learn the settings above instead of repeating them.
bfin-print:
	@echo '$($(VAR))'

bfin-toolchain:
	@command -v $(firstword $(BFIN_CC)) >/dev/null 2>&1 || { \
		echo "make bfin: no Blackfin compiler '$(BFIN_CC)'." >&2; \
		echo "  Build one with bfin/toolchain.sh (about 16 minutes; installs in $(BFIN_PREFIX))," >&2; \
		echo "  or name yours: make bfin CROSS_COMPILE=bfin-elf- (or CC=...)." >&2; exit 1; }
	@test -f $(BFIN_SODIUM)/lib/libsodium.a || { \
		echo "make bfin: no Blackfin libsodium in $(BFIN_SODIUM) (bfin/toolchain.sh builds it;" >&2; \
		echo "  with another toolchain set BFIN_SODIUM)." >&2; exit 1; }

BFIN_PROGS := $(call bfin_bin,$(BFIN_TESTS))
bfin-build: $(BFIN_PROGS) $(call bfin_bin,$(BFIN_BAD))
bfin-bench-build: $(call bfin_bin,$(BFIN_BENCH))

bfin: bfin-build
	@bfin/simtap.sh --run '$(BFIN_RUN)' $(BFIN_PROGS) \
		$(foreach f,$(BFIN_FAULTS),--fault '$(subst @, ,$(f))')

DEB_CHECK += libsodium-dev

-include $(shell find $(BFIN_B)/obj -name '*.d' 2>/dev/null)
