#!/usr/bin/env bash
# Builds a freestanding multiboot v1 kernel with the host gcc/binutils.
#   build_kernel.sh --bits 64|32 --ld SCRIPT --out KERNEL.elf [--] SOURCES...
# Compiles every .c/.cc/.S among SOURCES (headers are passed along for dependency
# tracking only), links at the script's fixed load address, and for 64-bit kernels
# converts ELF64 -> ELF32 with objcopy: QEMU's (and any multiboot v1) loader only
# takes ELF32, and the entry point runs in 32-bit protected mode anyway.
set -euo pipefail

bits=64 ld_script="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bits) bits="$2"; shift 2 ;;
    --ld) ld_script="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ -n "$ld_script" ] && [ -n "$out" ] || { echo "build_kernel.sh: --ld and --out are required" >&2; exit 2; }

common=(-ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only
        -fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none
        -O2 -g0 -Wall -Wextra -Werror -I. -I"${GENDIR:-.}")
case "$bits" in
  64) arch=(-m64 -mcmodel=small) ; emul=elf_x86_64 ;;
  32) arch=(-m32 -march=i686) ; emul=elf_i386 ;;
  *) echo "build_kernel.sh: --bits must be 64 or 32, not '$bits'" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
objs=()
n=0
for src in "$@"; do
  obj="$work/$n.o"; n=$((n + 1))
  case "$src" in
    *.cc) g++ "${common[@]}" "${arch[@]}" -std=gnu++20 -fno-exceptions -fno-rtti \
            -fno-threadsafe-statics -fno-use-cxa-atexit -c "$src" -o "$obj" ;;
    *.c) gcc "${common[@]}" "${arch[@]}" -std=gnu11 -c "$src" -o "$obj" ;;
    *.S) gcc "${arch[@]}" -I. -D__ASSEMBLY__ -c "$src" -o "$obj" ;;
    *) continue ;;
  esac
  objs+=("$obj")
done
[ ${#objs[@]} -gt 0 ] || { echo "build_kernel.sh: no sources to compile" >&2; exit 2; }

ld -m "$emul" -nostdlib -static -T "$ld_script" -z max-page-size=0x1000 \
   -z noexecstack --build-id=none -o "$work/kernel.elf" "${objs[@]}"
if [ "$bits" = 64 ]; then
  objcopy -O elf32-i386 "$work/kernel.elf" "$out"
else
  cp "$work/kernel.elf" "$out"
fi
