# SPDX-License-Identifier: GPL-2.0
# virtio-net: unit test through the real PCI bus, virtio-pci transport and virtqueues.
UNIT_TESTS += test_virtio_net
$(B)/unit/test_virtio_net: selftests/unit/test_virtio_net.c devices/virtio_net.c \
	devices/virtio_pci.c devices/virtqueue.c devices/pci.c $(FAKE_VMM)
