# SPDX-License-Identifier: GPL-2.0
# virtio-net: unit test through the real PCI bus, virtio-pci transport and virtqueues.
UNIT_TESTS += test_virtio_net
$(B)/unit/test_virtio_net: selftests/unit/test_virtio_net.c devices/virtio_net.c \
	devices/virtio_pci.c devices/virtqueue.c devices/pci.c $(FAKE_VMM)

# --net user: libslirp (and the glib it is built on) on the I/O thread.
SLIRP_CFLAGS := $(shell pkg-config --cflags slirp 2>/dev/null)
SLIRP_LIBS := $(or $(shell pkg-config --libs slirp 2>/dev/null),-lslirp -lglib-2.0)
VMM_LDLIBS += $(SLIRP_LIBS)
$(B)/devices/net_user.o: ALL_CFLAGS += $(SLIRP_CFLAGS)
# The backend driven by hand-made frames, with real slirp and host sockets.
UNIT_TESTS += test_net_user
$(B)/unit/test_net_user: selftests/unit/test_net_user.c devices/net_user.c \
	devices/net_user_tcp.c vmm/sandbox_inet.c devices/virtio_net.c devices/virtio_pci.c devices/virtqueue.c devices/pci.c $(FAKE_VMM)
$(B)/unit/test_net_user: ALL_CFLAGS += $(SLIRP_CFLAGS)
$(B)/unit/test_net_user: UNIT_LDLIBS += $(SLIRP_LIBS) -lseccomp
