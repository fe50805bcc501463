#include "dwarf/unit_loader.h"

#include <dwarf.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dwarf/die_attrs.h"
#include "dwarf/type_builder.h"

namespace gotap::dwarf {
namespace {

// Inlined copies nest as deep as the inliner went (a handful of levels); the limit only keeps
// hostile DWARF from exhausting the stack.
constexpr int kMaxNesting = 64;

// What one compile unit contributes to the DIEs below it.
struct UnitContext {
  Dwarf_Die die;
  std::string name;
  // Link-time vaddrs of line-table rows flagged prologue_end, sorted.
  std::vector<uint64_t> prologue_ends;
  Dwarf_Files* files = nullptr;  // the line table's file names, loaded on first use
  size_t file_count = 0;
  bool files_loaded = false;

  std::string FileName(uint64_t index) {
    if (!files_loaded) {
      files_loaded = true;
      if (dwarf_getsrcfiles(&die, &files, &file_count) != 0) files = nullptr;
    }
    if (files == nullptr || index >= file_count) return {};
    const char* name = dwarf_filesrc(files, index, nullptr, nullptr);
    return name != nullptr ? std::string(name) : std::string();
  }
};

class UnitLoader {
 public:
  UnitLoader(Dwarf* dwarf, DwarfData* data) : dwarf_(dwarf), data_(data), types_(dwarf, data) {}

  Status LoadAll();

 private:
  Status LoadUnit(Dwarf_Die* cu_die);
  void LoadSubprogram(Dwarf_Die* die, UnitContext* unit);
  void LoadChildren(Dwarf_Die* parent, const std::string& caller, UnitContext* unit,
                    Function* function, int depth);
  void LoadInlined(Dwarf_Die* die, const std::string& caller, UnitContext* unit, int depth);
  void LoadGlobal(Dwarf_Die* die);
  void Index();

  Dwarf* dwarf_;
  DwarfData* data_;
  TypeBuilder types_;
};

Status UnitLoader::LoadAll() {
  Dwarf_Off offset = 0;
  Dwarf_Off next = 0;
  size_t header_size = 0;
  for (;;) {
    int result = dwarf_nextcu(dwarf_, offset, &next, &header_size, nullptr, nullptr, nullptr);
    if (result == 1) break;
    if (result != 0) {
      return Malformed("bad compile unit header at 0x{:x}: {}", offset, LibdwError());
    }
    Dwarf_Die cu_die;
    if (dwarf_offdie(dwarf_, offset + header_size, &cu_die) == nullptr) {
      return Malformed("bad compile unit DIE at 0x{:x}: {}", offset + header_size, LibdwError());
    }
    RETURN_IF_ERROR(LoadUnit(&cu_die));
    offset = next;
  }
  types_.Finish();
  for (Function& function : data_->functions) {
    for (Parameter& parameter : function.parameters) {
      parameter.type = types_.Canonical(parameter.type);
    }
  }
  for (Global& global : data_->globals) global.type = types_.Canonical(global.type);
  Index();
  return Status::Ok();
}

Status UnitLoader::LoadUnit(Dwarf_Die* cu_die) {
  int tag = dwarf_tag(cu_die);
  if (tag != DW_TAG_compile_unit && tag != DW_TAG_partial_unit) return Status::Ok();
  UnitContext unit;
  unit.die = *cu_die;
  unit.name = NameAttr(cu_die);
  bool is_go = UdataAttr(cu_die, DW_AT_language) == uint64_t{DW_LANG_Go};

  if (dwarf_hasattr(cu_die, DW_AT_stmt_list)) {
    Dwarf_Lines* lines = nullptr;
    size_t line_count = 0;
    if (dwarf_getsrclines(cu_die, &lines, &line_count) != 0) {
      return Malformed("line table of unit {}: {}", unit.name, LibdwError());
    }
    for (size_t i = 0; i < line_count; ++i) {
      Dwarf_Line* line = dwarf_onesrcline(lines, i);
      bool prologue_end = false;
      Dwarf_Addr address = 0;
      if (line != nullptr && dwarf_lineprologueend(line, &prologue_end) == 0 && prologue_end &&
          dwarf_lineaddr(line, &address) == 0) {
        unit.prologue_ends.push_back(address);
      }
    }
    std::sort(unit.prologue_ends.begin(), unit.prologue_ends.end());
  }

  Dwarf_Die child;
  int result = dwarf_child(cu_die, &child);
  while (result == 0) {
    int child_tag = dwarf_tag(&child);
    if (child_tag == DW_TAG_subprogram) {
      LoadSubprogram(&child, &unit);
    } else if (child_tag == DW_TAG_variable) {
      LoadGlobal(&child);
    } else if (is_go && TypeBuilder::IsTypeTag(child_tag)) {
      types_.Add(&child);
    }
    result = dwarf_siblingof(&child, &child);
  }
  if (result < 0) return Malformed("DIE tree of unit {}: {}", unit.name, LibdwError());
  return Status::Ok();
}

void UnitLoader::LoadSubprogram(Dwarf_Die* die, UnitContext* unit) {
  auto inline_kind = UdataAttr(die, DW_AT_inline);
  bool abstract =
      inline_kind == uint64_t{DW_INL_inlined} || inline_kind == uint64_t{DW_INL_declared_inlined};
  Dwarf_Addr low = 0;
  Dwarf_Addr high = 0;
  if (dwarf_lowpc(die, &low) != 0 || dwarf_highpc(die, &high) != 0 || high <= low) {
    // No body: an abstract instance (the inlined function's declaration) or a declaration.
    if (abstract) {
      std::string name = NameAttr(die);
      if (!name.empty()) data_->abstract_names.insert(std::move(name));
    }
    return;
  }
  Function function;
  function.name = NameAttr(die, /*integrate=*/true);  // a body of an inlined function has none
  if (function.name.empty()) return;
  function.low_pc = low;
  function.high_pc = high;
  function.wrapper = FlagAttr(die, DW_AT_trampoline);
  // libdw joins the file name to the unit's comp_dir: "./<autogenerated>".
  const char* decl_file = dwarf_decl_file(die);
  function.autogenerated =
      decl_file != nullptr && std::string_view(decl_file).ends_with("<autogenerated>");
  auto prologue_end = std::lower_bound(unit->prologue_ends.begin(), unit->prologue_ends.end(), low);
  if (prologue_end != unit->prologue_ends.end() && *prologue_end < high) {
    function.prologue_end = *prologue_end;
  }
  LoadChildren(die, function.name, unit, &function, 0);
  data_->functions.push_back(std::move(function));
}

// Parameters of `function` (if not null, i.e. `parent` is the subprogram itself) and every
// inlined call below `parent`, through lexical blocks.
void UnitLoader::LoadChildren(Dwarf_Die* parent, const std::string& caller, UnitContext* unit,
                              Function* function, int depth) {
  if (depth > kMaxNesting) return;
  Dwarf_Die child;
  if (dwarf_child(parent, &child) != 0) return;
  do {
    switch (dwarf_tag(&child)) {
      case DW_TAG_formal_parameter:
        if (function != nullptr) {
          function->parameters.push_back(Parameter{
              .name = NameAttr(&child, /*integrate=*/true),
              .type = types_.RefOf(&child, DW_AT_type),
              .is_result = FlagAttr(&child, DW_AT_variable_parameter, /*integrate=*/true),
          });
        }
        break;
      case DW_TAG_inlined_subroutine:
        LoadInlined(&child, caller, unit, depth + 1);
        break;
      case DW_TAG_lexical_block:
        LoadChildren(&child, caller, unit, nullptr, depth + 1);
        break;
      default:
        break;
    }
  } while (dwarf_siblingof(&child, &child) == 0);
}

void UnitLoader::LoadInlined(Dwarf_Die* die, const std::string& caller, UnitContext* unit,
                             int depth) {
  InlinedCall call;
  call.callee = NameAttr(die, /*integrate=*/true);
  call.caller = caller;
  Dwarf_Addr base = 0;
  Dwarf_Addr start = 0;
  Dwarf_Addr end = 0;
  ptrdiff_t offset = 0;
  // dwarf_ranges reads DW_AT_low_pc/high_pc or DW_AT_ranges alike; a broken list ends early.
  while ((offset = dwarf_ranges(die, offset, &base, &start, &end)) > 0) {
    if (end > start) call.ranges.push_back(PcRange{start, end});
  }
  if (auto file = UdataAttr(die, DW_AT_call_file)) call.call_file = unit->FileName(*file);
  call.call_line = static_cast<uint32_t>(
      std::min<uint64_t>(UdataAttr(die, DW_AT_call_line).value_or(0), UINT32_MAX));
  if (!call.callee.empty()) {
    data_->inlined_by_callee[call.callee].push_back(data_->inlined_calls.size());
    data_->inlined_calls.push_back(std::move(call));
  }
  LoadChildren(die, caller, unit, nullptr, depth);
}

void UnitLoader::LoadGlobal(Dwarf_Die* die) {
  auto address = SingleOpAttr(die, DW_AT_location, DW_OP_addr);
  if (!address) return;  // a declaration, a TLS or a register variable: no static address
  std::string name = NameAttr(die, /*integrate=*/true);
  if (name.empty()) return;
  data_->globals.push_back(Global{
      .name = std::move(name),
      .address = *address,
      .type = types_.RefOf(die, DW_AT_type),
  });
}

void UnitLoader::Index() {
  std::stable_sort(data_->functions.begin(), data_->functions.end(),
                   [](const Function& a, const Function& b) { return a.low_pc < b.low_pc; });
  for (size_t i = 0; i < data_->functions.size(); ++i) {
    auto [it, inserted] = data_->function_by_name.emplace(data_->functions[i].name, i);
    auto rank = [](const Function& f) { return int{f.wrapper} + int{f.autogenerated}; };
    if (!inserted && rank(data_->functions[i]) < rank(data_->functions[it->second])) {
      it->second = i;
    }
  }
  for (size_t i = 0; i < data_->globals.size(); ++i) {
    data_->global_by_name.emplace(data_->globals[i].name, i);
  }
}

}  // namespace

Status LoadUnits(Dwarf* dwarf, DwarfData* data) { return UnitLoader(dwarf, data).LoadAll(); }

}  // namespace gotap::dwarf
