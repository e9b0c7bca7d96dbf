"""cc_fuzz_target: a libFuzzer target that is also a seeded test in normal builds."""

def cc_fuzz_target(name, srcs, deps = [], seeded_runs = 2000, test_size = "medium", **kwargs):
    """Defines `name` (the fuzzer) and `name_seeded_test` (a short seeded run).

    With --config=fuzz, `name` links libFuzzer (run it with libFuzzer's flags, e.g.
    -runs=10000000). Otherwise it links a driver that runs seeded random inputs or
    the files given on its command line.
    """
    driver = select({
        "//tools/build_defs:fuzzing": [],
        "//conditions:default": ["//tools/build_defs:fuzz_driver"],
    })
    linkopts = select({
        "//tools/build_defs:fuzzing": ["-fsanitize=fuzzer"],
        "//conditions:default": [],
    })
    native.cc_binary(
        name = name,
        testonly = True,
        srcs = srcs,
        deps = deps + driver,
        linkopts = linkopts,
        **kwargs
    )
    native.cc_test(
        name = name + "_seeded_test",
        size = test_size,
        srcs = srcs,
        deps = deps + driver,
        linkopts = linkopts,
        args = ["--runs=%d" % seeded_runs, "--seed=20261125"],
        **kwargs
    )
