#include "guests/difftest/paging_tables.h"

#include "guests/difftest/x86_bits.h"
#include "guests/lib/pmm.h"
#include "guests/lib/x86.h"

namespace difftest {
namespace {

constexpr uint64_t kTable = kPteP | kPteRw | kPteUs;  // Non-leaf entries.
constexpr uint64_t kLeaf = kPteP | kPteRw | kPteUs;
constexpr uint64_t k2MiB = 2ull << 20, k4MiB = 4ull << 20, k1GiB = 1ull << 30;

uintptr_t NewTable() {
  return reinterpret_cast<uintptr_t>(guest::alloc_page());
}

uint64_t* Wide(uintptr_t table) { return reinterpret_cast<uint64_t*>(table); }
uint32_t* Narrow(uintptr_t table) { return reinterpret_cast<uint32_t*>(table); }

EntryRef WideRef(uintptr_t table, int index) {
  return {&Wide(table)[index], true};
}

// A page directory of 2 MiB identity pages starting at physical `first`.
uintptr_t IdentityDirectory(uint64_t first) {
  uintptr_t pd = NewTable();
  for (int i = 0; i < 512; ++i) {
    Wide(pd)[i] = (first + i * k2MiB) | kLeaf | kPtePs;
  }
  return pd;
}

void FillTestPages(PagingTables& t) {
  t.table = NewTable();
  for (int i = 0; i < kTestPages; ++i) {
    t.frame[i] = NewTable();
    if (t.mode == PagingMode::kTwoLevel) {
      t.page[i] = {&Narrow(t.table)[i], false};
    } else {
      t.page[i] = WideRef(t.table, i);
    }
    t.page[i].Set(t.frame[i] | kLeaf);
  }
  t.slot[0].Set(t.table | kTable);
  t.slot[1].Set(0 | kLeaf | kPtePs);
}

}  // namespace

uint64_t EntryRef::Get() const {
  return wide ? *static_cast<volatile uint64_t*>(address)
              : *static_cast<volatile uint32_t*>(address);
}

void EntryRef::Set(uint64_t value) const {
  if (wide) {
    *static_cast<volatile uint64_t*>(address) = value;
  } else {
    *static_cast<volatile uint32_t*>(address) = static_cast<uint32_t>(value);
  }
}

PagingTables BuildPagingTables(PagingMode mode) {
  PagingTables t = {};
  t.mode = mode;
  switch (mode) {
    case PagingMode::kFourLevel: {
#if defined(__x86_64__)
      // PML4[0] -> identity 0..4 GiB; PML4[1] (512 GiB) -> the test region.
      uintptr_t pml4 = NewTable();
      uintptr_t identity = NewTable();
      for (int i = 0; i < 4; ++i) {
        Wide(identity)[i] = IdentityDirectory(i * k1GiB) | kTable;
      }
      Wide(pml4)[0] = identity | kTable;
      uintptr_t pdpt = NewTable();
      uintptr_t pd = NewTable();
      Wide(pml4)[1] = pdpt | kTable;
      Wide(pdpt)[0] = pd | kTable;
      t.cr3 = pml4;
      t.base = uintptr_t{1} << 39;
      t.large = k2MiB;
      t.pml4e = WideRef(pml4, 1);
      t.pdpte = WideRef(pdpt, 0);
      t.huge = WideRef(pdpt, 1);
      t.huge_base = t.base + k1GiB;
      t.bad_pml4e = WideRef(pml4, 2);
      t.bad_pml4e_base = uintptr_t{2} << 39;
      for (int i = 0; i < kTestSlots; ++i) t.slot[i] = WideRef(pd, i);
#endif
      break;
    }
    case PagingMode::kPae: {
      // PDPTEs hold only P (bits 1-2 are reserved, SDM Vol. 3A Table 4-8).
      uintptr_t pdpt = NewTable();
      for (int i = 0; i < 4; ++i) {
        Wide(pdpt)[i] = IdentityDirectory(i * k1GiB) | kPteP;
      }
      uintptr_t top = static_cast<uintptr_t>(Wide(pdpt)[3] & ~0xFFFull);
      t.cr3 = pdpt;
      t.base = 0xC0000000;  // No RAM or device here on the PC board.
      t.large = k2MiB;
      for (int i = 0; i < kTestSlots; ++i) t.slot[i] = WideRef(top, i);
      break;
    }
    case PagingMode::kTwoLevel: {
      uintptr_t pd = NewTable();
      for (int i = 0; i < 1024; ++i) {
        Narrow(pd)[i] = static_cast<uint32_t>(i * k4MiB | kLeaf | kPtePs);
      }
      t.cr3 = pd;
      t.base = 0xC0000000;
      t.large = k4MiB;
      for (int i = 0; i < kTestSlots; ++i) {
        t.slot[i] = {&Narrow(pd)[(t.base >> 22) + i], false};
      }
      break;
    }
  }
  FillTestPages(t);
  return t;
}

void ActivatePaging(const PagingTables& t) {
  uintptr_t cr4 = guest::read_cr4();
  uintptr_t want = t.mode == PagingMode::kTwoLevel ? (cr4 & ~kCr4Pae) | kCr4Pse
                                                   : cr4 | kCr4Pae;
  if (want == cr4) {
    guest::write_cr3(t.cr3);
    return;
  }
  // Changing CR4.PAE needs paging off (SDM Vol. 3A 4.1.2); identity-mapped
  // code keeps running across the switch.
  uintptr_t cr0 = guest::read_cr0();
  guest::write_cr0(cr0 & ~kCr0Pg);
  guest::write_cr4(want);
  guest::write_cr3(t.cr3);
  guest::write_cr0(cr0);
}

const char* ModeName(PagingMode mode) {
  switch (mode) {
    case PagingMode::kFourLevel:
      return "4level";
    case PagingMode::kPae:
      return "pae";
    case PagingMode::kTwoLevel:
      return "32bit";
  }
  return "?";
}

}  // namespace difftest
