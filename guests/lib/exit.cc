#include "guests/lib/exit.h"

#include <stdint.h>

#include "guests/lib/printf.h"
#include "guests/lib/serial.h"
#include "guests/lib/x86.h"

namespace guest {
namespace {
constexpr uint16_t kDebugExitPort = 0xF4;
}  // namespace

void exit(int code) {
  serial_flush();
  outl(kDebugExitPort, static_cast<uint32_t>(code));
  printf("exit: debug-exit device absent, halting\n");
  serial_flush();
  for (;;) {
    cli();
    hlt();
  }
}

}  // namespace guest
