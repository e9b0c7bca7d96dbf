// The shape every device has: a port range and/or an MMIO window on the bus, and
// optionally timers on virtual time and an interrupt line. Also the small helpers the
// devices share: all-ones values, the warning sink, and byte-wide port splitting.
#ifndef VMXEMU_DEVICES_DEVICE_H_
#define VMXEMU_DEVICES_DEVICE_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace vmxemu::devices {

class PortDevice {
 public:
  virtual ~PortDevice() = default;
  virtual std::string_view name() const = 0;
  // `port` is absolute; `size` is 1, 2 or 4.
  virtual uint32_t In(uint16_t port, int size) = 0;
  virtual void Out(uint16_t port, int size, uint32_t value) = 0;
};

class MmioDevice {
 public:
  virtual ~MmioDevice() = default;
  virtual std::string_view name() const = 0;
  // `offset` is from the window's base; `size` is 1, 2, 4 or 8.
  virtual uint64_t Read(uint64_t offset, int size) = 0;
  virtual void Write(uint64_t offset, int size, uint64_t value) = 0;
};

// An interrupt input (an 8259 IR pin, a LAPIC LINT) a device drives.
class IrqLine {
 public:
  virtual ~IrqLine() = default;
  virtual void Set(bool level) = 0;
  void Pulse() { Set(true); Set(false); }
};

// What a read of `size` bytes returns when nothing drives the bus.
constexpr uint64_t AllOnes(int size) {
  return size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1;
}

// Where devices report what a guest did that the emulator does not model, or that is
// illegal programming (an unclaimed port, count 1 in PIT mode 2). Never fatal.
using WarningSink = std::function<void(std::string)>;

// The default sink: one line on stderr.
inline void WarnToStderr(std::string message) {
  std::fprintf(stderr, "vmxemu: %s\n", message.c_str());
}

// Passes each distinct message to the sink once, so a guest in a loop cannot flood it.
class OnceWarnings {
 public:
  explicit OnceWarnings(WarningSink sink) : sink_(std::move(sink)) {}
  void Report(std::string message) {
    if (sink_ && seen_.insert(message).second) sink_(std::move(message));
  }

 private:
  WarningSink sink_;
  std::set<std::string> seen_;
};

// A device whose registers are bytes (UART, 8259, 8254). The ISA bus splits a wider
// access into consecutive byte accesses, low byte first; so does this base class.
// Ports the device does not decode should read 0xFF.
class BytePortDevice : public PortDevice {
 public:
  uint32_t In(uint16_t port, int size) final {
    uint32_t value = 0;
    for (int i = 0; i < size && i < 4; ++i) {
      value |= uint32_t{InByte(static_cast<uint16_t>(port + i))} << (8 * i);
    }
    return value;
  }
  void Out(uint16_t port, int size, uint32_t value) final {
    for (int i = 0; i < size && i < 4; ++i) {
      OutByte(static_cast<uint16_t>(port + i), static_cast<uint8_t>(value >> (8 * i)));
    }
  }

 protected:
  virtual uint8_t InByte(uint16_t port) = 0;
  virtual void OutByte(uint16_t port, uint8_t value) = 0;
};

}  // namespace vmxemu::devices

#endif  // VMXEMU_DEVICES_DEVICE_H_
