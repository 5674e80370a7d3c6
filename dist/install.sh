#!/bin/sh
# dist/install.sh - what "make install" writes, and "make uninstall" removes:
# exactly the files install wrote, as it wrote them.
#
#   sh dist/install.sh install DESTDIR MANIFEST < LIST
#	LIST: one "MODE SOURCE TARGET" line per file (MODE 755 or 644), or
#	"link LINKTARGET TARGET" for a symbolic link, or "dir - TARGET" for
#	an empty folder; TARGET is absolute
#	and DESTDIR goes before it. MANIFEST (absolute, without DESTDIR)
#	records each file with its SHA-256, each link with its target, and
#	each folder the install had to create.
#   sh dist/install.sh uninstall DESTDIR MANIFEST
#	removes each recorded file that is still as installed, each recorded
#	link still pointing where it did, then each recorded folder left
#	empty; says which files it keeps (changed since the install) and
#	never touches anything else.
set -eu

mode=$1 destdir=$2 manifest=$3
m=$destdir$manifest

# mkdirs DIR: create DIR and its missing parents, each recorded
mkdirs() {
	case $1 in
	/|.) [ -z "$destdir" ] || install -d "$destdir"; return 0 ;;
	esac
	[ -d "$destdir$1" ] && return 0
	mkdirs "$(dirname "$1")"
	install -d -m 755 "$destdir$1"
	echo "dir $1" >> "$new"
}

case $mode in
install)
	new=$(mktemp)
	trap 'rm -f "$new"' EXIT
	# the folders an earlier install created are still its own
	[ -f "$m" ] && grep '^dir ' "$m" >> "$new" || true
	mkdirs "$(dirname "$manifest")"
	while read -r how src dst; do
		[ -n "$how" ] || continue
		if [ "$how" = dir ]; then
			mkdirs "$dst"
			continue
		fi
		mkdirs "$(dirname "$dst")"
		if [ "$how" = link ]; then
			rm -f "$destdir$dst"
			ln -s "$src" "$destdir$dst"
			echo "link $src $dst" >> "$new"
		else
			install -m "$how" "$src" "$destdir$dst"
			echo "file $(sha256sum < "$destdir$dst" | cut -d' ' -f1) $dst" >> "$new"
		fi
		echo "  $dst"
	done
	install -m 644 "$new" "$m"
	;;
uninstall)
	if [ ! -f "$m" ]; then
		echo "uninstall: $m: no record of an install here (was it installed with another PREFIX or DESTDIR?)" >&2
		exit 1
	fi
	while read -r kind a b; do
		case $kind in
		file)
			f=$destdir$b
			[ -f "$f" ] || continue
			if [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$a" ]; then
				rm -f "$f"
				echo "  removed $b"
			else
				echo "  kept $b (changed since the install)"
			fi ;;
		link)
			f=$destdir$b
			if [ -L "$f" ] && [ "$(readlink "$f")" = "$a" ]; then
				rm -f "$f"
				echo "  removed $b"
			fi ;;
		esac
	done < "$m"
	dirs=$(sed -n 's/^dir //p' "$m" | awk '{ print length($0) "\t" $0 }' |
		sort -rn | cut -f2-)
	rm -f "$m"
	# deepest first; a folder holding anything else stays
	echo "$dirs" | while read -r d; do
		[ -n "$d" ] && rmdir "$destdir$d" 2>/dev/null &&
			echo "  removed $d/" || true
	done
	;;
*)
	echo "usage: install.sh install|uninstall DESTDIR MANIFEST" >&2
	exit 64 ;;
esac
