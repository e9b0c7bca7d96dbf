// Page tables for the paging guest, built with the runtime's page allocator:
// an identity map of 0..4 GiB (2 MiB or 4 MiB pages, user-accessible, so
// CPL 3 can run the kernel's code) plus a test region at kTestBase whose
// entries the tests rewrite:
//   slot i     directory entry i of the region, each covering LargePage():
//              0 -> a page table (pages below), 1 -> a large page mapping
//              physical 0 (so large-page accesses land on low scratch RAM),
//              2..5 free for the tests;
//   page i     page-table entry i under slot 0, backed by its own frame.
// Three formats (SDM Vol. 3A 4.3-4.5): 4-level (64-bit build), PAE and
// 32-bit paging (32-bit build).
#ifndef GUESTS_DIFFTEST_PAGING_TABLES_H_
#define GUESTS_DIFFTEST_PAGING_TABLES_H_

#include <stdint.h>

namespace difftest {

enum class PagingMode { kFourLevel, kPae, kTwoLevel };

// One paging-structure entry, 8 bytes wide except in 32-bit paging.
struct EntryRef {
  void* address = nullptr;
  bool wide = true;

  uint64_t Get() const;
  void Set(uint64_t value) const;
};

inline constexpr int kTestPages = 16;
inline constexpr int kTestSlots = 6;

struct PagingTables {
  PagingMode mode;
  uintptr_t cr3;
  uintptr_t base;       // Virtual address of the test region.
  uintptr_t large;      // Size of a large page: 2 MiB, or 4 MiB.
  EntryRef pml4e;       // 4-level only: the PML4E above the region.
  EntryRef pdpte;       // 4-level only: the PDPTE above the directory.
  EntryRef huge;        // 4-level only: a PDPTE for a 1 GiB page.
  uintptr_t huge_base;  // Its virtual address.
  EntryRef bad_pml4e;   // 4-level only: a spare PML4E.
  uintptr_t bad_pml4e_base;
  EntryRef slot[kTestSlots];
  EntryRef page[kTestPages];
  uintptr_t frame[kTestPages];  // Physical frame behind page[i].
  uintptr_t table;              // Physical address of the page table.
};

PagingTables BuildPagingTables(PagingMode mode);

// Loads CR3 (and CR4.PAE/PSE, with paging briefly off, when the format
// changes). Code and stack must be identity mapped, as they are.
void ActivatePaging(const PagingTables& tables);

const char* ModeName(PagingMode mode);

}  // namespace difftest

#endif  // GUESTS_DIFFTEST_PAGING_TABLES_H_
