// The interrupt descriptor table: 256 interrupt gates, each to its own stub
// in isr.S, all funnelling into one C++ dispatcher with a TrapFrame.
//
// Without a handler, an exception (vector 0..31) prints
//   EXCEPTION vector=<n> (<mnemonic>) error=0x<hex> rip=0x<hex> cr2=0x<hex>
// plus a register dump and exits with code 3; so does any other vector
// ("UNEXPECTED INTERRUPT ...").
#ifndef GUESTS_LIB_IDT_H_
#define GUESTS_LIB_IDT_H_

#include <stdint.h>

#include "guests/lib/trap_frame.h"

namespace guest {

// Called with interrupts disabled (interrupt gates). Returning resumes the
// interrupted context as the frame then describes it; to skip a faulting
// instruction, advance frame.ip().
using TrapHandler = void (*)(TrapFrame& frame);

void init_idt();

// vector 0..31; nullptr restores the default (report and exit(3)).
void set_exception_handler(uint8_t vector, TrapHandler handler);
// vector 32..255; nullptr restores the default.
void set_irq_handler(uint8_t vector, TrapHandler handler);

// "#PF" for 14 etc.; "reserved" for reserved vectors, "irq" above 31.
const char* exception_mnemonic(uint32_t vector);

}  // namespace guest

#endif  // GUESTS_LIB_IDT_H_
