#include "guests/difftest/probe.h"

#include "guests/lib/idt.h"
#include "guests/lib/x86.h"

extern "C" {
uintptr_t dt_probe_site;
uintptr_t dt_probe_resume;
uintptr_t dt_probe_sp;
}

namespace difftest {

Trap last_trap;

namespace {

void RecordAndResume(guest::TrapFrame& frame) {
  ++last_trap.count;
  last_trap.vector = static_cast<uint32_t>(frame.vector);
  last_trap.error_code = static_cast<uint32_t>(frame.error_code);
  last_trap.cr2 = guest::read_cr2();
  last_trap.ip_offset = static_cast<intptr_t>(frame.ip() - dt_probe_site);
  last_trap.cs = frame.cs;
#if defined(__x86_64__)
  last_trap.flags = frame.rflags;
#else
  last_trap.flags = frame.eflags;
#endif
  last_trap.sp_offset =
      static_cast<intptr_t>(InterruptedSp(frame) - dt_probe_sp);
  last_trap.ss = InterruptedSs(frame);
  frame.ip() = dt_probe_resume;
}

}  // namespace

void CatchTraps(uint8_t vector) {
  if (vector < 32) {
    guest::set_exception_handler(vector, RecordAndResume);
  } else {
    guest::set_irq_handler(vector, RecordAndResume);
  }
}

void ResetTrap() { last_trap = {}; }

#if defined(__x86_64__)
uintptr_t InterruptedSp(const guest::TrapFrame& frame) { return frame.rsp; }
uintptr_t InterruptedSs(const guest::TrapFrame& frame) { return frame.ss; }
#else
uintptr_t InterruptedSp(const guest::TrapFrame& frame) {
  const uint32_t* beyond = &frame.eflags + 1;
  return (frame.cs & 3) != 0 ? beyond[0] : frame.interrupted_esp();
}
uintptr_t InterruptedSs(const guest::TrapFrame& frame) {
  const uint32_t* beyond = &frame.eflags + 1;
  return (frame.cs & 3) != 0 ? beyond[1] : guest::read_ss();
}
#endif

}  // namespace difftest
