# SPDX-License-Identifier: GPL-2.0
# The legacy PC devices (UART and its console, i8042, CMOS RTC, debug-exit
# port): unit tests.
UNIT_TESTS += test_serial test_console test_i8042 test_rtc test_debug_exit
$(B)/unit/test_serial: selftests/unit/test_serial.c devices/serial.c devices/console.c \
	$(FAKE_VMM)
$(B)/unit/test_console: selftests/unit/test_console.c devices/console.c $(FAKE_VMM)
$(B)/unit/test_i8042: selftests/unit/test_i8042.c devices/i8042.c $(FAKE_VMM)
$(B)/unit/test_rtc: selftests/unit/test_rtc.c devices/rtc.c $(FAKE_VMM)
$(B)/unit/test_debug_exit: selftests/unit/test_debug_exit.c devices/debug_exit.c \
	$(FAKE_VMM)
