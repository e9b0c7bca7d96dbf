#include "cpu/msr.h"

#include "absl/strings/str_format.h"
#include "cpu/cpu.h"
#include "cpu/segments.h"

namespace vmxemu::cpu {
namespace {

using ReadFn = uint64_t (*)(Cpu& cpu);
using WriteFn = MsrStatus (*)(Cpu& cpu, uint64_t value, std::string* what);

// One MSR. Plain registers name their MsrState field with the bits that must be 0 and
// whether the value is an address that must be canonical; the others have functions.
// A row with no field and no write function is read-only (WRMSR: #GP(0)).
struct MsrRow {
  uint32_t index;
  const char* name;  // SDM Vol. 4 Table 2-2 spelling
  uint64_t MsrState::*field = nullptr;
  uint64_t reserved = 0;
  bool canonical = false;
  ReadFn read = nullptr;    // overrides `field`
  WriteFn write = nullptr;  // overrides `field`
};

constexpr uint64_t kUpper32 = 0xFFFFFFFF00000000ull;

// ---- IA32_TIME_STAMP_COUNTER: the TSC is virtual time plus an offset (cpu.h Tsc()) ----
uint64_t ReadTsc(Cpu& cpu) { return cpu.Tsc(); }
MsrStatus WriteTsc(Cpu& cpu, uint64_t v, std::string*) {
  cpu.s.msr.tsc_adjust = v - cpu.vtime_ns();
  return MsrStatus::kOk;
}

uint64_t ReadZero(Cpu&) { return 0; }

// ---- IA32_APIC_BASE (SDM Vol. 3A 10.4.4): bit 8 BSP, bit 11 global enable (the board
// syncs the LAPIC from it), bits 39:12 base. Bit 10 (x2APIC enable) is reserved: x2APIC
// is not offered. The LAPIC device cannot move from 0xFEE00000.
constexpr uint64_t kApicBaseMask = 0xFFFFFF000ull & kPhysAddrMask;
MsrStatus WriteApicBase(Cpu& cpu, uint64_t v, std::string* what) {
  if (v & (0x6FFull | ~kPhysAddrMask)) return MsrStatus::kFault;
  if ((v & kApicBaseMask) != (cpu.s.msr.apic_base & kApicBaseMask)) {
    *what = absl::StrFormat(
        "relocating the local APIC (IA32_APIC_BASE = 0x%x) is not implemented", v);
    return MsrStatus::kUnimplemented;
  }
  cpu.s.msr.apic_base = v;
  return MsrStatus::kOk;
}

// ---- IA32_FEATURE_CONTROL (SDM Vol. 3C 23.7): bit 0 locks the register until reset.
// Bits 1-2 (VMX inside/outside SMX) stay reserved until VMX is offered (next issue);
// SMX, SGX and LMCE bits are not offered either.
MsrStatus WriteFeatureControl(Cpu& cpu, uint64_t v, std::string*) {
  if ((cpu.s.msr.feature_control & 1) || (v & ~1ull)) return MsrStatus::kFault;
  cpu.s.msr.feature_control = v;
  return MsrStatus::kOk;
}

// ---- IA32_BIOS_SIGN_ID (SDM Vol. 3A 9.11.7.1): no microcode update is ever loaded, so
// the signature CPUID(1) would latch into bits 63:32 is 0 and the register always reads
// 0; the write of 0 that precedes the CPUID is accepted.
MsrStatus WriteBiosSignId(Cpu&, uint64_t, std::string*) { return MsrStatus::kOk; }

// ---- IA32_MISC_ENABLE (Table 2-2): fast strings (bit 0) is the one writable bit (it
// has no visible effect on one emulated CPU); BTS (11) and PEBS (12) read as
// unavailable. Changing any other bit (TCC, EIST, MONITOR FSM, limit CPUID maxval, xTPR,
// XD disable) asks for a behaviour the core does not model: #GP(0).
constexpr uint64_t kMiscEnableWritable = 1ull << 0;
constexpr uint64_t kMiscEnableFixed = 1ull << 11 | 1ull << 12;
uint64_t ReadMiscEnable(Cpu& cpu) {
  return (cpu.s.msr.misc_enable & kMiscEnableWritable) | kMiscEnableFixed;
}
MsrStatus WriteMiscEnable(Cpu& cpu, uint64_t v, std::string*) {
  if ((v ^ ReadMiscEnable(cpu)) & ~kMiscEnableWritable) return MsrStatus::kFault;
  cpu.s.msr.misc_enable = v & kMiscEnableWritable;
  return MsrStatus::kOk;
}

// ---- IA32_DEBUGCTL (SDM Vol. 3B 17.4.1): LBR (0) and BTF (1) exist on every P6 and
// later part but are not implemented; bits 6-15 need features not offered (DS, PDCM,
// architectural perfmon v2, RTM) and bits 2-5, 16-63 are reserved: #GP(0).
MsrStatus WriteDebugCtl(Cpu& cpu, uint64_t v, std::string* what) {
  if (v & ~3ull) return MsrStatus::kFault;
  if (v != 0) {
    const char* feature = (v & 1) ? "LBR (last-branch recording)" : "BTF (single-step on branches)";
    *what = absl::StrFormat("IA32_DEBUGCTL = 0x%x: %s is not implemented", v, feature);
    return MsrStatus::kUnimplemented;
  }
  cpu.s.msr.debugctl = v;
  return MsrStatus::kOk;
}

// ---- IA32_PAT (SDM Vol. 3A 11.12.2): eight memory types; 2, 3 and 8-FFH are reserved.
MsrStatus WritePat(Cpu& cpu, uint64_t v, std::string*) {
  for (int i = 0; i < 8; ++i) {
    const uint64_t type = (v >> (8 * i)) & 0xFF;
    if (type == 2 || type == 3 || type > 7) return MsrStatus::kFault;
  }
  cpu.s.msr.pat = v;
  return MsrStatus::kOk;
}

// ---- IA32_EFER (SDM Vol. 3A 2.2.1, 9.8.5): SCE, LME, NXE writable; LMA is read-only
// (the processor sets it when paging is enabled with LME = 1; written values are
// ignored); changing LME while paging is enabled is #GP(0).
MsrStatus WriteEfer(Cpu& cpu, uint64_t v, std::string*) {
  const uint64_t efer = cpu.s.msr.efer;
  if (v & ~(efer::kSCE | efer::kLME | efer::kLMA | efer::kNXE)) return MsrStatus::kFault;
  if (((v ^ efer) & efer::kLME) && (cpu.s.cr0 & cr0::kPG)) return MsrStatus::kFault;
  const uint64_t next = (v & (efer::kSCE | efer::kLME | efer::kNXE)) | (efer & efer::kLMA);
  if (next != efer) {
    cpu.s.msr.efer = next;
    cpu.StateChanged();  // NXE changes what a page walk allows
  }
  return MsrStatus::kOk;
}

// ---- IA32_FMASK: bits 31:0 are the RFLAGS mask, bits 63:32 are not kept.
MsrStatus WriteFmask(Cpu& cpu, uint64_t v, std::string*) {
  cpu.s.msr.sfmask = v & 0xFFFFFFFFull;
  return MsrStatus::kOk;
}

// ---- IA32_FS_BASE / IA32_GS_BASE: the hidden bases of FS and GS (SDM Vol. 3A 3.4.4).
template <int kSeg>
uint64_t ReadSegBase(Cpu& cpu) {
  return cpu.s.seg[kSeg].base;
}
template <int kSeg>
MsrStatus WriteSegBase(Cpu& cpu, uint64_t v, std::string*) {
  if (!IsCanonical(v)) return MsrStatus::kFault;
  cpu.s.seg[kSeg].base = v;
  cpu.SegmentsChanged();
  return MsrStatus::kOk;
}

// The MSRs, by index.
const MsrRow kMsrs[] = {
    {.index = msr::kTsc, .name = "IA32_TIME_STAMP_COUNTER", .read = &ReadTsc, .write = &WriteTsc},
    {.index = msr::kPlatformId, .name = "IA32_PLATFORM_ID", .read = &ReadZero},
    {.index = msr::kApicBase, .name = "IA32_APIC_BASE", .field = &MsrState::apic_base,
     .write = &WriteApicBase},
    {.index = msr::kFeatureControl, .name = "IA32_FEATURE_CONTROL",
     .field = &MsrState::feature_control, .write = &WriteFeatureControl},
    {.index = msr::kBiosSignId, .name = "IA32_BIOS_SIGN_ID", .read = &ReadZero,
     .write = &WriteBiosSignId},
    {.index = msr::kSysenterCs, .name = "IA32_SYSENTER_CS", .field = &MsrState::sysenter_cs},
    {.index = msr::kSysenterEsp, .name = "IA32_SYSENTER_ESP", .field = &MsrState::sysenter_esp,
     .canonical = true},
    {.index = msr::kSysenterEip, .name = "IA32_SYSENTER_EIP", .field = &MsrState::sysenter_eip,
     .canonical = true},
    {.index = msr::kMcgCap, .name = "IA32_MCG_CAP", .read = &ReadZero},  // no banks
    {.index = msr::kMiscEnable, .name = "IA32_MISC_ENABLE", .read = &ReadMiscEnable,
     .write = &WriteMiscEnable},
    {.index = msr::kDebugCtl, .name = "IA32_DEBUGCTL", .field = &MsrState::debugctl,
     .write = &WriteDebugCtl},
    {.index = msr::kPat, .name = "IA32_PAT", .field = &MsrState::pat, .write = &WritePat},
    {.index = msr::kEfer, .name = "IA32_EFER", .field = &MsrState::efer, .write = &WriteEfer},
    {.index = msr::kStar, .name = "IA32_STAR", .field = &MsrState::star},
    {.index = msr::kLstar, .name = "IA32_LSTAR", .field = &MsrState::lstar, .canonical = true},
    {.index = msr::kCstar, .name = "IA32_CSTAR", .field = &MsrState::cstar, .canonical = true},
    {.index = msr::kFmask, .name = "IA32_FMASK", .field = &MsrState::sfmask, .write = &WriteFmask},
    {.index = msr::kFsBase, .name = "IA32_FS_BASE", .read = &ReadSegBase<kFs>,
     .write = &WriteSegBase<kFs>},
    {.index = msr::kGsBase, .name = "IA32_GS_BASE", .read = &ReadSegBase<kGs>,
     .write = &WriteSegBase<kGs>},
    {.index = msr::kKernelGsBase, .name = "IA32_KERNEL_GS_BASE",
     .field = &MsrState::kernel_gs_base, .canonical = true},
    {.index = msr::kTscAux, .name = "IA32_TSC_AUX", .field = &MsrState::tsc_aux,
     .reserved = kUpper32},
};

const MsrRow* Find(uint32_t index) {
  for (const MsrRow& row : kMsrs) {
    if (row.index == index) return &row;
  }
  return nullptr;
}

}  // namespace

MsrStatus ReadMsr(Cpu& cpu, uint32_t index, uint64_t* value) {
  const MsrRow* row = Find(index);
  if (row == nullptr) return MsrStatus::kFault;
  *value = row->read ? row->read(cpu) : cpu.s.msr.*(row->field);
  return MsrStatus::kOk;
}

MsrStatus WriteMsr(Cpu& cpu, uint32_t index, uint64_t value, std::string* what) {
  const MsrRow* row = Find(index);
  if (row == nullptr) return MsrStatus::kFault;
  if (row->write) return row->write(cpu, value, what);
  if (row->field == nullptr) return MsrStatus::kFault;  // read-only
  // SDM Vol. 2B WRMSR: reserved bits and non-canonical addresses are #GP(0).
  if ((value & row->reserved) || (row->canonical && !IsCanonical(value))) {
    return MsrStatus::kFault;
  }
  cpu.s.msr.*(row->field) = value;
  return MsrStatus::kOk;
}

const char* MsrName(uint32_t index) {
  const MsrRow* row = Find(index);
  return row ? row->name : nullptr;
}

}  // namespace vmxemu::cpu
