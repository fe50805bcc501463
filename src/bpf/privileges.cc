#include "bpf/privileges.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/ranges.h>

namespace gotap::bpf {
namespace {

// Older uapi headers lack the two capabilities split off CAP_SYS_ADMIN in Linux 5.8.
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

bool HasEffective(const __user_cap_data_struct (&data)[2], int cap) {
  return (data[cap / 32].effective >> (cap % 32)) & 1;
}

}  // namespace

Status CheckTracingCapabilities() {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) {
    return IoError("capget: {}", std::strerror(errno));
  }
  bool admin = HasEffective(data, CAP_SYS_ADMIN);
  std::vector<std::string> missing;
  if (!admin && !HasEffective(data, kCapBpf)) missing.push_back("CAP_BPF");
  if (!admin && !HasEffective(data, kCapPerfmon)) missing.push_back("CAP_PERFMON");
  if (missing.empty()) return Status::Ok();
  return PermissionDenied(
      "missing capabilit{} {}: run gotap as root, or grant them with "
      "`setcap cap_bpf,cap_perfmon+ep gotap`",
      missing.size() == 1 ? "y" : "ies", fmt::join(missing, " and "));
}

Status CheckKernelBtf() {
  if (access("/sys/kernel/btf/vmlinux", R_OK) == 0) return Status::Ok();
  return Unsupported(
      "the kernel exposes no BTF (/sys/kernel/btf/vmlinux: {}); gotap needs a kernel built with "
      "CONFIG_DEBUG_INFO_BTF=y",
      std::strerror(errno));
}

}  // namespace gotap::bpf
