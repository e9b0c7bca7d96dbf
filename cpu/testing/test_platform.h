// A board for CPU unit tests: no devices, records port output, optional interrupt source.
#ifndef VMXEMU_CPU_TESTING_TEST_PLATFORM_H_
#define VMXEMU_CPU_TESTING_TEST_PLATFORM_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "cpu/platform.h"

namespace vmxemu::cpu::testing {

class TestPlatform : public Platform {
 public:
  struct PortWrite {
    uint16_t port;
    int size;
    uint32_t value;
    bool operator==(const PortWrite&) const = default;
  };

  uint32_t PortIn(uint16_t port, int size) override {
    auto it = port_values.find(port);
    if (it != port_values.end()) return it->second;
    return size == 1 ? 0xFF : size == 2 ? 0xFFFF : 0xFFFFFFFFu;
  }
  void PortOut(uint16_t port, int size, uint32_t value) override {
    port_writes.push_back({port, size, value});
  }
  uint64_t MmioRead(uint64_t paddr, int size) override {
    mmio_reads.push_back(paddr);
    return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
  }
  void MmioWrite(uint64_t paddr, int, uint64_t value) override {
    mmio_writes.push_back({paddr, value});
  }
  bool InterruptPending() override { return !pending_vectors.empty(); }
  uint8_t AcknowledgeInterrupt() override {
    uint8_t v = pending_vectors.front();
    pending_vectors.pop_front();
    return v;
  }
  bool TakeNmi() override {
    bool n = nmi;
    nmi = false;
    return n;
  }
  uint64_t RunTimers(uint64_t) override { return UINT64_MAX; }

  std::map<uint16_t, uint32_t> port_values;
  std::vector<PortWrite> port_writes;
  std::vector<uint64_t> mmio_reads;
  std::vector<std::pair<uint64_t, uint64_t>> mmio_writes;
  std::deque<uint8_t> pending_vectors;
  bool nmi = false;
};

}  // namespace vmxemu::cpu::testing

#endif  // VMXEMU_CPU_TESTING_TEST_PLATFORM_H_
