#include "tools/vmxemu/cli.h"

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <map>

#include "absl/strings/str_format.h"

namespace vmxemu::tools {
namespace {

absl::Status Bad(const std::string& option, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrFormat("option -%s: %s", option, why));
}

// A whole unsigned number in C syntax (decimal, 0x hex, 0 octal).
bool ParseNumber(const std::string& text, uint64_t* out) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return false;
  errno = 0;
  char* end = nullptr;
  *out = strtoull(text.c_str(), &end, 0);
  return errno == 0 && end != nullptr && *end == '\0';
}

// -m [size=]N[K|M|G]: N alone is MiB, as in QEMU.
absl::Status ParseMemory(const std::string& value, Options& o) {
  std::vector<std::string> parts = SplitQemuList(value);
  std::string size = parts.empty() ? "" : parts[0];
  if (parts.size() > 1) return Bad("m", "only a size is supported, not '" + parts[1] + "'");
  if (size.rfind("size=", 0) == 0) size = size.substr(5);
  uint64_t unit = 1ull << 20;
  if (!size.empty()) {
    switch (size.back()) {
      case 'K': case 'k': unit = 1ull << 10; size.pop_back(); break;
      case 'M': case 'm': size.pop_back(); break;
      case 'G': case 'g': unit = 1ull << 30; size.pop_back(); break;
      default: break;
    }
  }
  uint64_t n;
  if (!ParseNumber(size, &n) || n == 0 || n > (uint64_t{1} << 40) / unit ||
      (n * unit) % (1ull << 20) != 0) {
    return Bad("m", "'" + value + "' is not a RAM size in whole MiB (e.g. 128, 128M, 1G)");
  }
  o.config.ram_mb = n * unit >> 20;
  return absl::OkStatus();
}

// -icount N | shift=N[,align=off][,sleep=on|off]
absl::Status ParseIcount(const std::string& value, Options& o) {
  for (const std::string& part : SplitQemuList(value)) {
    std::string shift = part;
    if (part.rfind("shift=", 0) == 0) {
      shift = part.substr(6);
    } else if (part == "align=off" || part == "sleep=on" || part == "sleep=off") {
      continue;  // virtual time never waits for the host anyway
    } else if (part.find('=') != std::string::npos) {
      return Bad("icount", "sub-option '" + part + "' is not supported");
    }
    if (shift == "auto") {
      return Bad("icount", "shift=auto is not supported: vmxemu's time is always the "
                           "instruction count, give a fixed shift (0..10)");
    }
    uint64_t n;
    if (!ParseNumber(shift, &n) || n > 10) {
      return Bad("icount", "shift '" + shift + "' is not a number in 0..10");
    }
    o.config.icount_shift = static_cast<int>(n);
  }
  return absl::OkStatus();
}

absl::Status ParseSerial(const std::string& value, Options& o, bool* seen) {
  if (*seen) return Bad("serial", "only one serial port (COM1) is supported");
  *seen = true;
  if (value == "stdio") {
    o.serial = SerialKind::kStdio;
  } else if (value == "null" || value == "none") {
    o.serial = SerialKind::kNull;
  } else if (value.rfind("file:", 0) == 0 && value.size() > 5) {
    o.serial = SerialKind::kFile;
    o.serial_path = value.substr(5);
  } else {
    return Bad("serial", "'" + value + "' is not supported: use stdio, file:PATH or null");
  }
  return absl::OkStatus();
}

// The one device vmxemu accepts is the one it always has.
absl::Status ParseDevice(const std::string& value) {
  const std::vector<std::string> parts = SplitQemuList(value);
  if (parts.empty() || parts[0] != "isa-debug-exit") {
    return Bad("device", "'" + value + "' is not supported (the only device option accepted "
                         "is isa-debug-exit,iobase=0xf4,iosize=4, which is always present)");
  }
  uint64_t iobase = 0x501, iosize = 2;  // QEMU's defaults
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    bool ok = false;
    if (p.rfind("iobase=", 0) == 0) ok = ParseNumber(p.substr(7), &iobase);
    if (p.rfind("iosize=", 0) == 0) ok = ParseNumber(p.substr(7), &iosize);
    if (!ok) return Bad("device", "isa-debug-exit property '" + p + "' is not supported");
  }
  if (iobase != 0xF4 || iosize != 4) {
    return Bad("device", absl::StrFormat("isa-debug-exit is fixed at iobase=0xf4,iosize=4; "
                                         "got iobase=0x%x,iosize=%u",
                                         iobase, iosize));
  }
  return absl::OkStatus();
}

// `value`'s first comma-separated element must be `expected`; later ones (QEMU
// properties such as -accel tcg,thread=single) are ignored unless `exact`.
absl::Status Require(const std::string& option, const std::string& value,
                     const std::string& expected, bool exact, const std::string& why) {
  const bool ok = exact ? value == expected : SplitQemuList(value)[0] == expected;
  if (ok) return absl::OkStatus();
  return Bad(option, "'" + value + "' is not supported: " + why);
}

}  // namespace

std::vector<std::string> SplitQemuList(const std::string& value) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != ',') {
      cur += value[i];
    } else if (i + 1 < value.size() && value[i + 1] == ',') {
      cur += ',';
      ++i;
    } else {
      out.push_back(cur);
      cur.clear();
    }
  }
  out.push_back(cur);
  return out;
}

absl::StatusOr<Options> ParseArgs(const std::vector<std::string>& args) {
  Options o;
  bool serial_seen = false;
  using Handler = std::function<absl::Status(const std::string&)>;
  const std::map<std::string, Handler> with_value = {
      {"kernel", [&](const std::string& v) { o.config.kernel = v; return absl::OkStatus(); }},
      {"append", [&](const std::string& v) { o.config.cmdline = v; return absl::OkStatus(); }},
      {"initrd", [&](const std::string& v) {
         o.config.modules = SplitQemuList(v);
         return absl::OkStatus();
       }},
      {"m", [&](const std::string& v) { return ParseMemory(v, o); }},
      {"serial", [&](const std::string& v) { return ParseSerial(v, o, &serial_seen); }},
      {"icount", [&](const std::string& v) { return ParseIcount(v, o); }},
      {"budget", [&](const std::string& v) {
         uint64_t n;
         if (!ParseNumber(v, &n) || n == 0) return Bad("budget", "'" + v + "' is not a "
                                                       "positive instruction count");
         o.config.budget = n;
         return absl::OkStatus();
       }},
      {"device", [](const std::string& v) { return ParseDevice(v); }},
      {"accel", [](const std::string& v) {
         return Require("accel", v, "tcg", false,
                        "vmxemu is its own emulator; -accel tcg is accepted for QEMU "
                        "compatibility");
       }},
      {"M", [](const std::string& v) {
         return Require("M", v, "pc", false, "the only machine is the PC (-M pc)");
       }},
      {"machine", [](const std::string& v) {
         return Require("machine", v, "pc", false, "the only machine is the PC (-M pc)");
       }},
      {"display", [](const std::string& v) {
         return Require("display", v, "none", true, "there is no display (-display none)");
       }},
      {"monitor", [](const std::string& v) {
         return Require("monitor", v, "none", true, "there is no monitor (-monitor none)");
       }},
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    if (name.rfind("--", 0) == 0) name = name.substr(1);
    if (name.size() < 2 || name[0] != '-') {
      return absl::InvalidArgumentError(absl::StrFormat(
          "unexpected argument '%s' (disk images are not supported; boot with -kernel)",
          args[i]));
    }
    name = name.substr(1);
    if (name == "h" || name == "help") {
      o.help = true;
      return o;
    }
    if (name == "no-reboot" || name == "nodefaults") continue;  // always so
    auto it = with_value.find(name);
    if (it == with_value.end()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("unknown or unsupported option '%s' (see --help)", args[i]));
    }
    if (i + 1 >= args.size()) return Bad(name, "needs a value");
    if (absl::Status s = it->second(args[++i]); !s.ok()) return s;
  }
  if (o.config.kernel.empty()) {
    return absl::InvalidArgumentError("no kernel: give -kernel FILE (see --help)");
  }
  return o;
}

int ExitStatusFor(const machine::RunResult& result) {
  switch (result.kind) {
    case machine::StopKind::kGuestExit: return static_cast<int>(result.exit_status & 0xFF);
    case machine::StopKind::kShutdown: return kExitShutdown;
    case machine::StopKind::kBudget: return kExitBudget;
    case machine::StopKind::kHalted: return kExitHalted;
    case machine::StopKind::kError: return kExitEmulator;
  }
  return kExitEmulator;
}

std::string Usage() {
  return R"(usage: vmxemu -kernel FILE [options]

Boots a multiboot v1 kernel (ELF32, ELF64 or a.out kludge) on an emulated PC with an
x86-64 CPU, with QEMU's command-line spellings.

  -kernel FILE         the kernel
  -append STR          its command line (the kernel sees "FILE STR", as under QEMU)
  -initrd M1[,M2...]   multiboot modules; an entry "file args" passes "file args" as
                       the module string; ",," is a literal comma
  -m SIZE              RAM: MiB, or with a K/M/G suffix; 2 MiB to 3 GiB (default 128)
  -serial DEST         COM1's output: stdio (default), file:PATH, null
  -icount N            one instruction is 2^N virtual ns (0..10, default 0); also
                       shift=N[,sleep=on|off][,align=off]
  -budget N            stop after N instructions (vmxemu only; default: no limit)
  -h, --help           this text

Accepted for QEMU compatibility and ignored (vmxemu always is so): -accel tcg, -M pc,
-machine pc, -display none, -monitor none, -no-reboot, -nodefaults,
-device isa-debug-exit,iobase=0xf4,iosize=4. Anything else is an error.

Exit status:
  odd      the guest wrote V to isa-debug-exit (port 0xf4): (V << 1) | 1, low 8 bits
  0        triple fault (shutdown), as QEMU with -no-reboot; the reason and registers
           are printed on stderr
  2        bad command line, or a kernel/module that cannot be read or loaded
  4        the -budget ran out
  6        the CPU halted with nothing that could ever wake it
  8        emulator limit: an unimplemented instruction or feature (named on stderr)
)";
}

}  // namespace vmxemu::tools
