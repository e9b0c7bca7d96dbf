// Shared by the selftest's check groups: each check prints one line,
// "ok <name>" or "FAIL <name>", and failures are counted for the exit code.
#ifndef GUESTS_SELFTEST_CHECKS_H_
#define GUESTS_SELFTEST_CHECKS_H_

namespace selftest {

// Prints the result line and returns passed.
bool check(bool passed, const char* name_format, ...)
    __attribute__((format(printf, 2, 3)));

void run_printf_checks();
void run_pmm_checks();
void run_exception_checks();
void run_paging_checks();

}  // namespace selftest

#endif  // GUESTS_SELFTEST_CHECKS_H_
