#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
#
# ksyms.pl: names the kernel and module addresses in text read from an L1
# kernel from outside it (QEMU's monitor at vhv-nested's time limit), so a
# stuck CPU's RIP and the return addresses on its stack read as functions.
#
#   ksyms.pl SYMBOLS TEXT [MODULE.ko SECTION=ADDR...] <text >text
#
# SYMBOLS is a System.map or a /proc/kallsyms dump of the same kernel from
# any boot (x86-64 KASLR moves the kernel as a whole); TEXT is where _text
# was in the boot the text comes from; each SECTION=ADDR
# is where the module's section of that name was loaded.  Every 64-bit
# address (with or without 0x) inside the kernel's or the module's text
# gets " <function+offset>" after it; the rest of the text passes as is.
use strict;
use warnings;
no warnings 'portable';	# 64-bit hex() on a 64-bit perl

my ($map, $text, $ko, @sections) = @ARGV;
die "usage: ksyms.pl SYMBOLS TEXT [MODULE.ko SECTION=ADDR...]\n"
	unless defined $text && $text =~ /^(0x)?[0-9a-f]+$/i;

my @syms;	# [start, end (0: up to the next), name]
my ($link_text, $link_etext);
open my $fh, '<', $map or die "ksyms.pl: $map: $!\n";
while (<$fh>) {
	my @f = split;	# a module's own symbols have a fourth field: not ours
	next unless @f == 3 && $f[1] =~ /\A[tTwW]\z/;
	my ($a, $n) = @f[0, 2];
	push @syms, [hex($a), 0, $n];
	$link_text = hex($a) if $n eq '_text';
	$link_etext = hex($a) if $n eq '_etext';
}
close $fh;
die "ksyms.pl: no _text/_etext in $map\n" unless defined $link_text && defined $link_etext;
my $slide = hex($text) - $link_text;
$_->[0] += $slide for @syms;
my ($k_lo, $k_hi) = ($link_text + $slide, $link_etext + $slide);

my @mod;	# [start, end, name] of the module's functions
if (defined $ko && -r $ko) {
	my %base;
	for (@sections) {
		my ($s, $a) = split /=/, $_, 2;
		$base{$s} = hex($a) if defined $a;
	}
	# "0000000000000120 g     F .text  00000000000000a3 name"
	open(my $od, '-|', 'objdump', '-t', $ko) or die "ksyms.pl: objdump: $!\n";
	while (<$od>) {
		next unless /^([0-9a-f]{16}) (.{7}) (\S+)\s+([0-9a-f]+)\s+(\S+)$/;
		my ($off, $flags, $sec, $size, $name) = ($1, $2, $3, $4, $5);
		next unless $flags =~ /F/ && exists $base{$sec};
		push @mod, [$base{$sec} + hex($off), $base{$sec} + hex($off) + hex($size), $name];
	}
	close $od;
}
@syms = sort { $a->[0] <=> $b->[0] } @syms;
my $modname = defined $ko && -r $ko ? ($ko =~ s{.*/}{}r =~ s/\.ko$//r) : '';

sub name_of {
	my ($addr) = @_;
	for my $m (@mod) {
		return sprintf('%s+0x%x [%s]', $m->[2], $addr - $m->[0], $modname)
			if $addr >= $m->[0] && $addr < $m->[1];
	}
	return undef unless $addr >= $k_lo && $addr < $k_hi;
	my ($lo, $hi) = (0, $#syms);
	while ($lo < $hi) {	# the last symbol at or below addr
		my $mid = int(($lo + $hi + 1) / 2);
		if ($syms[$mid][0] <= $addr) { $lo = $mid } else { $hi = $mid - 1 }
	}
	return undef if $syms[$lo][0] > $addr;
	return sprintf('%s+0x%x', $syms[$lo][2], $addr - $syms[$lo][0]);
}

while (my $line = <STDIN>) {
	# A CPU in a guest shows the guest's registers: say so.
	if ($line =~ /\bRIP=([0-9a-f]{16})\b/i && !defined name_of(hex($1))) {
		my $what = $modname ne '' ? "L1's kernel or $modname" : "L1's kernel";
		$line =~ s/\n?$/ (RIP not in $what: a guest's)\n/;
	}
	$line =~ s{\b((?:0x)?([0-9a-f]{16}))\b}{
		my $n = name_of(hex($2));
		defined $n ? "$1 <$n>" : $1
	}gei;
	print $line;
}
