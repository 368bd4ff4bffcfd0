# lib/: C shared by several programs (logging, addresses and selectors, proposals).
LIB_SRCS := $(wildcard lib/*.c)
$(eval $(call archive,secgw,$(LIB_SRCS),))
