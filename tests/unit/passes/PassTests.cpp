// Unit tests of the passes: each rewrite must leave the graph's results
// unchanged (up to rounding of folded constants) according to the reference
// interpreter; plus the pipeline driver's error reporting and determinism.
#include "compiler/Pipeline.h"
#include "ir/Interpreter.h"
#include "ir/Printer.h"
#include "passes/ConvertToChannelsLast.h"
#include "passes/EliminateCommonSubexpressions.h"
#include "passes/EliminateDeadCode.h"
#include "passes/FoldConstants.h"
#include "passes/FuseKernels.h"
#include "passes/InferShapes.h"
#include "passes/SimplifyAlgebra.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

using namespace mlc;

namespace {

using Ints = std::vector<int64_t>;

/// Deterministic pseudo-random floats in [lo, hi).
class Random {
public:
  float next(float lo = -1.0f, float hi = 1.0f) {
    state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
    double unit = static_cast<double>(state_ >> 11) / 9007199254740992.0;
    return static_cast<float>(lo + (hi - lo) * unit);
  }

private:
  uint64_t state_ = 0x2545F4914F6CDD1Dull;
};

TensorData floats(Ints shape, const std::vector<float> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(float));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  Expected<TensorData> data = makeTensorData(
      TensorType{DType::F32, makeShape(shape)}, std::move(bytes));
  REQUIRE(data.ok());
  return data.take();
}

TensorData randomFloats(Random &random, Ints shape, float lo = -1.0f,
                        float hi = 1.0f) {
  int64_t count = 1;
  for (int64_t extent : shape)
    count *= extent;
  std::vector<float> values(count);
  for (float &value : values)
    value = random.next(lo, hi);
  return floats(shape, values);
}

Value *input(Graph &graph, const std::string &name, Ints shape) {
  Expected<Value *> value =
      graph.addInput(name, TensorType{DType::F32, makeShape(shape)});
  REQUIRE(value.ok());
  return *value;
}

Value *constant(Graph &graph, TensorData data) {
  Expected<Value *> value = graph.addConstant(std::move(data), "c");
  REQUIRE(value.ok());
  return *value;
}

Value *node(Graph &graph, OpKind kind, std::vector<Value *> operands,
            AttributeMap attrs = {}) {
  Expected<Node *> added =
      graph.addNode(kind, std::move(operands), std::move(attrs));
  INFO((added.ok() ? "" : added.message()));
  REQUIRE(added.ok());
  return (*added)->result();
}

AttributeMap convAttrs(int64_t group = 1, int64_t pad = 1) {
  return {{"strides", Ints{1, 1}},
          {"pads", Ints{pad, pad, pad, pad}},
          {"dilations", Ints{1, 1}},
          {"group", group}};
}

/// A batch_norm over `channels` channels with random constant parameters.
Value *batchNorm(Graph &graph, Random &random, Value *x, int64_t channels) {
  Value *gamma = constant(graph, randomFloats(random, {channels}, 0.5f, 2.0f));
  Value *beta = constant(graph, randomFloats(random, {channels}));
  Value *mean = constant(graph, randomFloats(random, {channels}));
  Value *var = constant(graph, randomFloats(random, {channels}, 0.1f, 2.0f));
  return node(graph, OpKind::BatchNorm, {x, gamma, beta, mean, var},
              {{"epsilon", 1e-5}});
}

std::vector<TensorData> randomInputs(const Graph &graph, Random &random) {
  std::vector<TensorData> inputs;
  for (const Value *value : graph.inputs())
    inputs.push_back(randomFloats(random, staticExtents(value->type().shape)));
  return inputs;
}

std::vector<TensorData> run(const Graph &graph,
                            const std::vector<TensorData> &inputs) {
  Expected<std::vector<TensorData>> outputs = interpretGraph(graph, inputs);
  INFO((outputs.ok() ? "" : outputs.message()));
  REQUIRE(outputs.ok());
  return outputs.take();
}

/// Every output element agrees within `rtol` relative (plus a tiny absolute
/// slack for values near zero).
void requireClose(const std::vector<TensorData> &actual,
                  const std::vector<TensorData> &expected, double rtol) {
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    REQUIRE(actual[i].type == expected[i].type);
    const float *a = actual[i].data<float>();
    const float *e = expected[i].data<float>();
    for (int64_t j = 0; j < actual[i].numElements(); ++j) {
      INFO("output " << i << " element " << j << ": " << a[j] << " vs "
                     << e[j]);
      REQUIRE(std::fabs(a[j] - e[j]) <=
              rtol * std::max(std::fabs(a[j]), std::fabs(e[j])) + 1e-6);
    }
  }
}

int count(const Graph &graph, OpKind kind) {
  int n = 0;
  for (const auto &node : graph.nodes())
    n += node->kind() == kind;
  return n;
}

/// Runs `pass`, verifies, and checks the outputs against the original graph.
void checkPreservesResults(Graph &graph, Status (*pass)(Graph &), double rtol) {
  REQUIRE(verify(graph).ok());
  Random random;
  std::vector<TensorData> inputs = randomInputs(graph, random);
  std::vector<TensorData> before = run(graph, inputs);
  Status status = pass(graph);
  INFO((status.ok() ? "" : status.message()));
  REQUIRE(status.ok());
  Status verified = verify(graph);
  INFO((verified.ok() ? "" : verified.message()));
  REQUIRE(verified.ok());
  requireClose(run(graph, inputs), before, rtol);
}

/// conv -> bn -> relu, conv -> bn (residual) as in a ResNet block; grouped
/// convs as in MobileNet's depthwise layers.
Graph convBnGraph(bool withBias, int64_t group) {
  Random random;
  Graph graph;
  int64_t channels = 4;
  Value *x = input(graph, "x", {2, channels, 6, 6});
  Value *w =
      constant(graph, randomFloats(random, {channels, channels / group, 3, 3}));
  std::vector<Value *> operands = {x, w};
  if (withBias)
    operands.push_back(constant(graph, randomFloats(random, {channels})));
  Value *c = node(graph, OpKind::Conv, operands, convAttrs(group));
  Value *bn = batchNorm(graph, random, c, channels);
  Value *r = node(graph, OpKind::Relu, {bn});
  Value *s = node(graph, OpKind::Add, {r, x});
  graph.setOutputs({s});
  return graph;
}

} // namespace

TEST_CASE("simplify-algebra folds batch_norm into conv", "[passes]") {
  for (bool withBias : {false, true})
    for (int64_t group : {1, 2, 4}) {
      INFO("bias " << withBias << " group " << group);
      Graph graph = convBnGraph(withBias, group);
      checkPreservesResults(graph, simplifyAlgebra, 1e-5);
      REQUIRE(count(graph, OpKind::BatchNorm) == 0);
      REQUIRE(count(graph, OpKind::Conv) == 1);
    }
}

/// The channels-last conversion, then the clean-up that cancels its
/// transpose pairs and folds the constants it transposed.
Status channelsLastAndCleanUp(Graph &graph) {
  MLC_RETURN_IF_ERROR(convertToChannelsLast(graph));
  MLC_RETURN_IF_ERROR(foldConstants(graph));
  MLC_RETURN_IF_ERROR(simplifyAlgebra(graph));
  return eliminateDeadCode(graph);
}

TEST_CASE("convert-to-channels-last keeps results", "[passes]") {
  // conv (+bias) -> relu -> max_pool -> two convs (one depthwise, strided)
  // -> mul by a [C,1,1] constant -> concat -> avg_pool -> reduce_mean
  // (keepdims) -> reshape; a residual add with the block input; two
  // outputs, one of them a conv result.
  Random random;
  Graph graph;
  Value *x = input(graph, "x", {2, 4, 8, 8});
  Value *w1 = constant(graph, randomFloats(random, {4, 4, 3, 3}));
  Value *b1 = constant(graph, randomFloats(random, {4}));
  Value *c1 = node(graph, OpKind::Conv, {x, w1, b1}, convAttrs());
  Value *r1 = node(graph, OpKind::Relu, {c1});
  Value *res = node(graph, OpKind::Add, {r1, x});
  Value *p = node(graph, OpKind::MaxPool, {res},
                  {{"kernel", Ints{2, 2}},
                   {"strides", Ints{2, 2}},
                   {"pads", Ints{0, 0, 0, 0}},
                   {"dilations", Ints{1, 1}},
                   {"ceil_mode", int64_t{0}}});
  Value *wd = constant(graph, randomFloats(random, {4, 1, 3, 3}));
  AttributeMap strided = convAttrs(4);
  strided["strides"] = Ints{2, 2};
  Value *d = node(graph, OpKind::Conv, {p, wd}, strided);
  Value *w2 = constant(graph, randomFloats(random, {6, 4, 1, 1}));
  AttributeMap pointwise = convAttrs(1, 0);
  pointwise["strides"] = Ints{2, 2};
  Value *c2 = node(graph, OpKind::Conv, {p, w2}, pointwise);
  Value *scale = constant(graph, randomFloats(random, {6, 1, 1}));
  Value *m = node(graph, OpKind::Mul, {c2, scale});
  Value *cat = node(graph, OpKind::Concat, {d, m}, {{"axis", int64_t{1}}});
  Value *a = node(graph, OpKind::AvgPool, {cat},
                  {{"kernel", Ints{2, 2}},
                   {"strides", Ints{1, 1}},
                   {"pads", Ints{1, 1, 0, 0}},
                   {"ceil_mode", int64_t{0}},
                   {"count_include_pad", int64_t{0}}});
  Value *mean = node(graph, OpKind::ReduceMean, {a},
                     {{"axes", Ints{2, 3}}, {"keepdims", int64_t{1}}});
  Value *flat = node(graph, OpKind::Reshape, {mean}, {{"shape", Ints{2, 10}}});
  graph.setOutputs({flat, c2});
  std::string c2Name = c2->name();
  checkPreservesResults(graph, channelsLastAndCleanUp, 1e-5);
  // Only the input's transpose and the one back to the conv output are
  // left, and the output keeps its name.
  REQUIRE(count(graph, OpKind::Transpose) == 2);
  REQUIRE(graph.outputs()[1]->name() == c2Name);
  for (const auto &n : graph.nodes())
    if (n->kind() == OpKind::Conv || n->kind() == OpKind::MaxPool ||
        n->kind() == OpKind::AvgPool)
      REQUIRE(n->intAttr("channels_last") == 1);
}

TEST_CASE("simplify-algebra turns a lone batch_norm into mul + add",
          "[passes]") {
  Random random;
  Graph graph;
  Value *x = input(graph, "x", {2, 3, 4, 5});
  Value *bn = batchNorm(graph, random, x, 3);
  graph.setOutputs({node(graph, OpKind::Relu, {bn})});
  checkPreservesResults(graph, simplifyAlgebra, 1e-5);
  REQUIRE(count(graph, OpKind::BatchNorm) == 0);
  REQUIRE(count(graph, OpKind::Mul) == 1);
}

TEST_CASE("simplify-algebra keeps reshape and transpose chains exact",
          "[passes]") {
  Graph graph;
  Value *x = input(graph, "x", {2, 3, 4});
  Value *t1 = node(graph, OpKind::Transpose, {x}, {{"perm", Ints{2, 0, 1}}});
  Value *t2 = node(graph, OpKind::Transpose, {t1}, {{"perm", Ints{0, 2, 1}}});
  Value *r1 = node(graph, OpKind::Reshape, {t2}, {{"shape", Ints{24}}});
  Value *r2 = node(graph, OpKind::Reshape, {r1}, {{"shape", Ints{4, 6}}});
  graph.setOutputs({node(graph, OpKind::Exp, {r2})});
  checkPreservesResults(graph, simplifyAlgebra, 0.0);
  REQUIRE(count(graph, OpKind::Transpose) == 1);
  REQUIRE(count(graph, OpKind::Reshape) == 1);
}

TEST_CASE("fold-constants evaluates constant subgraphs", "[passes]") {
  Random random;
  Graph graph;
  Value *x = input(graph, "x", {3, 4});
  Value *w = constant(graph, randomFloats(random, {5, 4}));
  Value *wt = node(graph, OpKind::Transpose, {w}, {{"perm", Ints{1, 0}}});
  Value *b = constant(graph, randomFloats(random, {5}));
  Value *b2 = node(graph, OpKind::Mul, {b, b});
  Value *m = node(graph, OpKind::MatMul, {x, wt});
  graph.setOutputs({node(graph, OpKind::Add, {m, b2})});
  checkPreservesResults(graph, foldConstants, 0.0);
  REQUIRE(count(graph, OpKind::Transpose) == 0);
  REQUIRE(count(graph, OpKind::Mul) == 0);
  REQUIRE(count(graph, OpKind::Constant) == 2);
}

TEST_CASE("fuse-kernels groups without changing results", "[passes]") {
  Graph graph = convBnGraph(true, 1);
  REQUIRE(simplifyAlgebra(graph).ok());
  checkPreservesResults(graph, fuseKernels, 0.0);
  for (const auto &n : graph.nodes())
    REQUIRE((n->group() >= 0) == (n->kind() != OpKind::Constant));
  // conv + relu + residual add: one kernel.
  int64_t maxGroup = -1;
  for (const auto &n : graph.nodes())
    maxGroup = std::max(maxGroup, n->group());
  REQUIRE(maxGroup == 0);
}

TEST_CASE("infer-shapes propagates a pinned input shape", "[passes]") {
  Graph graph;
  Expected<Value *> x =
      graph.addInput("x", TensorType{DType::F32, {Dim::symbol("n"), Dim(4)}});
  REQUIRE(x.ok());
  Value *r = node(graph, OpKind::Relu, {*x});
  Value *s = node(graph, OpKind::ReduceSum, {r},
                  {{"axes", Ints{1}}, {"keepdims", int64_t(0)}});
  graph.setOutputs({s});
  (*x)->setType(TensorType{DType::F32, makeShape({3, 4})});
  REQUIRE(!verify(graph).ok());
  REQUIRE(inferShapes(graph).ok());
  REQUIRE(verify(graph).ok());
  REQUIRE(s->type() == TensorType{DType::F32, makeShape({3})});
}

TEST_CASE("the default pipeline preserves results of a transformer block",
          "[pipeline]") {
  Random random;
  Graph graph;
  Value *x = input(graph, "x", {1, 8, 16});
  Value *w = constant(graph, randomFloats(random, {16, 16}));
  Value *wt = node(graph, OpKind::Transpose, {w}, {{"perm", Ints{1, 0}}});
  Value *q = node(graph, OpKind::MatMul, {x, wt});
  Value *bias = constant(graph, randomFloats(random, {16}));
  Value *qb = node(graph, OpKind::Add, {q, bias});
  Value *heads =
      node(graph, OpKind::Reshape, {qb}, {{"shape", Ints{1, 8, 2, 8}}});
  Value *qt =
      node(graph, OpKind::Transpose, {heads}, {{"perm", Ints{0, 2, 1, 3}}});
  Value *kt =
      node(graph, OpKind::Transpose, {heads}, {{"perm", Ints{0, 2, 3, 1}}});
  Value *scores = node(graph, OpKind::MatMul, {qt, kt});
  Value *one = constant(graph, floats({}, {1.0f}));
  Value *scaled = node(graph, OpKind::Mul, {scores, one});
  Value *p = node(graph, OpKind::Softmax, {scaled}, {{"axis", int64_t(3)}});
  Value *ctx = node(graph, OpKind::MatMul, {p, qt});
  Value *back =
      node(graph, OpKind::Transpose, {ctx}, {{"perm", Ints{0, 2, 1, 3}}});
  Value *merged =
      node(graph, OpKind::Reshape, {back}, {{"shape", Ints{1, 8, 16}}});
  Value *res = node(graph, OpKind::Add, {merged, x});
  Value *gamma = constant(graph, randomFloats(random, {16}, 0.5f, 1.5f));
  Value *ln = node(graph, OpKind::LayerNorm, {res, gamma},
                   {{"axis", int64_t(2)}, {"epsilon", 1e-5}});
  graph.setOutputs({ln});
  std::vector<TensorData> inputs = randomInputs(graph, random);
  std::vector<TensorData> before = run(graph, inputs);
  Status status = runPipeline(graph, PipelineOptions(), defaultPipeline());
  INFO((status.ok() ? "" : status.message()));
  REQUIRE(status.ok());
  requireClose(run(graph, inputs), before, 1e-5);
  REQUIRE(count(graph, OpKind::Mul) == 0);
}

TEST_CASE("the pipeline names the pass that broke the graph", "[pipeline]") {
  Graph graph;
  Value *x = input(graph, "x", {2});
  graph.setOutputs({node(graph, OpKind::Relu, {x})});
  PassInfo breakIt{"break-it", "sets a wrong result type", [](Graph &g) {
                     g.nodes().front()->result()->setType(
                         TensorType{DType::F32, makeShape({3})});
                     return Status::success();
                   }};
  PassInfo failIt{"fail-it", "fails",
                  [](Graph &) -> Status { return makeError("no luck"); }};
  Status broken = runPipeline(graph, PipelineOptions(), {breakIt});
  REQUIRE(!broken.ok());
  REQUIRE(broken.message().rfind("after pass 'break-it': ", 0) == 0);
  Status failed = runPipeline(graph, PipelineOptions(), {failIt});
  REQUIRE(failed.message() == "pass 'fail-it': no luck");
}

TEST_CASE("pass lists parse by name", "[pipeline]") {
  Expected<std::vector<PassInfo>> passes =
      parsePassList("fold-constants,default,fuse-kernels");
  REQUIRE(passes.ok());
  REQUIRE(passes->size() == defaultPipeline().size() + 2);
  REQUIRE(passes->front().name == "fold-constants");
  REQUIRE(parsePassList("").ok());
  REQUIRE(!parsePassList("fold-constants,,x").ok());
}

TEST_CASE("the default pipeline is deterministic", "[pipeline]") {
  auto compile = [] {
    Graph graph = convBnGraph(false, 2);
    REQUIRE(runPipeline(graph, PipelineOptions(), defaultPipeline()).ok());
    return printGraph(graph);
  };
  REQUIRE(compile() == compile());
}
