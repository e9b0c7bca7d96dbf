// Exercises the guest runtime (guests/lib) end to end, in QEMU or vmxemu.
// Exits 0 if every check passed, 1 otherwise.
#include <stdarg.h>

#include "guests/lib/boot_info.h"
#include "guests/lib/idt.h"
#include "guests/lib/printf.h"
#include "guests/lib/segments.h"
#include "guests/lib/x86.h"
#include "guests/selftest/checks.h"

namespace selftest {
namespace {
int checks_run;
int checks_failed;
}  // namespace

bool check(bool passed, const char* name_format, ...) {
  ++checks_run;
  if (!passed) ++checks_failed;
  guest::printf("%s ", passed ? "ok" : "FAIL");
  va_list args;
  va_start(args, name_format);
  guest::vprintf(name_format, args);
  va_end(args);
  guest::printf("\n");
  return passed;
}

namespace {

void PrintBootInfo(const guest::BootInfo& boot_info) {
  guest::printf("memory: lower=%u KiB upper=%u KiB\n", boot_info.mem_lower_kib,
                boot_info.mem_upper_kib);
  guest::printf("modules: %d\n", guest::module_count());
  for (int i = 0; i < boot_info.module_count; ++i) {
    const guest::Module& module = boot_info.modules[i];
    guest::printf("module %d: %s, %lu bytes\n", i, module.string,
                  static_cast<unsigned long>(module.end - module.start));
  }
}

// CPUID leaf 0: the vendor string is EBX, EDX, ECX (SDM Vol. 2A CPUID).
void CheckCpuidVendor() {
  guest::CpuidResult leaf0 = guest::cpuid(0);
  const uint32_t words[3] = {leaf0.ebx, leaf0.edx, leaf0.ecx};
  char vendor[13];
  bool printable = true;
  for (int i = 0; i < 12; ++i) {
    vendor[i] = static_cast<char>(words[i / 4] >> (8 * (i % 4)));
    printable = printable && vendor[i] >= ' ' && vendor[i] <= '~';
  }
  vendor[12] = '\0';
  guest::printf("cpu vendor: %s\n", vendor);
  check(printable, "cpuid vendor string");
}

void CheckDescriptorTables() {
  check(guest::read_tr() == guest::kTssSelector, "tss loaded");
  check(guest::read_cs() == guest::kCodeSelector, "code segment");
  guest::DescriptorTablePointer idtr = guest::sidt();
#if defined(__x86_64__)
  constexpr int kGateSize = 16;
#else
  constexpr int kGateSize = 8;
#endif
  check(idtr.limit == 256 * kGateSize - 1, "idt has 256 gates");
}

}  // namespace
}  // namespace selftest

int kmain(const guest::BootInfo& boot_info) {
#if defined(__x86_64__)
  guest::printf("selftest: 64-bit\n");
#else
  guest::printf("selftest: 32-bit\n");
#endif
  selftest::PrintBootInfo(boot_info);
  selftest::CheckCpuidVendor();
  selftest::CheckDescriptorTables();
  selftest::run_printf_checks();
  selftest::run_pmm_checks();
  selftest::run_exception_checks();
  selftest::run_paging_checks();
  if (selftest::checks_failed != 0) {
    guest::printf("selftest: %d of %d checks FAILED\n", selftest::checks_failed,
                  selftest::checks_run);
    return 1;
  }
  guest::printf("selftest: all %d checks passed\n", selftest::checks_run);
  return 0;
}
