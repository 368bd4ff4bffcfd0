// SPDX-License-Identifier: MIT
/* The TUN device: one queue per worker (IFF_MULTI_QUEUE), optionally with
 * virtio headers and the checksum/TSO offloads. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dpu_int.h"

int tun_open(const char *name, bool multi, bool vnet, char *actual, int *ifindex,
	     char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open /dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0) | (vnet ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "cannot create TUN device %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	if (vnet) {
		unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;

		if (ioctl(fd, TUNSETOFFLOAD, off) < 0) {
			snprintf(err, errlen, "TUN offloads refused: %s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	snprintf(actual, IF_NAMESIZE, "%s", ifr.ifr_name);
	*ifindex = (int)if_nametoindex(ifr.ifr_name);
	return fd;
}
