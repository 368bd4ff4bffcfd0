/* SPDX-License-Identifier: MIT */
/*
 * The generic netlink interface of secgw_esp.ko: the only contract between the
 * module and userspace (secgw-iked's kmod backend, the VM tests). Shared
 * unchanged by both sides, so it uses nothing but fixed-width integers.
 *
 * Numbers are ABI: append new commands and attributes, never renumber.
 * Every attribute has an entry in the module's policy table; a message with
 * an attribute of the wrong type or length, or one the module does not know,
 * is refused with -EINVAL before any handler sees it.
 */
#ifndef SECGW_ESP_H
#define SECGW_ESP_H

#define SECGW_ESP_GENL_NAME	"secgw_esp"
/* Bumped when a command or attribute changes meaning (adding one does not). */
#define SECGW_ESP_GENL_VERSION	1

enum secgw_esp_cmd {
	SECGW_ESP_CMD_UNSPEC,
	/* Reply: SECGW_ESP_A_VERSION. Anyone may ask; it changes nothing. */
	SECGW_ESP_CMD_GET_INFO,
	__SECGW_ESP_CMD_MAX,
};
#define SECGW_ESP_CMD_MAX (__SECGW_ESP_CMD_MAX - 1)

enum secgw_esp_attr {
	SECGW_ESP_A_UNSPEC,
	SECGW_ESP_A_VERSION,	/* u32: SECGW_ESP_GENL_VERSION of the sender */
	__SECGW_ESP_A_MAX,
};
#define SECGW_ESP_A_MAX (__SECGW_ESP_A_MAX - 1)

#endif
