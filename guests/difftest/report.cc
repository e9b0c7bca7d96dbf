#include "guests/difftest/report.h"

#include <stdarg.h>

#include "guests/lib/boot_info.h"
#include "guests/lib/printf.h"

namespace difftest {
namespace {
int checks;
int failures;
bool model_specific;
}  // namespace

bool Expect(bool passed, const char* format, ...) {
  if (!model_specific) ++checks;
  if (passed) return true;
  ++failures;
  guest::printf("FAIL ");
  va_list args;
  va_start(args, format);
  guest::vprintf(format, args);
  va_end(args);
  guest::printf("\n");
  return false;
}

void SetModelSpecific(bool value) { model_specific = value; }

bool Verbose() {
  static int cached = -1;
  if (cached < 0) {
    constexpr char kWord[] = "verbose";
    const char* line = guest::boot_info().cmdline;
    cached = 0;
    for (const char* p = line; *p != '\0' && cached == 0; ++p) {
      bool starts = p == line || p[-1] == ' ';
      int i = 0;
      while (kWord[i] != '\0' && p[i] == kWord[i]) ++i;
      bool ends = p[i] == '\0' || p[i] == ' ';
      if (starts && kWord[i] == '\0' && ends) cached = 1;
    }
  }
  return cached == 1;
}

void Detail(const char* format, ...) {
  if (!Verbose()) return;
  va_list args;
  va_start(args, format);
  guest::vprintf(format, args);
  va_end(args);
}

void Digest::Add(uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    hash_ = (hash_ ^ static_cast<uint8_t>(value >> (8 * i))) * 16777619u;
  }
}

void Digest::Print(const char* name) const {
  guest::printf("%s: %d cases, fnv=%08x\n", name, cases_, hash_);
}

int Finish(const char* topic) {
  guest::printf("%s: %d checks, %d failed\n", topic, checks, failures);
  return failures == 0 ? 0 : 1;
}

}  // namespace difftest
