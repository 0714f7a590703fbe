# SPDX-License-Identifier: GPL-2.0
# Shared by tools/vhv-nested and tools/guest-initramfs: putting distro
# kernel modules into an initramfs.  Needs $kver and a die() function;
# $modroot, when set, is the root its lib/modules is under (not /).

# Modules for the names given, with their dependencies, in load order,
# without duplicates (paths under $modroot/lib/modules/$kver).  A module
# built into the kernel has none.
module_chain() {
	local m
	for m in "$@"; do
		modprobe ${modroot:+-d "$modroot"} -S "$kver" --show-depends "$m" ||
			die "modprobe cannot resolve $m for $kver"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}

# Copies a module into DST uncompressed (busybox insmod takes plain .ko)
# and appends its name to DST/order.
add_module() {
	local src=$1 dst=$2 name
	name=$(basename "$src")
	case $name in
	*.ko.xz) xz -dc "$src" >"$dst/${name%.xz}"; name=${name%.xz} ;;
	*.ko.zst) zstd -qdc "$src" >"$dst/${name%.zst}"; name=${name%.zst} ;;
	*.ko.gz) gzip -dc "$src" >"$dst/${name%.gz}"; name=${name%.gz} ;;
	*) cp "$src" "$dst/$name" ;;
	esac
	echo "$name" >>"$dst/order"
}
