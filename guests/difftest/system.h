// System set-up shared by the difftest guests: a GDT that extends the
// runtime's with user, 16-bit and test segments, a TSS whose RSP0/ESP0 and
// IST1 are valid (the runtime's has no ring-0 stack for interrupts from
// CPL 3), in-place edits of the runtime's IDT gates, and running a function
// at CPL 3. Plain #defines first so user_mode.S can include this file.
#ifndef GUESTS_DIFFTEST_SYSTEM_H_
#define GUESTS_DIFFTEST_SYSTEM_H_

// User code leaves CPL 3 with INT through this DPL-3 gate.
#define DIFFTEST_USER_RETURN_VECTOR 0x81

#if defined(__cplusplus)
#include <stdint.h>

#include "guests/lib/trap_frame.h"

namespace difftest {

// Selectors. The first four equal the runtime's (segments.h), so the IDT's
// gates and the boot code's segment registers stay valid.
inline constexpr uint16_t kCode64 = 0x08;
inline constexpr uint16_t kCode32 = 0x10;
inline constexpr uint16_t kData = 0x18;
inline constexpr uint16_t kTss = 0x20;         // Two slots in IA-32e mode.
inline constexpr uint16_t kUserCode32 = 0x33;  // RPL 3.
inline constexpr uint16_t kUserData = 0x3B;
inline constexpr uint16_t kUserCode64 = 0x43;
inline constexpr uint16_t kCode16 = 0x48;      // Base 0, limit FFFFh, D=0.
inline constexpr uint16_t kData16 = 0x50;      // Base 0, limit FFFFh, B=0.
inline constexpr uint16_t kAbsentData = 0x58;  // P=0 data segment, DPL 0.
inline constexpr int kFirstFreeGdtIndex = 12;  // 0x60..0x78 for the tests.
inline constexpr int kGdtEntries = 16;         // Selector 0x80 is past it.

#if defined(__x86_64__)
inline constexpr uint16_t kKernelCode = kCode64;
inline constexpr uint16_t kUserCode = kUserCode64;
#else
inline constexpr uint16_t kKernelCode = kCode32;
inline constexpr uint16_t kUserCode = kUserCode32;
#endif

// Access byte and flags nibble of a code/data segment descriptor (SDM Vol.
// 3A 3.4.5): base 31:0, limit 19:0.
uint64_t SegmentDescriptor(uint32_t base, uint32_t limit, uint8_t access,
                           uint8_t flags);

// Loads the difftest GDT and TSS. Call once, first thing in kmain.
void InstallGdt();
void SetGdtEntry(int index, uint64_t descriptor);

// Rewrites the present bit and DPL of the runtime's IDT gate for `vector`
// (found through SIDT), keeping its handler stub.
void SetGate(uint8_t vector, int dpl, bool present);

// Sets U/S=1 in every entry of the runtime's boot identity map, so code and
// data of the kernel image are usable at CPL 3.
void AllowUserAccessToBootMap();

// Runs function() at CPL 3 (IRET to kUserCode, IF=0) on a user stack and
// returns when it returns (through INT DIFFTEST_USER_RETURN_VECTOR). The
// code and stack must be user-accessible in the current page tables.
void RunAtCpl3(void (*function)());

// True if address lies on the #DF stack (IST1; TSS ESP0 in 32-bit builds is
// a different stack).
bool OnDoubleFaultStack(const void* address);

}  // namespace difftest
#endif  // __cplusplus

#endif  // GUESTS_DIFFTEST_SYSTEM_H_
