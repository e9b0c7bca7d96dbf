// Architectural bit positions the difftest guests use, named once. Values
// from the SDM: RFLAGS (Vol. 1 3.4.3), CR0/CR4 (Vol. 3A 2.5), IA32_EFER
// (Vol. 3A 2.2.1), paging-structure entries (Vol. 3A 4.3-4.5) and the
// page-fault error code (Vol. 3A 4.7).
#ifndef GUESTS_DIFFTEST_X86_BITS_H_
#define GUESTS_DIFFTEST_X86_BITS_H_

#include <stdint.h>

namespace difftest {

// RFLAGS.
inline constexpr uintptr_t kCf = 1u << 0;
inline constexpr uintptr_t kFixed1 = 1u << 1;  // Reads as 1.
inline constexpr uintptr_t kPf = 1u << 2;
inline constexpr uintptr_t kAf = 1u << 4;
inline constexpr uintptr_t kZf = 1u << 6;
inline constexpr uintptr_t kSf = 1u << 7;
inline constexpr uintptr_t kTf = 1u << 8;
inline constexpr uintptr_t kIf = 1u << 9;
inline constexpr uintptr_t kDf = 1u << 10;
inline constexpr uintptr_t kOf = 1u << 11;
inline constexpr uintptr_t kRf = 1u << 16;
// The six status flags (SDM Vol. 1 3.4.3.1).
inline constexpr uintptr_t kStatusFlags = kCf | kPf | kAf | kZf | kSf | kOf;

// CR0, CR4.
inline constexpr uintptr_t kCr0Pe = 1u << 0;
inline constexpr uintptr_t kCr0Wp = 1u << 16;
inline constexpr uintptr_t kCr0Pg = 1u << 31;
inline constexpr uintptr_t kCr4Pse = 1u << 4;
inline constexpr uintptr_t kCr4Pae = 1u << 5;

// IA32_EFER.
inline constexpr uint32_t kMsrEfer = 0xC0000080;
inline constexpr uint64_t kEferLme = 1u << 8;
inline constexpr uint64_t kEferNxe = 1u << 11;

// Paging-structure entries (all formats share the low bits).
inline constexpr uint64_t kPteP = 1u << 0;
inline constexpr uint64_t kPteRw = 1u << 1;
inline constexpr uint64_t kPteUs = 1u << 2;
inline constexpr uint64_t kPteA = 1u << 5;
inline constexpr uint64_t kPteD = 1u << 6;
inline constexpr uint64_t kPtePs = 1u << 7;
inline constexpr uint64_t kPteXd = uint64_t{1} << 63;  // PAE/4-level only.

// Page-fault error code.
inline constexpr uint32_t kPfErrP = 1u << 0;
inline constexpr uint32_t kPfErrW = 1u << 1;
inline constexpr uint32_t kPfErrU = 1u << 2;
inline constexpr uint32_t kPfErrRsvd = 1u << 3;
inline constexpr uint32_t kPfErrId = 1u << 4;

// Exception vectors (SDM Vol. 3A Table 6-1).
inline constexpr uint8_t kVectorDe = 0;
inline constexpr uint8_t kVectorBp = 3;
inline constexpr uint8_t kVectorUd = 6;
inline constexpr uint8_t kVectorDf = 8;
inline constexpr uint8_t kVectorNp = 11;
inline constexpr uint8_t kVectorSs = 12;
inline constexpr uint8_t kVectorGp = 13;
inline constexpr uint8_t kVectorPf = 14;

}  // namespace difftest

#endif  // GUESTS_DIFFTEST_X86_BITS_H_
