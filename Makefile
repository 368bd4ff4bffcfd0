# SPDX-License-Identifier: MIT
#
# secgw — the one Makefile.
#
#   make            build every program (release flags) into build/
#   make run        install missing dependencies, build, start secgw-iked and the agent (state in ./var)
#   make demo       two routers in network namespaces with a tunnel (root); make demo-stop ends it
#   make check      install missing dependencies, build with ASan+UBSan into build/check/,
#                   run every test suite, end with "N passed, N failed[, N skipped]"
#   make deps       install the Debian packages the build needs (no-op when present)
#
# Each folder describes itself in a module.mk fragment (programs, unit tests, the
# Debian packages it needs); this file only holds the machinery.  Honours CC,
# CROSS_COMPILE, CFLAGS, LDFLAGS and B (the build directory).

.SUFFIXES:
.DELETE_ON_ERROR:
SHELL := /bin/bash

CROSS_COMPILE ?=
ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
AR := $(CROSS_COMPILE)ar
PKG_CONFIG ?= pkg-config

B ?= build
SAN ?= 0

WARN := -Wall -Wextra -Werror -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wshadow -Wpointer-arith -Wvla -Wno-unused-parameter
CSTD := -std=c11 -D_GNU_SOURCE
ifeq ($(SAN),1)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN := -fsanitize=address,undefined
else
OPT := -O2 -g -D_FORTIFY_SOURCE=2
LDSAN :=
endif
CFLAGS ?=
LDFLAGS ?=
HARDEN := -fstack-protector-strong -fPIE
ALL_CFLAGS = $(CSTD) $(OPT) $(HARDEN) $(WARN) -Ilib -I. -MMD -MP $(CFLAGS)
ALL_LDFLAGS = $(LDSAN) -pie -Wl,-z,relro,-z,now $(LDFLAGS)

# pkg-config is asked lazily (recursive variables), so that `make check` can
# install the -dev packages first and then build in a sub-make.
pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

# Filled in by the module.mk fragments.
PROGRAMS    :=
ARCHIVES    :=
ALL_PKGS    :=
ALL_LIBS    :=
EXTRA_BUILD :=
DEB_BUILD   := gcc make pkg-config
DEB_CHECK   :=

# $(call obj,SRCS) -> object paths under $(B)
obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

# $(eval $(call archive,NAME,SRCS,PKGS))
# A static library $(B)/libNAME.a: the code of a folder minus its main(), so that
# unit tests can link any part of any program.
define archive
ARCHIVES += $(B)/lib$(1).a
ALL_PKGS += $(3)
$$(call obj,$(2)): PKGS := $(3)
$(B)/lib$(1).a: $$(call obj,$(2))
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef

# $(eval $(call program,NAME,SRCS,PKGS,ARCHIVES[,EXTRA_LIBS]))
# A program in $(B)/bin: its own objects (main), then the archives it uses (by
# NAME: "agent secgw" means libagent.a then libsecgw.a), then the pkg-config PKGS.
define program
PROGRAMS += $(1)
ALL_PKGS += $(3)
$$(call obj,$(2)): PKGS := $(3)
$(B)/bin/$(1): $$(call obj,$(2)) $$(patsubst %,$(B)/lib%.a,$(4)) | $(B)/bin
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$(call obj,$(2)) $$(patsubst %,$(B)/lib%.a,$(4)) \
		$$(call pc_libs,$(3)) $(5) -lpthread
endef

PKGS :=
$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(call pc_cflags,$(PKGS)) -c -o $@ $<

$(B)/bin:
	@mkdir -p $@

include lib/module.mk
include $(sort $(filter-out lib/module.mk,$(wildcard */module.mk */*/module.mk)))

# C unit tests: every tests/unit/test_*.c is one TAP program, linked against
# every archive (the linker takes only what it uses) and every package, plus
# ALL_LIBS: libraries without a pkg-config file (-lNAME), added by fragments.
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRCS))
$(call obj,$(UNIT_SRCS)): PKGS = $(sort $(ALL_PKGS))
$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(ARCHIVES)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< -Wl,--start-group $(ARCHIVES) -Wl,--end-group \
		$(call pc_libs,$(sort $(ALL_PKGS))) $(sort $(ALL_LIBS)) -lpthread

BINS := $(addprefix $(B)/bin/,$(PROGRAMS))

.DEFAULT_GOAL := all
.PHONY: all tests deps deps-check run demo demo-stop check clean
all: $(BINS) $(EXTRA_BUILD)
tests: all $(UNIT_BINS)

deps:
	@tools/deps.sh $(sort $(DEB_BUILD))

deps-check:
	@tools/deps.sh $(sort $(DEB_BUILD) $(DEB_CHECK))

# The main job: secgw-iked (as root) and the agent in the foreground, state
# in ./var, the agent on 127.0.0.1:8080; Ctrl-C stops both (tools/run.sh).
RUN_LISTEN ?= 127.0.0.1:8080
run: deps
	@$(MAKE) --no-print-directory all
	@exec tools/run.sh $(B)/bin $(RUN_LISTEN)

# Two routers in network namespaces with a tunnel between them (tools/demo.sh).
demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh start $(B)/bin

demo-stop:
	@tools/demo.sh stop

# The test command (the README's and CI's): sanitizer build, every suite.
check: deps-check
	@$(MAKE) --no-print-directory B=build/check SAN=1 tests || \
		{ echo "make check: the build failed, so nothing was tested"; echo "0 passed, 1 failed"; exit 1; }
	@tests/run build/check

clean:
	rm -rf build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
