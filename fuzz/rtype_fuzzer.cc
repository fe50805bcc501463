// gobin::RuntimeTypes — Go's runtime type descriptors — on a whole file image: loaded through
// the Go binary model (moduledata's types range) when the image parses as one, and also with
// [types, etypes) taken from the image's .rodata section header (seed_maker's *.types.elf seeds:
// descriptors at their real addresses, no moduledata) and from each loadable segment, so that
// descriptor bytes reach TypeAt, Fields, ItabType and FindTypes without a plausible moduledata.
// DecodeRuntimeName also reads the raw input in both name encodings.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "elf/elf_file.h"
#include "fuzz_checks.h"
#include "gobin/binary.h"
#include "gobin/rtype.h"

namespace gotap::fuzz {
namespace {

constexpr uint64_t kMaxNameLength = 4096;  // rtype.cc's bound on a name
constexpr uint64_t kMaxCandidates = 192;   // descriptor addresses tried per range

// An independent reading of a runtime name's length prefix, to check DecodeRuntimeName by.
void CheckRuntimeName(Bytes input, bool varint_length) {
  auto name = gobin::DecodeRuntimeName(input, varint_length);
  uint64_t length = 0, pos = 1;
  bool complete = false;
  if (varint_length) {
    for (int shift = 0; shift < 64 && pos < input.size(); shift += 7) {
      uint8_t b = input[pos++];
      length |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) {
        complete = true;
        break;
      }
    }
  } else if (input.size() >= 3) {
    length = (uint64_t{input[1]} << 8) | input[2];
    pos = 3;
    complete = true;
  }
  if (!name) return;
  FUZZ_CHECK(complete && length <= kMaxNameLength && name->size() == length);
  FUZZ_CHECK(pos + length <= input.size());
  FUZZ_CHECK(name->compare(0, length, reinterpret_cast<const char*>(input.data() + pos), length) ==
             0);
}

// `follow`: also check a pointer's pointee (*T -> T is how structs are reached).
void CheckType(const gobin::RuntimeTypes& types, uint64_t vaddr, std::set<std::string>* names,
               bool follow = true) {
  auto t = types.TypeAt(vaddr);
  auto fields = types.Fields(vaddr);
  if (!t) {
    FUZZ_CHECK(!fields);  // Fields starts from TypeAt
    return;
  }
  FUZZ_CHECK(t->vaddr == vaddr);
  FUZZ_CHECK(vaddr >= types.types() && vaddr < types.etypes());
  FUZZ_CHECK(t->kind <= gobin::GoKind::kUnsafePointer);
  FUZZ_CHECK(t->name.size() <= kMaxNameLength);
  FUZZ_CHECK(!t->elem || t->kind == gobin::GoKind::kPointer);
  if (names->size() < 32) names->insert(t->name);
  if (t->elem && follow) CheckType(types, *t->elem, names, false);
  if (fields) {
    FUZZ_CHECK(t->kind == gobin::GoKind::kStruct);
    FUZZ_CHECK(fields->size() <= 1024);
    for (const gobin::StructField& f : *fields) {
      FUZZ_CHECK(f.name.size() <= kMaxNameLength);
      types.TypeAt(f.type);
    }
  }
  types.ItabType(vaddr);
  if (auto path = types.PkgPath(vaddr)) FUZZ_CHECK(path->size() <= kMaxNameLength);
  if (types.InterfaceMethodCount(vaddr)) FUZZ_CHECK(t->kind == gobin::GoKind::kInterface);
  types.PtrToThis(vaddr);
}

void Exercise(const elf::ElfFile& elf, const gobin::RuntimeTypes& types) {
  const uint64_t begin = types.types(), end = types.etypes();
  std::set<std::string> names = {"*context.cancelCtx", "context.backgroundCtx", "string",
                                 "*errors.errorString", "main.T"};
  // The descriptors .typelink names (offsets from `types`), as FindTypes reads them.
  if (const elf::Section* s = elf.FindSection(".typelink")) {
    if (auto data = elf.SectionData(*s)) {
      ByteReader r(*data);
      for (uint64_t at = 0; at + 4 <= r.size() && at < 4 * kMaxCandidates; at += 4) {
        auto off = static_cast<int32_t>(*r.U32(at));
        CheckType(types, begin + static_cast<uint64_t>(static_cast<int64_t>(off)), &names);
      }
    }
  }
  if (end > begin) {
    // Every 8th byte of a small range, evenly spread addresses of a large one.
    uint64_t step = std::max<uint64_t>(8, ((end - begin) / kMaxCandidates) & ~uint64_t{7});
    for (uint64_t i = 0; i < kMaxCandidates && i * step < end - begin; ++i) {
      CheckType(types, begin + i * step, &names);
    }
  }
  if (begin > 0) FUZZ_CHECK(!types.TypeAt(begin - 1));
  FUZZ_CHECK(!types.TypeAt(end));
  FUZZ_CHECK(!types.TypeAt(UINT64_MAX));
  types.ItabType(UINT64_MAX - 4);  // itab+8 wraps

  types.Itabs();
  FUZZ_CHECK(types.LinkedTypes(kMaxCandidates).size() <= kMaxCandidates);
  for (const auto& [name, vaddr] : types.FindTypes(names)) {
    FUZZ_CHECK(names.count(name) == 1);
    auto t = types.TypeAt(vaddr);  // found by name: the name is the type's at that address
    FUZZ_CHECK(t.has_value() && t->name == name);
  }
}

}  // namespace
}  // namespace gotap::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gotap;
  const Bytes input(data, size);
  fuzz::CheckRuntimeName(input, true);
  fuzz::CheckRuntimeName(input, false);

  if (auto binary = gobin::Binary::Parse(input, "fuzz-input"); binary.ok()) {
    if (auto types = gobin::RuntimeTypes::Load(**binary); types.ok()) {
      fuzz::Exercise((*binary)->elf(), *types);
    }
  }
  auto elf = elf::ElfFile::Parse(input);
  if (!elf.ok()) return 0;
  // The name encoding (Go < 1.17: 2-byte length) and field offsets (Go < 1.19: offset << 1)
  // follow the version; the last byte picks one of each.
  const int go_minor = size > 0 && (data[size - 1] & 1) ? 16 : 20;
  if (const elf::Section* rodata = elf->FindSection(".rodata")) {
    gobin::RuntimeTypes types(*elf, rodata->vaddr, rodata->vaddr + rodata->size, go_minor);
    fuzz::Exercise(*elf, types);
  }
  int tried = 0;
  for (const elf::Segment& segment : elf->segments()) {
    if (segment.type != 1 /* PT_LOAD */ || segment.file_size == 0) continue;
    if (tried++ == 4) break;
    gobin::RuntimeTypes types(*elf, segment.vaddr, segment.vaddr + segment.file_size, go_minor);
    fuzz::Exercise(*elf, types);
  }
  return 0;
}
