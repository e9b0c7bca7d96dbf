#include "cpu/testing/unicorn_oracle.h"

#include <unicorn/unicorn.h>

#include <string>

namespace vmxemu::cpu::testing {
namespace {

// Unicorn register ids in CpuState::gpr order.
constexpr int kRegs64[16] = {
    UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RBX, UC_X86_REG_RSP, UC_X86_REG_RBP,
    UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_R8,  UC_X86_REG_R9,  UC_X86_REG_R10, UC_X86_REG_R11,
    UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
};
constexpr int kRegs32[8] = {
    UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
    UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI,
};

void OnInterrupt(uc_engine* uc, uint32_t intno, void* user_data) {
  *static_cast<int*>(user_data) = static_cast<int>(intno);
  uc_emu_stop(uc);
}

std::string UcError(const char* what, uc_err err) {
  return std::string("unicorn ") + what + ": " + uc_strerror(err);
}

}  // namespace

UnicornOracle::UnicornOracle(Mode mode) : mode_(mode) {
  const uc_mode m = mode == Mode::kLong64 ? UC_MODE_64 : UC_MODE_32;
  if (uc_open(UC_ARCH_X86, m, &uc_) != UC_ERR_OK) {
    uc_ = nullptr;
    return;
  }
  uc_hook hook;
  if (uc_mem_map(uc_, kDiffCodeBase, 0x1000, UC_PROT_ALL) != UC_ERR_OK ||
      uc_mem_map(uc_, kDiffDataBase, kDiffDataSize, UC_PROT_READ | UC_PROT_WRITE) != UC_ERR_OK ||
      uc_hook_add(uc_, &hook, UC_HOOK_INTR, reinterpret_cast<void*>(&OnInterrupt), &intno_, 1, 0) !=
          UC_ERR_OK ||
      uc_context_alloc(uc_, &pristine_) != UC_ERR_OK ||
      uc_context_save(uc_, pristine_) != UC_ERR_OK) {
    if (pristine_ != nullptr) uc_context_free(pristine_);
    pristine_ = nullptr;
    uc_close(uc_);
    uc_ = nullptr;
  }
}

UnicornOracle::~UnicornOracle() {
  if (pristine_ != nullptr) uc_context_free(pristine_);
  if (uc_ != nullptr) uc_close(uc_);
}

void UnicornOracle::WriteRegisters(const MachineState& in) {
  const bool is64 = mode_ == Mode::kLong64;
  const int n = NumGprs(mode_);
  int ids[18];
  const void* vals[18];
  for (int i = 0; i < n; ++i) {
    ids[i] = is64 ? kRegs64[i] : kRegs32[i];
    vals[i] = &in.gpr[i];  // 32-bit registers read the low half (little-endian host)
  }
  ids[n] = UC_X86_REG_EFLAGS;
  vals[n] = &in.rflags;
  ids[n + 1] = is64 ? UC_X86_REG_RIP : UC_X86_REG_EIP;
  vals[n + 1] = &in.rip;
  uc_reg_write_batch(uc_, ids, const_cast<void* const*>(vals), n + 2);
}

void UnicornOracle::ReadRegisters(MachineState* out) {
  const bool is64 = mode_ == Mode::kLong64;
  const int n = NumGprs(mode_);
  int ids[18];
  void* vals[18];
  out->gpr.fill(0);
  out->rflags = out->rip = 0;
  for (int i = 0; i < n; ++i) {
    ids[i] = is64 ? kRegs64[i] : kRegs32[i];
    vals[i] = &out->gpr[i];
  }
  ids[n] = UC_X86_REG_EFLAGS;
  vals[n] = &out->rflags;
  ids[n + 1] = is64 ? UC_X86_REG_RIP : UC_X86_REG_EIP;
  vals[n + 1] = &out->rip;
  uc_reg_read_batch(uc_, ids, vals, n + 2);
  if (!is64) out->rflags &= 0xFFFFFFFFu;
}

Outcome UnicornOracle::Run(const std::vector<uint8_t>& code, const MachineState& in) {
  Outcome out;
  if (uc_ == nullptr) {
    out.error = "unicorn could not be initialized for x86";
    return out;
  }
  std::vector<uint8_t> bytes = code;
  bytes.push_back(kHlt);
  const uint64_t hlt = kDiffCodeBase + code.size();
  uc_err err = uc_mem_write(uc_, kDiffCodeBase, bytes.data(), bytes.size());
  if (err == UC_ERR_OK) err = uc_mem_write(uc_, kDiffDataBase, in.data.data(), in.data.size());
  if (err != UC_ERR_OK) {
    out.error = UcError("mem_write", err);
    return out;
  }
  // Translated blocks of the previous case's code must not be reused.
  uc_ctl_remove_cache(uc_, kDiffCodeBase, kDiffCodeBase + bytes.size());
  // A stop in the interrupt hook leaves the exception pending in QEMU's state (the next
  // #DE would become #DF): start every case from the pristine CPU state.
  uc_context_restore(uc_, pristine_);
  MachineState start = in;
  start.rip = kDiffCodeBase;
  WriteRegisters(start);
  intno_ = -1;
  err = uc_emu_start(uc_, kDiffCodeBase, hlt, 0, 0);
  ReadRegisters(&out.state);
  uc_mem_read(uc_, kDiffDataBase, out.state.data.data(), out.state.data.size());
  if (intno_ >= 0) {
    out.faulted = true;
    out.vector = static_cast<uint8_t>(intno_);
  } else if (err != UC_ERR_OK) {
    out.error = UcError("emu_start", err);
  } else if (out.state.rip != hlt) {
    out.error = "unicorn stopped before the HLT";
  }
  return out;
}

}  // namespace vmxemu::cpu::testing
