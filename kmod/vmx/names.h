/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMX numbers and their names: basic exit reasons (Intel SDM vol. 3D
 * appendix C) and VM-instruction errors (vol. 3C 31.4), for exit handler
 * tables and for messages.  Portable: built into vhv.ko and unit tests.
 */
#ifndef VHV_VMX_NAMES_H
#define VHV_VMX_NAMES_H

#include "../portable.h"

/* The exit reason field: the basic reason in 15:0, flags above. */
#define VMX_EXIT_REASON_BASIC(r)	((r) & 0xffffu)
#define VMX_EXIT_REASON_FROM_ENCLAVE	VHV_BIT(27)
#define VMX_EXIT_REASON_PENDING_MTF	VHV_BIT(28)
#define VMX_EXIT_REASON_FROM_ROOT	VHV_BIT(29)
#define VMX_EXIT_REASON_ENTRY_FAILED	VHV_BIT(31)

/* X(number, NAME, "short name"); the numbers not listed are not assigned. */
#define VMX_EXIT_REASONS(X)						\
	X(0,  EXCEPTION_NMI,	"exception or NMI")			\
	X(1,  EXT_INTR,		"external interrupt")			\
	X(2,  TRIPLE_FAULT,	"triple fault")				\
	X(3,  INIT,		"INIT signal")				\
	X(4,  SIPI,		"start-up IPI")				\
	X(5,  IO_SMI,		"I/O SMI")				\
	X(6,  OTHER_SMI,	"other SMI")				\
	X(7,  INTR_WINDOW,	"interrupt window")			\
	X(8,  NMI_WINDOW,	"NMI window")				\
	X(9,  TASK_SWITCH,	"task switch")				\
	X(10, CPUID,		"CPUID")				\
	X(11, GETSEC,		"GETSEC")				\
	X(12, HLT,		"HLT")					\
	X(13, INVD,		"INVD")					\
	X(14, INVLPG,		"INVLPG")				\
	X(15, RDPMC,		"RDPMC")				\
	X(16, RDTSC,		"RDTSC")				\
	X(17, RSM,		"RSM")					\
	X(18, VMCALL,		"VMCALL")				\
	X(19, VMCLEAR,		"VMCLEAR")				\
	X(20, VMLAUNCH,		"VMLAUNCH")				\
	X(21, VMPTRLD,		"VMPTRLD")				\
	X(22, VMPTRST,		"VMPTRST")				\
	X(23, VMREAD,		"VMREAD")				\
	X(24, VMRESUME,		"VMRESUME")				\
	X(25, VMWRITE,		"VMWRITE")				\
	X(26, VMXOFF,		"VMXOFF")				\
	X(27, VMXON,		"VMXON")				\
	X(28, CR_ACCESS,	"control-register access")		\
	X(29, DR_ACCESS,	"MOV DR")				\
	X(30, IO,		"I/O instruction")			\
	X(31, RDMSR,		"RDMSR")				\
	X(32, WRMSR,		"WRMSR")				\
	X(33, INVALID_GUEST,	"entry failure: invalid guest state")	\
	X(34, MSR_LOAD_FAIL,	"entry failure: MSR loading")		\
	X(36, MWAIT,		"MWAIT")				\
	X(37, MTF,		"monitor trap flag")			\
	X(39, MONITOR,		"MONITOR")				\
	X(40, PAUSE,		"PAUSE")				\
	X(41, MCE_DURING_ENTRY,	"entry failure: machine check")		\
	X(43, TPR_BELOW,	"TPR below threshold")			\
	X(44, APIC_ACCESS,	"APIC access")				\
	X(45, VIRTUALIZED_EOI,	"virtualized EOI")			\
	X(46, GDTR_IDTR,	"GDTR or IDTR access")			\
	X(47, LDTR_TR,		"LDTR or TR access")			\
	X(48, EPT_VIOLATION,	"EPT violation")			\
	X(49, EPT_MISCONFIG,	"EPT misconfiguration")			\
	X(50, INVEPT,		"INVEPT")				\
	X(51, RDTSCP,		"RDTSCP")				\
	X(52, PREEMPTION_TIMER,	"VMX-preemption timer expired")		\
	X(53, INVVPID,		"INVVPID")				\
	X(54, WBINVD,		"WBINVD or WBNOINVD")			\
	X(55, XSETBV,		"XSETBV")				\
	X(56, APIC_WRITE,	"APIC write")				\
	X(57, RDRAND,		"RDRAND")				\
	X(58, INVPCID,		"INVPCID")				\
	X(59, VMFUNC,		"VMFUNC")				\
	X(60, ENCLS,		"ENCLS")				\
	X(61, RDSEED,		"RDSEED")				\
	X(62, PML_FULL,		"page-modification log full")		\
	X(63, XSAVES,		"XSAVES")				\
	X(64, XRSTORS,		"XRSTORS")				\
	X(65, PCONFIG,		"PCONFIG")				\
	X(66, SPP,		"SPP-related event")			\
	X(67, UMWAIT,		"UMWAIT")				\
	X(68, TPAUSE,		"TPAUSE")				\
	X(69, LOADIWKEY,	"LOADIWKEY")				\
	X(70, ENCLV,		"ENCLV")				\
	X(72, ENQCMD_PASID,	"ENQCMD PASID translation failure")	\
	X(73, ENQCMDS_PASID,	"ENQCMDS PASID translation failure")	\
	X(74, BUS_LOCK,		"bus lock")				\
	X(75, INSN_TIMEOUT,	"instruction timeout")			\
	X(76, SEAMCALL,		"SEAMCALL")				\
	X(77, TDCALL,		"TDCALL")				\
	X(78, RDMSRLIST,	"RDMSRLIST")				\
	X(79, WRMSRLIST,	"WRMSRLIST")

enum vmx_exit_reason {
#define VMX_EXIT_REASON_ENUM(n, name, str)	VMX_EXIT_REASON_##name = (n),
	VMX_EXIT_REASONS(VMX_EXIT_REASON_ENUM)
#undef VMX_EXIT_REASON_ENUM
	VMX_EXIT_REASON_COUNT		/* one past the highest assigned */
};

/* X(number, NAME, "description"); 14, 21 and 27 are not assigned. */
#define VMX_INSN_ERRORS(X)						\
	X(1,  VMCALL_IN_ROOT,	"VMCALL executed in VMX root operation")	\
	X(2,  VMCLEAR_BAD_ADDR,	"VMCLEAR with invalid physical address")	\
	X(3,  VMCLEAR_VMXON,	"VMCLEAR with VMXON pointer")		\
	X(4,  VMLAUNCH_NOT_CLEAR, "VMLAUNCH with non-clear VMCS")	\
	X(5,  VMRESUME_NOT_LAUNCHED, "VMRESUME with non-launched VMCS")	\
	X(6,  VMRESUME_AFTER_VMXOFF, "VMRESUME after VMXOFF")		\
	X(7,  ENTRY_BAD_CONTROLS, "VM entry with invalid control field(s)") \
	X(8,  ENTRY_BAD_HOST,	"VM entry with invalid host-state field(s)") \
	X(9,  VMPTRLD_BAD_ADDR,	"VMPTRLD with invalid physical address")	\
	X(10, VMPTRLD_VMXON,	"VMPTRLD with VMXON pointer")		\
	X(11, VMPTRLD_BAD_REVISION, "VMPTRLD with incorrect VMCS revision identifier") \
	X(12, UNSUPPORTED_FIELD, "VMREAD/VMWRITE from/to unsupported VMCS component") \
	X(13, WRITE_READ_ONLY,	"VMWRITE to read-only VMCS component")	\
	X(15, VMXON_IN_ROOT,	"VMXON executed in VMX root operation")	\
	X(16, ENTRY_BAD_EXEC_VMCS, "VM entry with invalid executive-VMCS pointer") \
	X(17, ENTRY_EXEC_NOT_LAUNCHED, "VM entry with non-launched executive VMCS") \
	X(18, ENTRY_EXEC_NOT_VMXON, "VM entry with executive-VMCS pointer not VMXON pointer") \
	X(19, VMCALL_NOT_CLEAR,	"VMCALL with non-clear VMCS")		\
	X(20, VMCALL_BAD_EXIT_CONTROLS, "VMCALL with invalid VM-exit control fields") \
	X(22, VMCALL_BAD_MSEG,	"VMCALL with incorrect MSEG revision identifier") \
	X(23, VMXOFF_DUAL_MONITOR, "VMXOFF under dual-monitor treatment of SMIs and SMM") \
	X(24, VMCALL_BAD_SMM_FEATURES, "VMCALL with invalid SMM-monitor features") \
	X(25, ENTRY_BAD_EXEC_CONTROLS, "VM entry with invalid VM-execution control fields in executive VMCS") \
	X(26, ENTRY_MOV_SS,	"VM entry with events blocked by MOV SS") \
	X(28, BAD_INVEPT_INVVPID, "invalid operand to INVEPT/INVVPID")

enum vmx_insn_error {
#define VMX_INSN_ERROR_ENUM(n, name, str)	VMX_INSN_ERROR_##name = (n),
	VMX_INSN_ERRORS(VMX_INSN_ERROR_ENUM)
#undef VMX_INSN_ERROR_ENUM
	VMX_INSN_ERROR_COUNT
};

/*
 * A name for any value, hardware's or hostile: "unknown" for numbers not
 * assigned (including the reserved gaps and everything past the table).
 * exit reason: the basic reason, VMX_EXIT_REASON_BASIC() of the field.
 */
const char *vmx_exit_reason_name(u32 basic);
const char *vmx_insn_error_name(u32 error);
bool vmx_exit_reason_known(u32 basic);

#endif /* VHV_VMX_NAMES_H */
