// The slow half of the memory path: segmentation checks, page walks (SDM Vol. 3A ch. 4),
// TLB fills, page-crossing and MMIO accesses.
#include <cstdio>

#include "absl/strings/str_format.h"
#include "cpu/cpu.h"

namespace vmxemu::cpu {
namespace {

constexpr uint64_t kPteP = 1ull << 0, kPteRw = 1ull << 1, kPteUs = 1ull << 2,
                   kPteA = 1ull << 5, kPteD = 1ull << 6, kPtePs = 1ull << 7,
                   kPteXd = 1ull << 63;
// #PF error code bits (SDM Vol. 3A 4.7, Figure 4-12).
constexpr uint32_t kPfP = 1, kPfW = 2, kPfU = 4, kPfRsvd = 8, kPfId = 16;

// Physical-address bits of a 64-bit paging entry: 51:12 limited to MAXPHYADDR.
constexpr uint64_t kAddrBits = kPhysAddrMask & ~0xFFFull;
// Bits 51:MAXPHYADDR must be 0 in every PAE/4-level entry.
constexpr uint64_t kHighReserved = ((1ull << 52) - 1) & ~kPhysAddrMask;

bool IsCanonical(uint64_t lin) {
  return static_cast<uint64_t>(static_cast<int64_t>(lin << 16) >> 16) == lin;
}

}  // namespace

bool Cpu::SegmentCheck(int seg, uint64_t ea, int size, bool write, uint64_t* lin) {
  const uint8_t vector = seg == kSs ? kSS : kGP;
  if (code_size_ == 8) {
    *lin = ea + seg_base_[seg];
    // SDM Vol. 3A 3.3.7.1: a non-canonical data address faults (#SS for SS).
    if (!IsCanonical(*lin)) return Raise(vector, 0);
    return true;
  }
  const Segment& sg = s.seg[seg];
  if (s.protected_mode() && !s.virtual_8086()) {
    // SDM Vol. 3A 5.4-5.5: null/unusable segment, type and limit checks.
    if (sg.ar.unusable() || !sg.ar.present()) return Raise(vector, 0);
    if (write ? !sg.ar.writable() : !sg.ar.readable()) return Raise(vector, 0);
  }
  const uint64_t last = ea + size - 1;
  if (sg.ar.expand_down() && s.protected_mode()) {
    const uint64_t upper = sg.ar.db() ? 0xFFFFFFFFull : 0xFFFF;
    if (ea <= sg.limit || last > upper) return Raise(vector, 0);
  } else if (last > sg.limit) {
    return Raise(vector, 0);
  }
  *lin = (ea + sg.base) & 0xFFFFFFFFull;
  return true;
}

bool Cpu::Walk(uint64_t lin, Access acc, uint64_t* paddr, bool* large) {
  *large = false;
  if (!(s.cr0 & cr0::kPG)) {
    *paddr = lin & (s.long_mode_active() ? ~0ull : 0xFFFFFFFFull);
    return true;
  }
  const bool nxe = s.msr.efer & efer::kNXE;
  const bool pae = s.cr4 & cr4::kPAE;
  const uint32_t base_err = (acc.write ? kPfW : 0) | (acc.user ? kPfU : 0) |
                            (acc.exec && pae && nxe ? kPfId : 0);
  auto page_fault = [&](uint32_t err) {
    s.cr2 = lin;
    return Raise(kPF, base_err | err);
  };

  // Entries walked, for the A/D updates after the permission checks pass.
  uint64_t entry_pa[4];
  uint64_t entry[4];
  int levels = 0;
  uint64_t rw = kPteRw, us = kPteUs, xd = 0;
  uint64_t frame = 0, offset_mask = 0xFFF;

  if (!pae) {
    // 32-bit paging (SDM Vol. 3A 4.3).
    const uint64_t pde_pa = (s.cr3 & 0xFFFFF000ull) | ((lin >> 20) & 0xFFC);
    const uint64_t pde = PhysRead(pde_pa, 4);
    if (!(pde & kPteP)) return page_fault(0);
    entry_pa[levels] = pde_pa, entry[levels++] = pde;
    rw &= pde, us &= pde;
    if ((pde & kPtePs) && (s.cr4 & cr4::kPSE)) {
      if (pde & (1ull << 21)) return page_fault(kPfP | kPfRsvd);  // PSE-36: bit 21 reserved
      frame = ((pde & 0xFFC00000ull) | ((pde & 0x1FE000ull) << 19)) & kPhysAddrMask;
      offset_mask = 0x3FFFFF;
      *large = true;
    } else {
      const uint64_t pte_pa = (pde & 0xFFFFF000ull) | ((lin >> 10) & 0xFFC);
      const uint64_t pte = PhysRead(pte_pa, 4);
      if (!(pte & kPteP)) return page_fault(0);
      entry_pa[levels] = pte_pa, entry[levels++] = pte;
      rw &= pte, us &= pte;
      frame = pte & 0xFFFFF000ull;
    }
  } else {
    // PAE (4.4) and 4-level (4.5) paging share the 64-bit entry format.
    const uint64_t xd_reserved = nxe ? 0 : kPteXd;
    uint64_t table;
    int level;
    if (s.long_mode_active()) {
      table = s.cr3 & kAddrBits;
      level = 4;
    } else {
      const uint64_t pdpte = s.pdpte[(lin >> 30) & 3];
      if (!(pdpte & kPteP)) return page_fault(0);
      table = pdpte & kAddrBits;
      level = 2;
    }
    for (; level >= 1; --level) {
      const int shift = 12 + 9 * (level - 1);
      const uint64_t pa = table | (((lin >> shift) & 0x1FF) << 3);
      const uint64_t e = PhysRead(pa, 8);
      if (!(e & kPteP)) return page_fault(0);
      uint64_t reserved = kHighReserved | xd_reserved;
      const bool ps = e & kPtePs;
      if (level == 4 || (level == 3 && !s.long_mode_active())) reserved |= kPtePs;
      // 1 GiB pages (PDPTE.PS) are offered (CPUID.80000001H:EDX.Page1GB).
      if (level == 3 && ps) reserved |= 0x3FFFE000ull;
      if (level == 2 && ps) reserved |= 0x1FE000ull;
      if (e & reserved) return page_fault(kPfP | kPfRsvd);
      entry_pa[levels] = pa, entry[levels++] = e;
      rw &= e, us &= e, xd |= e & kPteXd;
      if (level == 1 || (ps && level <= 3)) {
        offset_mask = (1ull << shift) - 1;
        frame = e & kAddrBits & ~offset_mask;
        *large = level > 1;
        break;
      }
      table = e & kAddrBits;
    }
  }

  // Access rights (SDM Vol. 3A 4.6): no SMEP/SMAP/PKE (not offered).
  const bool wp = s.cr0 & cr0::kWP;
  if (acc.user && !us) return page_fault(kPfP);
  if (acc.write && !rw && (acc.user || wp)) return page_fault(kPfP);
  if (acc.exec && nxe && xd) return page_fault(kPfP);

  // Accessed and dirty flags (SDM Vol. 3A 4.8), set only for a translation that succeeds.
  for (int i = 0; i < levels; ++i) {
    uint64_t e = entry[i] | kPteA;
    if (i == levels - 1 && acc.write) e |= kPteD;
    if (e != entry[i]) PhysWrite(entry_pa[i], pae ? 8 : 4, e);
  }
  *paddr = frame | (lin & offset_mask);
  return true;
}

bool Cpu::Translate(uint64_t lin, Access acc, uint64_t* paddr) {
  if (s.long_mode_active() && !IsCanonical(lin)) return Raise(kGP, 0);
  bool large;
  if (!Walk(lin, acc, paddr, &large)) return false;
  // Fill the TLB: RAM only; writes only to pages that hold no decoded code; read entries
  // for writes too (a writable page is readable). Only CPL-matched contexts.
  if (acc.user == (tlb_.context == 1) && memory_.IsRam(*paddr)) {
    const uint64_t page_pa = *paddr & ~kPageMask;
    TlbEntry fill{.tag = tlb_.Tag(lin),
                  .addend = reinterpret_cast<uintptr_t>(memory_.HostPtr(page_pa)) - (lin & ~kPageMask),
                  .paddr = page_pa};
    const uint64_t i = Tlb::Index(lin);
    if (acc.exec) {
      tlb_.exec[i] = fill;
    } else {
      tlb_.read[i] = fill;
      if (acc.write && !memory_.holds_code(page_pa)) {
        tlb_.write[i] = fill;
        memory_.MarkDirty(page_pa);  // writes through this entry bypass PhysicalMemory
      }
    }
    tlb_.has_large_pages |= large;
  }
  return true;
}

uint64_t Cpu::PhysRead(uint64_t paddr, int size) {
  uint64_t v = 0;
  if (memory_.IsRam(paddr, size)) {
    memcpy(&v, memory_.HostPtr(paddr), size);
    return v;
  }
  check_events_ = true;
  return platform_.MmioRead(paddr, size);
}

void Cpu::PhysWrite(uint64_t paddr, int size, uint64_t value) {
  if (memory_.IsRam(paddr, size)) {
    if (memory_.holds_code(paddr) || memory_.holds_code(paddr + size - 1)) EndBlock();
    memory_.Write(paddr, &value, size);
    return;
  }
  check_events_ = true;
  platform_.MmioWrite(paddr, size, value);
}

bool Cpu::LinearRead(uint64_t lin, int size, bool user, uint64_t* out) {
  const uint64_t first = kPageSize - (lin & kPageMask);
  uint64_t pa0, pa1 = 0;
  if (!Translate(lin, {.user = user}, &pa0)) return false;
  if (static_cast<uint64_t>(size) > first &&
      !Translate((lin + first) & lin_mask_, {.user = user}, &pa1)) {
    return false;
  }
  if (static_cast<uint64_t>(size) <= first) {
    *out = PhysRead(pa0, size);
  } else {
    const uint64_t lo = PhysRead(pa0, static_cast<int>(first));
    const uint64_t hi = PhysRead(pa1, size - static_cast<int>(first));
    *out = lo | (hi << (8 * first));
  }
  return true;
}

bool Cpu::LinearWrite(uint64_t lin, int size, bool user, uint64_t value) {
  const uint64_t first = kPageSize - (lin & kPageMask);
  uint64_t pa0, pa1 = 0;
  // Both pages must be writable before either is written (no partial stores).
  if (!Translate(lin, {.write = true, .user = user}, &pa0)) return false;
  if (static_cast<uint64_t>(size) > first &&
      !Translate((lin + first) & lin_mask_, {.write = true, .user = user}, &pa1)) {
    return false;
  }
  if (static_cast<uint64_t>(size) <= first) {
    PhysWrite(pa0, size, value);
  } else {
    PhysWrite(pa0, static_cast<int>(first), value);
    PhysWrite(pa1, size - static_cast<int>(first), value >> (8 * first));
  }
  return true;
}

bool Cpu::ReadSlow(int seg, uint64_t ea, int size, uint64_t* out) {
  uint64_t lin;
  if (!SegmentCheck(seg, ea, size, false, &lin)) return false;
  return LinearRead(lin, size, s.cpl() == 3, out);
}

bool Cpu::WriteSlow(int seg, uint64_t ea, int size, uint64_t value) {
  uint64_t lin;
  if (!SegmentCheck(seg, ea, size, true, &lin)) return false;
  return LinearWrite(lin, size, s.cpl() == 3, value);
}

bool Cpu::ProbeWrite(int seg, uint64_t ea, int size) {
  uint64_t lin, pa;
  if (!SegmentCheck(seg, ea, size, true, &lin)) return false;
  const uint64_t first = kPageSize - (lin & kPageMask);
  const bool user = s.cpl() == 3;
  if (!Translate(lin, {.write = true, .user = user}, &pa)) return false;
  if (static_cast<uint64_t>(size) > first &&
      !Translate((lin + first) & lin_mask_, {.write = true, .user = user}, &pa)) {
    return false;
  }
  return true;
}

}  // namespace vmxemu::cpu
