#include "testing/kernel_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace vmxemu::testing {
namespace {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A scratch directory under the test's temp dir (Bazel sets TEST_TMPDIR).
absl::StatusOr<std::string> MakeScratchDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base ? base : "/tmp", "/kernel_run.XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create scratch dir ", templ, ": ", strerror(errno)));
  }
  return templ;
}

}  // namespace

std::string PlatformName(Platform platform) {
  switch (platform) {
    case Platform::kQemu:
      return "qemu";
    case Platform::kVmxemu:
      return "vmxemu";
  }
  return "unknown";
}

bool ParsePlatform(const std::string& name, Platform* platform) {
  for (Platform p : {Platform::kQemu, Platform::kVmxemu}) {
    if (name == PlatformName(p)) {
      *platform = p;
      return true;
    }
  }
  return false;
}

std::vector<std::string> PlatformCommand(Platform platform, const KernelSpec& spec,
                                         const std::string& serial_path) {
  // vmxemu takes QEMU's arguments as they are.
  std::vector<std::string> argv = {
      platform == Platform::kVmxemu ? "tools/vmxemu/vmxemu" : "qemu-system-x86_64",
      "-accel", "tcg", "-M", "pc", "-display", "none", "-no-reboot", "-nodefaults",
      "-device", "isa-debug-exit,iobase=0xf4,iosize=4"};
  argv.insert(argv.end(), {"-m", std::to_string(spec.memory_mb), "-serial",
                           "file:" + serial_path, "-kernel", spec.kernel});
  if (!spec.cmdline.empty()) argv.insert(argv.end(), {"-append", spec.cmdline});
  if (!spec.modules.empty()) {
    argv.insert(argv.end(), {"-initrd", absl::StrJoin(spec.modules, ",")});
  }
  return argv;
}

absl::StatusOr<KernelRun> RunKernel(Platform platform, const KernelSpec& spec) {
  struct stat st;
  if (stat(spec.kernel.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("kernel ", spec.kernel, ": ", strerror(errno)));
  }
  absl::StatusOr<std::string> dir = MakeScratchDir();
  if (!dir.ok()) return dir.status();
  const std::string serial_path = *dir + "/serial.out";
  const std::string stderr_path = *dir + "/stderr.out";

  std::vector<std::string> args = PlatformCommand(platform, spec, serial_path);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid;
  int err = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot start ", argv[0], ": ", strerror(err),
        platform == Platform::kVmxemu
            ? " (a test lists //tools/vmxemu in its data and runs from its runfiles)"
            : " (run ./vmx setup to install it)"));
  }

  KernelRun run;
  const auto deadline = std::chrono::steady_clock::now() + spec.timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("waitpid: ", strerror(errno)));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      run.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  run.serial = ReadWholeFile(serial_path);
  run.diagnostics = ReadWholeFile(stderr_path);
  if (WIFEXITED(status)) {
    run.exit_status = WEXITSTATUS(status);
    // isa-debug-exit: the process exits with (code << 1) | 1, so an odd status is a
    // guest exit code (0..127 survive the 8-bit exit status).
    if (!run.timed_out && (run.exit_status & 1)) run.guest_exit_code = run.exit_status >> 1;
  } else {
    run.exit_status = 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  }
  unlink(serial_path.c_str());
  unlink(stderr_path.c_str());
  rmdir(dir->c_str());
  return run;
}

}  // namespace vmxemu::testing
