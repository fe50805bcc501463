#include "gobin/std_layouts.h"

namespace gotap::gobin {

StdLayouts StdLayoutsForVersion(std::pair<int, int> v) {
  StdLayouts l;
  if (v < std::pair{1, 16}) l.path_error_type = "*os.PathError";
  // cancelCtx grew before err in Go 1.17, and again after it in 1.20 (cause).
  l.cancel_err_at = v >= std::pair{1, 17} ? 48 : 40;
  l.cancel_size = v >= std::pair{1, 20} ? 80 : v >= std::pair{1, 17} ? 64 : 56;
  l.timer_deadline_at = v >= std::pair{1, 20} ? 88 : v >= std::pair{1, 17} ? 72 : 64;
  l.cancel_has_cause = v >= std::pair{1, 20};
  // ⚠ the release is not pinned: 1.25 is the first this was seen in.
  l.cancel_err_is_eface = v >= std::pair{1, 25};
  // Read from the type data of a go1.20.12 binary (go-internals.md §7 lists it by value).
  l.timer_points_to_cancel = v.first == 1 && v.second == 20;
  l.has_go121_contexts = v >= std::pair{1, 21};
  return l;
}

}  // namespace gotap::gobin
