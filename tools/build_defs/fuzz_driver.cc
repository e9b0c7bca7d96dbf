// A main() for fuzz targets in builds without libFuzzer: runs LLVMFuzzerTestOneInput on
// seeded pseudo-random inputs (reproducible), or on the files named on the command line.
//   target [--runs=N] [--seed=S] [--max_len=L] [FILE...]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  uint64_t runs = 1000, seed = 1;
  size_t max_len = 4096;
  std::vector<const char*> files;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--runs=", 7) == 0) {
      runs = strtoull(argv[i] + 7, nullptr, 0);
    } else if (strncmp(argv[i], "--seed=", 7) == 0) {
      seed = strtoull(argv[i] + 7, nullptr, 0);
    } else if (strncmp(argv[i], "--max_len=", 10) == 0) {
      max_len = strtoull(argv[i] + 10, nullptr, 0);
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "fuzz driver: unknown option %s\n", argv[i]);
      return 2;
    } else {
      files.push_back(argv[i]);
    }
  }
  for (const char* f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      fprintf(stderr, "fuzz driver: cannot read %s\n", f);
      return 2;
    }
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), {});
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  if (!files.empty()) return 0;
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> data;
  for (uint64_t r = 0; r < runs; ++r) {
    data.resize(rng() % (max_len + 1));
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  printf("fuzz driver: %llu seeded runs (seed %llu) done\n", static_cast<unsigned long long>(runs),
         static_cast<unsigned long long>(seed));
  return 0;
}
