// GDT layout of the guest runtime, shared by boot.S (which owns the GDT) and
// C++ (which fills the TSS descriptor). Plain #defines so the assembler can
// include this file too.
//
// One table, both modes: the 64-bit code descriptor is simply unused by
// 32-bit kernels, and the TSS descriptor takes two slots (16 bytes) because in
// IA-32e mode a system descriptor is 16 bytes (SDM Vol. 3A 7.2.3).
#ifndef GUESTS_LIB_SEGMENTS_H_
#define GUESTS_LIB_SEGMENTS_H_

#define GUEST_SEL_NULL 0x00
#define GUEST_SEL_CODE64 0x08  // L=1, DPL 0, execute/read.
#define GUEST_SEL_CODE32 0x10  // D=1, 4 GiB flat, DPL 0, execute/read.
#define GUEST_SEL_DATA 0x18    // B=1, 4 GiB flat, DPL 0, read/write.
#define GUEST_SEL_TSS 0x20     // Filled at run time by init_gdt().
#define GUEST_GDT_ENTRIES 6    // null, code64, code32, data, tss (2 slots).

#if defined(__cplusplus)
#include <stdint.h>

namespace guest {

inline constexpr uint16_t kCode64Selector = GUEST_SEL_CODE64;
inline constexpr uint16_t kCode32Selector = GUEST_SEL_CODE32;
inline constexpr uint16_t kDataSelector = GUEST_SEL_DATA;
inline constexpr uint16_t kTssSelector = GUEST_SEL_TSS;

// The code selector the runtime runs on in this build.
#if defined(__x86_64__)
inline constexpr uint16_t kCodeSelector = kCode64Selector;
#else
inline constexpr uint16_t kCodeSelector = kCode32Selector;
#endif

// Installs the TSS into the GDT slot GUEST_SEL_TSS and loads TR. A VMM needs a
// valid, non-null TR: the host-state area may not hold TR selector 0
// (SDM Vol. 3C, VM entries, "Checks on Host Segment and Descriptor-Table
// Registers").
void init_gdt();

}  // namespace guest
#endif  // __cplusplus

#endif  // GUESTS_LIB_SEGMENTS_H_
