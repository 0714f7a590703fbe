# SPDX-License-Identifier: GPL-2.0
# firmware/: the DSDT compiled from ASL into a C array for acpi.c, and the
# unit tests of the table builders and of devices/acpi_pm.c.

FW_DSDT_C := $(B)/firmware/dsdt_aml.c

# -we: an iasl warning fails the build (iasl still writes the .hex, hence
# the rm).  -p keeps every output in $(B).
# iasl names the array after the output prefix (dsdt_aml_code); the wrapper
# renames it to the const symbol firmware.h declares.
$(B)/firmware/dsdt.hex: firmware/dsdt.asl
	@mkdir -p $(@D)
	iasl -vs -we -p $(B)/firmware/dsdt -tc $< || { rm -f $@; exit 1; }

$(FW_DSDT_C): $(B)/firmware/dsdt.hex
	@mkdir -p $(@D)
	{ echo '/* Generated from firmware/dsdt.asl by firmware/firmware.mk. */'; \
	  echo '#include "firmware/firmware.h"'; \
	  sed -n '/^unsigned char dsdt_aml_code\[\] =/,/^};/p' $< | \
	  sed 's/^unsigned char dsdt_aml_code\[\]/const unsigned char fw_dsdt_aml[]/'; \
	  echo 'const size_t fw_dsdt_aml_len = sizeof(fw_dsdt_aml);'; } > $@.tmp
	grep -q '^const unsigned char fw_dsdt_aml\[\] =' $@.tmp
	mv $@.tmp $@

$(B)/firmware/dsdt_aml.o: $(FW_DSDT_C)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

LIBVMM_EXTRA_OBJS += $(B)/firmware/dsdt_aml.o

UNIT_TESTS += test_acpi test_mptable test_acpi_pm
$(B)/unit/test_acpi: selftests/unit/test_acpi.c firmware/acpi.c \
	firmware/mptable.c $(FW_DSDT_C)
$(B)/unit/test_mptable: selftests/unit/test_mptable.c firmware/acpi.c \
	firmware/mptable.c $(FW_DSDT_C)
$(B)/unit/test_acpi_pm: selftests/unit/test_acpi_pm.c devices/acpi_pm.c $(FAKE_VMM)
