"""guest_kernel: freestanding multiboot kernels built with the host gcc/binutils."""

def guest_kernel(name, srcs, deps = [], bits = 64, visibility = None, testonly = False):
    """Builds `<name>.elf`, a multiboot v1 kernel QEMU's -kernel (and vmxemu) boots.

    Args:
      name: target name; the kernel is `<name>.elf`.
      srcs: the kernel's own .cc/.c/.S/.h files.
      deps: filegroups of further guest sources (e.g. "//guests/lib:runtime");
            the runtime is always included.
      bits: 64 (boots to long mode; ELF64 converted to ELF32) or 32 (-m32).
    """
    runtime = "//guests/lib:runtime"
    all_deps = deps if runtime in deps else [runtime] + deps
    ld = "//guests:kernel.ld"  # one script for both widths (no OUTPUT_FORMAT)
    native.genrule(
        name = name,
        srcs = srcs + all_deps + [ld],
        outs = [name + ".elf"],
        tools = ["//guests:build_kernel.sh"],
        cmd = ("GENDIR=$(GENDIR) $(location //guests:build_kernel.sh) --bits %d " +
               "--ld $(location %s) --out $@ -- $(SRCS)") % (bits, ld),
        visibility = visibility,
        testonly = testonly,
        message = "Building guest kernel " + name,
    )
