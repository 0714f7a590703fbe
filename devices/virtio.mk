# SPDX-License-Identifier: GPL-2.0
# PCI bus, virtio core and transport, virtio-rng and virtio-blk: unit tests.
# The virtio ones also link a small virtio-pci driver.
VIRTIO_DRV := selftests/unit/virtio_drv.c selftests/unit/virtio_drv.h $(FAKE_VMM)

UNIT_TESTS += test_pci
$(B)/unit/test_pci: selftests/unit/test_pci.c devices/pci.c $(FAKE_VMM)

UNIT_TESTS += test_virtqueue
$(B)/unit/test_virtqueue: selftests/unit/test_virtqueue.c devices/virtqueue.c \
	$(VIRTIO_DRV)

UNIT_TESTS += test_virtio_pci
$(B)/unit/test_virtio_pci: selftests/unit/test_virtio_pci.c devices/virtio_pci.c \
	devices/virtqueue.c devices/pci.c $(VIRTIO_DRV)

UNIT_TESTS += test_virtio_rng
$(B)/unit/test_virtio_rng: selftests/unit/test_virtio_rng.c devices/virtio_rng.c \
	devices/virtio_pci.c devices/virtqueue.c devices/pci.c $(VIRTIO_DRV)

UNIT_TESTS += test_virtio_blk
$(B)/unit/test_virtio_blk: selftests/unit/test_virtio_blk.c devices/virtio_blk.c \
	devices/virtio_pci.c devices/virtqueue.c devices/pci.c $(VIRTIO_DRV)
# --wrap: the test plays storage that never answers.
$(B)/unit/test_virtio_blk: UNIT_LDLIBS += $(URING_LIBS) -Wl,--wrap=io_uring_submit
