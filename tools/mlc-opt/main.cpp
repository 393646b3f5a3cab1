// mlc-opt: parses textual IR, runs passes over it and prints it again. It is
// the tool behind the lit tests of the IR and of every pass.
#include "compiler/Pipeline.h"
#include "ir/Parser.h"
#include "ir/Printer.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace mlc;

constexpr const char *kUsage =
    R"(usage: mlc-opt [options] [FILE | -]

Parses the textual IR in FILE (or stdin), runs passes over it and prints the
result with every constant in full, so that the output parses back. With no
passes it only round-trips the graph.

options:
  --passes=a,b,c          run these passes in order ("default" expands to the
                          default pipeline)
  --pipeline=default      run the default (CPU) pipeline
  --pipeline=gpu          run the CUDA pipeline (no channels-last layout)
  --print-after-all       print the IR after every pass (to stderr)
  --print-after=NAME      print the IR after each run of pass NAME; repeatable
  --time-passes           print pass timings to stderr
  --no-verify-each        do not run the verifier after every pass
  --input-type=NAME=TYPE  after parsing, retype graph input %NAME, e.g.
                          --input-type=x=f32[1,?seq,4] (as a frontend that
                          pins input shapes does; run infer-shapes first)
  --split-input-file      treat each '# -----' line as the end of one graph;
                          outputs are separated by the same line
  --verify-diagnostics    check errors against '# expected-error {{text}}'
                          comments instead of failing (with an optional
                          '@+N' or '@-N' line offset after expected-error)
  -o FILE                 write the output to FILE instead of stdout
  --help                  print this help
)";

struct Options {
  std::string input = "-";
  std::string output = "-";
  std::vector<PassInfo> passes;
  PipelineOptions pipeline;
  bool splitInputFile = false;
  bool verifyDiagnostics = false;
  /// Input retypings from --input-type, in command-line order.
  std::vector<std::pair<std::string, TensorType>> inputTypes;
};

/// An expected-error comment: the line it applies to and the text to find.
struct ExpectedError {
  int line;
  std::string text;
};

int fail(const std::string &message) {
  std::cerr << "mlc-opt: error: " << message << "\n";
  return 1;
}

/// Parses a type as the printer writes it: `f32[1,?seq,4]`.
Expected<TensorType> parseType(std::string_view text) {
  size_t open = text.find('[');
  if (open == std::string_view::npos || text.back() != ']')
    return makeError("expected a type like f32[1,4], got '" +
                     std::string(text) + "'");
  std::optional<DType> dtype = parseDType(text.substr(0, open));
  if (!dtype)
    return makeError("unknown element type in '" + std::string(text) + "'");
  TensorType type{*dtype, {}};
  std::string_view dims = text.substr(open + 1, text.size() - open - 2);
  while (!dims.empty()) {
    size_t comma = dims.find(',');
    std::string dim(dims.substr(0, comma));
    dims = comma == std::string_view::npos ? std::string_view()
                                           : dims.substr(comma + 1);
    if (dim.size() > 1 && dim[0] == '?') {
      type.shape.push_back(Dim::symbol(dim.substr(1)));
    } else if (!dim.empty() &&
               dim.find_first_not_of("0123456789") == std::string::npos) {
      type.shape.push_back(Dim(std::stoll(dim)));
    } else {
      return makeError("bad dimension '" + dim + "' in '" + std::string(text) +
                       "'");
    }
  }
  return type;
}

Expected<Options> parseArgs(int argc, char **argv) {
  Options options;
  bool haveInput = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string_view flag) -> std::optional<std::string> {
      if (arg.rfind(flag, 0) == 0 && arg.size() > flag.size() &&
          arg[flag.size()] == '=')
        return arg.substr(flag.size() + 1);
      return std::nullopt;
    };
    if (auto list = value("--passes")) {
      Expected<std::vector<PassInfo>> passes = parsePassList(*list);
      if (!passes)
        return passes.error();
      options.passes.insert(options.passes.end(), passes->begin(),
                            passes->end());
    } else if (auto name = value("--pipeline")) {
      if (*name != "default" && *name != "gpu")
        return makeError("unknown pipeline '" + *name +
                         "' (known: default, gpu)");
      const auto &passes = defaultPipeline(
          *name == "gpu" ? PipelineTarget::Gpu : PipelineTarget::Cpu);
      options.passes.insert(options.passes.end(), passes.begin(), passes.end());
    } else if (auto pass = value("--print-after")) {
      if (!isPassName(*pass))
        return makeError("unknown pass '" + *pass + "' in --print-after");
      options.pipeline.printAfter.push_back(*pass);
    } else if (auto retype = value("--input-type")) {
      size_t equals = retype->find('=');
      if (equals == std::string::npos)
        return makeError("--input-type needs NAME=TYPE");
      Expected<TensorType> type = parseType(retype->substr(equals + 1));
      if (!type)
        return type.error();
      options.inputTypes.emplace_back(retype->substr(0, equals), *type);
    } else if (arg == "--print-after-all") {
      options.pipeline.printAfterAll = true;
    } else if (arg == "--time-passes") {
      options.pipeline.timePasses = true;
    } else if (arg == "--no-verify-each") {
      options.pipeline.verifyEach = false;
    } else if (arg == "--split-input-file") {
      options.splitInputFile = true;
    } else if (arg == "--verify-diagnostics") {
      options.verifyDiagnostics = true;
    } else if (arg == "-o") {
      if (i + 1 == argc)
        return makeError("-o needs a file name");
      options.output = argv[++i];
    } else if (arg.size() > 1 && arg[0] == '-') {
      return makeError("unknown option '" + arg + "' (see --help)");
    } else {
      if (haveInput)
        return makeError("more than one input file");
      options.input = arg;
      haveInput = true;
    }
  }
  return options;
}

Expected<std::string> readInput(const std::string &path) {
  std::ostringstream buffer;
  if (path == "-") {
    buffer << std::cin.rdbuf();
    return buffer.str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return makeError("cannot open '" + path + "'");
  buffer << file.rdbuf();
  return buffer.str();
}

/// Splits `text` at lines that read `# -----`. Each chunk is padded with
/// newlines so that parser line numbers refer to the whole file.
std::vector<std::string> splitInput(const std::string &text, bool split) {
  if (!split)
    return {text};
  std::vector<std::string> chunks(1);
  int line = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    size_t next = end == std::string::npos ? text.size() : end + 1;
    std::string_view content(text.data() + pos, next - pos);
    std::string_view trimmed = content;
    while (!trimmed.empty() &&
           (trimmed.back() == '\n' || trimmed.back() == ' ' ||
            trimmed.back() == '\r' || trimmed.back() == '\t'))
      trimmed.remove_suffix(1);
    if (trimmed == "# -----")
      chunks.push_back(std::string(line, '\n'));
    else
      chunks.back() += content;
    ++line;
    pos = next;
  }
  return chunks;
}

/// Collects `# expected-error[@+N|@-N] {{text}}` comments of a chunk.
std::vector<ExpectedError> expectedErrors(const std::string &text) {
  std::vector<ExpectedError> result;
  std::istringstream lines(text);
  std::string lineText;
  for (int line = 1; std::getline(lines, lineText); ++line) {
    size_t at = lineText.find("expected-error");
    if (at == std::string::npos)
      continue;
    size_t open = lineText.find("{{", at);
    size_t close = lineText.rfind("}}");
    if (open == std::string::npos || close == std::string::npos || close < open)
      continue;
    int target = line;
    size_t offsetAt = at + std::string_view("expected-error").size();
    if (offsetAt < lineText.size() && lineText[offsetAt] == '@')
      target += std::atoi(lineText.c_str() + offsetAt + 1);
    result.push_back({target, lineText.substr(open + 2, close - open - 2)});
  }
  return result;
}

/// The line of a located error message (`<buffer>:<line>:<col>: error:`).
std::optional<int> errorLine(const std::string &message,
                             const std::string &buffer) {
  if (message.rfind(buffer + ":", 0) != 0)
    return std::nullopt;
  const char *digits = message.c_str() + buffer.size() + 1;
  if (*digits < '0' || *digits > '9')
    return std::nullopt;
  return std::atoi(digits);
}

/// Formats an error for the terminal: located parser errors as they are,
/// everything else as `mlc-opt: error: ...`.
std::string formatError(const std::string &message, const std::string &buffer) {
  if (message.rfind(buffer + ":", 0) == 0)
    return message;
  return "mlc-opt: error: " + message;
}

/// Parses and transforms one graph; returns its printed form.
Expected<std::string> processChunk(const std::string &text,
                                   const std::string &buffer,
                                   const Options &options) {
  Expected<Graph> graph = parseGraph(text, buffer);
  if (!graph)
    return graph.error();
  for (const auto &[name, type] : options.inputTypes) {
    Value *value = graph->findValue(name);
    const auto &inputs = graph->inputs();
    if (!value ||
        std::find(inputs.begin(), inputs.end(), value) == inputs.end())
      return makeError("--input-type: graph has no input '%" + name + "'");
    value->setType(type);
  }
  MLC_RETURN_IF_ERROR(runPipeline(*graph, options.pipeline, options.passes));
  return printGraph(*graph);
}

/// Checks the outcome of one chunk against its expected-error comments.
/// Returns the text to print, or the diagnostic mismatch.
Expected<std::string> verifyChunk(const std::string &text,
                                  const std::string &buffer,
                                  const Options &options) {
  std::vector<ExpectedError> expected = expectedErrors(text);
  Expected<std::string> printed = processChunk(text, buffer, options);
  if (printed) {
    if (expected.empty())
      return printed;
    return makeError(buffer + ":" + std::to_string(expected.front().line) +
                     ": error: expected error \"" + expected.front().text +
                     "\" was not produced");
  }
  const std::string &message = printed.message();
  std::optional<int> line = errorLine(message, buffer);
  for (const ExpectedError &e : expected)
    if (message.find(e.text) != std::string::npos && (!line || *line == e.line))
      return std::string();
  return makeError("unexpected error: " + message);
}

} // namespace

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--help" ||
        std::string_view(argv[i]) == "-h") {
      std::cout << kUsage;
      return 0;
    }
  Expected<Options> options = parseArgs(argc, argv);
  if (!options)
    return fail(options.message());
  Expected<std::string> input = readInput(options->input);
  if (!input)
    return fail(input.message());
  std::string buffer = options->input == "-" ? "<stdin>" : options->input;

  std::string output;
  bool first = true;
  for (const std::string &chunk : splitInput(*input, options->splitInputFile)) {
    Expected<std::string> printed = options->verifyDiagnostics
                                        ? verifyChunk(chunk, buffer, *options)
                                        : processChunk(chunk, buffer, *options);
    if (!printed) {
      std::cerr << formatError(printed.message(), buffer) << "\n";
      return 1;
    }
    if (printed->empty())
      continue;
    if (!first)
      output += "# -----\n";
    output += *printed;
    first = false;
  }

  if (options->output == "-") {
    std::cout << output;
    std::cout.flush();
    return std::cout ? 0 : fail("cannot write to stdout");
  }
  std::ofstream file(options->output, std::ios::binary);
  if (!file || !(file << output))
    return fail("cannot write '" + options->output + "'");
  return 0;
}
