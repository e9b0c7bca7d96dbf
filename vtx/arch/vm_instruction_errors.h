// VM-instruction error numbers (vm_instruction_errors.def; SDM Vol. 3C 30.4, Table 30-1)
// and the VMsucceed/VMfail outcome conventions of the VMX instructions (SDM Vol. 3C 30.2).
// Freestanding.
#ifndef VMXEMU_VTX_ARCH_VM_INSTRUCTION_ERRORS_H_
#define VMXEMU_VTX_ARCH_VM_INSTRUCTION_ERRORS_H_

#include <stdint.h>

#include "vtx/arch/bits.h"

namespace vmxemu::vmx::arch {

enum class VmInstructionError : uint32_t {
#define VM_INSTRUCTION_ERROR(name, number, description) name = number,
#include "vtx/arch/vm_instruction_errors.def"
#undef VM_INSTRUCTION_ERROR
};

struct VmInstructionErrorInfo {
  VmInstructionError error;
  const char* description;  // Table 30-1's text

  constexpr uint32_t number() const { return static_cast<uint32_t>(error); }
};

inline constexpr VmInstructionErrorInfo kVmInstructionErrors[] = {
#define VM_INSTRUCTION_ERROR(name, number, description) \
  {VmInstructionError::name, description},
#include "vtx/arch/vm_instruction_errors.def"
#undef VM_INSTRUCTION_ERROR
};
inline constexpr int kNumVmInstructionErrors = ArraySize(kVmInstructionErrors);

// Errors are 1..28; 14, 21 and 27 are unassigned.
inline constexpr uint32_t kVmInstructionErrorLimit = 29;

namespace internal {
constexpr bool VmInstructionErrorsAscending() {
  for (int i = 0; i < kNumVmInstructionErrors; ++i) {
    const uint32_t n = kVmInstructionErrors[i].number();
    if (n == 0 || n >= kVmInstructionErrorLimit) return false;
    if (i > 0 && kVmInstructionErrors[i - 1].number() >= n) return false;
  }
  return true;
}
}  // namespace internal

static_assert(internal::VmInstructionErrorsAscending(),
              "vm_instruction_errors.def must be ascending, within 1..28");
static_assert(kNumVmInstructionErrors == 25, "Table 30-1 assigns 25 numbers in 1..28");

// The Table 30-1 row for `number`, or nullptr if unassigned.
constexpr const VmInstructionErrorInfo* LookupVmInstructionError(uint32_t number) {
  for (const VmInstructionErrorInfo& info : kVmInstructionErrors) {
    if (info.number() == number) return &info;
  }
  return nullptr;
}

constexpr const char* VmInstructionErrorDescription(VmInstructionError error) {
  const VmInstructionErrorInfo* info =
      LookupVmInstructionError(static_cast<uint32_t>(error));
  return info == nullptr ? "unassigned VM-instruction error" : info->description;
}

// RFLAGS after a VMX instruction (SDM 30.2 "Conventions"): VMsucceed clears CF, PF, AF,
// ZF, SF and OF; VMfailInvalid sets CF and clears the others; VMfailValid sets ZF,
// clears the others, and stores the error number.
inline constexpr uint64_t kVmxResultFlagsMask =
    (1u << 0) | (1u << 2) | (1u << 4) | (1u << 6) | (1u << 7) | (1u << 11);  // CF PF AF ZF SF OF
inline constexpr uint64_t kVmfailInvalidFlags = 1u << 0;  // CF
inline constexpr uint64_t kVmfailValidFlags = 1u << 6;    // ZF

enum class VmxOutcome : uint8_t { kSucceed, kFailInvalid, kFailValid };

constexpr uint64_t RflagsAfter(VmxOutcome outcome, uint64_t rflags) {
  rflags &= ~kVmxResultFlagsMask;
  switch (outcome) {
    case VmxOutcome::kSucceed: return rflags;
    case VmxOutcome::kFailInvalid: return rflags | kVmfailInvalidFlags;
    case VmxOutcome::kFailValid: return rflags | kVmfailValidFlags;
  }
  return rflags;
}

}  // namespace vmxemu::vmx::arch

#endif  // VMXEMU_VTX_ARCH_VM_INSTRUCTION_ERRORS_H_
