// Values of the program's own struct types behind interfaces (Shape::kStruct), rendered like
// Go's %+v but typed: `*main.MyErr{Code:7, Msg:"boom", Err:error("inner")}`; and the network
// addresses (*net.TCPAddr, *net.UDPAddr) that *net.OpError names: "127.0.0.1:8080".
// gotap cannot call a type's methods (Error(), String()), so a custom error is shown by its
// fields, as Delve does.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/json_writer.h"
#include "decode/iface.h"

namespace gotap::decode {

// How a nested interface field is shown: by IfaceText / IfaceJson of the caller.
using ChildText = std::function<std::string(const IfaceNode&)>;
using ChildJson = std::function<void(const IfaceNode&, JsonWriter*)>;

// The struct text of a kStruct node; nullopt when the node is not one or its bytes were not
// copied whole (the caller then names the type and address).
std::optional<std::string> StructText(const IfaceNode& n, const ChildText& child);

// Writes the kStruct node's fields as a JSON object {"Code": 7, "Msg": "boom", "Err": {...}}
// (fields gotap cannot show are their text); false (nothing written) when StructText would
// return nullopt.
bool StructFieldsJson(const IfaceNode& n, const ChildJson& child, JsonWriter* w);

// True when a followed pointer's node (a typed walk's root or a struct's pointer field) holds
// the whole value pointed to: it reads &value. Otherwise the pointer shows as its address.
bool PointeeCopied(const IfaceNode& n);

// A followed pointer of type `type` (escaped, "*main.T") holding `address`: "&" + child of its
// walked value when that was copied whole, else the type and address, "<unreadable>" when the
// read failed, or `cut_note` (" cut: depth") when the walk left it out.
std::string PointerText(const std::string& type, uint64_t address, const IfaceNode* pointee,
                        const std::string& cut_note, const ChildText& child);

// True when the struct was larger than what the probe copies (its later fields are missing).
bool StructCut(const IfaceNode& n);

// "ip:port" ("[ip%zone]:port" for IPv6) of a kNetAddr node, as the address's String() would
// spell it (not escaped); nullopt when it was not copied.
std::optional<std::string> NetAddrText(const IfaceNode& n);

}  // namespace gotap::decode
