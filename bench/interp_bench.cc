// Interpreter speed: guest instructions per second on the two loops of the x86-64 core
// issue, timed inside vmxemu. (a) 5 instructions per iteration: add, xor, add, dec, jnz.
// (b) 10 per iteration with a load, a store, a call and a ret.
// Reported as items_per_second = guest instructions retired per host second.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "cpu/testing/cpu_harness.h"

namespace vmxemu::cpu {
namespace {

constexpr uint64_t kSlice = 10'000'000;  // instructions per Run() call

void RunLoop(benchmark::State& state, const char* source) {
  testing::CpuHarness h;
  absl::Status st = h.LoadAsm(source);
  if (!st.ok()) {
    state.SkipWithError(std::string(st.message()).c_str());
    return;
  }
  h.cpu.s.gpr[kRdi] = testing::kDataBase;
  h.Run(kSlice);  // warm the decode cache
  uint64_t retired = 0;
  for (auto _ : state) {
    const uint64_t before = h.cpu.retired();
    RunResult r = h.Run(kSlice);
    if (r.reason != StopReason::kBudget) {
      state.SkipWithError(r.message.c_str());
      return;
    }
    retired += h.cpu.retired() - before;
  }
  state.SetItemsProcessed(static_cast<int64_t>(retired));
  state.counters["MIPS"] = benchmark::Counter(static_cast<double>(retired) / 1e6,
                                              benchmark::Counter::kIsRate);
}

void BM_Loop5_AluDecJnz(benchmark::State& state) {
  // ecx starts at 0: dec wraps, so the loop runs 2^32 iterations (longer than any slice).
  RunLoop(state, R"(
      xor ecx, ecx
      mov ebx, 3
    1:
      add rax, rbx
      xor rdx, rax
      add rbx, 1
      dec ecx
      jnz 1b
      hlt
  )");
}
BENCHMARK(BM_Loop5_AluDecJnz)->Unit(benchmark::kMillisecond);

void BM_Loop10_LoadStoreCallRet(benchmark::State& state) {
  RunLoop(state, R"(
      xor ecx, ecx
    1:
      mov rax, [rdi]
      add rax, rbx
      mov [rdi + 8], rax
      call 2f
      dec ecx
      jnz 1b
      hlt
    2:
      xor rdx, rax
      add rbx, 1
      inc rsi
      ret
  )");
}
BENCHMARK(BM_Loop10_LoadStoreCallRet)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vmxemu::cpu

BENCHMARK_MAIN();
