#include "cpu/cpuid.h"

#include <cstddef>

namespace vmxemu::cpu {
namespace {

// The bits of kOfferedFeatures that leaf/register report.
constexpr uint32_t Features(uint32_t leaf, CpuidReg reg) {
  uint32_t bits = 0;
  for (const CpuidFeature& f : kOfferedFeatures) {
    if (f.leaf == leaf && f.reg == reg) bits |= 1u << f.bit;
  }
  return bits;
}

// Four characters of `text` from `offset` as a little-endian register value (vendor and
// brand strings); past the end, NULs.
template <size_t kN>
constexpr uint32_t Chars(const char (&text)[kN], size_t offset) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    const size_t k = offset + i;
    const uint32_t c = k < kN - 1 ? static_cast<unsigned char>(text[k]) : 0;
    v |= c << (8 * i);
  }
  return v;
}

constexpr char kVendor[] = "GenuineIntel";          // EBX, EDX, ECX order
constexpr char kBrand[] = "vmxemu virtual CPU";     // 48 bytes with the NULs
static_assert(sizeof(kBrand) <= 48);

constexpr uint32_t kApicGlobalEnable = 1u << 11;  // IA32_APIC_BASE.EN (SDM Vol. 3A 10.4.4)
constexpr uint32_t kLeaf1Apic = 1u << 9;          // CPUID.01H:EDX.APIC

// A leaf (and subleaf, when the leaf is indexed by ECX) and its answer.
inline constexpr int kAnySubleaf = -1;
struct Leaf {
  uint32_t leaf;
  int subleaf;
  CpuidResult r;
};

// Leaf 4 (deterministic cache parameters, SDM Vol. 2A Table 3-8): EAX = type | level
// << 5 | self-initializing (bit 8); EBX = (ways - 1) << 22 | (partitions - 1) << 12 |
// (line size - 1); ECX = sets - 1. One thread shares each cache (EAX[25:14] = 0), one
// core per package (EAX[31:26] = 0). L1d/L1i 32 KiB 8-way, L2 256 KiB 4-way, L3 8 MiB
// 16-way inclusive with complex indexing (EDX = 6), 64-byte lines.
constexpr CpuidResult CacheLeaf(uint32_t type, uint32_t level, uint32_t ways, uint32_t kib,
                                uint32_t edx) {
  const uint32_t sets = kib * 1024 / (ways * 64);
  return {type | level << 5 | 1u << 8, (ways - 1) << 22 | 63, sets - 1, edx};
}

constexpr Leaf kLeaves[] = {
    {0x0, kAnySubleaf,
     {kCpuidMaxBasicLeaf, Chars(kVendor, 0), Chars(kVendor, 8), Chars(kVendor, 4)}},
    // EBX: brand index 0, CLFLUSH line size 0 (CLFSH not offered), one addressable
    // logical processor, initial APIC ID 0.
    {0x1, kAnySubleaf,
     {kCpuidSignature, 1u << 16, Features(0x1, CpuidReg::kEcx),
      Features(0x1, CpuidReg::kEdx)}},
    // One descriptor byte, 0xFF: "use leaf 4 for cache parameters" (Table 3-12).
    {0x2, kAnySubleaf, {0x0000FF01, 0, 0, 0}},
    {0x3, kAnySubleaf, {}},  // no processor serial number
    {0x4, 0, CacheLeaf(1, 1, 8, 32, 0)},
    {0x4, 1, CacheLeaf(2, 1, 8, 32, 0)},
    {0x4, 2, CacheLeaf(3, 2, 4, 256, 0)},
    {0x4, 3, CacheLeaf(3, 3, 16, 8192, 6)},
    {0x5, kAnySubleaf, {}},  // no MONITOR/MWAIT
    {0x6, kAnySubleaf, {}},  // no thermal and power management features
    {0x7, 0, {}},            // max subleaf 0, no structured extended features
    {0x8, kAnySubleaf, {}},
    {0x9, kAnySubleaf, {}},  // no direct cache access
    {0xA, kAnySubleaf, {}},  // architectural performance monitoring version 0: none
    // x2APIC topology: level 0 SMT (type 1) and level 1 core (type 2), one logical
    // processor each, x2APIC ID 0. Higher subleaves are invalid levels (see Cpuid()).
    {0xB, 0, {0, 1, 0x100, 0}},
    {0xB, 1, {0, 1, 0x201, 0}},

    {0x80000000, kAnySubleaf, {kCpuidMaxExtendedLeaf, 0, 0, 0}},
    {0x80000001, kAnySubleaf,
     {0, 0, Features(0x80000001, CpuidReg::kEcx), Features(0x80000001, CpuidReg::kEdx)}},
    {0x80000002, kAnySubleaf,
     {Chars(kBrand, 0), Chars(kBrand, 4), Chars(kBrand, 8), Chars(kBrand, 12)}},
    {0x80000003, kAnySubleaf,
     {Chars(kBrand, 16), Chars(kBrand, 20), Chars(kBrand, 24), Chars(kBrand, 28)}},
    {0x80000004, kAnySubleaf,
     {Chars(kBrand, 32), Chars(kBrand, 36), Chars(kBrand, 40), Chars(kBrand, 44)}},
    {0x80000005, kAnySubleaf, {}},  // reserved on Intel
    // L2: 256 KiB, 4-way (encoding 04H), 64-byte lines.
    {0x80000006, kAnySubleaf, {0, 0, 256u << 16 | 0x4u << 12 | 64, 0}},
    {0x80000007, kAnySubleaf, {}},  // no invariant TSC advertised
    // Physical-address bits 7:0, linear-address bits 15:8.
    {0x80000008, kAnySubleaf, {kMaxPhysAddrBits | 48u << 8, 0, 0, 0}},
};

// Every leaf up to each maximum has a row: an unlisted valid leaf would be a silent gap.
constexpr bool EveryLeafListed() {
  for (uint32_t leaf = 0; leaf <= kCpuidMaxBasicLeaf; ++leaf) {
    bool found = false;
    for (const Leaf& l : kLeaves) found |= l.leaf == leaf;
    if (!found) return false;
  }
  for (uint32_t leaf = 0x80000000; leaf <= kCpuidMaxExtendedLeaf; ++leaf) {
    bool found = false;
    for (const Leaf& l : kLeaves) found |= l.leaf == leaf;
    if (!found) return false;
  }
  return true;
}
static_assert(EveryLeafListed(), "kLeaves must answer every leaf up to the maxima");

bool Valid(uint32_t leaf) {
  return leaf <= kCpuidMaxBasicLeaf || (leaf >= 0x80000000 && leaf <= kCpuidMaxExtendedLeaf);
}

}  // namespace

CpuidResult Cpuid(const CpuState& s, uint32_t leaf, uint32_t subleaf) {
  // SDM Vol. 2A CPUID: "If a value entered for CPUID.EAX is higher than the maximum
  // input value for basic or extended function for that processor then the data for
  // the highest basic information leaf is returned."
  if (!Valid(leaf)) leaf = kCpuidMaxBasicLeaf;
  CpuidResult r;
  for (const Leaf& l : kLeaves) {
    const bool subleaf_matches =
        l.subleaf == kAnySubleaf || static_cast<uint32_t>(l.subleaf) == subleaf;
    if (l.leaf == leaf && subleaf_matches) {
      r = l.r;
      break;
    }
  }
  // An invalid subleaf reads 0, except that leaf 0BH echoes ECX[7:0] (level type 0).
  if (leaf == 0xB && subleaf > 1) r.ecx = subleaf & 0xFF;
  // SDM Vol. 3A 10.4.3: with the APIC globally disabled the CPUID APIC flag reads 0.
  if (leaf == 0x1 && !(s.msr.apic_base & kApicGlobalEnable)) r.edx &= ~kLeaf1Apic;
  return r;
}

}  // namespace vmxemu::cpu
