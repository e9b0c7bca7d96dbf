#include "cpu/testing/diff_checker.h"

#include <Zydis/Zydis.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cpu/flags.h"

namespace vmxemu::cpu::testing {
namespace {

// One HLT per exception vector; a fault ends at kFaultStubs + vector.
constexpr uint64_t kFaultStubs = 0x180000;
constexpr int kNumVectors = 32;
constexpr uint64_t kComparedFlags = 0x3FFFFF;  // RFLAGS bits 21:0

constexpr const char* kGprNames64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                         "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
constexpr const char* kGprNames32[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

const char* GprName(Mode mode, int i) {
  return mode == Mode::kLong64 ? kGprNames64[i] : kGprNames32[i];
}

// Exceptions that push an error code (SDM Vol. 3A 6.3.1, Table 6-1).
bool HasErrorCode(uint8_t v) {
  return v == kDF || (v >= kTS && v <= kPF) || v == kAC || v == 21 || v == 29 || v == 30;
}

std::string FlagNames(uint64_t f) {
  static constexpr struct {
    uint64_t bit;
    const char* name;
  } kNames[] = {{kFlagCF, "CF"}, {kFlagPF, "PF"}, {kFlagAF, "AF"}, {kFlagZF, "ZF"},
                {kFlagSF, "SF"}, {kFlagTF, "TF"}, {kFlagIF, "IF"}, {kFlagDF, "DF"},
                {kFlagOF, "OF"}, {kFlagRF, "RF"}};
  std::vector<std::string> names;
  for (const auto& n : kNames) {
    if (f & n.bit) names.push_back(n.name);
  }
  return absl::StrCat("[", absl::StrJoin(names, " "), "]");
}

std::string DescribeState(Mode mode, const MachineState& s) {
  std::string out;
  for (int i = 0; i < NumGprs(mode); ++i) {
    absl::StrAppendFormat(&out, "%s%s=%#x", i % 4 == 0 ? "\n    " : "  ", GprName(mode, i),
                          s.gpr[i]);
  }
  absl::StrAppendFormat(&out, "\n    rflags=%#x %s", s.rflags, FlagNames(s.rflags));
  return out;
}

std::string DescribeMemoryOperand(const DiffCase& c) {
  if (c.mem_size == 0) return "";
  std::string out = absl::StrFormat("\n    memory operand [%#x] =", c.mem_address);
  for (int i = 0; i < c.mem_size; ++i) {
    absl::StrAppendFormat(&out, " %02x", c.initial.data[c.mem_address - kDiffDataBase + i]);
  }
  return out;
}

std::string DescribeOutcome(const Outcome& o) {
  if (!o.error.empty()) return o.error;
  if (o.faulted) return absl::StrFormat("exception %d at rip=%#x", o.vector, o.state.rip);
  return absl::StrFormat("completed at rip=%#x", o.state.rip);
}

}  // namespace

// ---- vmxemu side -----------------------------------------------------------------------

VmxemuRunner::VmxemuRunner(Mode mode) : h_(mode) {
  for (int v = 0; v < kNumVectors; ++v) {
    h_.WritePhys(kFaultStubs + v, kHlt, 1);
    h_.SetInterruptGate(v, kFaultStubs + v);
  }
}

Outcome VmxemuRunner::Run(const std::vector<uint8_t>& code, const MachineState& in) {
  std::vector<uint8_t> bytes = code;
  bytes.push_back(kHlt);
  h_.memory.Write(kDiffCodeBase, bytes.data(), bytes.size());
  h_.memory.Write(kDiffDataBase, in.data.data(), in.data.size());
  CpuState& s = h_.cpu.s;
  for (int i = 0; i < 16; ++i) s.gpr[i] = in.gpr[i];
  s.rip = kDiffCodeBase;
  s.SetRflags(in.rflags);
  s.halted = false;
  const RunResult r = h_.Run(1000);

  Outcome out;
  for (int i = 0; i < 16; ++i) out.state.gpr[i] = s.gpr[i];
  out.state.rip = s.rip;
  out.state.rflags = s.Rflags();
  h_.memory.Read(kDiffDataBase, out.state.data.data(), out.state.data.size());
  if (r.reason == StopReason::kError) {
    out.error = "vmxemu: " + r.message;
    out.unimplemented = r.message.starts_with("unimplemented instruction");
    return out;
  }
  if (r.reason != StopReason::kHalted) {
    out.error = absl::StrFormat("vmxemu did not reach the HLT (stop reason %d): %s",
                                static_cast<int>(r.reason), r.message);
    return out;
  }
  const uint64_t hlt = s.rip - 1;
  if (hlt == kDiffCodeBase + code.size()) {
    out.state.rip = hlt;
  } else if (hlt >= kFaultStubs && hlt < kFaultStubs + kNumVectors) {
    RecoverFaultState(static_cast<uint8_t>(hlt - kFaultStubs), in, &out);
  } else {
    out.error = absl::StrFormat("vmxemu halted at unexpected rip %#x", hlt);
  }
  return out;
}

// The state before the exception: RIP, RFLAGS and RSP from the frame (SDM Vol. 3A 6.12.1,
// 6.14.2), and the data bytes the frame overwrote (the faulting instruction wrote
// nothing: faults are precise).
void VmxemuRunner::RecoverFaultState(uint8_t vector, const MachineState& in, Outcome* out) {
  out->faulted = true;
  out->vector = vector;
  const bool is64 = h_.mode == Mode::kLong64;
  const int w = is64 ? 8 : 4;
  const uint64_t frame = h_.cpu.s.gpr[kRsp] + (HasErrorCode(vector) ? w : 0);
  if (frame + 5 * w > h_.memory.ram_size()) {
    out->error = "vmxemu: exception frame outside RAM";
    return;
  }
  out->state.rip = h_.ReadPhys(frame, w);
  out->state.rflags = h_.ReadPhys(frame + 2 * w, w) & ~kFlagRF;
  const uint64_t old_rsp = is64 ? h_.ReadPhys(frame + 3 * w, w) : frame + 3 * w;
  for (uint64_t a = h_.cpu.s.gpr[kRsp]; a < old_rsp; ++a) {
    if (a >= kDiffDataBase && a < kDiffDataBase + kDiffDataSize) {
      out->state.data[a - kDiffDataBase] = in.data[a - kDiffDataBase];
    }
  }
  out->state.gpr[kRsp] = old_rsp;
}

// ---- comparison -------------------------------------------------------------------------

std::string Disassemble(Mode mode, const std::vector<uint8_t>& code) {
  const ZydisMachineMode mm =
      mode == Mode::kLong64 ? ZYDIS_MACHINE_MODE_LONG_64 : ZYDIS_MACHINE_MODE_LEGACY_32;
  std::string out;
  size_t at = 0;
  while (at < code.size()) {
    ZydisDisassembledInstruction insn;
    std::string bytes;
    if (!ZYAN_SUCCESS(ZydisDisassembleIntel(mm, kDiffCodeBase + at, code.data() + at,
                                            code.size() - at, &insn))) {
      for (size_t i = at; i < code.size(); ++i) absl::StrAppendFormat(&bytes, "%02x ", code[i]);
      return absl::StrCat(out, "    ", bytes, "(undecodable)\n");
    }
    for (size_t i = 0; i < insn.info.length; ++i)
      absl::StrAppendFormat(&bytes, "%02x ", code[at + i]);
    absl::StrAppendFormat(&out, "    %-36s %s\n", bytes, insn.text);
    at += insn.info.length;
  }
  return out;
}

std::string DescribeCase(const DiffCase& c) {
  return absl::StrCat("  code:\n", Disassemble(c.mode, c.code),
                      "  initial:", DescribeState(c.mode, c.initial), DescribeMemoryOperand(c),
                      "\n");
}

DiffResult CompareOutcomes(const DiffCase& c, const Outcome& vmx, const Outcome& uc,
                           std::vector<const UnicornDeviation*> deviations) {
  DiffResult result;
  if (vmx.unimplemented) {
    result.kind = DiffResult::Kind::kSkipped;
    result.report = vmx.error.substr(vmx.error.find("unimplemented"));
    result.report = result.report.substr(0, result.report.find(" at RIP"));
    return result;
  }
  result.deviations = std::move(deviations);
  std::vector<std::string> diffs;
  if (!vmx.error.empty() || !uc.error.empty() || vmx.faulted != uc.faulted ||
      (vmx.faulted && vmx.vector != uc.vector)) {
    diffs.push_back(
        absl::StrCat("outcome: vmxemu ", DescribeOutcome(vmx), "; unicorn ", DescribeOutcome(uc)));
  }
  const bool is64 = c.mode == Mode::kLong64;
  const uint64_t gpr_mask = is64 ? ~0ull : 0xFFFFFFFFull;
  for (int i = 0; i < NumGprs(c.mode); ++i) {
    if (c.undefined_gprs & (1u << i)) continue;
    if (((vmx.state.gpr[i] ^ uc.state.gpr[i]) & gpr_mask) != 0) {
      diffs.push_back(absl::StrFormat("%s: initial %#x vmxemu %#x unicorn %#x", GprName(c.mode, i),
                                      c.initial.gpr[i], vmx.state.gpr[i], uc.state.gpr[i]));
    }
  }
  if (((vmx.state.rip ^ uc.state.rip) & gpr_mask) != 0) {
    diffs.push_back(absl::StrFormat("rip: vmxemu %#x unicorn %#x", vmx.state.rip, uc.state.rip));
  }
  // A faulting instruction has no effect: then the flags are the lead-in's (or initial).
  const uint64_t undefined = vmx.faulted ? c.lead_in_undefined_flags : c.undefined_flags;
  const uint64_t flag_diff = (vmx.state.rflags ^ uc.state.rflags) & kComparedFlags & ~undefined;
  if (flag_diff != 0) {
    diffs.push_back(absl::StrFormat(
        "rflags: vmxemu %#x unicorn %#x, differ in %s (undefined here: %s)", vmx.state.rflags,
        uc.state.rflags, FlagNames(flag_diff), FlagNames(undefined)));
  }
  // Flags the instruction does not write must keep their value (checks both sides' shared
  // assumptions against the SDM table). A lead-in writes the six arithmetic flags.
  const uint64_t lead_in_written = c.insn_offset != 0 ? kArithFlags : 0;
  const uint64_t kept =
      (kArithFlags | kFlagDF) & ~(vmx.faulted ? lead_in_written : c.written_flags | undefined);
  const uint64_t changed = (vmx.state.rflags ^ c.initial.rflags) & kept;
  if (vmx.error.empty() && changed != 0) {
    diffs.push_back(absl::StrFormat("rflags: vmxemu changed %s, which the SDM says %s leaves alone",
                                    FlagNames(changed), ZydisMnemonicGetString(c.mnemonic)));
  }
  int data_diffs = 0;
  for (size_t i = 0; i < kDiffDataSize; ++i) {
    if (vmx.state.data[i] == uc.state.data[i]) continue;
    if (++data_diffs <= 8) {
      diffs.push_back(absl::StrFormat("data[%#x]: initial %02x vmxemu %02x unicorn %02x",
                                      kDiffDataBase + i, c.initial.data[i], vmx.state.data[i],
                                      uc.state.data[i]));
    }
  }
  if (data_diffs > 8) diffs.push_back(absl::StrFormat("... %d data bytes differ", data_diffs));
  result.faulted = vmx.faulted && uc.faulted;
  if (diffs.empty()) return result;

  result.kind = DiffResult::Kind::kMismatch;
  result.report = absl::StrFormat(
      "MISMATCH %s mode=%d seed=%d case=%d\n"
      "  reproduce: VMXEMU_DIFF_MODE=%d VMXEMU_DIFF_SEED=%d VMXEMU_DIFF_CASE=%d\n"
      "%s  differences:\n    %s\n",
      ZydisMnemonicGetString(c.mnemonic), is64 ? 64 : 32, c.seed, c.index, is64 ? 64 : 32, c.seed,
      c.index, DescribeCase(c), absl::StrJoin(diffs, "\n    "));
  for (const UnicornDeviation* d : result.deviations) {
    absl::StrAppend(&result.report, "  (unicorn corrected by deviation \"", d->name, "\")\n");
  }
  return result;
}

DiffResult DiffRunner::Run(const DiffCase& c) {
  // The generator must produce the instruction it meant to.
  ZydisDisassembledInstruction insn;
  const ZydisMachineMode mm =
      c.mode == Mode::kLong64 ? ZYDIS_MACHINE_MODE_LONG_64 : ZYDIS_MACHINE_MODE_LEGACY_32;
  if (!ZYAN_SUCCESS(ZydisDisassembleIntel(mm, kDiffCodeBase + c.insn_offset,
                                          c.code.data() + c.insn_offset,
                                          c.code.size() - c.insn_offset, &insn)) ||
      insn.info.mnemonic != c.mnemonic) {
    DiffResult r;
    r.kind = DiffResult::Kind::kMismatch;
    r.report = absl::StrFormat(
        "GENERATOR produced something other than %s (mode=%d seed=%d "
        "case=%d):\n%s",
        ZydisMnemonicGetString(c.mnemonic), c.mode == Mode::kLong64 ? 64 : 32, c.seed, c.index,
        Disassemble(c.mode, c.code));
    return r;
  }
  std::vector<const UnicornDeviation*> deviations;
  const Outcome uc = RunUnicorn(c, &deviations);
  return CompareOutcomes(c, RunVmxemu(c), uc, std::move(deviations));
}

Outcome DiffRunner::RunUnicorn(const DiffCase& c, std::vector<const UnicornDeviation*>* applied) {
  Outcome uc = unicorn_.Run(c.code, c.initial);
  applied->clear();
  if (!uc.error.empty()) return uc;
  bool substituted = false;
  for (const UnicornDeviation& d : deviations_) {
    if (!d.applies(c, uc) || (d.equivalent_code != nullptr && substituted)) continue;
    applied->push_back(&d);
    if (d.equivalent_code != nullptr) {
      const std::vector<uint8_t> code = d.equivalent_code(c);
      uc = unicorn_.Run(code, c.initial);
      substituted = true;
      // The equivalent encoding may differ in length: RIP is that of the original.
      if (!uc.faulted && uc.state.rip == kDiffCodeBase + code.size()) {
        uc.state.rip = kDiffCodeBase + c.code.size();
      }
    }
    if (d.correct != nullptr) d.correct(c, &uc);
  }
  return uc;
}

// ---- statistics -------------------------------------------------------------------------

void DiffStats::Add(const DiffCase& c, const DiffResult& r, size_t max_reports) {
  for (const UnicornDeviation* d : r.deviations) ++deviations[d->name];
  switch (r.kind) {
    case DiffResult::Kind::kSkipped:
      ++skipped[r.report];
      return;
    case DiffResult::Kind::kMismatch:
      ++mismatches;
      ++mismatched[ZydisMnemonicGetString(c.mnemonic)];
      if (reports.size() < max_reports) reports.push_back(r.report);
      break;
    case DiffResult::Kind::kMatch:
      break;
  }
  ++compared;
  if (r.faulted) ++faults;
}

uint64_t DiffStats::skipped_total() const {
  uint64_t n = 0;
  for (const auto& [why, count] : skipped) n += count;
  return n;
}

std::string DiffStats::Summary() const {
  std::string out = absl::StrFormat(
      "compared %d (%d raised an exception on both sides), mismatches %d, "
      "skipped %d",
      compared, faults, mismatches, skipped_total());
  for (const auto& [why, count] : skipped)
    absl::StrAppendFormat(&out, "\n  skipped: %s: %d", why, count);
  for (const auto& [name, count] : deviations) {
    absl::StrAppendFormat(&out, "\n  unicorn deviation corrected: %s: %d", name, count);
  }
  for (const auto& [name, count] : mismatched)
    absl::StrAppendFormat(&out, "\n  mismatched: %s: %d", name, count);
  return out;
}

}  // namespace vmxemu::cpu::testing
