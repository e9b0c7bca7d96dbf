#include "devices/debug_exit.h"

namespace vmxemu::devices {

uint32_t DebugExit::In(uint16_t, int size) {
  return static_cast<uint32_t>(AllOnes(size));
}

void DebugExit::Out(uint16_t, int size, uint32_t value) {
  const uint64_t v = value & AllOnes(size);
  if (on_exit_) on_exit_((v << 1) | 1);
}

}  // namespace vmxemu::devices
