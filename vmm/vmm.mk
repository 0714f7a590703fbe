# SPDX-License-Identifier: GPL-2.0
# libvmm core unit tests (no hypervisor needed).
UNIT_TESTS += test_bzimage test_cli test_bus
$(B)/unit/test_bzimage: selftests/unit/test_bzimage.c vmm/bzimage.c
$(B)/unit/test_cli: selftests/unit/test_cli.c vmm/cli.c
$(B)/unit/test_bus: selftests/unit/test_bus.c vmm/bus.c
