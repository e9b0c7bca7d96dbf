#!/usr/bin/env python3
"""Prints the closing line of `./vmx test`: "N passed, N failed", counting test cases.

Reads every test.xml under bazel-testlogs (gtest writes one case per TEST; other test
kinds get one case from Bazel). A target Bazel reports as failed without any failing
case in its XML (crash, timeout, build failure) counts as one failure, so nothing is
hidden. Exit status: 0 only if nothing failed and bazel itself succeeded.

usage: summarize_tests.py BAZEL_TESTLOGS_DIR BAZEL_EXIT_CODE < test-target labels
"""
import os
import sys
import xml.etree.ElementTree as ET


def count_cases(xml_path):
    """Returns (passed, failed, skipped) test cases in one JUnit XML file."""
    passed = failed = skipped = 0
    try:
        root = ET.parse(xml_path).getroot()
    except (ET.ParseError, OSError):
        return 0, 1, 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None or case.get("result") == "suppressed":
            skipped += 1
        elif case.get("status") == "notrun":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def count_run(run_dir, sharded=False):
    """(passed, failed, skipped) of one test run (a target, or one shard of it)."""
    xml = os.path.join(run_dir, "test.xml")
    log_path = os.path.join(run_dir, "test.log")
    if not os.path.exists(log_path):
        return 0, 1, 0  # never ran (its build failed)
    p, f, s = count_cases(xml) if os.path.exists(xml) else (0, 1, 0)
    log = open(log_path, errors="replace").read()
    # A crash after the last case, or a timeout, leaves no failing case. (A shard may
    # legitimately get no cases; a whole target may not.)
    if f == 0 and ("TIMEOUT" in log[-2000:] or (p == 0 and s == 0 and not sharded)):
        f = 1
    return p, f, s


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    logs, bazel_rc = sys.argv[1], int(sys.argv[2])
    passed = failed = skipped = 0
    failed_targets = []
    for label in sys.stdin.read().split():
        # //pkg/sub:name -> <testlogs>/pkg/sub/name (sharded: .../name/shard_K_of_N/)
        rel = label.lstrip("/").replace(":", "/")
        test_dir = os.path.join(logs, rel)
        run_dirs = [test_dir]
        if not os.path.exists(os.path.join(test_dir, "test.log")) and os.path.isdir(test_dir):
            shards = sorted(d for d in os.listdir(test_dir) if d.startswith("shard_"))
            if shards:
                run_dirs = [os.path.join(test_dir, d) for d in shards]
        p = f = s = 0
        for run_dir in run_dirs:
            rp, rf, rs = count_run(run_dir, sharded=len(run_dirs) > 1)
            p, f, s = p + rp, f + rf, s + rs
        passed, failed, skipped = passed + p, failed + f, skipped + s
        if f:
            failed_targets.append(label)
    # bazel exit codes: 0 ok, 3 some tests failed, 4 no tests; anything else = build error.
    if bazel_rc not in (0, 3, 4):
        failed += 1
        failed_targets.append(f"(bazel exited {bazel_rc}: build or test run failed)")
    for t in sorted(failed_targets):
        print(f"FAILED: {t}")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 and bazel_rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
