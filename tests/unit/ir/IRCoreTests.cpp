// Unit tests of the IR core: builders, verifier, textual round trip and
// versioned serialization.
#include "ir/Graph.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Serialize.h"

#include "IR.pb.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <limits>

using namespace mlc;

namespace {
TensorData f32Tensor(std::vector<int64_t> shape, std::vector<float> values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return *makeTensorData(TensorType{DType::F32, makeShape(shape)},
                         std::move(bytes));
}

Graph tinyGraph() {
  Graph g;
  g.setName("tiny");
  Value *x = *g.addInput("x", {DType::F32, makeShape({1, 4})});
  Value *w = *g.addInput("w", {DType::F32, makeShape({4, 2})});
  Value *b = *g.addConstant(f32Tensor({2}, {1.0f, 2.0f}), "b");
  Node *m = *g.addNode(OpKind::MatMul, {x, w}, {}, "mm", {"m"});
  Node *y = *g.addNode(OpKind::Add, {m->result(), b}, {}, "", {"y"});
  Node *r = *g.addNode(OpKind::Clip, {y->result()},
                       {{"max", 6.0}, {"min", -std::numeric_limits<double>::infinity()}},
                       "clip node", {"out value"});
  g.setOutputs({r->result()});
  return g;
}
} // namespace

TEST_CASE("builders infer types and reject bad operands", "[ir]") {
  Graph g = tinyGraph();
  REQUIRE(verify(g).ok());
  Value *x = g.findValue("x");
  Value *out = g.findValue("out value");
  REQUIRE(out->type() == TensorType{DType::F32, makeShape({1, 2})});
  // matmul with mismatched contraction dims is rejected by the builder.
  Expected<Node *> bad = g.addNode(OpKind::MatMul, {x, x});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("matmul") != std::string::npos);
}

TEST_CASE("textual form round-trips exactly", "[ir]") {
  Graph g = tinyGraph();
  std::string text = printGraph(g);
  CHECK(text.find("graph @tiny(%x: f32[1,4], %w: f32[4,2]) -> (%\"out value\")") !=
        std::string::npos);
  CHECK(text.find("max = 6.0, min = -inf") != std::string::npos);
  CHECK(text.find("loc(\"clip node\")") != std::string::npos);
  Expected<Graph> parsed = parseGraph(text);
  REQUIRE(parsed.ok());
  CHECK(printGraph(*parsed) == text);
}

TEST_CASE("parser reports line and column", "[ir]") {
  Expected<Graph> g = parseGraph("graph @g(%x: f32[2]) -> (%y) {\n"
                                 "  %y = frobnicate(%x) : f32[2]\n"
                                 "}\n",
                                 "t.mlc");
  REQUIRE_FALSE(g.ok());
  CHECK(g.message() == "t.mlc:2:8: error: unknown op 'frobnicate'");
}

TEST_CASE("verifier rejects wrong result types", "[ir]") {
  Expected<Graph> g = parseGraph("graph @g(%x: f32[2]) -> (%y) {\n"
                                 "  %y = relu(%x) : f32[3] loc(\"r\")\n"
                                 "}\n");
  REQUIRE_FALSE(g.ok());
  CHECK(g.message().find("node 'r': result 0 has type f32[3], expected f32[2]") !=
        std::string::npos);
}

TEST_CASE("verifier rejects non-contiguous groups", "[ir]") {
  Expected<Graph> g = parseGraph("graph @g(%x: f32[2]) -> (%c) {\n"
                                 "  %a = relu(%x) group(0) : f32[2]\n"
                                 "  %b = neg(%a) group(1) : f32[2]\n"
                                 "  %c = abs(%b) group(0) : f32[2]\n"
                                 "}\n");
  REQUIRE_FALSE(g.ok());
  CHECK(g.message().find("group 0 is not contiguous") != std::string::npos);
}

TEST_CASE("elided constants do not parse", "[ir]") {
  Graph g = tinyGraph();
  PrintOptions opts;
  opts.elideConstantsAbove = 1;
  std::string text = printGraph(g, opts);
  CHECK(text.find("dense<f32[2]> elided") != std::string::npos);
  CHECK_FALSE(parseGraph(text).ok());
}

TEST_CASE("shape arithmetic overflow is an error", "[ir]") {
  TensorType huge{DType::F32, makeShape({int64_t(1) << 62, 4})};
  CHECK_FALSE(byteSize(huge).ok());
  CHECK_FALSE(makeTensorData(huge, {}).ok());
}

TEST_CASE("serialization round-trips and checks the version", "[ir]") {
  Graph g = tinyGraph();
  std::string bytes = serializeGraph(g);
  CHECK(serializeGraph(g) == bytes);
  Expected<Graph> back = deserializeGraph(bytes);
  REQUIRE(back.ok());
  CHECK(printGraph(*back) == printGraph(g));

  proto::Graph pg;
  REQUIRE(pg.ParseFromString(bytes));
  pg.set_ir_version(kIRVersion + 1);
  Expected<Graph> newer = deserializeGraph(pg.SerializeAsString());
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.message() == "unsupported IR version 3 (this build reads up to 2)");

  CHECK_FALSE(deserializeGraph(bytes.substr(0, bytes.size() / 2)).ok());
}

TEST_CASE("clone is deep and equal", "[ir]") {
  Graph g = tinyGraph();
  Graph c = g.clone();
  CHECK(printGraph(c) == printGraph(g));
  c.findValue("x")->setType({DType::F32, makeShape({2, 4})});
  CHECK(g.findValue("x")->type().shape[0].value() == 1);
}

TEST_CASE("dead nodes are removed and topological order restored", "[ir]") {
  Graph g = tinyGraph();
  Value *x = g.findValue("x");
  REQUIRE(g.addNode(OpKind::Relu, {x}).ok());
  CHECK(g.removeDeadNodes() == 1);
  CHECK(g.sortTopologically().ok());
  CHECK(verify(g).ok());
}

TEST_CASE("symbol definitions fold, share and round-trip", "[ir]") {
  Graph g;
  Value *x = *g.addInput("x", {DType::F32, makeShape({3, 4})});
  Value *shape = *g.addInput("shape", {DType::I64, makeShape({2})});
  Expected<std::string> v0 = g.defineValueSymbol(shape, 0);
  Expected<std::string> v1 = g.defineValueSymbol(shape, 1);
  REQUIRE(v0.ok());
  REQUIRE(v1.ok());
  CHECK(*g.defineValueSymbol(shape, 0) == *v0);
  CHECK_FALSE(g.defineValueSymbol(shape, 2).ok());
  CHECK(g.defineValueSymbol(x, 0).ok()); // f32, truncated at run time
  // A factor gives another symbol (Resize's floor(scale * extent)); it must
  // be positive.
  Expected<std::string> scaled = g.defineValueSymbol(x, 0, 4);
  REQUIRE(scaled.ok());
  CHECK(*scaled != *g.defineValueSymbol(x, 0));
  CHECK(*g.defineValueSymbol(x, 0, 4) == *scaled);
  CHECK_FALSE(g.defineValueSymbol(x, 0, 0).ok());
  Value *h = *g.addInput("h", {DType::F16, makeShape({1})});
  CHECK_FALSE(g.defineValueSymbol(h, 0).ok());
  // Constants fold (floor semantics, by zero gives 0); identities fold.
  CHECK(std::get<int64_t>(*g.defineSymbol(SymbolOp::FloorDiv, {-7, 2})) == -4);
  CHECK(std::get<int64_t>(*g.defineSymbol(SymbolOp::Mod, {-7, 2})) == 1);
  CHECK(std::get<int64_t>(*g.defineSymbol(SymbolOp::FloorDiv, {5, 0})) == 0);
  CHECK(std::get<std::string>(*g.defineSymbol(SymbolOp::Add, {*v0, 0})) == *v0);
  CHECK(std::get<std::string>(*g.defineSymbol(SymbolOp::Select,
                                              {1, *v0, *v1})) == *v0);
  CHECK_FALSE(g.defineSymbol(SymbolOp::Mul, {INT64_MAX, 2}).ok());
  CHECK_FALSE(g.defineSymbol(SymbolOp::Add, {std::string("nope"), 1}).ok());
  // Commutative ops share one definition whatever the operand order.
  SymbolArg p = *g.defineSymbol(SymbolOp::Mul, {*v0, *v1});
  CHECK(*g.defineSymbol(SymbolOp::Mul, {*v1, *v0}) == p);
  SymbolArg ok = *g.defineSymbol(SymbolOp::Eq, {p, 12});
  REQUIRE(g.require(ok, "the counts differ").ok());
  CHECK(g.require(SymbolArg(int64_t{1}), "never").ok());
  CHECK_FALSE(g.require(SymbolArg(int64_t{0}), "always").ok());
  AttributeMap attrs{{"shape", dimsAttribute({symbolArgDim(*v0),
                                              symbolArgDim(*v1)})},
                     {"checked", int64_t{1}}};
  Expected<Node *> r = g.addNode(OpKind::Reshape, {x}, attrs);
  REQUIRE(r.ok());
  g.setOutputs({(*r)->result()});
  REQUIRE(verify(g).ok());
  // Without `checked` the counts must match as symbolic products.
  attrs.erase("checked");
  CHECK_FALSE(g.addNode(OpKind::Reshape, {x}, attrs).ok());

  std::string text = printGraph(g);
  CHECK(text.find("symbol ?" + *v0 + " = value %shape[0]") !=
        std::string::npos);
  CHECK(text.find("require ?") != std::string::npos);
  Expected<Graph> parsed = parseGraph(text);
  REQUIRE(parsed.ok());
  CHECK(printGraph(*parsed) == text);
  std::string bytes = serializeGraph(g);
  proto::Graph pg;
  REQUIRE(pg.ParseFromString(bytes));
  CHECK(pg.ir_version() == kIRVersion);
  Expected<Graph> back = deserializeGraph(bytes);
  REQUIRE(back.ok());
  CHECK(printGraph(*back) == text);
  CHECK(printGraph(back->clone()) == text);
}

TEST_CASE("split symbols give string_split its width and round-trip", "[ir]") {
  Graph g;
  g.setName("g");
  Value *x = *g.addInput("x", TensorType{DType::Str, {Dim::symbol("n")}});
  Value *f = *g.addInput("f", TensorType{DType::F32, {Dim(2)}});
  CHECK_FALSE(g.defineSplitSymbol(f, ",", -1).ok()); // not str
  Expected<std::string> w = g.defineSplitSymbol(x, ", \"\x01", 2);
  REQUIRE(w.ok());
  // One symbol per input, delimiter and limit; a negative limit is none.
  CHECK(*g.defineSplitSymbol(x, ", \"\x01", 2) == *w);
  Expected<std::string> ws = g.defineSplitSymbol(x, "", -5);
  REQUIRE(ws.ok());
  CHECK(*ws != *w);
  AttributeMap attrs{{"delimiter", std::string(", \"\x01")},
                     {"maxsplit", int64_t{2}},
                     {"width", Shape{Dim::symbol(*w)}}};
  Expected<Node *> y = g.addNode(OpKind::StringSplit, {x}, attrs);
  REQUIRE(y.ok());
  CHECK((*y)->result()->type() ==
        TensorType{DType::Str, {Dim::symbol("n"), Dim::symbol(*w)}});
  attrs.erase("width");
  Expected<Node *> z = g.addNode(OpKind::StringSplitCount, {x}, attrs);
  REQUIRE(z.ok());
  CHECK((*z)->result()->type() == TensorType{DType::I64, {Dim::symbol("n")}});
  g.setOutputs({(*y)->result(), (*z)->result()});
  REQUIRE(verify(g).ok());
  std::string text = printGraph(g);
  CHECK(text.find("symbol ?" + *w + " = split %x \", \\\"\\01\" maxsplit 2") !=
        std::string::npos);
  CHECK(text.find("symbol ?" + *ws + " = split %x \"\"\n") !=
        std::string::npos);
  Expected<Graph> parsed = parseGraph(text);
  REQUIRE(parsed.ok());
  CHECK(printGraph(*parsed) == text);
  Expected<Graph> back = deserializeGraph(serializeGraph(g));
  REQUIRE(back.ok());
  CHECK(printGraph(*back) == text);
}

TEST_CASE("the verifier rejects bad symbol definitions", "[ir]") {
  auto check = [](const std::string &body, const std::string &message) {
    std::string text = "graph @g(%x: f32[3], %s: i64[2], %h: f16[2]) -> (%y) "
                       "{\n" +
                       body + "  %y = neg(%x) : f32[3]\n}\n";
    Expected<Graph> g = parseGraph(text);
    REQUIRE_FALSE(g.ok());
    CHECK(g.message().find(message) != std::string::npos);
  };
  check("  symbol ?a = value %s[2]\n", "element 2 of '%s' is out of range");
  check("  symbol ?a = value %h[0]\n", "not an i32, i64, f32 or f64 input");
  check("  symbol ?a = value %t[0]\n", "not a graph input");
  check("  symbol ?a = add ?b, 1\n", "operand ?b is used before it is defined");
  check("  symbol ?a = value %s[0]\n  symbol ?a = value %s[1]\n",
        "is defined twice");
  check("  require ?z \"m\"\n", "requirement on unknown symbol ?z");
  check("  symbol ?a = split %s \",\"\n", "which is not a str graph input");
  check("  symbol ?a = split %x \",\" maxsplit -1\n",
        "maxsplit must be non-negative");
}
