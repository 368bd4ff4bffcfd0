# kmod/core/: the portable ESP core (no libc, no kernel headers: compat.h).
# libespcore.a for userspace hosts and unit tests; kmod/linux compiles the
# same files under Kbuild. The Kbuild compile check is tests/kbuild/suite.
ESPCORE_SRCS := $(wildcard kmod/core/*.c)
$(eval $(call archive,espcore,$(ESPCORE_SRCS),))
# -Wcast-align=strict: the core must never widen a byte pointer (Blackfin).
$(call obj,$(ESPCORE_SRCS)): CFLAGS += -Wcast-align=strict -Wconversion -Wno-sign-conversion
DEB_CHECK += linux-headers-amd64
