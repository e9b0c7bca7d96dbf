// LGDT, LIDT, SGDT, SIDT, LLDT, LTR, SLDT, STR, LAR, LSL, VERR, VERW (SDM Vol. 2A/2B).
#include <functional>
#include <string>

#include "cpu/cpu.h"
#include "cpu/testing/cpu_harness.h"
#include "cpu/testing/exception_catcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmxemu::cpu {
namespace {

using testing::CaughtException;
using testing::CpuHarness;
using testing::EnterCpl3;
using testing::InstallExceptionCatchers;
using testing::kCodeBase;
using testing::kGdt;
using testing::Mode;
using testing::RunAndCatch;

// A code/data/system descriptor (SDM Vol. 3A Figure 3-8): base, 20-bit limit, access
// byte (P, DPL, S, type) and flags nibble (G, D/B, L, AVL).
uint64_t Desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags) {
  return (limit & 0xFFFFull) | (uint64_t{base & 0xFFFFFF} << 16) | (uint64_t{access} << 40) |
         (uint64_t{(limit >> 16) & 0xF} << 48) | (uint64_t{flags & 0xF} << 52) |
         (uint64_t{base >> 24} << 56);
}

// Extra GDT entries from index 12 (selector 0x60) on; the GDT limit grows to cover
// them. Each test picks its selectors.
constexpr uint16_t kSel0 = 0x60;
void AddDescriptors(CpuHarness& h, std::initializer_list<uint64_t> qwords) {
  uint64_t at = kGdt + kSel0;
  for (uint64_t q : qwords) {
    h.WritePhys(at, q, 8);
    at += 8;
  }
  h.cpu.s.gdtr.limit = static_cast<uint32_t>(at - kGdt - 1);
}

std::unique_ptr<CpuHarness> RunOk(const std::string& code, Mode mode = Mode::kLong64,
                                  const std::function<void(CpuHarness&)>& setup = nullptr) {
  auto h = std::make_unique<CpuHarness>(mode);
  EXPECT_TRUE(h->LoadAsm(code).ok());
  if (setup) setup(*h);
  const RunResult r = h->Run();
  EXPECT_EQ(r.reason, StopReason::kHalted) << r.message;
  return h;
}

// One instruction at kCodeBase that must fault; RIP stays on it.
void ExpectFault(const char* name, const std::string& code, int vector, uint32_t error,
                 const std::function<void(CpuHarness&)>& setup, Mode mode = Mode::kLong64) {
  SCOPED_TRACE(name);
  CpuHarness h(mode);
  InstallExceptionCatchers(h);
  ASSERT_TRUE(h.LoadAsm(code + "\n hlt", mode == Mode::kReal16 ? 0x8000 : kCodeBase).ok());
  if (setup) setup(h);
  const Segment ldtr = h.cpu.s.ldtr, tr = h.cpu.s.tr;
  const CaughtException e = RunAndCatch(h);
  EXPECT_EQ(e.vector, vector) << e.run.message;
  EXPECT_EQ(e.error_code, error);
  EXPECT_EQ(e.rip, mode == Mode::kReal16 ? 0x8000 : kCodeBase);
  EXPECT_EQ(h.cpu.s.ldtr.selector, ldtr.selector);
  EXPECT_EQ(h.cpu.s.tr.selector, tr.selector);
}

// ---- LGDT, LIDT, SGDT, SIDT ----

TEST(DescriptorTablesTest, LoadAndStoreTableRegistersIn64BitMode) {
  auto h = RunOk(R"(
      mov word ptr [0x200000], 0x1234
      mov rax, 0xFFFF800000005000
      mov [0x200002], rax
      lgdt [0x200000]
      lidt [0x200000]
      sgdt [0x200010]
      sidt [0x200020]
      hlt
  )");
  EXPECT_EQ(h->cpu.s.gdtr.base, 0xFFFF800000005000u);
  EXPECT_EQ(h->cpu.s.gdtr.limit, 0x1234u);
  EXPECT_EQ(h->cpu.s.idtr.base, 0xFFFF800000005000u);
  EXPECT_EQ(h->ReadPhys(0x200010, 2), 0x1234u);
  EXPECT_EQ(h->ReadPhys(0x200012, 8), 0xFFFF800000005000u);
  EXPECT_EQ(h->ReadPhys(0x200022, 8), 0xFFFF800000005000u);
}

TEST(DescriptorTablesTest, OperandSizeInProtectedMode) {
  auto h = RunOk(R"(
      mov word ptr [0x200000], 0x2FF
      mov dword ptr [0x200002], 0xAB123456
      lgdt [0x200000]
      data16 lidt [0x200000]
      mov dword ptr [0x200010], 0xFFFFFFFF
      mov dword ptr [0x200014], 0xFFFFFFFF
      data16 sidt [0x200010]
      sgdt [0x200020]
      hlt
  )", Mode::kProtected32);
  EXPECT_EQ(h->cpu.s.gdtr.base, 0xAB123456u);
  EXPECT_EQ(h->cpu.s.idtr.base, 0x123456u) << "16-bit operand: 24-bit base";
  EXPECT_EQ(h->ReadPhys(0x200010, 8), 0xFFFF00123456'02FFu) << "byte 5 zero-filled";
  EXPECT_EQ(h->ReadPhys(0x200020, 6), 0xAB123456'02FFu);
}

TEST(DescriptorTablesTest, TableRegisterFaults) {
  ExpectFault("lgdt at cpl3", "lgdt [0x200000]", kGP, 0, [](CpuHarness& h) { EnterCpl3(h); });
  ExpectFault("lidt at cpl3", "lidt [0x200000]", kGP, 0, [](CpuHarness& h) { EnterCpl3(h); });
  ExpectFault("lgdt non-canonical operand", "lgdt [rax]", kGP, 0,
              [](CpuHarness& h) { h.cpu.s.gpr[kRax] = 0x0000800000000000; });
}

TEST(DescriptorTablesTest, SgdtIsPreciseAcrossAPageFault) {
  // Bytes 0x3FFFFC..0x400005: the second page (0x400000, 2 MiB) is not present.
  CpuHarness h;
  InstallExceptionCatchers(h);
  h.WritePhys(0x3000 + 8 * 2, 0, 8);
  h.WritePhys(0x3FFFFC, 0xAAAA, 4);
  ASSERT_TRUE(h.LoadAsm("sgdt [0x3FFFFC]\n hlt").ok());
  const CaughtException e = RunAndCatch(h);
  EXPECT_EQ(e.vector, kPF);
  EXPECT_EQ(e.rip, kCodeBase);
  EXPECT_EQ(h.ReadPhys(0x3FFFFC, 4), 0xAAAAu) << "no partial store";
}

TEST(DescriptorTablesTest, SgdtSidtWorkAtCpl3) {
  CpuHarness h;
  InstallExceptionCatchers(h);
  ASSERT_TRUE(h.LoadAsm("sgdt [0x200000]\n sidt [0x200010]\n ud2").ok());
  EnterCpl3(h);
  EXPECT_EQ(RunAndCatch(h).vector, kUD);
  EXPECT_EQ(h.ReadPhys(0x200002, 8), kGdt);
  EXPECT_EQ(h.ReadPhys(0x200012, 8), testing::kIdt);
}

// ---- LLDT, LTR ----

constexpr uint64_t kLdtBase = 0x7000;
// 16-byte LDT descriptor (type 2) at 0x60 and available 64-bit TSS (type 9) at 0x70.
void AddLdtAndTss(CpuHarness& h, uint64_t ldt_hi = 0, uint64_t tss_hi = 0,
                  uint32_t tss_access = 0x89) {
  AddDescriptors(h, {Desc(kLdtBase, 0xFF, 0x82, 0), ldt_hi,
                     Desc(0x6800, 0x67, tss_access, 0), tss_hi});
}

TEST(DescriptorTablesTest, LldtAndLtrLoad) {
  auto h = RunOk("mov ax, 0x60\n lldt ax\n mov cx, 0x70\n ltr cx\n sldt edx\n str rsi\n"
                 "mov word ptr [0x200000], 0xFFFF\n str [0x200000]\n hlt",
                 Mode::kLong64, [](CpuHarness& h) { AddLdtAndTss(h, 0xFFFFFFFF, 0x1); });
  const CpuState& s = h->cpu.s;
  EXPECT_EQ(s.ldtr.selector, 0x60);
  EXPECT_EQ(s.ldtr.base, 0xFFFFFFFF00000000u | kLdtBase) << "64-bit base from the upper half";
  EXPECT_EQ(s.ldtr.limit, 0xFFu);
  EXPECT_EQ(s.tr.selector, 0x70);
  EXPECT_EQ(s.tr.base, 0x100006800u);
  EXPECT_EQ(s.tr.ar.type(), 0xBu) << "busy";
  EXPECT_EQ((h->ReadPhys(kGdt + 0x70, 8) >> 40) & 0xF, 0xBu) << "busy in the GDT too";
  EXPECT_EQ(s.gpr[kRdx], 0x60u);
  EXPECT_EQ(s.gpr[kRsi], 0x70u);
  EXPECT_EQ(h->ReadPhys(0x200000, 2), 0x70u);
}

TEST(DescriptorTablesTest, LldtNullSelectorMakesLdtrUnusable) {
  auto h = RunOk("xor eax, eax\n lldt ax\n hlt", Mode::kLong64,
                 [](CpuHarness& h) { h.cpu.s.ldtr.ar.raw = 0x82; });
  EXPECT_TRUE(h->cpu.s.ldtr.ar.unusable());
}

TEST(DescriptorTablesTest, LldtLtrFaults) {
  const auto sel = [](uint16_t v) {
    return [v](CpuHarness& h) {
      AddLdtAndTss(h);
      h.cpu.s.gpr[kRax] = v;
    };
  };
  ExpectFault("lldt at cpl3", "lldt ax", kGP, 0, [&](CpuHarness& h) {
    sel(0x60)(h);
    EnterCpl3(h);
  });
  ExpectFault("lldt LDT selector (TI)", "lldt ax", kGP, 0x64, sel(0x64));
  ExpectFault("lldt code segment", "lldt ax", kGP, 0x08, sel(0x08));
  ExpectFault("lldt beyond the GDT", "lldt ax", kGP, 0x200, sel(0x200));
  ExpectFault("lldt not present", "lldt ax", kNP, 0x60, [&](CpuHarness& h) {
    sel(0x60)(h);
    h.WritePhys(kGdt + 0x60, Desc(kLdtBase, 0xFF, 0x02, 0), 8);
  });
  ExpectFault("lldt non-canonical base", "lldt ax", kGP, 0x60, [&](CpuHarness& h) {
    sel(0x60)(h);
    h.WritePhys(kGdt + 0x68, 0x8000, 8);  // base 0x0000800000007000
  });
  ExpectFault("lldt in real mode", "lldt ax", kUD, 0, nullptr, Mode::kReal16);
  ExpectFault("ltr null", "ltr ax", kGP, 0, sel(0));
  ExpectFault("ltr at cpl3", "ltr ax", kGP, 0, [&](CpuHarness& h) {
    sel(0x70)(h);
    EnterCpl3(h);
  });
  ExpectFault("ltr LDT descriptor", "ltr ax", kGP, 0x60, sel(0x60));
  ExpectFault("ltr busy TSS", "ltr ax", kGP, 0x70, [&](CpuHarness& h) {
    AddLdtAndTss(h, 0, 0, 0x8B);
    h.cpu.s.gpr[kRax] = 0x70;
  });
  ExpectFault("ltr 16-bit TSS in IA-32e mode", "ltr ax", kGP, 0x70, [&](CpuHarness& h) {
    AddLdtAndTss(h, 0, 0, 0x81);
    h.cpu.s.gpr[kRax] = 0x70;
  });
  ExpectFault("ltr upper half with a type", "ltr ax", kGP, 0x70, [&](CpuHarness& h) {
    AddLdtAndTss(h, 0, 0x00000100'00000000);  // bits 44:40 = 1
    h.cpu.s.gpr[kRax] = 0x70;
  });
  ExpectFault("ltr not present", "ltr ax", kNP, 0x70, [&](CpuHarness& h) {
    AddLdtAndTss(h, 0, 0, 0x09);
    h.cpu.s.gpr[kRax] = 0x70;
  });
  ExpectFault("str in real mode", "str ax", kUD, 0, nullptr, Mode::kReal16);
  ExpectFault("sldt in real mode", "sldt ax", kUD, 0, nullptr, Mode::kReal16);
}

TEST(DescriptorTablesTest, LtrAccepts16BitTssInProtectedMode) {
  auto h = RunOk("mov ax, 0x70\n ltr ax\n hlt", Mode::kProtected32, [](CpuHarness& h) {
    AddDescriptors(h, {0, 0, Desc(0x6800, 0x2B, 0x81, 0)});
  });
  EXPECT_EQ(h->cpu.s.tr.ar.type(), 0x3u) << "busy 16-bit TSS";
  EXPECT_EQ(h->cpu.s.tr.base, 0x6800u);
}

// ---- LAR, LSL, VERR, VERW ----

struct CheckCase {
  const char* name;
  uint16_t selector;
  bool cpl3;
  bool lar, lsl, verr, verw;  // expected ZF
};

// Descriptors from 0x60: conforming code DPL0, read-only data DPL3, execute-only code
// DPL3, 32-bit call gate, interrupt gate, 16-bit TSS, byte-granular data limit 0x1234.
void AddCheckDescriptors(CpuHarness& h) {
  AddDescriptors(h, {Desc(0, 0xFFFFF, 0x9F, 0xA), Desc(0, 0xFFFFF, 0xF1, 0xC),
                     Desc(0, 0xFFFFF, 0xF9, 0xA), Desc(0, 0, 0x8C, 0), 0,
                     Desc(0, 0, 0x8E, 0), 0, Desc(0x6800, 0x2B, 0x81, 0),
                     Desc(0, 0x1234, 0x93, 0)});
}

TEST(DescriptorTablesTest, AccessChecksSetZf) {
  const CheckCase cases[] = {
      {"null selector", 0x0, false, false, false, false, false},
      {"null selector RPL 3", 0x3, false, false, false, false, false},
      {"beyond the GDT", 0x400, false, false, false, false, false},
      {"LDT selector, LDTR unusable", 0x0C, false, false, false, false, false},
      {"code64 DPL0", 0x08, false, true, true, true, false},
      {"data DPL0", 0x10, false, true, true, true, true},
      {"data DPL0, RPL 3", 0x13, false, false, false, false, false},
      {"data DPL0 at CPL3", 0x10, true, false, false, false, false},
      {"data DPL3 at CPL3", 0x23, true, true, true, true, true},
      {"conforming code DPL0 at CPL3", 0x60, true, true, true, true, false},
      {"read-only data DPL3", 0x6B, false, true, true, true, false},
      {"execute-only code DPL3", 0x73, false, true, true, false, false},
      {"64-bit call gate", 0x78, false, true, false, false, false},
      {"interrupt gate", 0x88, false, false, false, false, false},
      {"16-bit TSS (reserved in IA-32e mode)", 0x98, false, false, false, false, false},
      {"64-bit TSS", testing::kTssSel, false, true, true, false, false},
      {"64-bit TSS at CPL3 (DPL 0)", testing::kTssSel, true, false, false, false, false},
  };
  for (const CheckCase& c : cases) {
    SCOPED_TRACE(c.name);
    CpuHarness h;
    InstallExceptionCatchers(h);
    ASSERT_TRUE(h.LoadAsm(R"(
        mov r8, -1
        mov r9, -1
        lar r8, cx
        setz r12b
        lsl r9, cx
        setz r13b
        verr cx
        setz r14b
        verw cx
        setz r15b
        ud2
    )").ok());
    AddCheckDescriptors(h);
    h.cpu.s.gpr[kRcx] = c.selector;
    if (c.cpl3) EnterCpl3(h);
    const CaughtException e = RunAndCatch(h);
    ASSERT_EQ(e.vector, kUD) << e.run.message;
    const CpuState& s = h.cpu.s;
    EXPECT_EQ(s.gpr[kR12] & 1, c.lar) << "LAR";
    EXPECT_EQ(s.gpr[kR13] & 1, c.lsl) << "LSL";
    EXPECT_EQ(s.gpr[kR14] & 1, c.verr) << "VERR";
    EXPECT_EQ(s.gpr[kR15] & 1, c.verw) << "VERW";
    if (!c.lar) {
      EXPECT_EQ(s.gpr[kR8], ~0ull) << "LAR leaves the destination";
    }
    if (!c.lsl) {
      EXPECT_EQ(s.gpr[kR9], ~0ull) << "LSL leaves the destination";
    }
  }
}

TEST(DescriptorTablesTest, LarAndLslValues) {
  auto h = RunOk(R"(
      mov ecx, 0x08
      mov rax, -1
      lar rax, rcx
      mov rbx, -1
      lar bx, cx
      mov rdx, -1
      lsl edx, ecx
      mov rsi, -1
      lsl si, cx
      mov ecx, 0xA0
      lsl edi, ecx
      mov word ptr [0x200000], 0x10
      lar r8d, word ptr [0x200000]
      hlt
  )", Mode::kLong64, AddCheckDescriptors);
  const CpuState& s = h->cpu.s;
  // Descriptor dword 1 & 00F0FF00H: G, L, P, DPL, S, type (SDM Vol. 2A LAR).
  EXPECT_EQ(s.gpr[kRax], 0x00A09B00u);
  EXPECT_EQ(s.gpr[kRbx], 0xFFFFFFFFFFFF9B00u) << "16-bit: bits 15:8 only";
  EXPECT_EQ(s.gpr[kRdx], 0xFFFFFFFFu) << "page-granular limit scaled";
  EXPECT_EQ(s.gpr[kRsi], 0xFFFFFFFFFFFFFFFFu);
  EXPECT_EQ(s.gpr[kRdi], 0x1234u);
  EXPECT_EQ(s.gpr[kR8], 0x00C09300u);
}

TEST(DescriptorTablesTest, CheckInstructionFaults) {
  ExpectFault("lar with a non-canonical operand", "lar eax, word ptr [rbx]", kGP, 0,
              [](CpuHarness& h) { h.cpu.s.gpr[kRbx] = 0x0000800000000000; });
  ExpectFault("verr page fault on the operand", "verr word ptr [0x400000]", kPF, 0,
              [](CpuHarness& h) { h.WritePhys(0x3000 + 8 * 2, 0, 8); });
  for (const char* code : {"lar ax, cx", "lsl ax, cx", "verr cx", "verw cx"}) {
    ExpectFault(code, code, kUD, 0, nullptr, Mode::kReal16);
  }
}

}  // namespace
}  // namespace vmxemu::cpu
