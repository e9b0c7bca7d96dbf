#include "cpu/testing/assembler.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace vmxemu::cpu::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> Assemble(const std::string& source, int bits,
                                              uint64_t origin, bool intel_syntax) {
  const char* tmp = getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/asm.XXXXXX");
  if (!mkdtemp(dir.data())) return absl::InternalError("mkdtemp failed");
  const std::string src = dir + "/t.S", obj = dir + "/t.o", elf = dir + "/t.elf",
                    bin = dir + "/t.bin", log = dir + "/log";
  {
    std::ofstream out(src);
    out << (intel_syntax ? ".intel_syntax noprefix\n" : "") << ".code" << bits << "\n"
        << source << "\n";
  }
  const char* arch = bits == 64 ? "--64" : "--32";
  const char* emul = bits == 64 ? "elf_x86_64" : "elf_i386";
  const std::string cmd = absl::StrFormat(
      "as %s -o %s %s >%s 2>&1 && ld -m %s -Ttext=0x%x -e 0x%x -o %s %s >>%s 2>&1 && "
      "objcopy -O binary -j .text %s %s >>%s 2>&1",
      arch, obj, src, log, emul, origin, origin, elf, obj, log, elf, bin, log);
  const int rc = system(cmd.c_str());
  std::string bytes = Slurp(bin);
  std::string errors = Slurp(log);
  for (const std::string& f : {src, obj, elf, bin, log}) unlink(f.c_str());
  rmdir(dir.c_str());
  if (rc != 0) return absl::InvalidArgumentError(absl::StrCat("assembler: ", errors, "\n", source));
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

}  // namespace vmxemu::cpu::testing
