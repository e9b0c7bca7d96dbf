// modes: leaves the runtime's mode for real-address mode and comes back
// (real_mode.S), then prints what the real-mode code computed: segment
// arithmetic, 16-bit ALU results and flags, a 32-bit operation, INT n and
// #DE delivered through the IVT to its own handlers. The 64-bit build goes
// down from 64-bit mode through compatibility mode and protected mode with
// paging off; the 32-bit build from protected mode with paging, and first
// runs the protected-mode segmentation part (protected_mode.cc).
#include <stdint.h>

#include "guests/difftest/report.h"
#include "guests/difftest/system.h"
#include "guests/difftest/x86_bits.h"
#include "guests/lib/boot_info.h"
#include "guests/lib/libc.h"
#include "guests/lib/printf.h"
#include "guests/lib/x86.h"

extern "C" {
void dt_run_real_mode();
extern char dt_blob_start[], dt_blob_end[], dt_real_mode_results[];
extern char dt_real_mode_after_int[], dt_real_mode_divide[];
}

namespace difftest {

// Defined in protected_mode.cc (32-bit build only).
void RunProtectedModeChecks();

namespace {

constexpr uintptr_t kBlobBase = 0x8000;  // BLOB_BASE in real_mode.S.
constexpr uint16_t kArithmeticFlags = kStatusFlags;
constexpr uint16_t kCarryOverflow = kCf | kOf;

// The layout of dt_real_mode_results in real_mode.S.
struct __attribute__((packed)) RealModeResults {
  uint16_t segment_direct, segment_other, les_value, les_segment;
  uint16_t add_value, add_flags, sub_value, sub_flags;
  uint16_t mul_low, mul_high, mul_flags, rol_value, rol_flags;
  uint16_t int_ip, int_cs, int_flags, handler_flags, flags_after_iret;
  uint16_t ax_after_int, divide_ip, ax_after_divide;
  uint32_t add32;
};

// Where a blob label ends up once the blob is copied to kBlobBase.
uintptr_t InBlob(const char* label) {
  return kBlobBase + static_cast<uintptr_t>(label - dt_blob_start);
}

void RunRealMode() {
  size_t size = static_cast<size_t>(dt_blob_end - dt_blob_start);
  memcpy(reinterpret_cast<void*>(kBlobBase), dt_blob_start, size);
  dt_run_real_mode();
  RealModeResults r;
  memcpy(&r, reinterpret_cast<const void*>(InBlob(dt_real_mode_results)),
         sizeof(r));
  guest::printf("real mode: back in %d-bit mode, blob %u bytes\n",
                static_cast<int>(8 * sizeof(void*)),
                static_cast<unsigned>(size));
  guest::printf(
      "real mode: 0800:x and 07ff:x+10 read %04x %04x, "
      "les -> %04x:%04x\n",
      r.segment_direct, r.segment_other, r.les_segment, r.les_value);
  Expect(r.segment_direct == 0xBEEF && r.segment_other == 0xBEEF &&
             r.les_value == 0xBEEF && r.les_segment == 0x07F0,
         "real-mode segment arithmetic");
  // Masked to the status flags: bits 15:12 of FLAGS in real mode are
  // model-specific on old CPUs (SDM Vol. 1 3.4.3).
  guest::printf(
      "real mode: 7fff+1=%04x/%03x 0-1=%04x/%03x "
      "1234*100=%04x:%04x/%03x rol(8001,1)=%04x/%03x\n",
      r.add_value, r.add_flags & kArithmeticFlags, r.sub_value,
      r.sub_flags & kArithmeticFlags, r.mul_high, r.mul_low,
      r.mul_flags & kCarryOverflow, r.rol_value, r.rol_flags & kCarryOverflow);
  Expect(r.add_value == 0x8000 && (r.add_flags & kArithmeticFlags) == 0x894 &&
             r.sub_value == 0xFFFF &&
             (r.sub_flags & kArithmeticFlags) == 0x095 &&
             r.mul_high == 0x0012 && r.mul_low == 0x3400 &&
             (r.mul_flags & kCarryOverflow) == 0x801 && r.rol_value == 0x0003 &&
             (r.rol_flags & kCarryOverflow) == 0x801,
         "real-mode 16-bit ALU");
  guest::printf("real mode: 12345678+0fedcba9=%08x\n", r.add32);
  Expect(r.add32 == 0x22222221, "real-mode 32-bit add");
  // INT n in real mode pushes FLAGS, CS, IP and clears IF, TF, AC (SDM
  // Vol. 2A INT n, "REAL-ADDRESS-MODE"); IRET restores FLAGS.
  uint16_t after_int = static_cast<uint16_t>(InBlob(dt_real_mode_after_int));
  guest::printf(
      "real mode: int 60h pushed ip=%d cs=%04x flags=%04x, "
      "handler flags=%04x, after iret flags=%04x ax=%04x\n",
      r.int_ip - after_int, r.int_cs, r.int_flags, r.handler_flags,
      r.flags_after_iret, r.ax_after_int);
  Expect(r.int_ip == after_int && r.int_cs == 0 && r.int_flags == 0x08D7 &&
             r.handler_flags == 0x08D7 && r.flags_after_iret == 0x08D7 &&
             r.ax_after_int == 0x4242,
         "real-mode INT 60h");
  uint16_t divide = static_cast<uint16_t>(InBlob(dt_real_mode_divide));
  guest::printf("real mode: #DE pushed ip=%d, ax after=%04x\n",
                r.divide_ip - divide, r.ax_after_divide);
  Expect(r.divide_ip == divide && r.ax_after_divide == 0x0100, "real-mode #DE");
}

}  // namespace
}  // namespace difftest

int kmain(const guest::BootInfo&) {
  using namespace difftest;
  InstallGdt();
#if !defined(__x86_64__)
  RunProtectedModeChecks();
#endif
  RunRealMode();
  // The runtime still works: exceptions, paging, serial.
  guest::printf("modes: cr0 pg=%d pe=%d\n", (guest::read_cr0() & kCr0Pg) != 0,
                (guest::read_cr0() & kCr0Pe) != 0);
  return Finish("modes");
}
