# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034 # sets results for who sources it
#
# Sourced by tools/vhv-nested: whether /dev/kvm can run an L1 guest of a
# CPU vendor with that vendor's hardware virtualization exposed (nested
# AMD-V with NPT, or nested VT-x with EPT and unrestricted guest: what
# vhv.ko needs), and if not, which emulator to use instead and why.
#
#   kvm_probe VENDOR     (amd or intel) sets
#     kvm_probe_backend  kvm, or the fallback: tcg for amd, bochs for intel
#     kvm_probe_reason   one line saying why, for people
#   and returns 0 for kvm, 1 for the fallback (call it as a condition
#   under set -e).
#
# It reads, in this order, stopping at the first that rules kvm out: the
# host CPU's vendor (/proc/cpuinfo: KVM offers a guest its host's kind of
# virtualization only); /dev/kvm, present and opened read-write as this
# user; the vendor module's parameters in /sys/module (kvm_amd: nested,
# npt; kvm_intel: nested, ept, unrestricted_guest); then a real test guest
# run by tools/kvm-probe (build/tools/kvm-probe), which reports whether a
# one-instruction guest halts and what SVM/VMX features KVM would give a
# guest.  A /dev/kvm can exist and still run no ordinary guest: kvm_pvm,
# the paravirtual KVM of some cloud sandboxes, runs only guest kernels
# built for it; the test guest is what tells.
#
# For the tests (selftests/ci/run), without the hardware:
#   VHV_KVM_PROBE_ROOT   a directory read instead of / (its dev/kvm,
#                        proc/cpuinfo, sys/module/...)
#   VHV_KVM_PROBE_GUEST  the command run instead of build/tools/kvm-probe,
#                        given the device's path
#   VHV_KVM_PROBE_TIMEOUT  seconds the test guest may take (default 20)

kvm_probe_backend=''
kvm_probe_reason=''

# The parameter's value as 1 or 0, or the raw text when it is neither.
_kvm_probe_param() {
	local v
	v=$(cat "$1" 2>/dev/null) || return 1
	case $v in
	1|Y|y) echo 1 ;;
	0|N|n) echo 0 ;;
	*) echo "$v" ;;
	esac
}

_kvm_probe_fallback() {
	kvm_probe_reason=$2
	case $1 in
	amd) kvm_probe_backend=tcg ;;
	intel) kvm_probe_backend=bochs ;;
	esac
	return 1
}

kvm_probe() {
	local vendor=$1 root=${VHV_KVM_PROBE_ROOT:-} host mod err v p facts rc limit
	local guest=${VHV_KVM_PROBE_GUEST:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/tools/kvm-probe}
	local dev=$root/dev/kvm sysmod=$root/sys/module
	# The module parameters that must read 1, and the test guest's facts
	# (tools/kvm-probe.c) that must, with their names for people.
	local params=() facts_needed=() facts_named=()

	case $vendor in
	amd)
		mod=kvm_amd params=(nested npt)
		facts_needed=(svm npt) facts_named=(SVM NPT) ;;
	intel)
		mod=kvm_intel params=(nested ept unrestricted_guest)
		facts_needed=(vmx ept ug) facts_named=(VMX EPT "unrestricted guest") ;;
	*)
		kvm_probe_backend=''
		kvm_probe_reason="unknown vendor '$vendor'"
		return 2 ;;
	esac

	# KVM gives a guest its host's virtualization and emulates no other.
	if ! host=$(sed -n 's/^vendor_id[[:space:]]*:[[:space:]]*//p' "$root/proc/cpuinfo" 2>/dev/null | head -n1) ||
		[[ -z $host ]]; then
		_kvm_probe_fallback "$vendor" "cannot read the CPU vendor from /proc/cpuinfo"
		return
	fi
	case $vendor/$host in
	amd/AuthenticAMD|intel/GenuineIntel) ;;
	amd/GenuineIntel) _kvm_probe_fallback amd "the host CPU is Intel: kvm offers L1 VT-x there, not AMD-V"; return ;;
	intel/AuthenticAMD) _kvm_probe_fallback intel "the host CPU is AMD: kvm offers L1 AMD-V there, not VT-x"; return ;;
	*) _kvm_probe_fallback "$vendor" "the host CPU is $host, neither AMD nor Intel"; return ;;
	esac

	if [[ ! -e $dev ]]; then
		if [[ -d $sysmod/kvm_pvm && ! -d $sysmod/$mod ]]; then
			_kvm_probe_fallback "$vendor" "no /dev/kvm (this kernel's KVM is kvm_pvm, the paravirtual one, which runs only guest kernels built for it; $mod is absent)"
		elif [[ -d $sysmod/kvm && ! -d $sysmod/$mod ]]; then
			_kvm_probe_fallback "$vendor" "no /dev/kvm (kvm is loaded, $mod is not: modprobe $mod)"
		else
			_kvm_probe_fallback "$vendor" "no /dev/kvm"
		fi
		return
	fi
	# Opened as QEMU will open it; as root, mode bits do not tell.
	if ! err=$( { : <>"$dev"; } 2>&1); then
		err=${err##*: }
		case $err in
		"Permission denied")
			err+=" (join its group, often kvm, or see README: CI for a udev rule)" ;;
		"No such device"|"No such device or address")
			err+=" (no KVM behind the device node)" ;;
		esac
		_kvm_probe_fallback "$vendor" "/dev/kvm: $err"
		return
	fi

	# The module's own word on nested virtualization, where sysfs shows it.
	if [[ -d $sysmod ]]; then
		if [[ ! -d $sysmod/$mod ]]; then
			if [[ -d $sysmod/kvm_pvm ]]; then
				_kvm_probe_fallback "$vendor" "/dev/kvm is kvm_pvm's (the paravirtual KVM: it runs only guest kernels built for it), not $mod's"
			else
				_kvm_probe_fallback "$vendor" "/dev/kvm: $mod is not loaded"
			fi
			return
		fi
		for p in "${params[@]}"; do
			v=$(_kvm_probe_param "$sysmod/$mod/parameters/$p") || {
				# Without a nested parameter this KVM cannot nest.
				[[ $p == nested ]] || continue
				_kvm_probe_fallback "$vendor" "/dev/kvm: $mod has no nested parameter"
				return
			}
			case $v in
			1) ;;
			0) _kvm_probe_fallback "$vendor" "/dev/kvm: $mod $p=0$([[ $p == nested ]] && echo " (modprobe $mod nested=1)")"
			   return ;;
			*) _kvm_probe_fallback "$vendor" "/dev/kvm: $mod $p='$v', neither 1 nor Y"
			   return ;;
			esac
		done
	fi

	# A guest must actually run: the device may be another KVM's.
	if [[ ! -x $guest ]]; then
		_kvm_probe_fallback "$vendor" "cannot try a guest on /dev/kvm: ${guest#"${guest%/build/*}/"} is not built (make)"
		return
	fi
	limit=${VHV_KVM_PROBE_TIMEOUT:-20}
	facts=$(timeout "$limit" "$guest" "$dev" 2>&1)
	rc=$?
	if [[ $rc -eq 124 ]]; then
		_kvm_probe_fallback "$vendor" "/dev/kvm: a test guest did not finish within $limit s"
		return
	elif [[ $rc -ne 0 || $facts != guest=ok* ]]; then
		facts=$(tail -n1 <<<"$facts")
		_kvm_probe_fallback "$vendor" "/dev/kvm cannot run a test guest: ${facts#kvm-probe: }"
		return
	fi
	for p in "${!facts_needed[@]}"; do
		if [[ " $facts " != *" ${facts_needed[p]}=1 "* ]]; then
			_kvm_probe_fallback "$vendor" "/dev/kvm runs guests but offers them no nested ${facts_named[p]} ($facts)"
			return
		fi
	done
	kvm_probe_backend=kvm
	case $vendor in
	amd) kvm_probe_reason="/dev/kvm runs a test guest and offers it AMD-V with NPT" ;;
	intel) kvm_probe_reason="/dev/kvm runs a test guest and offers it VT-x with EPT and unrestricted guest" ;;
	esac
	return 0
}
