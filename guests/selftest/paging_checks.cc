// Paging on top of the boot identity map: map one fresh frame at a second
// virtual address through a new 4 KiB page table, check that both addresses
// alias, then unmap or write-protect it and take the #PF.
//
//   64-bit: 4-level paging. The alias lives in PML4 slot 1 (512 GiB), which
//           the boot map leaves empty, so a new PDPT, PD and PT are needed.
//   32-bit: 32-bit paging. The alias replaces the 4 MiB PDE at 0xFF800000,
//           which no RAM or device of the PC board uses (RAM stays below
//           3.5 GiB, the LAPIC is at 0xFEE00000, the BIOS ROM in the last
//           4 MiB), with a new page table.
#include <stdint.h>

#include "guests/lib/idt.h"
#include "guests/lib/pmm.h"
#include "guests/lib/x86.h"
#include "guests/selftest/checks.h"

namespace selftest {
namespace {

using Entry = uintptr_t;  // 8-byte entries in 64-bit, 4-byte in 32-bit mode.
constexpr Entry kPresent = 1 << 0;
constexpr Entry kWritable = 1 << 1;
constexpr uint8_t kPageFault = 14;
// #PF error code bits, SDM Vol. 3A "Page-Fault Error Code".
constexpr uint32_t kErrorPresent = 1 << 0;
constexpr uint32_t kErrorWrite = 1 << 1;

#if defined(__x86_64__)
constexpr uintptr_t kAlias = uintptr_t{1} << 39;
#else
constexpr uintptr_t kAlias = 0xFF800000;
#endif

Entry* TableAt(Entry entry) {
  return reinterpret_cast<Entry*>(entry & ~Entry{0xFFF});
}

// Set-up that run_paging_checks() undoes.
struct Mapping {
  Entry* directory_entry;  // The top-level entry we replaced.
  Entry saved_entry;
  void* tables[3];
  int table_count;
  Entry* pte;
  void* frame;
};
Mapping mapping;

void* NewTable() {
  void* table = guest::alloc_page();
  mapping.tables[mapping.table_count++] = table;
  return table;
}

void MapAlias() {
  Entry* top = TableAt(guest::read_cr3());
#if defined(__x86_64__)
  mapping.directory_entry = &top[(kAlias >> 39) & 0x1FF];
  mapping.saved_entry = *mapping.directory_entry;
  auto* pdpt = static_cast<Entry*>(NewTable());
  auto* pd = static_cast<Entry*>(NewTable());
  auto* pt = static_cast<Entry*>(NewTable());
  *mapping.directory_entry =
      reinterpret_cast<Entry>(pdpt) | kPresent | kWritable;
  pdpt[(kAlias >> 30) & 0x1FF] =
      reinterpret_cast<Entry>(pd) | kPresent | kWritable;
  pd[(kAlias >> 21) & 0x1FF] =
      reinterpret_cast<Entry>(pt) | kPresent | kWritable;
  mapping.pte = &pt[(kAlias >> 12) & 0x1FF];
#else
  mapping.directory_entry = &top[kAlias >> 22];
  mapping.saved_entry = *mapping.directory_entry;
  auto* pt = static_cast<Entry*>(NewTable());
  *mapping.directory_entry = reinterpret_cast<Entry>(pt) | kPresent | kWritable;
  mapping.pte = &pt[(kAlias >> 12) & 0x3FF];
#endif
  mapping.frame = guest::alloc_page();
  *mapping.pte = reinterpret_cast<Entry>(mapping.frame) | kPresent | kWritable;
  // The replaced 4 MiB translation (32-bit) may still be in the TLB.
  guest::invlpg(reinterpret_cast<void*>(kAlias));
}

void UnmapAlias() {
  *mapping.directory_entry = mapping.saved_entry;
  guest::invlpg(reinterpret_cast<void*>(kAlias));
  for (int i = 0; i < mapping.table_count; ++i) {
    guest::free_page(mapping.tables[i]);
  }
  guest::free_page(mapping.frame);
  mapping = {};
}

struct FaultReport {
  int count;
  uintptr_t cr2;
  uint32_t error_code;
};
FaultReport fault;

// Records the fault and repairs the mapping; returning retries the access.
void OnPageFault(guest::TrapFrame& frame) {
  ++fault.count;
  fault.cr2 = guest::read_cr2();
  fault.error_code = static_cast<uint32_t>(frame.error_code);
  *mapping.pte = reinterpret_cast<Entry>(mapping.frame) | kPresent | kWritable;
  guest::invlpg(reinterpret_cast<void*>(fault.cr2));
}

enum class Access { kReadUnmapped, kWriteUnmapped, kWriteReadOnly };

// Leaves the alias page not present, or present but read-only.
void Protect(Access access) {
  *mapping.pte = access == Access::kWriteReadOnly
                     ? reinterpret_cast<Entry>(mapping.frame) | kPresent
                     : 0;
  // SDM Vol. 3A "Invalidation of TLBs and Paging-Structure Caches": without
  // INVLPG the old translation may still be used.
  guest::invlpg(reinterpret_cast<void*>(kAlias));
  fault = {};
}

void CheckFault(Access access, const char* name) {
  constexpr uintptr_t kOffset = 0x123 * 4;
  auto* alias = reinterpret_cast<volatile uint32_t*>(kAlias + kOffset);
  auto* direct = reinterpret_cast<volatile uint32_t*>(
      reinterpret_cast<uintptr_t>(mapping.frame) + kOffset);
  *direct = 0x600DF00D;
  Protect(access);
  // Supervisor writes to read-only pages fault only with CR0.WP=1.
  constexpr uintptr_t kCr0WriteProtect = 1 << 16;
  uintptr_t cr0 = guest::read_cr0();
  guest::write_cr0(cr0 | kCr0WriteProtect);
  bool value_ok;
  uint32_t expected_error;
  if (access == Access::kReadUnmapped) {
    value_ok = *alias == 0x600DF00D;
    expected_error = 0;
  } else {
    *alias = 0xFEEDFACE;
    value_ok = *direct == 0xFEEDFACE;
    expected_error = access == Access::kWriteReadOnly
                         ? kErrorPresent | kErrorWrite
                         : kErrorWrite;
  }
  guest::write_cr0(cr0);
  check(fault.count == 1 && fault.cr2 == kAlias + kOffset &&
            fault.error_code == expected_error && value_ok,
        "paging #PF on %s: cr2 and error code %u, resumed", name,
        expected_error);
}

}  // namespace

void run_paging_checks() {
  MapAlias();
  auto* alias = reinterpret_cast<volatile uint32_t*>(kAlias);
  auto* direct = static_cast<volatile uint32_t*>(mapping.frame);
  *direct = 0x12345678;
  bool alias_reads = *alias == 0x12345678;
  alias[1] = 0x9ABCDEF0;
  bool direct_reads = direct[1] == 0x9ABCDEF0;
  check(alias_reads && direct_reads, "paging alias mapping via new page table");

  guest::set_exception_handler(kPageFault, OnPageFault);
  CheckFault(Access::kReadUnmapped, "read of unmapped page");
  CheckFault(Access::kWriteUnmapped, "write to unmapped page");
  CheckFault(Access::kWriteReadOnly, "write to read-only page");
  guest::set_exception_handler(kPageFault, nullptr);
  UnmapAlias();
}

}  // namespace selftest
