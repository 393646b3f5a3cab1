// mlc-codegen-test: graph text in; MLIR, LLVM IR, schedules or an object out.
#include "codegen/Codegen.h"
#include "codegen/KernelEmitter.h"
#include "codegen/Schedule.h"
#include "ir/Parser.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

int usage() {
  std::fprintf(
      stderr, "usage: mlc-codegen-test <graph.mlc|-> "
              "[--emit=mlir|llvm|obj|transform|ptx|plan] [--target=llvm|cuda] "
              "[--schedule-report] [--allow-tf32] [--cpu=NAME] [--arch=sm_XYa] "
              "[-o FILE]\n");
  return 2;
}

} // namespace

int main(int argc, char **argv) {
  std::string input, emit = "mlir", output = "-", cpu, target = "llvm", arch;
  bool scheduleReport = false, allowTf32 = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--emit=", 0) == 0)
      emit = a.substr(7);
    else if (a.rfind("--target=", 0) == 0)
      target = a.substr(9);
    else if (a.rfind("--cpu=", 0) == 0)
      cpu = a.substr(6);
    else if (a.rfind("--arch=", 0) == 0)
      arch = a.substr(7);
    else if (a == "--schedule-report")
      scheduleReport = true;
    else if (a == "--allow-tf32")
      allowTf32 = true;
    else if (a == "-o" && i + 1 < argc)
      output = argv[++i];
    else if (input.empty())
      input = a;
    else
      return usage();
  }
  if (input.empty() || (emit != "mlir" && emit != "llvm" && emit != "obj" &&
                        emit != "transform" && emit != "ptx" && emit != "plan"))
    return usage();
  std::stringstream text;
  if (input == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(input);
    if (!in) {
      std::fprintf(stderr, "error: cannot open %s\n", input.c_str());
      return 1;
    }
    text << in.rdbuf();
  }
  auto graph = mlc::parseGraph(text.str(), input);
  if (!graph.ok()) {
    std::fprintf(stderr, "%s\n", graph.message().c_str());
    return 1;
  }
  if (emit == "transform") {
    // The transform script the heuristic schedules produce (AVX2 or, with
    // --cpu=<avx512 cpu>, AVX-512 register tiles), for replaying the
    // pipeline with mlir-opt.
    mlc::codegen::ScheduleTarget target{cpu.rfind("skx", 0) == 0 ||
                                        cpu.rfind("znver4", 0) == 0 ||
                                        cpu.rfind("sapphire", 0) == 0};
    auto emitted = mlc::codegen::emitModule(*graph, /*portable=*/false,
                                            /*wideVectors=*/target.avx512);
    if (!emitted.ok()) {
      std::fprintf(stderr, "error: %s\n", emitted.message().c_str());
      return 1;
    }
    std::vector<mlc::codegen::ScheduleRecord> records;
    for (const auto &site : emitted->sites)
      if (auto r = mlc::codegen::chooseSchedule(site, target))
        records.push_back(*r);
    std::string script = mlc::codegen::transformScript(records);
    std::fwrite(script.data(), 1, script.size(), stdout);
    return 0;
  }
  if (emit == "mlir" && !scheduleReport) {
    mlc::TargetOptions options;
    options.target = target;
    options.cpu = cpu;
    options.allowTf32 = allowTf32;
    auto text = mlc::emitMLIR(*graph, options);
    if (!text.ok()) {
      std::fprintf(stderr, "error: %s\n", text.message().c_str());
      return 1;
    }
    std::fwrite(text->data(), 1, text->size(), stdout);
    return 0;
  }
  mlc::TargetOptions options;
  options.target = target;
  options.cpu = cpu;
  options.allowTf32 = allowTf32;
  // cuda-emulate: the architecture-specific kernels to emulate.
  if (!arch.empty())
    options.specificArchs = {arch};
  options.emitText = emit != "obj";
  auto result = mlc::generateCode(*graph, options);
  if (!result.ok()) {
    std::fprintf(stderr, "error: %s\n", result.message().c_str());
    return 1;
  }
  std::string out;
  if (scheduleReport)
    out = result->scheduleReport;
  else if (emit == "mlir")
    out = result->mlir;
  else if (emit == "llvm")
    out = result->llvmIR;
  else if (emit == "ptx")
    out = result->ptx;
  else if (emit == "plan")
    // The CUDA launch plan, one `cuda_launch` line per launch.
    for (const mlc::GpuLaunch &l : result->launches)
      out += mlc::formatLaunch(l) + "\n";
  else
    out = result->object;
  if (output == "-") {
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else {
    std::ofstream f(output, std::ios::binary);
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!f) {
      std::fprintf(stderr, "error: cannot write %s\n", output.c_str());
      return 1;
    }
  }
  return 0;
}
