// Basic exit reasons (exit_reasons.def, SDM Vol. 3D Appendix C) and the layout of the
// 32-bit exit-reason field (SDM Vol. 3C 24.9.1, Table 24-14 "Format of Exit Reason";
// 27.2.1). Freestanding.
#ifndef VMXEMU_VTX_ARCH_EXIT_REASONS_H_
#define VMXEMU_VTX_ARCH_EXIT_REASONS_H_

#include <stdint.h>

#include "vtx/arch/bits.h"

namespace vmxemu::vmx::arch {

enum class ExitReason : uint16_t {
#define EXIT_REASON(name, number, sdm_name) name = number,
#include "vtx/arch/exit_reasons.def"
#undef EXIT_REASON
};

struct ExitReasonInfo {
  ExitReason reason;
  const char* name;  // as in Appendix C

  constexpr uint16_t number() const { return static_cast<uint16_t>(reason); }
};

inline constexpr ExitReasonInfo kExitReasons[] = {
#define EXIT_REASON(name, number, sdm_name) {ExitReason::name, sdm_name},
#include "vtx/arch/exit_reasons.def"
#undef EXIT_REASON
};
inline constexpr int kNumExitReasons = ArraySize(kExitReasons);

// One past the highest basic exit reason Appendix C assigns.
inline constexpr int kExitReasonLimit = 86;

namespace internal {

constexpr bool ExitReasonsAscendingAndInRange() {
  for (int i = 0; i < kNumExitReasons; ++i) {
    if (kExitReasons[i].number() >= kExitReasonLimit) return false;
    if (i > 0 && kExitReasons[i - 1].number() >= kExitReasons[i].number()) return false;
  }
  return true;
}

struct ExitReasonIndexMap {
  int8_t row[kExitReasonLimit];
};

constexpr ExitReasonIndexMap BuildExitReasonIndexMap() {
  ExitReasonIndexMap map{};
  for (int8_t& row : map.row) row = -1;
  for (int i = 0; i < kNumExitReasons; ++i) {
    map.row[kExitReasons[i].number()] = static_cast<int8_t>(i);
  }
  return map;
}

inline constexpr ExitReasonIndexMap kExitReasonIndexMap = BuildExitReasonIndexMap();

}  // namespace internal

static_assert(internal::ExitReasonsAscendingAndInRange(),
              "exit_reasons.def must list reasons once each, ascending, below 86");
static_assert(kNumExitReasons == kExitReasonLimit - 6,
              "Appendix C leaves exactly 35, 38, 42, 71, 82, 83 unassigned");

// The Appendix C row for a basic exit reason, or nullptr for an unassigned number.
constexpr const ExitReasonInfo* LookupExitReason(uint32_t basic_reason) {
  if (basic_reason >= kExitReasonLimit) return nullptr;
  const int row = internal::kExitReasonIndexMap.row[basic_reason];
  return row < 0 ? nullptr : &kExitReasons[row];
}

constexpr const char* ExitReasonName(ExitReason reason) {
  const ExitReasonInfo* info = LookupExitReason(static_cast<uint16_t>(reason));
  return info == nullptr ? "unassigned exit reason" : info->name;
}

// ----- The exit-reason field (Table 24-14) ------------------------------------------

inline constexpr uint32_t kExitReasonBusLockDetected = 1u << 26;  // a bus lock was
                                                                  // detected; its VM
                                                                  // exit was preempted
inline constexpr uint32_t kExitReasonEnclaveMode = 1u << 27;
inline constexpr uint32_t kExitReasonPendingMtf = 1u << 28;       // SMM VM exits only
inline constexpr uint32_t kExitReasonFromVmxRoot = 1u << 29;      // SMM VM exits only
inline constexpr uint32_t kExitReasonEntryFailure = 1u << 31;
// Bit 16 is always 0; bits 25:17 and 30 are reserved (cleared by every VM exit).
inline constexpr uint32_t kExitReasonReservedMask =
    static_cast<uint32_t>(BitMask(25, 16) | BitMask(30, 30));

struct ExitReasonField {
  uint16_t basic = 0;              // 15:0, an ExitReason number
  bool bus_lock_detected = false;  // 26
  bool enclave_mode = false;       // 27: exit incident to enclave mode
  bool pending_mtf = false;        // 28: SMM VM exit took priority over an MTF VM exit
  bool from_vmx_root = false;      // 29: SMM VM exit from VMX root operation
  bool entry_failure = false;      // 31: VM-entry failure, not a true VM exit

  static constexpr ExitReasonField Decode(uint32_t value) {
    return {.basic = static_cast<uint16_t>(Bits(value, 15, 0)),
            .bus_lock_detected = Bit(value, 26),
            .enclave_mode = Bit(value, 27),
            .pending_mtf = Bit(value, 28),
            .from_vmx_root = Bit(value, 29),
            .entry_failure = Bit(value, 31)};
  }

  constexpr uint32_t Encode() const {
    return static_cast<uint32_t>(basic | PlaceBit(bus_lock_detected, 26) |
                                 PlaceBit(enclave_mode, 27) | PlaceBit(pending_mtf, 28) |
                                 PlaceBit(from_vmx_root, 29) | PlaceBit(entry_failure, 31));
  }

  constexpr ExitReason reason() const { return static_cast<ExitReason>(basic); }

  constexpr bool operator==(const ExitReasonField&) const = default;
};

// The exit-reason value of a true VM exit: only the basic reason is set (27.2.1).
constexpr uint32_t ExitReasonValue(ExitReason reason) {
  return static_cast<uint16_t>(reason);
}

// The exit-reason value of a VM-entry failure during or after loading guest state
// (reasons 33, 34, 41; SDM 26.7, 26.8).
constexpr uint32_t EntryFailureExitReasonValue(ExitReason reason) {
  return static_cast<uint16_t>(reason) | kExitReasonEntryFailure;
}

}  // namespace vmxemu::vmx::arch

#endif  // VMXEMU_VTX_ARCH_EXIT_REASONS_H_
