// paging: the page walk in each paging format of the build (4-level in the
// 64-bit build; PAE, then 32-bit paging with 4 MiB PSE pages, in the 32-bit
// build), on page tables the guest builds itself (paging_tables.h):
//  - accessed/dirty bits: every entry of a walk after INVLPG, a read and a
//    write, for 4 KiB, large (2/4 MiB) and, where CPUID.80000001H:EDX[26]
//    says so, 1 GiB pages (SDM Vol. 3A 4.8; QEMU's default model has
//    none, so those lines carry report.h's kModelPrefix);
//  - #PF error codes and CR2 (SDM Vol. 3A 4.7) for not-present, read-only
//    (CR0.WP=1 and 0), user/supervisor (from CPL 3), execute-disable and
//    reserved-bit faults, at the leaf and in directory entries.
// A/D bits are only printed after INVLPG or a CR3 reload: what a stale TLB
// entry does is implementation specific (SDM Vol. 3A 4.10.4.3).
#include <stdint.h>

#include "guests/difftest/paging_tables.h"
#include "guests/difftest/probe.h"
#include "guests/difftest/report.h"
#include "guests/difftest/system.h"
#include "guests/difftest/x86_bits.h"
#include "guests/lib/boot_info.h"
#include "guests/lib/printf.h"
#include "guests/lib/x86.h"

namespace difftest {
namespace {

enum class Access { kRead, kWrite, kFetch };
enum class Needs { kAny, kWide, kNx, kFourLevel };

constexpr uint64_t kRw = kPteP | kPteRw | kPteUs;
constexpr uint64_t kReservedBit51 = uint64_t{1} << 51;  // Above MAXPHYADDR.
constexpr uint8_t kRet = 0xC3;
constexpr uintptr_t kScratch = 0x7000;  // Low RAM behind the large pages.

bool has_nx;
const PagingTables* tables;
const char* line_prefix = "";  // kModelPrefix for the 1 GiB page lines.

// Runs at CPL 0 or 3. Resumes after the instruction if it faults.
__attribute__((noinline)) void Probe(Access access, uintptr_t address) {
  if (access == Access::kRead) {
    asm volatile(DT_PROBE("movl (%[p]), %%eax")
                 :
                 : [p] "r"(address)
                 : DT_PROBE_CLOBBERS, "eax");
  } else if (access == Access::kWrite) {
    asm volatile(DT_PROBE("movl $0x600df00d, (%[p])")
                 :
                 : [p] "r"(address)
                 : DT_PROBE_CLOBBERS);
  } else {
    // The target holds RET (or faults on the fetch, with CR2 = target).
    asm volatile(DT_PROBE("call *%[p]")
                 :
                 : [p] "r"(address)
                 : DT_PROBE_CLOBBERS);
  }
}

Access user_access;
uintptr_t user_address;
void UserProbe() { Probe(user_access, user_address); }

// Sets every test entry to its initial value and flushes the TLB.
void ResetEntries() {
  const PagingTables& t = *tables;
  bool wide = t.mode != PagingMode::kTwoLevel;
  const uint64_t pages[] = {
      kRw,                                  // 0: A/D tests.
      0,                                    // 1: not present.
      kPteP,                                // 2: supervisor, read-only.
      kRw,                                  // 3: user, writable.
      kPteP | kPteUs,                       // 4: user, read-only.
      kRw | (has_nx && wide ? kPteXd : 0),  // 5: execute-disable, RET.
      kRw | (wide ? kReservedBit51 : 0),    // 6: reserved bit.
      kRw,                                  // 7: user, RET.
      kPteP | kPteRw,                       // 8: supervisor, RET.
  };
  for (int i = 0; i < kTestPages; ++i) {
    uint64_t flags =
        i < static_cast<int>(sizeof(pages) / sizeof(pages[0])) ? pages[i] : kRw;
    t.page[i].Set(flags == 0 ? 0 : t.frame[i] | flags);
  }
  // Bits 20:13 of a 2 MiB PDE and bit 21 of a 4 MiB PDE are reserved (SDM
  // Vol. 3A Tables 4-5, 4-18).
  uint64_t large_reserved = t.large == (2u << 20) ? 1u << 13 : 1u << 21;
  t.slot[0].Set(t.table | kRw);
  t.slot[1].Set(0 | kRw | kPtePs);
  t.slot[2].Set(t.table | kPteP | kPteRw);  // Supervisor directory entry.
  t.slot[3].Set(t.table | kPteP | kPteUs);  // Read-only directory entry.
  t.slot[4].Set(0);
  t.slot[5].Set(0 | kRw | kPtePs | large_reserved);
  if (t.mode == PagingMode::kFourLevel) {
    // Bit 7 (PS) of a PML4E is reserved.
    t.bad_pml4e.Set(t.pml4e.Get() | kPtePs);
  }
  const int code_pages[] = {5, 7, 8};
  for (int i : code_pages) {
    *reinterpret_cast<volatile uint8_t*>(t.frame[i]) = kRet;
  }
  guest::write_cr3(guest::read_cr3());
}

struct FaultCase {
  const char* name;
  int slot;  // -1: the spare PML4E (4-level only).
  int page;
  Access access;
  bool user;
  bool wp_off;
  bool faults;
  uint32_t error;  // Without the I/D bit, which depends on the format.
  Needs needs;
};

constexpr uint32_t P = kPfErrP, W = kPfErrW, U = kPfErrU, R = kPfErrRsvd;
constexpr Access kR = Access::kRead, kW = Access::kWrite, kF = Access::kFetch;

const FaultCase kFaultCases[] = {
    {"not present read", 0, 1, kR, false, false, true, 0, Needs::kAny},
    {"not present write", 0, 1, kW, false, false, true, W, Needs::kAny},
    {"not present user read", 0, 1, kR, true, false, true, U, Needs::kAny},
    {"not present user write", 0, 1, kW, true, false, true, U | W, Needs::kAny},
    {"not present fetch", 0, 1, kF, false, false, true, 0, Needs::kAny},
    {"supervisor ro read", 0, 2, kR, false, false, false, 0, Needs::kAny},
    {"supervisor ro write wp=1", 0, 2, kW, false, false, true, P | W,
     Needs::kAny},
    {"supervisor ro write wp=0", 0, 2, kW, false, true, false, 0, Needs::kAny},
    {"supervisor user read", 0, 2, kR, true, false, true, P | U, Needs::kAny},
    {"supervisor user write", 0, 2, kW, true, false, true, P | U | W,
     Needs::kAny},
    {"user rw user read", 0, 3, kR, true, false, false, 0, Needs::kAny},
    {"user rw user write", 0, 3, kW, true, false, false, 0, Needs::kAny},
    {"user ro user write", 0, 4, kW, true, false, true, P | U | W, Needs::kAny},
    {"user ro user write wp=0", 0, 4, kW, true, true, true, P | U | W,
     Needs::kAny},
    {"user ro write wp=1", 0, 4, kW, false, false, true, P | W, Needs::kAny},
    {"xd read", 0, 5, kR, false, false, false, 0, Needs::kNx},
    {"xd fetch", 0, 5, kF, false, false, true, P, Needs::kNx},
    {"xd user fetch", 0, 5, kF, true, false, true, P | U, Needs::kNx},
    {"rsvd read", 0, 6, kR, false, false, true, P | R, Needs::kWide},
    {"rsvd write", 0, 6, kW, false, false, true, P | R | W, Needs::kWide},
    {"rsvd user read", 0, 6, kR, true, false, true, P | R | U, Needs::kWide},
    {"rsvd fetch", 0, 6, kF, false, false, true, P | R, Needs::kWide},
    {"user code fetch", 0, 7, kF, false, false, false, 0, Needs::kAny},
    {"user code user fetch", 0, 7, kF, true, false, false, 0, Needs::kAny},
    {"supervisor code fetch", 0, 8, kF, false, false, false, 0, Needs::kAny},
    {"supervisor code user fetch", 0, 8, kF, true, false, true, P | U,
     Needs::kAny},
    {"pde supervisor read", 2, 3, kR, false, false, false, 0, Needs::kAny},
    {"pde supervisor user read", 2, 3, kR, true, false, true, P | U,
     Needs::kAny},
    {"pde ro write wp=1", 3, 3, kW, false, false, true, P | W, Needs::kAny},
    {"pde ro write wp=0", 3, 3, kW, false, true, false, 0, Needs::kAny},
    {"pde ro user read", 3, 3, kR, true, false, false, 0, Needs::kAny},
    {"pde ro user write", 3, 3, kW, true, false, true, P | U | W, Needs::kAny},
    {"pde not present read", 4, 0, kR, false, false, true, 0, Needs::kAny},
    {"pde not present user write", 4, 0, kW, true, false, true, U | W,
     Needs::kAny},
    {"large page user read", 1, 7, kR, true, false, false, 0, Needs::kAny},
    {"large rsvd read", 5, 0, kR, false, false, true, P | R, Needs::kAny},
    {"large rsvd user write", 5, 0, kW, true, false, true, P | R | U | W,
     Needs::kAny},
    {"pml4e ps read", -1, 0, kR, false, false, true, P | R, Needs::kFourLevel},
};

bool Applies(Needs needs) {
  PagingMode mode = tables->mode;
  switch (needs) {
    case Needs::kAny:
      return true;
    case Needs::kWide:
      return mode != PagingMode::kTwoLevel;
    case Needs::kNx:
      return has_nx && mode != PagingMode::kTwoLevel;
    case Needs::kFourLevel:
      return mode == PagingMode::kFourLevel;
  }
  return false;
}

void RunFaultCase(const FaultCase& c) {
  const PagingTables& t = *tables;
  if (!Applies(c.needs)) return;
  ResetEntries();
  uintptr_t address =
      c.slot < 0 ? t.bad_pml4e_base : t.base + c.slot * t.large + c.page * 4096;
  uintptr_t cr0 = guest::read_cr0();
  if (c.wp_off) guest::write_cr0(cr0 & ~kCr0Wp);
  ResetTrap();
  if (c.user) {
    user_access = c.access;
    user_address = address;
    RunAtCpl3(UserProbe);
  } else {
    Probe(c.access, address);
  }
  guest::write_cr0(cr0);
  const char* mode = ModeName(t.mode);
  if (last_trap.count == 0) {
    guest::printf("%s %s: ok\n", mode, c.name);
    Expect(!c.faults, "%s %s: no #PF", mode, c.name);
    return;
  }
  // SDM Vol. 3A 4.7: "bit 3 of the error code [RSVD] can be set only if bit
  // 0 [P] is also set". QEMU 7.2 (Debian 12's) clears P on reserved-bit
  // faults (its mmu_translate sets error_code = PG_ERROR_RSVD_MASK), so P is
  // printed and checked as the SDM has it whenever RSVD is set; the
  // transcript is then the same on QEMU and on a CPU that follows the SDM.
  uint32_t error_code = last_trap.error_code;
  if (error_code & kPfErrRsvd) error_code |= kPfErrP;
  guest::printf("%s %s: vec=%02x err=%02x cr2=%lx\n", mode, c.name,
                last_trap.vector, error_code,
                static_cast<unsigned long>(last_trap.cr2));
  // I/D is reported only with PAE/4-level paging and EFER.NXE=1 (or SMEP).
  bool id_bit =
      c.access == Access::kFetch && has_nx && t.mode != PagingMode::kTwoLevel;
  uint32_t want = c.error | (id_bit ? kPfErrId : 0);
  Expect(c.faults && last_trap.count == 1 && last_trap.vector == kVectorPf &&
             error_code == want && last_trap.cr2 == address,
         "%s %s: want %s err=%02x", mode, c.name, c.faults ? "#PF" : "no fault",
         want);
}

struct Level {
  const char* name;
  EntryRef entry;
  bool leaf;
};

void PrintLevels(const char* kind, const char* step, const Level* levels,
                 int count) {
  guest::printf("%s%s a/d %s %s:", line_prefix, ModeName(tables->mode), kind,
                step);
  for (int i = 0; i < count; ++i) {
    uint64_t e = levels[i].entry.Get();
    guest::printf(" %s=%c", levels[i].name, (e & kPteA) ? 'A' : '-');
    if (levels[i].leaf) guest::printf("%c", (e & kPteD) ? 'D' : '-');
  }
  guest::printf("\n");
}

// Clears A/D along the walk, flushes, then reads and writes `address`,
// printing the entries after each step; then clears only the leaf and
// writes (a write sets A and D together).
void RunAccessedDirty(const char* kind, uintptr_t address, Level* levels,
                      int count) {
  for (int i = 0; i < count; ++i) {
    levels[i].entry.Set(levels[i].entry.Get() & ~(kPteA | kPteD));
  }
  guest::invlpg(reinterpret_cast<void*>(address));
  PrintLevels(kind, "after invlpg", levels, count);
  auto* word = reinterpret_cast<volatile uint32_t*>(address);
  uint32_t value = *word;
  PrintLevels(kind, "after read", levels, count);
  *word = value + 1;
  PrintLevels(kind, "after write", levels, count);
  const Level& leaf = levels[count - 1];
  leaf.entry.Set(leaf.entry.Get() & ~(kPteA | kPteD));
  guest::invlpg(reinterpret_cast<void*>(address));
  *word = value;
  PrintLevels(kind, "write only", levels, count);
  uint64_t e = leaf.entry.Get();
  Expect((e & (kPteA | kPteD)) == (kPteA | kPteD), "%s: write sets A and D",
         kind);
}

void RunAccessedDirtyCases(bool one_gib) {
  const PagingTables& t = *tables;
  ResetEntries();
  bool four = t.mode == PagingMode::kFourLevel;
  Level small[4], large[3];
  int n = 0, m = 0;
  if (four) {
    small[n++] = large[m++] = {"pml4e", t.pml4e, false};
    small[n++] = large[m++] = {"pdpte", t.pdpte, false};
  }
  small[n++] = {"pde", t.slot[0], false};
  small[n++] = {"pte", t.page[0], true};
  large[m++] = {"pde", t.slot[1], true};
  RunAccessedDirty("4k", t.base, small, n);
  RunAccessedDirty(t.large == (2u << 20) ? "2m" : "4m",
                   t.base + t.large + kScratch, large, m);
  if (four && one_gib) {
    // QEMU's default CPU model has no 1 GiB pages: these lines are left out
    // of the comparison (report.h).
    line_prefix = kModelPrefix;
    SetModelSpecific(true);
    t.huge.Set(0 | kRw | kPtePs);
    Level huge[2] = {{"pml4e", t.pml4e, false}, {"pdpte", t.huge, true}};
    RunAccessedDirty("1g", t.huge_base + kScratch, huge, 2);
    SetModelSpecific(false);
    line_prefix = "";
  }
  // CR0.WP=0 lets CPL 0 write a read-only page, setting D (SDM Vol. 3A
  // 4.6.1).
  t.page[2].Set(t.frame[2] | kPteP);
  guest::write_cr3(guest::read_cr3());
  uintptr_t cr0 = guest::read_cr0();
  guest::write_cr0(cr0 & ~kCr0Wp);
  *reinterpret_cast<volatile uint32_t*>(t.base + 2 * 4096) = 0x1234;
  guest::write_cr0(cr0);
  Level ro[1] = {{"pte", t.page[2], true}};
  PrintLevels("4k", "read-only page written with wp=0", ro, 1);
}

void RunMode(PagingMode mode, bool one_gib) {
  static PagingTables built;
  built = BuildPagingTables(mode);
  tables = &built;
  ActivatePaging(built);
  guest::printf("%s: paging on\n", ModeName(mode));
  RunAccessedDirtyCases(one_gib);
  for (const FaultCase& c : kFaultCases) RunFaultCase(c);
}

}  // namespace
}  // namespace difftest

int kmain(const guest::BootInfo&) {
  using namespace difftest;
  InstallGdt();
  CatchTraps(kVectorPf);
  // The runtime leaves CR0.WP clear; the tests want supervisor writes to
  // read-only pages to fault unless a case clears it (SDM Vol. 3A 4.6.1).
  guest::write_cr0(guest::read_cr0() | kCr0Wp);
  // SDM Vol. 2A CPUID: 80000001H EDX bit 20 = NX, bit 26 = 1 GiB pages.
  guest::CpuidResult ext = guest::cpuid(0x80000001);
  has_nx = (ext.edx >> 20) & 1;
  guest::printf("paging: nx=%d\n", has_nx);
#if defined(__x86_64__)
  bool one_gib = (ext.edx >> 26) & 1;
  // boot.S already set EFER.NXE if NX exists.
  guest::printf("%spaging: 1 GiB pages %s\n", kModelPrefix,
                one_gib ? "used" : "not supported");
  RunMode(PagingMode::kFourLevel, one_gib);
#else
  if (has_nx) guest::wrmsr(kMsrEfer, guest::rdmsr(kMsrEfer) | kEferNxe);
  RunMode(PagingMode::kPae, false);
  RunMode(PagingMode::kTwoLevel, false);
#endif
  return Finish("paging");
}
